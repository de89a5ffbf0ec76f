package kryptostest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"regexp"

	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

const (
	testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	testRedirect = "http://127.0.0.1:9999/callback"
)

func authorizeURL(srv *Server, path string, params url.Values) string {
	return srv.URL + path + "?" + params.Encode()
}

func kryptosParams(srv *Server) url.Values {
	sum := sha256.Sum256([]byte(testVerifier))
	return url.Values{"response_type": {"code"}, "client_id": {srv.ClientID}, "redirect_uri": {testRedirect},
		"scope": {"openid profile email offline_access portfolios:read"}, "state": {"st4te"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
}

// tokenRequest posts a form to a token endpoint with the client's
// credentials in the form.
func tokenRequest(t *testing.T, srv *Server, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	form.Set("client_id", srv.ClientID)
	form.Set("client_secret", srv.ClientSecret)
	resp, err := http.PostForm(srv.URL+path, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func codeOf(t *testing.T, callback string) string {
	t.Helper()
	u, err := url.Parse(callback)
	require.NoError(t, err)
	return u.Query().Get("code")
}

func TestDiscoveryIsServedUnderBothSpellings(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	var docs [2]map[string]any
	for i, path := range []string{"/oidc/.well-known/openid-configuration", "/oidc/.well-known/openid_configuration"} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&docs[i]))
		resp.Body.Close()
	}
	assert.Equal(t, docs[0], docs[1])
	assert.Equal(t, srv.Issuer(), docs[0]["issuer"])
	assert.Equal(t, srv.Issuer()+"/jwks", docs[0]["jwks_uri"])
	resp, err := http.Get(srv.Issuer() + "/jwks")
	require.NoError(t, err)
	defer resp.Body.Close()
	var jwks struct{ Keys []map[string]any }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&jwks))
	require.Len(t, jwks.Keys, 1)
	assert.Equal(t, "RS256", jwks.Keys[0]["alg"])
	assert.NotContains(t, jwks.Keys[0], "d", "only the public key")
}

func TestTheConsentPageOffersAllowAndDeny(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	resp, err := http.Get(authorizeURL(srv, "/oidc/auth", kryptosParams(srv)))
	require.NoError(t, err)
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	for _, want := range []string{`id="allow"`, `id="deny"`, "portfolios:read", "Sign in with Kryptos", `name="request"`} {
		assert.Contains(t, string(page), want)
	}

	// A request without PKCE, or from an unknown client, is shown an error,
	// never redirected to an address nobody checked.
	noPKCE := kryptosParams(srv)
	noPKCE.Del("code_challenge")
	for _, params := range []url.Values{noPKCE, {"client_id": {"nobody"}, "redirect_uri": {testRedirect}}} {
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Get(authorizeURL(srv, "/oidc/auth", params))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	}
}

