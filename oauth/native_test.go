package oauth

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// newNative starts a sandbox and a Native Client of its provider: no
// RedirectURL, no StateKey.
func newNative(t *testing.T) (*kryptostest.Server, *Client) {
	t.Helper()
	srv := kryptostest.NewServer()
	t.Cleanup(srv.Close)
	c, err := New(Config{Provider: KryptosAt(srv.Issuer()), ClientID: srv.ClientID, ClientSecret: srv.ClientSecret, Native: true})
	require.NoError(t, err)
	return srv, c
}

// consent plays the user in the browser and returns the query the
// redirect brings back.
func consent(t *testing.T, srv *kryptostest.Server, n *NativeSignIn, email string, allow bool) url.Values {
	t.Helper()
	back, err := srv.Consent(n.URL(), email, allow)
	require.NoError(t, err)
	u, err := url.Parse(back)
	require.NoError(t, err)
	return u.Query()
}

func TestANativeSignInKeepsItsStateInMemory(t *testing.T) {
	t.Parallel()
	srv, c := newNative(t)
	n, err := c.StartNativeSignIn("http://127.0.0.1:54321/callback")
	require.NoError(t, err)
	target, err := url.Parse(n.URL())
	require.NoError(t, err)
	q := target.Query()
	assert.Equal(t, "http://127.0.0.1:54321/callback", q.Get("redirect_uri"), "this sign-in's own port")
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.Len(t, q.Get("code_challenge"), 43)
	assert.GreaterOrEqual(t, len(q.Get("state")), 43, "32 random bytes")
	assert.NotEmpty(t, q.Get("nonce"))

	back, err := srv.Consent(n.URL(), "alex@example.com", true)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(back, "http://127.0.0.1:54321/callback?"), back)
	cb, _ := url.Parse(back)
	// The sandbox exchanges the code only at the redirect URL the
	// authorization named: the exchange proves it was this sign-in's.
	in, err := n.Finish(ctx, cb.Query())
	require.NoError(t, err)
	assert.NotEmpty(t, in.Token.AccessToken)
	assert.NotEmpty(t, in.Token.RefreshToken)
	require.NotNil(t, in.IDToken)
	assert.Equal(t, "alex@example.com", in.IDToken.Email)
	assert.True(t, in.Scopes.Has(kryptos.ScopePortfoliosRead))

	_, err = n.Finish(ctx, cb.Query())
	require.ErrorIs(t, err, ErrState, "a sign-in finishes once")
}

func TestANativeSignInRefusesARedirectItDidNotCause(t *testing.T) {
	t.Parallel()
	srv, c := newNative(t)
	mine, err := c.StartNativeSignIn("http://127.0.0.1:40001/callback")
	require.NoError(t, err)
	other, err := c.StartNativeSignIn("http://127.0.0.1:40002/callback")
	require.NoError(t, err)
	othersAnswer := consent(t, srv, other, "attacker@example.com", true)
	myAnswer := consent(t, srv, mine, "alex@example.com", true)

	forged := url.Values{"code": myAnswer["code"], "state": {strings.Repeat("A", 43)}}
	for name, q := range map[string]url.Values{
		"another sign-in's":  othersAnswer,
		"a forged state":     forged,
		"no state":           {"code": myAnswer["code"]},
		"an error, no state": {"error": {"access_denied"}},
	} {
		_, err := mine.Finish(ctx, q)
		require.ErrorIs(t, err, ErrState, name)
	}
	// A redirect with another state leaves the sign-in open for its own.
	in, err := mine.Finish(ctx, myAnswer)
	require.NoError(t, err)
	assert.Equal(t, "alex@example.com", in.IDToken.Email)
}

func TestANativeSignInTheUserDeclinedIsATypedError(t *testing.T) {
	t.Parallel()
	srv, c := newNative(t)
	n, err := c.StartNativeSignIn("http://127.0.0.1:40003/callback")
	require.NoError(t, err)
	q := consent(t, srv, n, "alex@example.com", false)
	_, err = n.Finish(ctx, q)
	require.ErrorIs(t, err, kryptos.ErrAccessDenied)
	assert.NotErrorIs(t, err, ErrState)
	_, err = n.Finish(ctx, q)
	require.ErrorIs(t, err, ErrState, "the answer ended the sign-in")
}

func TestAnExpiredNativeSignInIsRefused(t *testing.T) {
	t.Parallel()
	srv, c := newNative(t)
	n, err := c.StartNativeSignIn("http://127.0.0.1:40004/callback")
	require.NoError(t, err)
	q := consent(t, srv, n, "alex@example.com", true)
	n.p.Expires = time.Now().Add(-time.Second).Unix()
	_, err = n.Finish(ctx, q)
	require.ErrorIs(t, err, ErrState)
}

func TestANativeClientIsCheckedAndRefusesTheCookieFlow(t *testing.T) {
	t.Parallel()
	srv, c := newNative(t)
	_, err := c.StartSignIn(httptest.NewRecorder(), httptest.NewRequest("GET", "/auth/signin", nil))
	require.ErrorIs(t, err, kryptos.ErrInvalidParams)
	_, err = c.Callback(httptest.NewRecorder(), httptest.NewRequest("GET", "/auth/callback?state=x&code=y", nil))
	require.ErrorIs(t, err, kryptos.ErrInvalidParams)

	for _, redirect := range []string{"/callback", "http:///callback", "127.0.0.1:8080/callback"} {
		_, err := c.StartNativeSignIn(redirect)
		require.ErrorIs(t, err, kryptos.ErrInvalidParams, redirect)
	}
	_, err = c.StartNativeSignIn("com.example.app:/callback")
	require.NoError(t, err, "a private-use scheme (RFC 8252 §7.1)")

	// Native waives RedirectURL and StateKey only: the rest is checked,
	// and a RedirectURL given must still be a URL.
	base := Config{Provider: KryptosAt(srv.Issuer()), ClientID: srv.ClientID, ClientSecret: srv.ClientSecret, Native: true}
	for name, edit := range map[string]func(*Config){
		"no client secret":  func(c *Config) { c.ClientSecret = "" },
		"relative redirect": func(c *Config) { c.RedirectURL = "/callback" },
	} {
		cfg := base
		edit(&cfg)
		_, err := New(cfg)
		require.ErrorIs(t, err, kryptos.ErrInvalidParams, name)
	}
}

// TestANativeClientKeepsTokensFresh is what a command line does on its
// next run: refresh the saved login, and save the rotated token.
func TestANativeClientKeepsTokensFresh(t *testing.T) {
	t.Parallel()
	srv, c := newNative(t)
	n, err := c.StartNativeSignIn("http://127.0.0.1:40005/callback")
	require.NoError(t, err)
	in, err := n.Finish(ctx, consent(t, srv, n, "alex@example.com", true))
	require.NoError(t, err)
	expired := *in.Token
	expired.Expiry = time.Now().Add(-time.Minute)
	store := NewMemoryStore(&expired)
	tok, err := c.TokenSource(ctx, store).Token()
	require.NoError(t, err)
	assert.NotEqual(t, in.Token.AccessToken, tok.AccessToken)
	saved, _ := store.Load(ctx)
	assert.Equal(t, tok.RefreshToken, saved.RefreshToken)
	assert.NotEqual(t, in.Token.RefreshToken, saved.RefreshToken, "rotated")
}
