package oauth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"golang.org/x/oauth2"

	"github.com/kryptos-connect/kryptos-go"
)

// SignIn is the result of a successful callback.
type SignIn struct {
	// Token holds the access token, its expiry and, when offline_access
	// was granted, the refresh token: save it (TokenStore) before using it.
	Token *oauth2.Token
	// Scopes are the scopes the provider granted, which may be fewer than
	// those asked for.
	Scopes kryptos.Scopes
	// IDToken is the verified ID token, when openid was asked for of an
	// OpenID Connect provider; nil otherwise.
	IDToken *IDToken
	// ReturnTo is the path StartSignIn was given to come back to, if any.
	ReturnTo string
}

// LogValue logs the sign-in without its tokens, as kryptos.AccessGrant's
// Secret fields are logged: the subject, the scopes, ReturnTo, and whether
// a refresh token came. slog's handlers, the JSON one included, would
// otherwise write Token's access and refresh tokens. Save Token itself with
// your TokenStore; never log it.
func (in SignIn) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("scopes", in.Scopes.String()), slog.String("return_to", in.ReturnTo)}
	if in.IDToken != nil {
		attrs = append(attrs, slog.String("subject", in.IDToken.Subject))
	}
	if in.Token != nil {
		attrs = append(attrs, slog.Time("expiry", in.Token.Expiry), slog.Bool("refresh_token", in.Token.RefreshToken != ""))
	}
	return slog.GroupValue(attrs...)
}

// IDToken is a verified ID token: its signature, issuer, audience and
// expiry were checked against the provider's keys.
type IDToken struct {
	Issuer   string
	Subject  string
	Audience []string
	Expiry   time.Time
	IssuedAt time.Time
	// Email, EmailVerified and Name are the standard claims, when sent.
	Email         string
	EmailVerified bool
	Name          string
	// Claims holds every claim, for the ones this type does not name.
	Claims map[string]any
}

// AuthOption adjusts one sign-in.
type AuthOption func(*authSettings)

type authSettings struct {
	returnTo string
	params   []oauth2.AuthCodeOption
}

// ReturnTo records a path of your app to come back to after the sign-in,
// in SignIn.ReturnTo. Only a local path ("/settings") is kept: anything
// else could send the user to another site after signing in. So a path
// with a backslash, a space or a control character is dropped too:
// browsers remove tabs and line breaks from a URL, and read a backslash as
// a slash, so that "/\t/evil.example" goes to evil.example. So is a path
// longer than 2048 bytes as the sign-in's cookie holds it (JSON, where an
// '&' takes 6 bytes): a browser keeps no cookie over 4096 bytes.
func ReturnTo(path string) AuthOption {
	return func(s *authSettings) {
		if isLocalPath(path) {
			s.returnTo = path
		}
	}
}

// maxReturnTo is the longest path ReturnTo keeps, JSON-encoded.
const maxReturnTo = 2048

// jsonLen is the length of s in the JSON the sign-in's cookie seals.
func jsonLen(s string) int {
	b, _ := json.Marshal(s)
	return len(b) - 2
}

func isLocalPath(path string) bool {
	return len(path) <= maxReturnTo && jsonLen(path) <= maxReturnTo && strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "//") &&
		!strings.ContainsFunc(path, func(r rune) bool { return r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) })
}

// AuthParam adds a parameter to the authorization URL, such as
// AuthParam("prompt", "consent") or AuthParam("login_hint", email).
func AuthParam(key, value string) AuthOption {
	return func(s *authSettings) { s.params = append(s.params, oauth2.SetAuthURLParam(key, value)) }
}

// StartSignIn begins a sign-in: it sets a short-lived, sealed cookie that
// binds the sign-in to this browser, and returns the provider's
// authorization URL, with an unguessable state, a PKCE S256 challenge and,
// for OpenID Connect, a nonce. Redirect the browser there (SignInHandler
// does both).
func (c *Client) StartSignIn(w http.ResponseWriter, r *http.Request, opts ...AuthOption) (string, error) {
	if c.native {
		return "", errNative("StartSignIn")
	}
	p, params := c.newPending(opts)
	if err := c.setPending(w, p); err != nil {
		return "", fmt.Errorf("oauth: StartSignIn: %w", err)
	}
	return c.oauth.AuthCodeURL(p.State, params...), nil
}

// newPending makes a sign-in's secrets (state, PKCE verifier, nonce) and
// the authorization URL's parameters that carry them.
func (c *Client) newPending(opts []AuthOption) (pending, []oauth2.AuthCodeOption) {
	var s authSettings
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	p := pending{State: randomString(32), Nonce: randomString(16), ReturnTo: s.returnTo, Expires: time.Now().Add(SignInTTL).Unix()}
	params := s.params
	if c.provider.PKCE {
		p.Verifier = oauth2.GenerateVerifier()
		params = append(params, oauth2.S256ChallengeOption(p.Verifier))
	}
	if c.verifier != nil {
		params = append(params, oauth2.SetAuthURLParam("nonce", p.Nonce))
	}
	return p, params
}

