package kryptostest

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

func TestProvidersAnswerHasTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	// No credential at all: the catalogue is public.
	resp, err := http.Get(srv.URL + "/v1/providers?type=exchange")
	require.NoError(t, err)
	// The sample shows two of the keys of open maps; §5.14's field table
	// names the others: credentialFields keys (apiKey, secretKey, ...) and
	// the capability keys (trades, deposits, withdrawals, staking, nft,
	// defi, holdings, margin, futures, swap, bridge).
	sameShapeAsSample(t, "providers.list.json", resp, golden.Options{Documented: []string{
		"data.providers[].credentialFields.secretKey",
		"data.providers[].capabilities.deposits", "data.providers[].capabilities.withdrawals",
		"data.providers[].capabilities.staking", "data.providers[].capabilities.margin",
		"data.providers[].capabilities.futures",
	}})
}

func TestProvidersThroughTheSDKWithoutAnyCredential(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...) // no user, no token: the catalogue is public

	var all []kryptos.Provider
	for p, err := range c.ListProviders(ctx, kryptos.ProvidersParams{Limit: 2}) {
		require.NoError(t, err)
		all = append(all, p)
	}
	require.Len(t, all, len(providers), "every provider the widget offers, two a page")
	// Featured first, then working, then by name.
	assert.True(t, sort.SliceIsSorted(all, func(i, j int) bool {
		a, b := all[i], all[j]
		switch {
		case a.Featured != b.Featured:
			return a.Featured
		case a.IsWorking != b.IsWorking:
			return a.IsWorking
		}
		return strings.ToLower(a.Name) < strings.ToLower(b.Name)
	}), "%v", providerIDs(all))
	assert.Equal(t, []string{"binance", "coinbase", "ethereum", "solana", "bitcoin", "csv", "kraken", "ledger", "metamask"}, providerIDs(all))

	binance, err := c.GetProvider(ctx, "binance")
	require.NoError(t, err)
	assert.Equal(t, all[0], *binance, "the list and the single read agree")
	assert.Equal(t, kryptos.ProviderExchange, binance.Type)
	assert.Equal(t, "binance", binance.Slug)
	assert.Equal(t, []kryptos.ImportMethod{kryptos.ImportAPI, kryptos.ImportCSV}, binance.ImportMethods)
	assert.Equal(t, map[string]kryptos.CredentialField{
		"apiKey":    {Required: true, Type: kryptos.CredentialString, Label: "API Key"},
		"secretKey": {Required: true, Type: kryptos.CredentialPassword, Label: "Secret Key"},
	}, binance.CredentialFields)
	assert.True(t, binance.Supports(kryptos.CapabilityTrades))
	assert.True(t, binance.Supports(kryptos.CapabilityFutures))
	assert.False(t, binance.Supports(kryptos.CapabilityNFT))
	assert.Nil(t, binance.WalletSupportedChains, "null for an exchange")
	require.NotEmpty(t, binance.Functions)
	assert.Equal(t, kryptos.ProviderFunction{Name: "fetchTrades", PublicName: "Trades", IsBase: true,
		Categories: []string{"trade"}, Enabled: true, Operational: true}, binance.Functions[0])
	require.NotNil(t, binance.WalletLimitations)
	assert.Equal(t, []kryptos.ImportOption{{Name: "api", Status: true, IsRecommended: true}, {Name: "csv", Status: true}},
		binance.WalletLimitations.ImportOptions)

	eth, err := c.GetProvider(ctx, "ethereum")
	require.NoError(t, err)
	assert.Equal(t, []kryptos.SupportedChain{{ID: "ethereum"}}, eth.WalletSupportedChains)
	assert.Equal(t, "0x…", eth.CredentialFields["address"].Placeholder)
	assert.True(t, eth.Supports(kryptos.CapabilityDeFi))

	_, err = c.GetProvider(ctx, "nope")
	require.ErrorIs(t, err, kryptos.ErrNotFound)
	var apiErr *kryptos.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "NOT_FOUND", apiErr.Code)

	cases := []struct {
		name   string
		params kryptos.ProvidersParams
		want   []string
	}{
		{"blockchains", kryptos.ProvidersParams{Type: kryptos.ProviderBlockchain}, []string{"ethereum", "solana", "bitcoin"}},
		{"wallets", kryptos.ProvidersParams{Type: kryptos.ProviderWallet}, []string{"ledger", "metamask"}},
		{"not featured exchanges", kryptos.ProvidersParams{Type: kryptos.ProviderExchange, Featured: kryptos.Ptr(false)}, []string{"kraken"}},
		{"featured", kryptos.ProvidersParams{Featured: kryptos.Ptr(true)}, []string{"binance", "coinbase", "ethereum", "solana"}},
		{"not working", kryptos.ProvidersParams{IsWorking: kryptos.Ptr(false)}, nil},
		{"by public name", kryptos.ProvidersParams{Search: "LIVE"}, []string{"ledger"}},
		{"by slug", kryptos.ProvidersParams{Search: "meta"}, []string{"metamask"}},
		{"no aggregator", kryptos.ProvidersParams{Type: kryptos.ProviderAggregator}, nil},
	}
	for _, tc := range cases {
		page, err := c.ListProvidersPage(ctx, tc.params)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, providerIDs(page.Items), tc.name)
		assert.Equal(t, len(tc.want), page.Total, tc.name)
	}
}

