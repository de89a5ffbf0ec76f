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

func TestAssetSearchAnswerHasTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	g := connect(t, srv, srv.Client(fast...), LinkUser{Guest: true})
	// With q, as the sample's score says; ETH and Tether match.
	sameShapeAsSample(t, "assets.search.json", get(t, srv, g.AccessToken.Reveal(), "/v1/assets/search?q=eth&limit=10"), golden.Options{})
}

func TestAssetSearchThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	// The search needs a token but no scope.
	g := connectGranting(t, srv, c, LinkUser{Guest: true})
	user := c.User(g.Credential())

	// Without a query: the whole catalogue by market rank, unranked last,
	// without scores; three a page.
	var all []kryptos.CatalogAsset
	for a, err := range user.SearchAssets(ctx, kryptos.AssetSearchParams{Limit: 3}) {
		require.NoError(t, err)
		all = append(all, a)
	}
	catalogue := searchCatalogue()
	require.Len(t, all, len(catalogue))
	lastRank := 0
	for i, a := range all {
		assert.Nil(t, a.Score, a.Symbol)
		if a.CMCRank == 0 {
			lastRank = 1 << 30
			continue
		}
		assert.Greater(t, a.CMCRank, lastRank, "%d: %s after rank %d", i, a.Symbol, lastRank)
		lastRank = a.CMCRank
	}
	assert.Equal(t, []string{"BTC", "ETH", "USDT"}, searchedSymbols(all[:3]))
	eth := assetBySymbol("ETH")
	assert.Equal(t, kryptos.CatalogAsset{ID: eth.id, Symbol: "ETH", Name: "Ethereum", Type: kryptos.AssetCrypto,
		LogoURL: eth.logo(), Category: "layer-1", CMCRank: 2,
		Chains: []kryptos.AssetChain{{ChainID: "ethereum", ContractAddress: eth.contract}}}, all[1])

	page, err := user.SearchAssetsPage(ctx, kryptos.AssetSearchParams{Offset: 2, Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, searchedSymbols(all[2:4]), searchedSymbols(page.Items))
	assert.Equal(t, len(catalogue), page.Total)

	cases := []struct {
		name   string
		params kryptos.AssetSearchParams
		want   []string
	}{
		{"a symbol", kryptos.AssetSearchParams{Query: "usdc"}, []string{"USDC"}},
		{"a misspelt name", kryptos.AssetSearchParams{Query: "etherium"}, []string{"ETH"}},
		{"a contract, in any case", kryptos.AssetSearchParams{ContractAddress: strings.ToUpper("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48")}, []string{"USDC"}},
		{"a contract on another chain", kryptos.AssetSearchParams{ContractAddress: "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"}, []string{"USDC"}},
		{"a chain", kryptos.AssetSearchParams{ChainID: "solana"}, []string{"USDT", "SOL", "USDC", "BONK"}},
		{"a type", kryptos.AssetSearchParams{Type: kryptos.AssetStablecoin}, []string{"USDT", "USDC"}},
		{"fiat", kryptos.AssetSearchParams{Type: kryptos.AssetFiat}, []string{"USD", "EUR"}},
		{"nothing of a type", kryptos.AssetSearchParams{Type: kryptos.AssetNFT}, nil},
		{"a category", kryptos.AssetSearchParams{Category: "Layer-1"}, []string{"BTC", "ETH", "SOL"}},
		{"a query and a chain", kryptos.AssetSearchParams{Query: "usd", ChainID: "solana"}, []string{"USDT", "USDC"}},
		{"no match", kryptos.AssetSearchParams{Query: "zzzzzz"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			page, err := user.SearchAssetsPage(ctx, tc.params)
			require.NoError(t, err)
			got := searchedSymbols(page.Items)
			if tc.params.Query != "" && len(tc.want) > 0 && len(got) > len(tc.want) {
				got = got[:len(tc.want)] // weaker fuzzy matches follow
			}
			assert.Equal(t, tc.want, got)
			if tc.params.Query == "" {
				assert.Equal(t, len(tc.want), page.Total)
			}
		})
	}

	// With a query, scores from 0 to 1, best first; the symbol itself
	// scores 1.
	page, err = user.SearchAssetsPage(ctx, kryptos.AssetSearchParams{Query: "usd"})
	require.NoError(t, err)
	require.NotEmpty(t, page.Items)
	assert.Equal(t, "USD", page.Items[0].Symbol)
	prev := 1.0
	for _, a := range page.Items {
		require.NotNil(t, a.Score, a.Symbol)
		assert.True(t, *a.Score > 0 && *a.Score <= prev, "%s scores %v after %v", a.Symbol, *a.Score, prev)
		prev = *a.Score
	}
	assert.Equal(t, 1.0, *page.Items[0].Score)
}

func TestAssetSearchRefusesOutOfRangeParams(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	g := connect(t, srv, srv.Client(fast...), LinkUser{Guest: true})
	auth := map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}
	for _, query := range []string{"limit=0", "limit=101", "offset=-1", "type=token", "q=" + strings.Repeat("q", 101),
		"contractAddress=" + strings.Repeat("a", 256), "category=" + strings.Repeat("c", 101), "chainId=" + strings.Repeat("c", 101)} {
		status, _, body := raw(t, srv, http.MethodGet, "/v1/assets/search?"+query, auth, "")
		assert.Equal(t, http.StatusBadRequest, status, query)
		assert.Equal(t, "VALIDATION_ERROR", body["code"], query)
	}
	status, _, body := raw(t, srv, http.MethodGet, "/v1/assets/search?limit=100", auth, "")
	assert.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 100, body["limit"])
	status, _, body = raw(t, srv, http.MethodGet, "/v1/assets/search", auth, "")
	assert.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 20, body["limit"], "the sandbox's default page")
	assert.NotContains(t, body, "hasMore", "the search sends total, limit and offset only")
	status, _, _ = raw(t, srv, http.MethodGet, "/v1/assets/search", nil, "")
	assert.Equal(t, http.StatusUnauthorized, status, "a token is needed")
}

func searchedSymbols(list []kryptos.CatalogAsset) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.Symbol)
	}
	return out
}

// DATA-API.md §5.11: contractAddress is an "exact" filter, chainId a
// filter, and an asset's chains are {chainId, contractAddress} pairs; §7:
// the search with contractAddress replaces v1's /v1/assets/lookup. Asked
// for a contract on a chain, the sandbox matched the chain and the
// contract separately: USDC's Solana mint "on ethereum" found USDC, whose
// Ethereum contract is another one.
func TestAssetSearchMatchesContractOnTheGivenChain(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Email: "review-assets@example.com", Wallets: []Wallet{ethWallet}})
	user := c.User(g.Credential())
	const solanaMint = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v" // USDC on Solana
	page, err := user.SearchAssetsPage(ctx, kryptos.AssetSearchParams{ContractAddress: solanaMint, ChainID: "ethereum"})
	require.NoError(t, err)
	for _, a := range page.Items {
		found := false
		for _, ch := range a.Chains {
			found = found || ch.ChainID == "ethereum" && strings.EqualFold(ch.ContractAddress, solanaMint)
		}
		assert.True(t, found, "%s has no contract %s on ethereum: %+v", a.Symbol, solanaMint, a.Chains)
	}
	// The same contract on its own chain still resolves.
	page, err = user.SearchAssetsPage(ctx, kryptos.AssetSearchParams{ContractAddress: solanaMint, ChainID: "solana"})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, "USDC", page.Items[0].Symbol)
}
