package kryptos

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListNFTsDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/nfts", reply(200, golden(t, "nfts.list.json")))
	page, err := api.user().ListNFTsPage(context.Background(), NFTParams{})
	require.NoError(t, err)
	assert.Equal(t, []NFT{{
		ID: "nft_31f9c2", ContractAddress: "0xbc4ca0eda7647a8ab7c2061c2e118a18a936f13d", TokenID: "1234", Chain: "ethereum",
		AssetRaw:   json.RawMessage(`{}`),
		Price:      &Price{Price: 18400, BaseCurrency: "USD", Timestamp: defiSampleTime, Source: "opensea"},
		Collection: json.RawMessage(`{}`), LastSale: json.RawMessage(`{}`),
		Source: Account{Provider: "ethereum", ProviderPublicName: "Ethereum", PublicAddress: "0xab...",
			WalletID: "int_44de", LogoURL: "https://...", Alias: "Main EVM"},
		IsSpam: false,
	}}, page.Items)
	assert.Equal(t, 15, page.Total)
	assert.Equal(t, NFTSummary{TotalEstimatedValueUSD: 120500}, page.Summary)
	// No hasMore: one NFT of 15 seen, so another page follows.
	assert.True(t, page.HasNext())
	req := api.rec.last(t)
	assert.Equal(t, "/v1/nfts", req.Path)
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"))
}

func TestGetNFTAnswersTheDocumented404(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	var wire defiWire
	wire.serve(api, "/v1/nfts/", 404, golden(t, "nfts.get.404.json"))
	ctx := context.Background()
	_, err := api.user().GetNFT(ctx, "0xbc4ca0eda7647a8ab7c2061c2e118a18a936f13d", "99999")
	_, portfolioErr := api.user().GetPortfolioNFT(ctx, "pf_main", "0xbc4ca0eda7647a8ab7c2061c2e118a18a936f13d", "99999")
	for _, err := range []error{err, portfolioErr} {
		require.ErrorIs(t, err, ErrNotFound)
		var apiErr *Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, Error{StatusCode: 404, Message: "Not found"}, Error{StatusCode: apiErr.StatusCode, Code: apiErr.Code, Message: apiErr.Message})
	}
	assert.Equal(t, "/v1/nfts/portfolio/pf_main/0xbc4ca0eda7647a8ab7c2061c2e118a18a936f13d/99999", wire.last(t).Path)
	assert.Equal(t, 2, api.rec.count(), "a 404 is not retried")
}

func TestGetNFTDecodesOneToken(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	// An ENS name's token id has 77 digits: as a JSON number it must keep
	// its text, not become a float.
	const ens = "0x57f1887a8bf19b14fc0df6fd9b2acc9af147ea85"
	const tokenID = "79233663829379634837589865448569342784712482819484549289560981379859480642508"
	api.onData(http.MethodGet, "/v1/nfts/"+ens+"/"+tokenID, reply(200, `{"success":true,"data":{
		"id":"nft_1","contractAddress":"`+ens+`","tokenId":`+tokenID+`,"chain":"ethereum",
		"assetRaw":{"name":"kryptos.eth"},"price":null,"collection":{"id":"ens","floorPriceUsd":40},"lastSale":{},
		"source":{"provider":"ethereum","walletId":"wallet-1"},"isSpam":false}}`))
	nft, err := api.user().GetNFT(context.Background(), ens, tokenID)
	require.NoError(t, err)
	assert.Equal(t, &NFT{
		ID: "nft_1", ContractAddress: ens, TokenID: tokenID, Chain: "ethereum",
		AssetRaw: json.RawMessage(`{"name":"kryptos.eth"}`), Collection: json.RawMessage(`{"id":"ens","floorPriceUsd":40}`),
		LastSale: json.RawMessage(`{}`), Source: Account{Provider: "ethereum", WalletID: "wallet-1"},
	}, nft)

	for _, body := range []string{`{"success":true,"data":null}`, `{"success":true,"data":{}}`} {
		api.onData(http.MethodGet, "/v1/nfts/"+ens+"/1", reply(200, body))
		_, err = api.user().GetNFT(context.Background(), ens, "1")
		require.ErrorIs(t, err, ErrMalformedResponse, body)
	}
}

