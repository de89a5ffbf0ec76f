package oauth

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

var ctx = context.Background()

const redirectURL = "http://127.0.0.1:9999/auth/callback"

func stateKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// newSandbox starts a sandbox and a Client of its provider.
func newSandbox(t *testing.T, edit ...func(*Config)) (*kryptostest.Server, *Client) {
	t.Helper()
	return newSandboxOf(t, kryptostest.NewServer(), edit...)
}

// newSandboxOf is newSandbox with a sandbox of the test's own.
func newSandboxOf(t *testing.T, srv *kryptostest.Server, edit ...func(*Config)) (*kryptostest.Server, *Client) {
	t.Helper()
	t.Cleanup(srv.Close)
	cfg := Config{Provider: KryptosAt(srv.Issuer()), ClientID: srv.ClientID, ClientSecret: srv.ClientSecret,
		RedirectURL: redirectURL, StateKey: stateKey(t)}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return srv, c
}

// browser is one user's browser: it keeps the cookies the app sets.
type browser struct{ cookies []*http.Cookie }

// start makes the app start a sign-in in this browser, and returns the
// provider URL it is sent to.
func (b *browser) start(t *testing.T, c *Client, opts ...AuthOption) string {
	t.Helper()
	rec := httptest.NewRecorder()
	target, err := c.StartSignIn(rec, httptest.NewRequest(http.MethodGet, "/auth/signin", nil), opts...)
	require.NoError(t, err)
	b.cookies = append(b.cookies, rec.Result().Cookies()...)
	return target
}

// callback delivers the provider's redirect to the app in this browser.
func (b *browser) callback(c *Client, callbackURL string) (*SignIn, error) {
	req := httptest.NewRequest(http.MethodGet, callbackURL, nil)
	for _, ck := range b.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	in, err := c.Callback(rec, req)
	for _, set := range rec.Result().Cookies() {
		if set.MaxAge < 0 {
			b.drop(set.Name)
		}
	}
	return in, err
}

func (b *browser) drop(name string) {
	kept := b.cookies[:0]
	for _, ck := range b.cookies {
		if ck.Name != name {
			kept = append(kept, ck)
		}
	}
	b.cookies = kept
}

// signIn runs a whole sign-in of email and returns its result.
func signIn(t *testing.T, srv *kryptostest.Server, c *Client, email string) *SignIn {
	t.Helper()
	var b browser
	back, err := srv.Consent(b.start(t, c), email, true)
	require.NoError(t, err)
	in, err := b.callback(c, back)
	require.NoError(t, err)
	return in
}

func TestTheAuthorizationURLCarriesStatePKCEAndNonce(t *testing.T) {
	t.Parallel()
	_, c := newSandbox(t)
	var b browser
	target, err := url.Parse(b.start(t, c))
	require.NoError(t, err)
	q := target.Query()
	assert.Equal(t, "code", q.Get("response_type"))
	assert.Equal(t, redirectURL, q.Get("redirect_uri"))
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.Len(t, q.Get("code_challenge"), 43)
	assert.GreaterOrEqual(t, len(q.Get("state")), 43, "32 random bytes")
	assert.NotEmpty(t, q.Get("nonce"))
	assert.Contains(t, q.Get("scope"), "openid")
	require.Len(t, b.cookies, 1)
	ck := b.cookies[0]
	assert.True(t, ck.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
	assert.Equal(t, "/", ck.Path)
	assert.NotContains(t, ck.Value, q.Get("state"), "the cookie is sealed")

	var other browser
	again, _ := url.Parse(other.start(t, c))
	assert.NotEqual(t, q.Get("state"), again.Query().Get("state"), "each sign-in has its own state")
}

func TestASignInEndsWithVerifiedTokens(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	var b browser
	back, err := srv.Consent(b.start(t, c, ReturnTo("/settings"), ReturnTo("https://evil.example/")), "alex.doe@example.com", true)
	require.NoError(t, err)
	in, err := b.callback(c, back)
	require.NoError(t, err)

	assert.NotEmpty(t, in.Token.AccessToken)
	assert.NotEmpty(t, in.Token.RefreshToken, "offline_access gives a refresh token")
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), in.Token.Expiry, time.Minute)
	assert.True(t, in.Scopes.Has(kryptos.ScopePortfoliosRead))
	require.NotNil(t, in.IDToken)
	assert.Equal(t, srv.Issuer(), in.IDToken.Issuer)
	assert.Equal(t, []string{srv.ClientID}, in.IDToken.Audience)
	assert.Equal(t, "alex.doe@example.com", in.IDToken.Email)
	assert.True(t, in.IDToken.EmailVerified)
	assert.Equal(t, "Alex Doe", in.IDToken.Name)
	assert.NotEmpty(t, in.IDToken.Subject)
	assert.Equal(t, "/settings", in.ReturnTo, "a ReturnTo to another site is ignored")
}

