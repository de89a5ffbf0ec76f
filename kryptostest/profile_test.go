package kryptostest

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

// connectGranting runs the flow for one user with a link token asking for
// scopes only.
func connectGranting(t *testing.T, srv *Server, c *kryptos.Client, u LinkUser, scopes ...kryptos.Scope) *kryptos.AccessGrant {
	t.Helper()
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: append(kryptos.Scopes{kryptos.ScopeOpenID}, scopes...)})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, u)
	require.NoError(t, err)
	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	return g
}

func TestProfileAnswersHaveTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	linked := connect(t, srv, c, LinkUser{Email: "alex.smith@example.com"})
	sameShapeAsSample(t, "users.me.json", get(t, srv, linked.AccessToken.Reveal(), "/v1/users/me"), golden.Options{})
	// "12345@…" gives no name: firstName is "str?" in §5.1's field table.
	nameless := connect(t, srv, c, LinkUser{Email: "12345@example.com"})
	sameShapeAsSample(t, "users.me.json", get(t, srv, nameless.AccessToken.Reveal(), "/v1/users/me"),
		golden.Options{Nullable: []string{"data.firstName"}})

	guest := connect(t, srv, c, LinkUser{Guest: true})
	resp := get(t, srv, guest.AccessToken.Reveal(), "/v1/users/me")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	sameShapeAsSample(t, "users.me.guest.404.json", resp, golden.Options{})
}

func TestMeThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Email: "Alex.Smith+kryptos@Example.com"})
	me, err := c.User(g.Credential()).Me(ctx)
	require.NoError(t, err)
	assert.False(t, me.Guest)
	assert.NotEmpty(t, me.UID)
	assert.Equal(t, "alex.smith+kryptos@example.com", me.Email)
	assert.Equal(t, "Alex", me.FirstName)
	assert.Equal(t, "Smith", me.LastName)
	assert.True(t, me.Active)
	assert.Equal(t, []kryptos.ClientType{kryptos.ClientTypeRetail}, me.ClientType)
	assert.Equal(t, "en", me.PreferredLanguage)
	assert.False(t, me.CreatedAt.IsZero())
	assert.Equal(t, me.CreatedAt, me.UpdatedAt)

	// The same email is the same user on a second link.
	again := connect(t, srv, c, LinkUser{Email: "alex.smith+kryptos@example.com"})
	me2, err := c.User(again.Credential()).Me(ctx)
	require.NoError(t, err)
	assert.Equal(t, me.UID, me2.UID)

	// The user's API key reads the same profile, and nothing else.
	key, err := srv.IssueAPIKey(me.UID)
	require.NoError(t, err)
	byKey, err := c.User(kryptos.APIKey(key)).Me(ctx)
	require.NoError(t, err)
	assert.Equal(t, *me, *byKey)
	status, _, body := raw(t, srv, http.MethodGet, "/v1/holdings", map[string]string{"X-Api-Key": key}, "")
	assert.Equal(t, http.StatusUnauthorized, status, "a key reaches only /v1/users/*")
	assert.Equal(t, "unauthorized", body["error"])
	_, err = c.User(kryptos.APIKey(key)).ListHoldingsPage(ctx, kryptos.HoldingsParams{})
	require.ErrorIs(t, err, kryptos.ErrInvalidParams, "the SDK refuses before sending")
}

func TestAGuestHasNoProfile(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	var resp kryptos.Response
	me, err := c.User(g.Credential()).Me(ctx, kryptos.CaptureResponse(&resp))
	require.NoError(t, err)
	assert.Equal(t, kryptos.Profile{Guest: true}, *me)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	status, _, body := raw(t, srv, http.MethodGet, "/v1/users/me", map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}, "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, map[string]any{"success": false, "error": "User not found"}, body)
}

func TestMeNeedsItsScope(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connectGranting(t, srv, c, LinkUser{Email: "no.profile@example.com"}, kryptos.ScopePortfoliosRead)
	_, err := c.User(g.Credential()).Me(ctx)
	require.ErrorIs(t, err, kryptos.ErrInsufficientScope)
	assert.Contains(t, err.Error(), "Missing: users:read")
	// Without the scope a Guest is refused too: the scope check comes first.
	guest := connectGranting(t, srv, c, LinkUser{Guest: true}, kryptos.ScopePortfoliosRead)
	_, err = c.User(guest.Credential()).Me(ctx)
	require.ErrorIs(t, err, kryptos.ErrInsufficientScope)
}

func TestNamesFromEmail(t *testing.T) {
	t.Parallel()
	cases := []struct {
		email       string
		first, last any
	}{
		{"alex@example.com", "Alex", nil},
		{"alex.smith@example.com", "Alex", "Smith"},
		{"ALEX_SMITH+news@example.com", "Alex", "Smith"},
		{"mary-jane.van.dyke@example.com", "Mary", "Dyke"},
		{"alex99@example.com", "Alex", nil},
		{"12345@example.com", nil, nil},
		{"j.2.doe@example.com", "J", "Doe"},
		{"élodie.durand@example.fr", "Élodie", "Durand"},
		{"", nil, nil},
	}
	for _, tc := range cases {
		first, last := namesFromEmail(tc.email)
		assert.Equal(t, tc.first, first, tc.email)
		assert.Equal(t, tc.last, last, tc.email)
	}
}
