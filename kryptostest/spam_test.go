package kryptostest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

var solanaTestWallet = Wallet{Provider: "solana", Address: SolanaTestAddress}

func TestSpamAnswerHasTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	g := connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet, solanaTestWallet}})
	sameShapeAsSample(t, "spam.list.json", get(t, srv, g.AccessToken.Reveal(), "/v1/spam?includeNonSpam=true"), golden.Options{})
}

func TestSpamThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet, solanaTestWallet}})
	user := c.User(g.Credential())
	scam, bonk := assetBySymbol("SCAM"), assetBySymbol("BONK")

	// By default only the flags that say spam: the SCAM airdrops on
	// Ethereum.
	page, err := user.ListSpamPage(ctx, kryptos.SpamParams{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, 1, page.Total)
	assert.False(t, page.HasNext())
	flag := page.Items[0]
	assert.Equal(t, kryptos.SpamEntry{ID: flag.ID, WorkspaceID: g.WorkspaceID, AssetID: scam.id, Symbol: "SCAM", ChainID: "ethereum",
		IsSpam: true, Name: scam.name, LogoURL: scam.logo(), ContractAddress: scam.contract, CreatedAt: flag.CreatedAt,
		UpdatedAt: flag.CreatedAt}, flag)
	assert.True(t, strings.HasPrefix(flag.ID, "usp_"))
	assert.False(t, flag.CreatedAt.IsZero())

	// With the overrides: BONK, airdropped on Solana under the Spam label,
	// is explicitly not spam. One entry a page: two pages.
	var all []kryptos.SpamEntry
	for e, err := range user.ListSpam(ctx, kryptos.SpamParams{IncludeNonSpam: kryptos.Ptr(true), Limit: 1}) {
		require.NoError(t, err)
		all = append(all, e)
	}
	require.Len(t, all, 2)
	assert.Equal(t, []string{"BONK", "SCAM"}, []string{all[0].Symbol, all[1].Symbol}, "ordered by symbol")
	assert.Equal(t, bonk.id, all[0].AssetID)
	assert.Equal(t, "solana", all[0].ChainID)
	assert.Equal(t, bonk.contract, all[0].ContractAddress)
	assert.False(t, all[0].IsSpam)
	assert.Equal(t, flag, all[1])

	cases := []struct {
		params kryptos.SpamParams
		want   []string
	}{
		{kryptos.SpamParams{Search: "bonk", IncludeNonSpam: kryptos.Ptr(true)}, []string{"BONK"}},
		{kryptos.SpamParams{Search: "bonk"}, nil},
		{kryptos.SpamParams{Search: "AIRDROPPED", IncludeNonSpam: kryptos.Ptr(true)}, []string{"SCAM"}},
		{kryptos.SpamParams{IncludeNonSpam: kryptos.Ptr(false)}, []string{"SCAM"}},
		{kryptos.SpamParams{IncludeNonSpam: kryptos.Ptr(true), Offset: 1}, []string{"SCAM"}},
		{kryptos.SpamParams{IncludeNonSpam: kryptos.Ptr(true), Offset: 2}, nil},
	}
	for _, tc := range cases {
		page, err := user.ListSpamPage(ctx, tc.params)
		require.NoError(t, err)
		var got []string
		for _, e := range page.Items {
			got = append(got, e.Symbol)
		}
		assert.Equal(t, tc.want, got, "%+v", tc.params)
	}
}

func TestSpamListsNothingWithoutAirdrops(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSandboxMode(false))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "binance", Address: "main-account"}}})
	page, err := c.User(g.Credential()).ListSpamPage(ctx, kryptos.SpamParams{IncludeNonSpam: kryptos.Ptr(true)})
	require.NoError(t, err)
	assert.Empty(t, page.Items, "an exchange account receives no airdrops")
	assert.Equal(t, 0, page.Total)
}

func TestSpamParamsAndScope(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	token := g.AccessToken.Reveal()
	for _, query := range []string{"limit=0", "limit=201", "offset=-1", "includeNonSpam=maybe", "search=" + strings.Repeat("x", 101)} {
		status, _, body := raw(t, srv, http.MethodGet, "/v1/spam?"+query, map[string]string{"Authorization": "Bearer " + token}, "")
		assert.Equal(t, http.StatusBadRequest, status, query)
		assert.Equal(t, "VALIDATION_ERROR", body["code"], query)
	}
	resp := get(t, srv, token, "/v1/spam?limit=200&search="+strings.Repeat("x", 100))
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the documented bounds themselves are fine")

	narrow := connectGranting(t, srv, c, LinkUser{Guest: true}, kryptos.ScopePortfoliosRead)
	_, err := c.User(narrow.Credential()).ListSpamPage(ctx, kryptos.SpamParams{})
	require.ErrorIs(t, err, kryptos.ErrInsufficientScope)
	assert.Contains(t, err.Error(), "Missing: transactions:read")
}