func TestReturnToKeepsOnlyLocalPaths(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{"/settings?tab=2": "/settings?tab=2", "//evil.example": "", "https://evil.example": "", `/\evil`: "", "": "",
		// Browsers drop tabs and line breaks from a URL: these are //evil.example.
		"/\t/evil.example": "", "/\n/evil.example": "", "/\r/evil.example": "", "/ /x": ""} {
		var s authSettings
		ReturnTo(path)(&s)
		assert.Equal(t, want, s.returnTo, path)
	}
}

// TestACallbackThisBrowserDidNotStartIsRefused covers forged, foreign,
// replayed and tampered callbacks: ErrState, checked before anything else.
func TestACallbackThisBrowserDidNotStartIsRefused(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	var victim, attacker browser
	attackersCallback, err := srv.Consent(attacker.start(t, c), "attacker@example.com", true)
	require.NoError(t, err)

	// The attacker makes the victim's browser deliver the attacker's code.
	victim.start(t, c)
	_, err = victim.callback(c, attackersCallback)
	require.ErrorIs(t, err, ErrState)

	// A forged state, and no state at all.
	u, _ := url.Parse(attackersCallback)
	q := u.Query()
	q.Set("state", strings.Repeat("A", 43))
	u.RawQuery = q.Encode()
	_, err = attacker.callback(c, u.String())
	require.ErrorIs(t, err, ErrState)
	_, err = attacker.callback(c, redirectURL+"?code=x")
	require.ErrorIs(t, err, ErrState)

	// The real callback works once; a replay finds its cookie gone.
	_, err = attacker.callback(c, attackersCallback)
	require.NoError(t, err)
	_, err = attacker.callback(c, attackersCallback)
	require.ErrorIs(t, err, ErrState)

	// A cookie sealed under another key is refused.
	other, err := New(Config{Provider: c.provider, ClientID: srv.ClientID, ClientSecret: srv.ClientSecret,
		RedirectURL: redirectURL, StateKey: stateKey(t)})
	require.NoError(t, err)
	var b browser
	back, err := srv.Consent(b.start(t, other), "x@example.com", true)
	require.NoError(t, err)
	_, err = b.callback(c, back)
	require.ErrorIs(t, err, ErrState)
}

func TestAnExpiredSignInIsRefused(t *testing.T) {
	t.Parallel()
	_, c := newSandbox(t)
	rec := httptest.NewRecorder()
	state := randomString(32)
	require.NoError(t, c.setPending(rec, pending{State: state, Expires: time.Now().Add(-time.Second).Unix()}))
	req := httptest.NewRequest(http.MethodGet, redirectURL+"?code=c&state="+state, nil)
	for _, ck := range rec.Result().Cookies() {
		req.AddCookie(ck)
	}
	_, err := c.Callback(httptest.NewRecorder(), req)
	require.ErrorIs(t, err, ErrState)
}

func TestADeniedSignInIsATypedError(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	var b browser
	back, err := srv.Consent(b.start(t, c), "alex@example.com", false)
	require.NoError(t, err)
	_, err = b.callback(c, back)
	require.ErrorIs(t, err, kryptos.ErrAccessDenied)
	var apiErr *kryptos.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "access_denied", apiErr.Code)
	assert.Equal(t, "The user denied the request", apiErr.Message)
	assert.Zero(t, apiErr.StatusCode, "reported through the redirect, not an HTTP answer")

	// An error from a foreign state is a state error, not the provider's.
	var other browser
	other.start(t, c)
	_, err = other.callback(c, back)
	require.ErrorIs(t, err, ErrState)
	assert.NotErrorIs(t, err, kryptos.ErrAccessDenied)
}