// errNative is the error of the web flow's cookie functions on a Native
// client.
func errNative(op string) error {
	return fmt.Errorf("oauth: %s: %w", op, &kryptos.ParamError{Field: "Config.Native",
		Problem: "is set: a native app signs in with StartNativeSignIn, not with the web flow's cookie"})
}

// SignInHandler redirects the browser to the provider to sign in. A
// return_to query parameter holding a local path is kept for SignIn.ReturnTo.
func (c *Client) SignInHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target, err := c.StartSignIn(w, r, ReturnTo(r.URL.Query().Get("return_to")))
		if err != nil {
			http.Error(w, "cannot start signing in", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, target, http.StatusFound)
	})
}

// Callback finishes a sign-in at the redirect URL. It checks the state
// first (ErrState for a callback this browser did not start, or a replay),
// then turns an error the provider reported (error=access_denied when the
// user declined) into a *kryptos.Error matching kryptos.ErrAccessDenied and
// its kin, then exchanges the code with its PKCE verifier and verifies the
// ID token (signature, issuer, audience, expiry, nonce).
func (c *Client) Callback(w http.ResponseWriter, r *http.Request) (*SignIn, error) {
	if c.native {
		return nil, errNative("Callback")
	}
	q := r.URL.Query()
	p, err := c.takePending(w, r, q.Get("state"))
	if err != nil {
		return nil, fmt.Errorf("oauth: Callback: %w", err)
	}
	return c.complete(r.Context(), "Callback", &c.oauth, p, q)
}

// complete finishes a sign-in whose state was checked: it turns an error
// the provider reported into a *kryptos.Error, exchanges the code with the
// PKCE verifier (at cfg's redirect URL, the one the authorization named),
// and verifies the ID token and its nonce.
func (c *Client) complete(ctx context.Context, op string, cfg *oauth2.Config, p pending, q url.Values) (*SignIn, error) {
	if code := q.Get("error"); code != "" {
		return nil, callbackError(op, code, q.Get("error_description"))
	}
	code := q.Get("code")
	if code == "" {
		return nil, callbackError(op, "invalid_request", "the callback has neither a code nor an error")
	}
	var opts []oauth2.AuthCodeOption
	if c.provider.PKCE {
		opts = append(opts, oauth2.VerifierOption(p.Verifier))
	}
	tok, err := cfg.Exchange(c.context(ctx), code, opts...)
	if err != nil {
		return nil, c.providerError(op, err, code, p.Verifier)
	}
	in := &SignIn{Token: tok, Scopes: grantedScopes(tok, cfg.Scopes), ReturnTo: p.ReturnTo}
	if c.verifier != nil && in.Scopes.Has(kryptos.ScopeOpenID) {
		raw, _ := tok.Extra("id_token").(string)
		if raw == "" {
			return nil, fmt.Errorf("oauth: %s: %w: openid was granted but the answer has no id_token", op, kryptos.ErrMalformedResponse)
		}
		if in.IDToken, err = c.verifyIDToken(ctx, raw, p.Nonce); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// CallbackHandler serves the redirect URL: it calls onSignIn with the
// result, or onError with the error (match it with errors.Is against
// ErrState, kryptos.ErrAccessDenied, ...), and answers nothing itself.
func (c *Client) CallbackHandler(onSignIn func(http.ResponseWriter, *http.Request, *SignIn), onError func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		in, err := c.Callback(w, r)
		if err != nil {
			onError(w, r, err)
			return
		}
		onSignIn(w, r, in)
	})
}

// verifyIDToken checks an ID token and its nonce, and reads its claims.
func (c *Client) verifyIDToken(ctx context.Context, raw, nonce string) (*IDToken, error) {
	tok, err := c.verifier.Verify(c.context(ctx), raw)
	if err != nil {
		return nil, fmt.Errorf("oauth: the ID token is not valid: %w", err)
	}
	// OpenID Connect requires the token to echo the nonce the request sent.
	if subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1 {
		return nil, errors.New("oauth: the ID token's nonce is not the one this sign-in sent")
	}
	out := &IDToken{Issuer: tok.Issuer, Subject: tok.Subject, Audience: tok.Audience, Expiry: tok.Expiry, IssuedAt: tok.IssuedAt}
	if err := tok.Claims(&out.Claims); err != nil {
		return nil, fmt.Errorf("oauth: reading the ID token's claims: %w", err)
	}
	out.Email, _ = out.Claims["email"].(string)
	out.EmailVerified, _ = out.Claims["email_verified"].(bool)
	out.Name, _ = out.Claims["name"].(string)
	return out, nil
}

// grantedScopes reads the scopes the token answer granted; when it names
// none, the provider granted what was asked (RFC 6749 §5.1).
func grantedScopes(tok *oauth2.Token, asked []string) kryptos.Scopes {
	if s, _ := tok.Extra("scope").(string); s != "" {
		if scopes, err := kryptos.ParseScopes(s); err == nil {
			return scopes
		}
	}
	scopes, _ := kryptos.ParseScopes(strings.Join(asked, " "))
	return scopes
}