func TestCodesExpireAfterTenMinutes(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock))
	defer srv.Close()
	back, err := srv.Consent(authorizeURL(srv, "/oidc/auth", kryptosParams(srv)), "alex@example.com", true)
	require.NoError(t, err)
	clock.Advance(OIDCCodeTTL)
	status, body := tokenRequest(t, srv, "/oidc/token", url.Values{"grant_type": {"authorization_code"}, "code": {codeOf(t, back)},
		"redirect_uri": {testRedirect}, "code_verifier": {testVerifier}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", body["error"])
	assert.Equal(t, "the code expired", body["error_description"])
}

func TestTokenAnswersHaveTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	back, err := srv.Consent(authorizeURL(srv, "/oidc/auth", kryptosParams(srv)), "alex@example.com", true)
	require.NoError(t, err)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {codeOf(t, back)}, "redirect_uri": {testRedirect}, "code_verifier": {testVerifier}}
	form.Set("client_id", srv.ClientID)
	form.Set("client_secret", srv.ClientSecret)
	resp, err := http.PostForm(srv.URL+"/oidc/token", form)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want, _ := golden.Load("oauth.token.json")
	require.NoError(t, golden.SameShape(want, body, golden.Options{}))

	var tok map[string]any
	require.NoError(t, json.Unmarshal(body, &tok))
	req, _ := http.NewRequest(http.MethodGet, srv.Issuer()+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	// The full set of read scopes, for every *_access claim to be sent as
	// the sample has them; profile adds the three claims OAUTH.md names.
	sameShapeAsSample(t, "oauth.userinfo.json", do(t, req), golden.Options{
		Documented: []string{"preferred_username", "language", "transaction_limit"}})

	status, kyber := tokenRequest(t, srv, "/kyber/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}, "redirect_uri": {testRedirect}})
	assert.Equal(t, http.StatusBadRequest, status)
	b, _ := json.Marshal(kyber)
	want, _ = golden.Load("oauth.error.kyber.json")
	require.NoError(t, golden.SameShape(want, b, golden.Options{}), "the bare {error} of the Kyber layout")
}

func do(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	return resp
}

func TestARefreshTokenRotatesAndItsReuseRevokesTheChain(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	back, err := srv.Consent(authorizeURL(srv, "/oidc/auth", kryptosParams(srv)), "alex@example.com", true)
	require.NoError(t, err)
	_, first := tokenRequest(t, srv, "/oidc/token", url.Values{"grant_type": {"authorization_code"}, "code": {codeOf(t, back)},
		"redirect_uri": {testRedirect}, "code_verifier": {testVerifier}})
	old := first["refresh_token"].(string)
	status, second := tokenRequest(t, srv, "/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}})
	require.Equal(t, http.StatusOK, status)
	newer := second["refresh_token"].(string)
	assert.NotEqual(t, old, newer)
	assert.True(t, strings.HasPrefix(newer, "def50200"))

	status, reuse := tokenRequest(t, srv, "/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", reuse["error"])
	status, _ = tokenRequest(t, srv, "/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {newer}})
	assert.Equal(t, http.StatusBadRequest, status, "the reuse revoked the newer token too")
	resp := get(t, srv, second["access_token"].(string), "/v1/portfolios/default")
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "and the grant's access tokens")
}

func TestTheTokenEndpointRefusesWhatItShould(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	cases := []struct {
		form         url.Values
		status       int
		code         string
		wrongSecret  bool
		withoutCreds bool
	}{
		{url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type", false, false},
		{url.Values{}, 400, "invalid_request", false, false},
		{url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}}, 400, "invalid_grant", false, false},
		{url.Values{"grant_type": {"client_credentials"}}, 401, "invalid_client", true, false},
	}
	for _, tc := range cases {
		form := tc.form
		form.Set("client_id", srv.ClientID)
		form.Set("client_secret", srv.ClientSecret)
		if tc.wrongSecret {
			form.Set("client_secret", "wrong")
		}
		resp, err := http.PostForm(srv.URL+"/oidc/token", form)
		require.NoError(t, err)
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		resp.Body.Close()
		assert.Equal(t, tc.status, resp.StatusCode, tc.code)
		assert.Equal(t, tc.code, body["error"])
	}
	status, cc := tokenRequest(t, srv, "/oidc/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}})
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "Bearer", cc["token_type"])
	assert.NotContains(t, cc, "refresh_token", "an application token is not refreshed")
}

// TestEnterOnTheConsentPageAllows: pressing Enter in the email field
// submits the form with its default button, the first submit button in
// tree order (HTML, "implicit submission"). It was Deny, so a user who typed
// their email and pressed Enter declined (examples/signin's
// TestEnterInTheEmailFieldDoesNotDeny shows it in Chromium).
func TestEnterOnTheConsentPageAllows(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	resp, err := http.Get(authorizeURL(srv, "/oidc/auth", kryptosParams(srv)))
	require.NoError(t, err)
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	first := regexp.MustCompile(`<button [^>]*type="submit"[^>]*>`).Find(page)
	require.NotNil(t, first, string(page))
	assert.Contains(t, string(first), `value="allow"`, "the form's default button (Enter) is %s", first)
}