func TestACodeWorksOnceAndOnlyWithItsVerifier(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	authURL := func() (string, string) {
		verifier := oauth2.GenerateVerifier()
		u := c.oauth.AuthCodeURL(randomString(32), oauth2.S256ChallengeOption(verifier))
		back, err := srv.Consent(u, "alex@example.com", true)
		require.NoError(t, err)
		cb, _ := url.Parse(back)
		return cb.Query().Get("code"), verifier
	}
	code, _ := authURL()
	_, err := c.oauth.Exchange(c.context(ctx), code, oauth2.VerifierOption("a-different-verifier-of-enough-length-0123456789"))
	require.ErrorIs(t, c.providerError("Exchange", err), kryptos.ErrInvalidGrant, "PKCE mismatch")

	code, verifier := authURL()
	tok, err := c.oauth.Exchange(c.context(ctx), code, oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	_, err = c.oauth.Exchange(c.context(ctx), code, oauth2.VerifierOption(verifier))
	require.ErrorIs(t, c.providerError("Exchange", err), kryptos.ErrInvalidGrant, "a replayed code")
	_, err = c.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	require.ErrorIs(t, err, kryptos.ErrInvalidToken, "a replayed code revokes what the first use gave")
}

func TestNewRefusesABadConfig(t *testing.T) {
	t.Parallel()
	good := Config{ClientID: "id", ClientSecret: "secret", RedirectURL: redirectURL, StateKey: make([]byte, 32)}
	cases := map[string]func(*Config){
		"short state key":   func(c *Config) { c.StateKey = []byte("short") },
		"no client id":      func(c *Config) { c.ClientID = " " },
		"no client secret":  func(c *Config) { c.ClientSecret = "" },
		"relative redirect": func(c *Config) { c.RedirectURL = "/callback" },
		"no token URL":      func(c *Config) { c.Provider = Provider{AuthURL: "https://x/auth"} },
		"OIDC without keys": func(c *Config) {
			c.Provider = Provider{Issuer: "https://x", AuthURL: "https://x/a", TokenURL: "https://x/t"}
		},
		"a scope with spaces": func(c *Config) { c.Scopes = kryptos.Scopes{"openid profile"} },
	}
	for name, edit := range cases {
		cfg := good
		edit(&cfg)
		_, err := New(cfg)
		require.ErrorIs(t, err, kryptos.ErrInvalidParams, name)
	}
	c, err := New(good)
	require.NoError(t, err)
	assert.Equal(t, Kryptos(), c.Provider(), "Kryptos by default")
}

func TestDiscoveryAcceptsBothSpellings(t *testing.T) {
	t.Parallel()
	srv := kryptostest.NewServer()
	defer srv.Close()
	p, err := Discover(ctx, srv.Issuer(), nil)
	require.NoError(t, err)
	assert.Equal(t, KryptosAt(srv.Issuer()), p)

	// A provider that serves only the docs' spelling.
	mux := http.NewServeMux()
	var only *httptest.Server
	mux.HandleFunc("GET /oidc/.well-known/openid_configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"` + only.URL + `/oidc","authorization_endpoint":"` + only.URL + `/oidc/auth",` +
			`"token_endpoint":"` + only.URL + `/oidc/token","jwks_uri":"` + only.URL + `/oidc/jwks","token_endpoint_auth_methods_supported":["client_secret_basic"]}`))
	})
	only = httptest.NewServer(mux)
	defer only.Close()
	p, err = Discover(ctx, only.URL+"/oidc/", nil)
	require.NoError(t, err)
	assert.Equal(t, only.URL+"/oidc/token", p.TokenURL)
	assert.False(t, p.PKCE)
	assert.Equal(t, oauth2.AuthStyleInHeader, p.AuthStyle)

	_, err = Discover(ctx, only.URL+"/other", nil)
	require.Error(t, err)
	mux.HandleFunc("GET /liar/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"issuer":"https://someone-else.example","authorization_endpoint":"a","token_endpoint":"t"}`))
	})
	_, err = Discover(ctx, only.URL+"/liar", nil)
	require.ErrorContains(t, err, "names issuer")
}

// TestTheSameCodeWorksAgainstAnotherProvider runs the flow against the
// sandbox's Kyber layout (seed 004): no PKCE, no ID token, "bearer", and
// bare {error} answers.
func TestTheSameCodeWorksAgainstAnotherProvider(t *testing.T) {
	t.Parallel()
	srv := kryptostest.NewServer()
	defer srv.Close()
	kyber := Provider{AuthURL: srv.URL + "/kyber/oauth/authorize", TokenURL: srv.URL + "/kyber/oauth/token",
		UserInfoURL: srv.URL + "/kyber/api/user_info", AuthStyle: oauth2.AuthStyleInParams}
	c, err := New(Config{Provider: kyber, ClientID: srv.ClientID, ClientSecret: srv.ClientSecret, RedirectURL: redirectURL,
		StateKey: stateKey(t), Scopes: kryptos.Scopes{kryptos.ScopeProfile, kryptos.ScopeEmail}})
	require.NoError(t, err)
	var b browser
	target := b.start(t, c)
	assert.NotContains(t, target, "code_challenge", "this provider takes no PKCE")
	back, err := srv.Consent(target, "kim@example.com", true)
	require.NoError(t, err)
	in, err := b.callback(c, back)
	require.NoError(t, err)
	assert.Nil(t, in.IDToken)
	assert.Equal(t, "bearer", in.Token.TokenType)
	assert.Equal(t, "Bearer", in.Token.Type(), "x/oauth2 normalizes the case")
	info, err := c.UserInfo(ctx, oauth2.StaticTokenSource(in.Token))
	require.NoError(t, err)
	assert.Equal(t, "kim@example.com", info.Email)

	app, err := c.ClientCredentials(ctx).Token()
	require.NoError(t, err, "the application token of the Kyber guide")
	assert.NotEmpty(t, app.AccessToken)

	_, err = c.refresh(ctx, "not-a-token")
	require.ErrorIs(t, err, kryptos.ErrInvalidGrant, "the bare {error} is read")
	var apiErr *kryptos.Error
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
}

