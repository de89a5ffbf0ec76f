package oauth

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

// provider answers every request with the docs' sample name.
func provider(t *testing.T, status int, sample string) *httptest.Server {
	t.Helper()
	body, err := golden.Load(sample)
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func plainClient(t *testing.T, p Provider) *Client {
	t.Helper()
	c, err := New(Config{Provider: p, ClientID: "id", ClientSecret: "secret", RedirectURL: redirectURL, StateKey: stateKey(t)})
	require.NoError(t, err)
	return c
}

func TestTheDocumentedTokenAnswerDecodes(t *testing.T) {
	t.Parallel()
	srv := provider(t, 200, "oauth.token.json")
	c := plainClient(t, Provider{AuthURL: srv.URL + "/auth", TokenURL: srv.URL + "/token", AuthStyle: oauth2.AuthStyleInParams})
	tok, err := c.refresh(ctx, "def50200...")
	require.NoError(t, err)
	assert.Equal(t, "eyJ...", tok.AccessToken)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, "def50200...", tok.RefreshToken)
	assert.WithinDuration(t, time.Now().Add(86400*time.Second), tok.Expiry, time.Minute)
	assert.Equal(t, "eyJ...", tok.Extra("id_token"))
	assert.Equal(t, "openid profile ...", tok.Extra("scope"))
}

func TestTheDocumentedUserInfoDecodes(t *testing.T) {
	t.Parallel()
	srv := provider(t, 200, "oauth.userinfo.json")
	c := plainClient(t, Provider{AuthURL: srv.URL + "/auth", TokenURL: srv.URL + "/token", UserInfoURL: srv.URL + "/userinfo"})
	info, err := c.UserInfo(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "eyJ..."}))
	require.NoError(t, err)
	assert.Equal(t, "firebase_user_uid", info.Subject)
	assert.Equal(t, "John Doe", info.Name)
	assert.Equal(t, "john@example.com", info.Email)
	assert.True(t, info.EmailVerified)
	assert.Equal(t, "https://...", info.Picture)
	assert.Equal(t, time.Unix(1642248600, 0).UTC(), info.UpdatedAt)
	assert.Equal(t, map[string]bool{"portfolios": true, "transactions": true, "integrations": true, "tax": true,
		"accounting": false, "reports": true, "workspace": false, "users": false}, info.Access)
	assert.Len(t, info.Claims, 14)
}

func TestTheKyberErrorDecodes(t *testing.T) {
	t.Parallel()
	srv := provider(t, 400, "oauth.error.kyber.json")
	c := plainClient(t, Provider{AuthURL: srv.URL + "/auth", TokenURL: srv.URL + "/token"})
	_, err := c.refresh(ctx, "x")
	require.ErrorIs(t, err, kryptos.ErrInvalidRequest)
}
