package kryptostest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

func TestNFTAnswersHaveTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	_, token := defiUser(t, srv)
	pf := defiMainPortfolio(t, srv, token)
	for _, path := range []string{"/v1/nfts", "/v1/nfts?includeSpam=true", "/v1/nfts?chain=solana&limit=1", "/v1/nfts/portfolio/" + pf} {
		sameShapeAsSample(t, "nfts.list.json", get(t, srv, token, path), golden.Options{})
	}
	sameShapeAsSample(t, "nfts.get.404.json", get(t, srv, token, "/v1/nfts/0xbc4ca0eda7647a8ab7c2061c2e118a18a936f13d/99999999"), golden.Options{})
	sameShapeAsSample(t, "nfts.get.404.json", get(t, srv, token, "/v1/nfts/portfolio/"+pf+"/0xdead/1"), golden.Options{})
}

// nftCollect drains an iterator of the SDK.
func nftCollect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func TestNFTsThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	user, token := defiUser(t, srv)

	first, err := user.ListNFTsPage(ctx, kryptos.NFTParams{Limit: 2})
	require.NoError(t, err)
	before := srv.Stats().ByRoute["GET /v1/nfts"]
	all := nftCollect(t, user.ListNFTs(ctx, kryptos.NFTParams{Limit: 2}))
	assert.Equal(t, (len(all)+1)/2, srv.Stats().ByRoute["GET /v1/nfts"]-before, "pages of two, none after totalCount")
	require.Equal(t, first.Total, len(all))
	assert.Equal(t, first.Items, all[:2])
	// Ethereum: an ape, one or two penguins, one to three ENS names;
	// Solana: one or two Mad Lads. The spam voucher is hidden.
	require.GreaterOrEqual(t, len(all), 4)
	require.LessOrEqual(t, len(all), 8)

	total := 0.0
	byCollection := map[string][]kryptos.NFT{}
	for i, n := range all {
		assert.False(t, n.IsSpam)
		require.NotNil(t, n.Price)
		assert.Positive(t, n.Price.Price)
		assert.Equal(t, "USD", n.Price.BaseCurrency)
		total += n.Price.Price
		if i > 0 {
			assert.GreaterOrEqual(t, all[i-1].Price.Price, n.Price.Price, "the most valuable first")
		}
		var coll struct {
			ID         string `json:"id"`
			FloorPrice *struct {
				Price float64 `json:"price"`
			} `json:"floorPrice"`
		}
		require.NoError(t, json.Unmarshal(n.Collection, &coll))
		require.NotNil(t, coll.FloorPrice, "a known collection has its floor price")
		assert.GreaterOrEqual(t, n.Price.Price, coll.FloorPrice.Price)
		byCollection[coll.ID] = append(byCollection[coll.ID], n)
		var raw struct{ Name string }
		require.NoError(t, json.Unmarshal(n.AssetRaw, &raw))
		assert.NotEmpty(t, raw.Name)
		assert.Equal(t, n.Chain, n.Source.Provider)
	}
	assert.InDelta(t, total, first.Summary.TotalEstimatedValueUSD, 0.05)
	assert.Len(t, byCollection["boredapeyachtclub"], 1)
	assert.Contains(t, []int{1, 2}, len(byCollection["pudgypenguins"]))
	assert.Contains(t, []int{1, 2, 3}, len(byCollection["ens"]))
	assert.Contains(t, []int{1, 2}, len(byCollection["madlads"]))
	for _, ens := range byCollection["ens"] {
		assert.GreaterOrEqual(t, len(ens.TokenID), 70, "an ENS token id is a 256-bit number, in decimal")
		assert.JSONEq(t, `{}`, string(ens.LastSale), "a registered name was never sold")
	}
	for _, lad := range byCollection["madlads"] {
		assert.Equal(t, "solana", lad.Chain)
		assert.Regexp(t, `^[1-9A-HJ-NP-Za-km-z]{32,44}$`, lad.TokenID, "a Solana mint address")
	}
	ape := byCollection["boredapeyachtclub"][0]
	var sale struct {
		Price     float64 `json:"price"`
		Timestamp int64   `json:"timestamp"`
	}
	require.NoError(t, json.Unmarshal(ape.LastSale, &sale))
	assert.Positive(t, sale.Price)
	assert.Less(t, sale.Timestamp, ape.Price.Timestamp.UnixMilli())

	t.Run("filters", func(t *testing.T) {
		wallets := map[string]string{}
		for _, n := range all {
			wallets[n.Chain] = n.Source.WalletID
		}
		tests := []struct {
			name   string
			params kryptos.NFTParams
			keep   func(kryptos.NFT) bool
		}{
			{"chain", kryptos.NFTParams{Chain: "ethereum"}, func(n kryptos.NFT) bool { return n.Chain == "ethereum" }},
			{"collection", kryptos.NFTParams{CollectionID: "pudgypenguins"}, func(n kryptos.NFT) bool {
				return n.ContractAddress == "0xbd3531da5cf5857e7cfaa92426877b022e612cf8"
			}},
			{"integration", kryptos.NFTParams{IntegrationID: wallets["solana"]}, func(n kryptos.NFT) bool { return n.Source.WalletID == wallets["solana"] }},
			{"search the collection's name", kryptos.NFTParams{Search: "yacht"}, func(n kryptos.NFT) bool { return n.ID == ape.ID }},
			{"search the NFT's name", kryptos.NFTParams{Search: ".ETH"}, func(n kryptos.NFT) bool {
				return slices.ContainsFunc(byCollection["ens"], func(e kryptos.NFT) bool { return e.ID == n.ID })
			}},
			{"combined", kryptos.NFTParams{Chain: "solana", CollectionID: "pudgypenguins"}, func(kryptos.NFT) bool { return false }},
		}
		for _, tt := range tests {
			want := []kryptos.NFT{}
			for _, n := range all {
				if tt.keep(n) {
					want = append(want, n)
				}
			}
			page, err := user.ListNFTsPage(ctx, tt.params)
			require.NoError(t, err, tt.name)
			assert.Equal(t, want, page.Items, tt.name)
			assert.Equal(t, len(want), page.Total, tt.name)
			assert.Equal(t, first.Summary, page.Summary, "%s: the workspace's value, whatever the filters", tt.name)
		}
	})

	t.Run("spam", func(t *testing.T) {
		withSpam, err := user.ListNFTsPage(ctx, kryptos.NFTParams{IncludeSpam: defiFlag(true)})
		require.NoError(t, err)
		assert.Equal(t, len(all)+1, withSpam.Total)
		spam := withSpam.Items[len(withSpam.Items)-1]
		assert.True(t, spam.IsSpam, "worth nothing, so last")
		assert.Zero(t, spam.Price.Price)
		assert.JSONEq(t, `{}`, string(spam.LastSale), "airdropped, never sold")
		// A direct read names it, so it answers even without includeSpam.
		got, err := user.GetNFT(ctx, spam.ContractAddress, spam.TokenID)
		require.NoError(t, err)
		assert.Equal(t, spam, *got)
	})

	t.Run("single reads", func(t *testing.T) {
		pf := defiMainPortfolio(t, srv, token)
		for _, n := range all {
			got, err := user.GetNFT(ctx, n.ContractAddress, n.TokenID)
			require.NoError(t, err)
			assert.Equal(t, n, *got)
			got, err = user.GetPortfolioNFT(ctx, pf, n.ContractAddress, n.TokenID)
			require.NoError(t, err)
			assert.Equal(t, n, *got)
		}
		got, err := user.GetNFT(ctx, strings.ToUpper(ape.ContractAddress[2:]), ape.TokenID)
		require.ErrorIs(t, err, kryptos.ErrNotFound, "without 0x it is another address")
		assert.Nil(t, got)
		got, err = user.GetNFT(ctx, "0x"+strings.ToUpper(ape.ContractAddress[2:]), ape.TokenID)
		require.NoError(t, err, "an EVM address in any case")
		assert.Equal(t, ape, *got)
		_, err = user.GetNFT(ctx, ape.ContractAddress, ape.TokenID+"0")
		require.ErrorIs(t, err, kryptos.ErrNotFound)
		_, err = user.GetPortfolioNFT(ctx, "pf_unknown", ape.ContractAddress, ape.TokenID)
		require.ErrorIs(t, err, kryptos.ErrNotFound)
	})

	t.Run("collections", func(t *testing.T) {
		page, err := user.ListNFTCollectionsPage(ctx, kryptos.NFTParams{})
		require.NoError(t, err)
		require.Len(t, page.Items, len(byCollection))
		assert.Equal(t, len(byCollection), page.Total)
		assert.Equal(t, first.Summary, page.Summary)
		for i, c := range page.Items {
			items := byCollection[c.CollectionID]
			value := 0.0
			for _, n := range items {
				value += n.Price.Price
			}
			assert.Equal(t, len(items), c.ItemCount, c.CollectionID)
			assert.InDelta(t, value, c.TotalValueUSD, 0.05, c.CollectionID)
			assert.NotEmpty(t, c.Name)
			assert.NotEmpty(t, c.ImageURL)
			if i > 0 {
				assert.GreaterOrEqual(t, page.Items[i-1].TotalValueUSD, c.TotalValueUSD)
			}
		}
		one, err := user.ListNFTCollectionsPage(ctx, kryptos.NFTParams{CollectionID: "ens"})
		require.NoError(t, err)
		require.Len(t, one.Items, 1, "collectionId gives that single row")
		assert.Equal(t, "ENS: Ethereum Name Service", one.Items[0].Name)
		assert.Equal(t, 1, one.Total)

		paged := nftCollect(t, user.ListNFTCollections(ctx, kryptos.NFTParams{Limit: 1, IncludeSpam: defiFlag(true)}))
		require.Len(t, paged, len(byCollection)+1)
		spam := paged[len(paged)-1]
		assert.Equal(t, kryptos.NFTCollection{CollectionID: "eth-claim-voucher", ItemCount: 1}, spam, "an unnamed collection: null name and image")
	})

	t.Run("the totals-only paging shape", func(t *testing.T) {
		status, body := defiAnswer(t, srv, token, "/v1/nfts?offset=1&limit=1")
		require.Equal(t, http.StatusOK, status)
		for _, key := range []string{"offset", "limit", "hasMore"} {
			assert.NotContains(t, body, key)
		}
		assert.Len(t, body["data"], 1)
		assert.Equal(t, float64(len(all)), body["totalCount"])
		_, body = defiAnswer(t, srv, token, "/v1/nfts")
		assert.Len(t, body["data"], len(all), "the default page, 50, holds them all")
		for _, path := range []string{"/v1/nfts?limit=1001", "/v1/nfts/collections?limit=0", "/v1/nfts?offset=x", "/v1/nfts?includeSpam=yes"} {
			status, body := defiAnswer(t, srv, token, path)
			assert.Equal(t, http.StatusBadRequest, status, path)
			assert.Equal(t, "VALIDATION_ERROR", body["code"], path)
		}
	})
}

