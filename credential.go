package kryptos

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// Credential authorizes data API calls for one user: AccessToken for a
// Connect access token (cat_…) or an OAuth 2.0 access token (a JWT),
// TokenSource for OAuth tokens that refresh, APIKey for the user's own API
// key. Pass it to Client.User. A Credential prints and logs without its
// value.
type Credential interface {
	// authorize sets the credential's header on a request of op.
	authorize(ctx context.Context, op *operation, h http.Header) error
	// secret is the value to scrub from server messages, when known.
	secret() string
	kind() string
	// refused is told that the API answered 401 to a request authorized
	// with the header sent, and says whether authorizing again may give
	// another credential: a token the source refreshes.
	refused(sent http.Header) bool
	// check refuses a credential that no call could send, where that can
	// be known before the first call.
	check() error
}

// The longest credential accepted: a JWT with many claims fits, a pasted
// file does not.
const maxCredentialBytes = 16 << 10

// AccessToken returns the Credential of a bearer access token: a Connect
// access token (cat_…, from ExchangePublicToken) or an OAuth 2.0 access
// token (a JWT). It is sent as "Authorization: Bearer <token>" and only to
// the data API. A malformed token, or a Kryptos token of another kind (a
// public_ or link_ token, a cgrant_ grant id, a crt_ refresh token, an API
// key), fails the first call, before anything is sent.
func AccessToken(token string) Credential { return bearer{NewSecret(token)} }

type bearer struct{ token Secret }

func (b bearer) check() error {
	return checkKind(b.token.Reveal(), "an access token (cat_… or an OAuth token)", "public_", "link_", "cgrant_", "crt_", "kryptos_")
}

func (b bearer) authorize(_ context.Context, op *operation, h http.Header) error {
	if err := b.check(); err != nil {
		return err
	}
	h["Authorization"] = []string{"Bearer " + b.token.Reveal()}
	return nil
}

func (b bearer) secret() string         { return b.token.Reveal() }
func (bearer) refused(http.Header) bool { return false }
func (bearer) kind() string             { return "AccessToken" }

// APIKey returns the Credential of a user's API key (kryptos_live_…), sent
// as "x-api-key" instead of Authorization, never both. The data API accepts
// API keys only on /v1/users/* (UserClient.Me); other operations refuse
// this credential before sending, as every operation refuses a Kryptos
// token of another kind (a cat_ access token, say) given as an API key.
func APIKey(key string) Credential { return apiKey{NewSecret(key)} }

type apiKey struct{ key Secret }

func (k apiKey) authorize(_ context.Context, op *operation, h http.Header) error {
	if op.auth != byUserOrAPIKey {
		return &ParamError{"credential", "an API key reaches only /v1/users/*; " + op.name + " needs the user's access token"}
	}
	if err := k.check(); err != nil {
		return err
	}
	h["X-Api-Key"] = []string{k.key.Reveal()}
	return nil
}

func (k apiKey) check() error {
	return checkKind(k.key.Reveal(), "an API key (kryptos_live_…)", "cat_", "public_", "link_", "cgrant_", "crt_")
}

func (k apiKey) secret() string         { return k.key.Reveal() }
func (apiKey) refused(http.Header) bool { return false }
func (apiKey) kind() string             { return "APIKey" }

// TokenSource returns the Credential of OAuth 2.0 tokens that ts refreshes
// (see the oauth package): each call takes the current token from ts, so a
// token that expired is refreshed before the call is sent. An error from ts
// fails the call before anything is sent. When ts has a method
// TokenContext(ctx) (*oauth2.Token, error), as oauth.TokenSource does, it is
// called with the call's context, so that the call's deadline bounds the
// wait for a refresh.
//
// A token can be refused before its expiry says (revoked, a clock ahead of
// the provider's, or no expiry stored): if ts has a method
// TokenRefused(accessToken string), as oauth.TokenSource does, a call
// answered 401 tells it which token was refused and is sent once more with
// the next token ts gives (OAUTH.md: "refresh, then retry once").
func TokenSource(ts oauth2.TokenSource) Credential { return tokenSource{ts} }

// tokenRefuser is a token source that can be told its token was refused.
type tokenRefuser interface {
	TokenRefused(accessToken string)
}

type tokenSource struct{ ts oauth2.TokenSource }

func (s tokenSource) check() error {
	if s.ts == nil {
		return &ParamError{"credential", "TokenSource needs a non-nil oauth2.TokenSource"}
	}
	return nil
}

// tokenContexter is a token source that takes the context of the call it
// serves, as oauth.TokenSource does: the call's context then bounds the
// wait for a refresh, not only the source's own.
type tokenContexter interface {
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

func (s tokenSource) authorize(ctx context.Context, op *operation, h http.Header) error {
	if err := s.check(); err != nil {
		return err
	}
	var tok *oauth2.Token
	var err error
	if tc, ok := s.ts.(tokenContexter); ok {
		tok, err = tc.TokenContext(ctx)
	} else {
		tok, err = s.ts.Token()
	}
	if err != nil {
		return fmt.Errorf("getting the OAuth token: %w", err)
	}
	if tok == nil {
		return &ParamError{"credential", "the TokenSource gave no token (nil) and no error"}
	}
	if err := checkCredential("credential", tok.AccessToken); err != nil {
		return err
	}
	h["Authorization"] = []string{"Bearer " + tok.AccessToken}
	return nil
}

func (tokenSource) secret() string { return "" }

func (s tokenSource) refused(sent http.Header) bool {
	r, ok := s.ts.(tokenRefuser)
	if ok {
		r.TokenRefused(sentToken(sent))
	}
	return ok
}

func (tokenSource) kind() string { return "TokenSource" }

// checkKind checks a credential, and refuses a Kryptos token of another
// kind than want (wrong: its prefixes) before it is sent: a public or link
// token, a grant id or a refresh token stored in place of the access token,
// or an access token and an API key swapped. Tokens of no Kryptos kind,
// such as OAuth access tokens, are left to the API.
func checkKind(v, want string, wrong ...string) error {
	if err := checkCredential("credential", v); err != nil {
		return err
	}
	for _, p := range wrong {
		if strings.HasPrefix(v, p) {
			return &ParamError{"credential", "is a " + p + "… token, not " + want + " (is it the right kind of token?)"}
		}
	}
	return nil
}

func checkCredential(field, v string) error {
	if err := checkText(field, v); err != nil {
		return err
	}
	if len(v) > maxCredentialBytes {
		return &ParamError{field, fmt.Sprintf("is longer than %d bytes; is it really a token?", maxCredentialBytes)}
	}
	return nil
}

// Format prints the credential's kind, never its value.
func (b bearer) Format(f fmt.State, _ rune) { formatCredential(f, b.kind(), b.token) }
func (k apiKey) Format(f fmt.State, _ rune) { formatCredential(f, k.kind(), k.key) }
func (s tokenSource) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "kryptos.TokenSource(…)")
}

// LogValue logs the credential's kind, never its value.
func (b bearer) LogValue() slog.Value      { return slog.StringValue(fmt.Sprint(b)) }
func (k apiKey) LogValue() slog.Value      { return slog.StringValue(fmt.Sprint(k)) }
func (s tokenSource) LogValue() slog.Value { return slog.StringValue(fmt.Sprint(s)) }

func formatCredential(w io.Writer, kind string, s Secret) {
	_, _ = fmt.Fprintf(w, "kryptos.%s(%s)", kind, s.String())
}
