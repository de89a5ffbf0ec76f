package kryptostest

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

// TestNoRefreshTokenWithoutOfflineAccess: offline_access is the
// scope that "Enable[s] refresh tokens" (seeds 000, Core Scopes). A grant
// without it gets an access token (and an ID token), no refresh token.
func TestNoRefreshTokenWithoutOfflineAccess(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	params := kryptosParams(srv)
	params.Set("scope", "openid profile email portfolios:read")
	back, err := srv.Consent(authorizeURL(srv, "/oidc/auth", params), "alex@example.com", true)
	require.NoError(t, err)
	status, tok := tokenRequest(t, srv, "/oidc/token", url.Values{"grant_type": {"authorization_code"}, "code": {codeOf(t, back)},
		"redirect_uri": {testRedirect}, "code_verifier": {testVerifier}})
	require.Equal(t, http.StatusOK, status)
	assert.NotEmpty(t, tok["access_token"])
	assert.NotEmpty(t, tok["id_token"])
	assert.NotContains(t, tok, "refresh_token", "offline_access was not granted")

	// With offline_access, there is one.
	back, err = srv.Consent(authorizeURL(srv, "/oidc/auth", kryptosParams(srv)), "alex@example.com", true)
	require.NoError(t, err)
	_, tok = tokenRequest(t, srv, "/oidc/token", url.Values{"grant_type": {"authorization_code"}, "code": {codeOf(t, back)},
		"redirect_uri": {testRedirect}, "code_verifier": {testVerifier}})
	assert.NotEmpty(t, tok["refresh_token"])
}

// TestUserInfoChallengesABearerToken: a refused userinfo call is
// challenged with the Bearer scheme it uses (RFC 6750 §3, which OpenID
// Connect Core §5.3.3 names for userinfo errors), not HTTP Basic.
func TestUserInfoChallengesABearerToken(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.Issuer()+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer not-a-token")
	resp := do(t, req)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, []string{`Bearer error="invalid_token"`}, resp.Header.Values("WWW-Authenticate"))
}

// TestADisallowedScopeIsInvalidScope: OAUTH.md's errors name
// invalid_scope, which seeds 000 explains as "Requested scope not allowed".
// The sandbox never sent it: a disallowed scope at the authorization was
// invalid_request, and at the client-credentials grant it was granted.
func TestADisallowedScopeIsInvalidScope(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithAllowedScopes(kryptos.Scopes{kryptos.ScopeOpenID, kryptos.ScopeProfile}))
	defer srv.Close()
	params := kryptosParams(srv) // asks for email, offline_access, portfolios:read too
	_, err := srv.Consent(authorizeURL(srv, "/oidc/auth", params), "alex@example.com", true)
	require.Error(t, err)
	assert.True(t, errors.Is(err, kryptos.ErrInvalidScope), "Consent: %v", err)

	status, body := tokenRequest(t, srv, "/oidc/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"openid users:write"}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_scope", body["error"], "client_credentials: %v", body)
	assert.NotContains(t, body, "access_token")
}

// TestAShortCodeVerifierIsRefused: "Generate code_verifier (43–128
// chars)" (OAUTH.md, the authorization-code flow, step 1). A verifier
// outside that range is not one the provider takes, even if its hash
// matches the challenge.
func TestAShortCodeVerifierIsRefused(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	const short = "short-verifier"
	sum := sha256.Sum256([]byte(short))
	params := kryptosParams(srv)
	params.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
	back, err := srv.Consent(authorizeURL(srv, "/oidc/auth", params), "alex@example.com", true)
	require.NoError(t, err)
	status, body := tokenRequest(t, srv, "/oidc/token", url.Values{"grant_type": {"authorization_code"}, "code": {codeOf(t, back)},
		"redirect_uri": {testRedirect}, "code_verifier": {short}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, []any{"invalid_request", "invalid_grant"}, body["error"])
}

// TestIntrospectionSaysWhenTheTokenWasIssued: RFC 7662 §2.2 (the
// introspection OAUTH.md names) defines iat as "when this token was
// originally issued". A refreshed access token was issued at the refresh,
// as its own JWT iat says, not when the user signed in.
func TestIntrospectionSaysWhenTheTokenWasIssued(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock))
	defer srv.Close()
	back, err := srv.Consent(authorizeURL(srv, "/oidc/auth", kryptosParams(srv)), "alex@example.com", true)
	require.NoError(t, err)
	_, first := tokenRequest(t, srv, "/oidc/token", url.Values{"grant_type": {"authorization_code"}, "code": {codeOf(t, back)},
		"redirect_uri": {testRedirect}, "code_verifier": {testVerifier}})
	clock.Advance(23 * time.Hour)
	status, second := tokenRequest(t, srv, "/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first["refresh_token"].(string)}})
	require.Equal(t, http.StatusOK, status)
	_, in := tokenRequest(t, srv, "/oidc/token/introspection", url.Values{"token": {second["access_token"].(string)}})
	require.Equal(t, true, in["active"])
	assert.Equal(t, float64(clock.Now().Unix()), in["iat"], "iat is the refresh, not the sign-in")
	assert.Equal(t, float64(clock.Now().Add(OIDCAccessTokenTTL).Unix()), in["exp"])
}