// TestEveryListedProviderCanBeConnected connects an account of each
// provider the catalogue lists, by the id the list gives, and reads its
// data.
func TestEveryListedProviderCanBeConnected(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSandboxMode(false), WithPortfolioSize(20))
	defer srv.Close()
	c := srv.Client(fast...)
	page, err := c.ListProvidersPage(ctx, kryptos.ProvidersParams{Limit: 100})
	require.NoError(t, err)
	for _, p := range page.Items {
		if len(providerByID(p.ID).holds) < 2 {
			continue // the history generator cannot trade with one asset (history.go); see the labels test
		}
		one, err := c.GetProvider(ctx, p.ID)
		require.NoError(t, err, p.ID)
		assert.Equal(t, p, *one)
		g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{{Provider: p.ID, Address: "account-of-" + p.ID}}})
		spam, err := c.User(g.Credential()).ListSpamPage(ctx, kryptos.SpamParams{})
		require.NoError(t, err, "a data call for a %s account", p.ID)
		assert.NotNil(t, spam)
	}
}

func TestProvidersPagingClampsAndValidates(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	status, _, body := raw(t, srv, http.MethodGet, "/v1/providers?limit=500&page=1", nil, "")
	require.Equal(t, http.StatusOK, status)
	pagination := body["data"].(map[string]any)["pagination"].(map[string]any)
	assert.EqualValues(t, 100, pagination["limit"], "silently clamped")
	assert.EqualValues(t, len(providers), pagination["total"])
	assert.Equal(t, false, pagination["hasMore"])

	status, _, body = raw(t, srv, http.MethodGet, "/v1/providers", nil, "")
	require.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 50, body["data"].(map[string]any)["pagination"].(map[string]any)["limit"], "50 by default")

	status, _, body = raw(t, srv, http.MethodGet, "/v1/providers?page=2&limit=4", nil, "")
	require.Equal(t, http.StatusOK, status)
	pagination = body["data"].(map[string]any)["pagination"].(map[string]any)
	assert.Equal(t, map[string]any{"page": 2.0, "limit": 4.0, "total": float64(len(providers)), "totalPages": 3.0, "hasMore": true}, pagination)

	for _, query := range []string{"type=custom", "featured=perhaps", "isWorking=2", "page=0", "limit=0"} {
		status, _, body := raw(t, srv, http.MethodGet, "/v1/providers?"+query, nil, "")
		assert.Equal(t, http.StatusBadRequest, status, query)
		assert.Equal(t, "VALIDATION_ERROR", body["code"], query)
	}
	status, _, body = raw(t, srv, http.MethodGet, "/v1/providers/nope", nil, "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, map[string]any{"success": false, "error": "Provider not found", "code": "NOT_FOUND"}, body)
}

func providerIDs(list []kryptos.Provider) []string {
	var out []string
	for _, p := range list {
		out = append(out, p.ID)
	}
	return out
}

// DATA-API.md §5.12: the single read of an integration carries the "full
// provider", and §5.14: a Provider's id "= integration providerId". The
// provider of GET /v1/integrations/{id} must therefore be the catalogue's
// entry, as GET /v1/providers/{id} serves it, not a second, different
// description of the same provider.
func TestIntegrationProviderIsTheCatalogueEntry(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSandboxMode(false))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Email: "review-provider@example.com", Wallets: []Wallet{
		{Provider: "metamask", Address: EthereumTestAddress},
		{Provider: "binance", Address: "main-account"},
		{Provider: "ledger", Address: "ledger-live.csv"},
	}})
	user := c.User(g.Credential())
	n := 0
	for listed, err := range user.ListIntegrations(ctx, kryptos.IntegrationsParams{}) {
		require.NoError(t, err)
		n++
		one, err := user.GetIntegration(ctx, listed.ID)
		require.NoError(t, err)
		catalogue, err := c.GetProvider(ctx, one.ProviderID)
		require.NoError(t, err)
		assert.Equal(t, *catalogue, one.Provider, "provider %s of integration %s", one.ProviderID, one.ID)
	}
	require.Equal(t, 3, n)
}
