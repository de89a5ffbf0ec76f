package oauth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/kryptos-connect/kryptos-go"
)

// NativeSignIn is one sign-in of a native app (RFC 8252): a command line or
// a desktop app that opens the authorization URL in the user's browser and
// receives the provider's redirect itself, typically on a loopback address
// (http://127.0.0.1:PORT/callback, RFC 8252 §7.3). It holds the state, the
// PKCE verifier and the nonce in memory, where the web flow seals them in a
// cookie, so only the process that started the sign-in can finish it. It is
// safe for concurrent use; Finish succeeds at most once.
type NativeSignIn struct {
	c     *Client
	oauth oauth2.Config // the Client's, with this sign-in's redirect URL
	url   string

	mu       sync.Mutex
	p        pending
	finished bool
}

// Format prints the sign-in as its client ID and redirect URL, for every
// verb: it holds the client secret and the PKCE verifier, which no
// formatting of it may reveal (as for Client).
func (n *NativeSignIn) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "oauth.NativeSignIn{ClientID:%q, RedirectURL:%q}", n.oauth.ClientID, n.oauth.RedirectURL)
}

// LogValue logs the sign-in as its client ID and redirect URL.
func (n *NativeSignIn) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", n.oauth.ClientID), slog.String("redirect_url", n.oauth.RedirectURL))
}

// StartNativeSignIn begins a sign-in whose redirect comes back to
// redirectURL. With a loopback redirect, that is the address the app
// listens on for this sign-in, whose port changes from run to run (RFC 8252
// §7.3 asks providers to accept any port for a registered loopback URI).
// Open URL in the user's browser, then give the query of the request that
// arrives at redirectURL to Finish. ReturnTo has no use here; AuthParam
// does.
func (c *Client) StartNativeSignIn(redirectURL string, opts ...AuthOption) (*NativeSignIn, error) {
	// A private-use scheme (com.example.app:/callback, RFC 8252 §7.1) is as
	// good as a loopback address, if the provider takes it.
	u, err := url.Parse(redirectURL)
	if err != nil || !u.IsAbs() || (u.Scheme == "http" || u.Scheme == "https") && u.Host == "" {
		return nil, fmt.Errorf("oauth: StartNativeSignIn: %w", &kryptos.ParamError{Field: "redirectURL",
			Problem: "must be an absolute URL, such as http://127.0.0.1:PORT/callback"})
	}
	p, params := c.newPending(opts)
	cfg := c.oauth
	cfg.RedirectURL = redirectURL
	return &NativeSignIn{c: c, oauth: cfg, p: p, url: cfg.AuthCodeURL(p.State, params...)}, nil
}

// URL returns the provider's authorization URL, with the state, the PKCE
// S256 challenge and, for OpenID Connect, the nonce: open it in the user's
// browser. Show it too, for a user whose browser is on another machine.
// It holds no secret.
func (n *NativeSignIn) URL() string { return n.url }

// Finish ends the sign-in with the query of the redirect that arrived at
// the redirect URL: code and state, or error and state. As Callback does, it
// checks the state first: ErrState for a redirect this sign-in did not
// cause (another state, forged or from an older sign-in; the sign-in
// already finished; or it is older than SignInTTL). Then it turns an error
// the provider reported into a *kryptos.Error (kryptos.ErrAccessDenied when
// the user declined), exchanges the code with the PKCE verifier, and
// verifies the ID token (signature, issuer, audience, expiry, nonce).
//
// A redirect with another state leaves the sign-in open for the right one;
// any other outcome ends it.
func (n *NativeSignIn) Finish(ctx context.Context, query url.Values) (*SignIn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.finished || subtle.ConstantTimeCompare([]byte(query.Get("state")), []byte(n.p.State)) != 1 {
		return nil, fmt.Errorf("oauth: Finish: %w", ErrState)
	}
	n.finished = true
	if time.Now().Unix() > n.p.Expires {
		return nil, fmt.Errorf("oauth: Finish: %w", ErrState)
	}
	return n.c.complete(ctx, "Finish", &n.oauth, n.p, query)
}