func TestNFTsOfOnePortfolio(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSandboxMode(false))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet, {Provider: "binance", Address: "acct-1"}}})
	user := c.User(g.Credential())
	var main, trading string
	for pf, err := range user.ListPortfolios(ctx, kryptos.PortfoliosParams{}) {
		require.NoError(t, err)
		if pf.IsDefault {
			main = pf.ID
		} else {
			trading = pf.ID
		}
	}
	all, err := user.ListNFTsPage(ctx, kryptos.NFTParams{IncludeSpam: defiFlag(true)})
	require.NoError(t, err)
	require.NotEmpty(t, all.Items)
	inMain, err := user.ListPortfolioNFTsPage(ctx, main, kryptos.NFTParams{IncludeSpam: defiFlag(true)})
	require.NoError(t, err)
	assert.Equal(t, all, inMain)

	// Trading holds the exchange account, and exchanges hold no NFTs.
	inTrading, err := user.ListPortfolioNFTsPage(ctx, trading, kryptos.NFTParams{IncludeSpam: defiFlag(true)})
	require.NoError(t, err)
	assert.Empty(t, inTrading.Items)
	assert.Equal(t, kryptos.NFTSummary{}, inTrading.Summary, "the portfolio's own value")
	assert.False(t, inTrading.HasNext())
	n := all.Items[0]
	_, err = user.GetPortfolioNFT(ctx, trading, n.ContractAddress, n.TokenID)
	require.ErrorIs(t, err, kryptos.ErrNotFound, "the NFT is not in Trading")
	_, err = user.ListPortfolioNFTsPage(ctx, "pf_unknown", kryptos.NFTParams{})
	require.ErrorIs(t, err, kryptos.ErrNotFound)
}

// DATA-API.md §3.4: "GET /v1/nfts/{contract}/{tokenId} (+ portfolio form) |
// 404 | { "success": false, "error": "Not found" }", and §5.5: "Single NFT:
// {success, data: NFT} or 404 { "success": false, "error": "Not found" }".
// The portfolio form with an unknown portfolio answered the wrapped error
// {success, error: "Portfolio not found", code: "NOT_FOUND"} instead, with
// a code key the documented body does not have (the holdings twin,
// GET /v1/holdings/portfolio/{pid}/holdings/{assetId}, already answers the
// documented body).
func TestNFTPortfolioFormAnswersTheDocumented404(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	_, token := defiUser(t, srv)
	resp := get(t, srv, token, "/v1/nfts/portfolio/pf_unknown/0xbc4ca0eda7647a8ab7c2061c2e118a18a936f13d/1")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	sameShapeAsSample(t, "nfts.get.404.json", resp, golden.Options{})
}