func TestNFTListsSendEachFilter(t *testing.T) {
	t.Parallel()
	const empty = `{"success":true,"data":[],"totalCount":0,"totalEstimatedValueUsd":0}`
	every := NFTParams{Chain: "ethereum", CollectionID: "boredapeyachtclub", IntegrationID: "wallet-1", Search: "Ape #1",
		IncludeSpam: defiBool(true), Offset: 5, Limit: 5}
	everyQuery := url.Values{"chain": {"ethereum"}, "collectionId": {"boredapeyachtclub"}, "integrationId": {"wallet-1"},
		"search": {"Ape #1"}, "includeSpam": {"true"}, "offset": {"5"}, "limit": {"5"}}
	tests := []struct {
		name  string
		call  func(*UserClient, NFTParams) error
		p     NFTParams
		path  string
		query url.Values
	}{
		{"NFTs", func(u *UserClient, p NFTParams) error { _, err := u.ListNFTsPage(context.Background(), p); return err },
			NFTParams{}, "/v1/nfts", url.Values{"offset": {"0"}}},
		{"NFTs, every filter", func(u *UserClient, p NFTParams) error { _, err := u.ListNFTsPage(context.Background(), p); return err },
			every, "/v1/nfts", everyQuery},
		{"collections, every filter", func(u *UserClient, p NFTParams) error {
			_, err := u.ListNFTCollectionsPage(context.Background(), p)
			return err
		}, every, "/v1/nfts/collections", everyQuery},
		{"a portfolio's NFTs", func(u *UserClient, p NFTParams) error {
			_, err := u.ListPortfolioNFTsPage(context.Background(), "pf_main", p)
			return err
		}, NFTParams{IncludeSpam: defiBool(false)}, "/v1/nfts/portfolio/pf_main", url.Values{"offset": {"0"}, "includeSpam": {"false"}}},
		{"iterating asks for the largest page", func(u *UserClient, p NFTParams) error {
			for _, err := range u.ListNFTCollections(context.Background(), p) {
				return err
			}
			return nil
		}, NFTParams{Chain: "solana"}, "/v1/nfts/collections", url.Values{"chain": {"solana"}, "offset": {"0"}, "limit": {"1000"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			var wire defiWire
			wire.serve(api, "/v1/nfts", 200, empty)
			require.NoError(t, tt.call(api.user(), tt.p))
			assert.Equal(t, tt.path, wire.last(t).Path)
			assert.Equal(t, tt.query, wire.last(t).Query())
		})
	}
}

func TestListNFTsStopsAtTheTotalCount(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	nft := func(id string) string { return `{"id":"` + id + `","tokenId":"` + id + `","isSpam":false}` }
	for _, pg := range []struct{ query, items string }{
		{"offset=0&limit=2", nft("1") + "," + nft("2")},
		{"offset=2&limit=2", nft("3") + "," + nft("4")},
		{"offset=4&limit=2", nft("5")},
	} {
		api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/nfts/portfolio/pf_1", pg.query,
			reply(200, `{"success":true,"data":[`+pg.items+`],"totalCount":5,"totalEstimatedValueUsd":900.5}`))
	}
	var ids []string
	for _, n := range collect(t, api.user().ListPortfolioNFTs(context.Background(), "pf_1", NFTParams{Limit: 2})) {
		ids = append(ids, n.TokenID)
	}
	assert.Equal(t, []string{"1", "2", "3", "4", "5"}, ids)
	assert.Equal(t, 3, api.rec.count(), "no call after offset + entries reached totalCount")

	page, err := api.user().ListPortfolioNFTsPage(context.Background(), "pf_1", NFTParams{Offset: 4, Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, 5, page.Total)
	assert.Equal(t, 900.5, page.Summary.TotalEstimatedValueUSD)
	assert.False(t, page.HasNext())
}

func TestListNFTCollectionsDecodesItsRows(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/nfts/collections", reply(200, `{"success":true,"data":[
		{"collectionId":"pudgypenguins","name":"Pudgy Penguins","imageUrl":"https://x/p.png","itemCount":2,"totalValueUsd":64000.5},
		{"collectionId":"spam-voucher","name":null,"imageUrl":null,"itemCount":1,"totalValueUsd":0}],
		"totalCount":2,"totalEstimatedValueUsd":64000.5}`))
	page, err := api.user().ListNFTCollectionsPage(context.Background(), NFTParams{IncludeSpam: defiBool(true)})
	require.NoError(t, err)
	assert.Equal(t, []NFTCollection{
		{CollectionID: "pudgypenguins", Name: "Pudgy Penguins", ImageURL: "https://x/p.png", ItemCount: 2, TotalValueUSD: 64000.5},
		{CollectionID: "spam-voucher", ItemCount: 1},
	}, page.Items)
	assert.Equal(t, 2, page.Total)
	assert.Equal(t, NFTSummary{TotalEstimatedValueUSD: 64000.5}, page.Summary)
	assert.False(t, page.HasNext())
}

func TestNFTCallsRejectBadArgumentsBeforeSending(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	ctx := context.Background()
	for _, p := range []NFTParams{{Limit: 1001}, {Limit: -1}, {Offset: -1}, {CollectionID: "a b"}, {IntegrationID: "x\ny"}} {
		_, err := api.user().ListNFTsPage(ctx, p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		_, err = api.user().ListNFTCollectionsPage(ctx, p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		for _, err := range api.user().ListPortfolioNFTs(ctx, "pf_1", p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		}
	}
	for _, args := range [][3]string{
		{"pf_1", "", "1"}, {"pf_1", "0xabc", ""}, {"pf_1", "0xabc/..", "1"}, {"pf_1", "0xabc", "1?x=2"}, {"", "0xabc", "1"}, {"..", "0xabc", "1"},
	} {
		_, err := api.user().GetPortfolioNFT(ctx, args[0], args[1], args[2])
		require.ErrorIs(t, err, ErrInvalidParams, "%q", args)
		if args[0] == "pf_1" {
			_, err = api.user().GetNFT(ctx, args[1], args[2])
			require.ErrorIs(t, err, ErrInvalidParams, "%q", args)
		}
	}
	_, err := api.user().ListPortfolioNFTsPage(ctx, "pf/1", NFTParams{})
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 0, api.rec.count())
}