// TestACallbackDeliveredTwiceIsAReplay: "Callback ... checks the state
// first (ErrState for a callback this browser did not start, or a replay)"
// (signin.go), and state.go: the callback is accepted "once". A browser
// sends the same callback twice, cookie included, when the user reloads the
// callback page before the first answer (which deletes the cookie) arrives;
// anyone who copied the cookie and the URL can do the same. The second
// delivery must be ErrState, and must not reach the provider: a code
// presented twice makes the provider revoke what the first use gave (RFC
// 6749 §4.1.2, the sandbox does), so the user who just signed in loses
// their tokens.
func TestACallbackDeliveredTwiceIsAReplay(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	var b browser
	back, err := srv.Consent(b.start(t, c), "alex@example.com", true)
	require.NoError(t, err)

	deliver := func() (*SignIn, error) {
		req := httptest.NewRequest(http.MethodGet, back, nil)
		for _, ck := range b.cookies { // the cookie the first answer deletes has not been processed yet
			req.AddCookie(ck)
		}
		return c.Callback(httptest.NewRecorder(), req)
	}
	first, err := deliver()
	require.NoError(t, err)
	_, err = deliver()
	assert.ErrorIs(t, err, ErrState, "the same callback a second time is a replay")

	_, err = c.UserInfo(ctx, oauth2.StaticTokenSource(first.Token))
	assert.NoError(t, err, "the first sign-in's tokens must still work after a replayed callback")
}

// TestALongReturnToDoesNotBreakTheSignIn: the return_to path is sealed into
// the sign-in's cookie, and nothing bounded its length. Browsers keep no
// cookie over 4096 bytes (RFC 6265 §6.1 asks them to keep at least that
// much, and they keep no more): SignInHandler?return_to=/ + 3900 bytes set
// a cookie Chromium drops, so the callback is refused as ErrState ("This
// sign-in expired...", checked in headless Chromium with examples/signin),
// and any site can make a browser pile up 4 KB cookies on the app, one per
// visit, for ten minutes. A path too long for the cookie is dropped, as
// other unusable ones are; a long but reasonable one is kept.
func TestALongReturnToDoesNotBreakTheSignIn(t *testing.T) {
	t.Parallel()
	_, c := newSandbox(t)
	for _, path := range []string{"/" + strings.Repeat("a", 3900), "/search?q=" + strings.Repeat("b", 1000)} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/auth/signin?return_to="+path, nil)
		c.SignInHandler().ServeHTTP(rec, req)
		require.Equal(t, http.StatusFound, rec.Code)
		cookies := rec.Result().Cookies()
		require.Len(t, cookies, 1)
		size := len(cookies[0].Name) + len(cookies[0].Value)
		assert.LessOrEqual(t, size, 4096, "a return_to of %d bytes makes a cookie of %d bytes, which browsers drop", len(path), size)
	}
	var s authSettings
	kept := "/search?q=" + strings.Repeat("b", 1000)
	ReturnTo(kept)(&s)
	assert.Equal(t, kept, s.returnTo, "a 1 KB path is kept")
}

// TestAReturnToWithinTheBoundMakesACookieBrowsersKeep: ReturnTo drops "a
// path longer than 2048 bytes: the sign-in's cookie holds it, and a
// browser keeps no cookie over 4096 bytes". The bound counts the path's
// bytes, but the cookie holds it JSON-encoded, where each '&', '<' or '>'
// takes 6 bytes (\u0026): a 2003-byte query string of 1000 parameters,
// kept, makes a cookie of over 9 KB, which browsers drop, and the sign-in
// fails as ErrState ("This sign-in expired...").
func TestAReturnToWithinTheBoundMakesACookieBrowsersKeep(t *testing.T) {
	t.Parallel()
	_, c := newSandbox(t)
	path := "/s?" + strings.Repeat("a&", 1000)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/auth/signin?return_to="+url.QueryEscape(path), nil)
	c.SignInHandler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusFound, rec.Code)
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	size := len(cookies[0].Name) + len(cookies[0].Value)
	assert.LessOrEqual(t, size, 4096, "a return_to of %d bytes makes a cookie of %d bytes, which browsers drop", len(path), size)
}
