package oauth

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"encoding/json"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// formats returns every way a value is commonly printed or logged.
func formats(v any) map[string]string {
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("x", "v", v)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("x", "v", v)
	return map[string]string{
		"%v":        fmt.Sprintf("%v", v),
		"%+v":       fmt.Sprintf("%+v", v),
		"%#v":       fmt.Sprintf("%#v", v),
		"slog text": text.String(),
		"slog json": js.String(),
	}
}

// Client.Format promises that "no formatting of it can reveal the client
// secret": the NativeSignIn and TokenSource it hands out must keep that
// promise too. A NativeSignIn holds a copy of the oauth2.Config (client
// secret included) and the sign-in's PKCE verifier; a TokenSource holds the
// last access token the API refused.
func TestNativeSignInAndTokenSourceFormatHideSecrets(t *testing.T) {
	t.Parallel()
	const clientSecret = "TOPSECRETCLIENTSECRET"
	c, err := New(Config{ClientID: "app", ClientSecret: clientSecret, Native: true})
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.StartNativeSignIn("http://127.0.0.1:5555/callback")
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range formats(n) {
		if strings.Contains(out, clientSecret) || strings.Contains(out, n.p.Verifier) {
			t.Errorf("%s of a NativeSignIn reveals the client secret or the PKCE verifier: %s", name, out)
		}
	}
	const refused = "eyREFUSEDACCESSTOKEN"
	ts := c.TokenSource(context.Background(), NewMemoryStore(&oauth2.Token{AccessToken: refused}))
	ts.TokenRefused(refused)
	for name, out := range formats(ts) {
		if strings.Contains(out, refused) {
			t.Errorf("%s of a TokenSource reveals an access token: %s", name, out)
		}
	}
}

// A SignIn is what a callback hands the app, and the natural thing to log
// ("signed in", "signin", in). kryptos.AccessGrant, its Connect twin, holds
// its tokens as kryptos.Secret so that no log line can carry them; a SignIn
// logged through slog's JSON handler writes the access and refresh tokens.
func TestSignInLogHidesTokens(t *testing.T) {
	t.Parallel()
	in := &SignIn{
		Token:    &oauth2.Token{AccessToken: "eyACCESSSECRET", RefreshToken: "REFRESHSECRET", TokenType: "Bearer"},
		Scopes:   kryptos.Scopes{kryptos.ScopeOpenID},
		IDToken:  &IDToken{Subject: "user-1"},
		ReturnTo: "/settings",
	}
	for name, out := range formats(in) {
		if strings.Contains(out, "ACCESSSECRET") || strings.Contains(out, "REFRESHSECRET") {
			t.Errorf("%s of a SignIn reveals its tokens: %s", name, out)
		}
	}
}

// Config holds the client secret and the StateKey that seals every
// sign-in's cookie (whoever has it can forge the state of any browser).
// The Client built from it prints neither; printing or logging the Config,
// as apps do with their configuration at start-up, must not either.
func TestConfigFormatHidesSecrets(t *testing.T) {
	t.Parallel()
	cfg := Config{
		ClientID:     "app",
		ClientSecret: "TOPSECRETCLIENTSECRET",
		RedirectURL:  "https://app.example.com/auth/callback",
		StateKey:     []byte("TOPSECRETSTATEKEY-0123456789abcdef"),
	}
	for name, out := range formats(cfg) {
		if strings.Contains(out, "TOPSECRET") || strings.Contains(out, fmt.Sprint(cfg.StateKey)) ||
			strings.Contains(out, fmt.Sprintf("%#v", cfg.StateKey)) || strings.Contains(out, "VE9QU0VDUkVU") {
			t.Errorf("%s of a Config reveals its client secret or state key: %s", name, out)
		}
	}
	if out := fmt.Sprint(&cfg); strings.Contains(out, "TOPSECRET") || !strings.Contains(out, "app") {
		t.Errorf("fmt.Sprint(&cfg) = %s; want the client ID without the secrets", out)
	}
}

// Config's Format and LogValue hide ClientSecret and StateKey, but slog's
// JSON handler resolves a LogValuer only as an attribute's own value: an
// app's settings struct that holds the Config (or json.Marshal of it, as
// for a report) writes both, where connecthttp.Key got a MarshalJSON for
// the same reason.
func TestAConfigInJSONHidesItsSecrets(t *testing.T) {
	cfg := Config{Provider: Kryptos(), ClientID: "cid", ClientSecret: "cs_TOPSECRET", RedirectURL: "https://app.example/cb",
		StateKey: []byte("0123456789abcdef0123456789abcdef")}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "settings", struct{ OAuth Config }{cfg})
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	for _, out := range []string{buf.String(), string(b)} {
		assert.NotContains(t, out, "cs_TOPSECRET")
		assert.NotContains(t, out, "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY", "the state key, base64")
		assert.Contains(t, out, "cid")
	}
}
