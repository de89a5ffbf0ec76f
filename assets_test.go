package kryptos

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSearchAssetsDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	sent := answerAndKeepQueries(api, http.MethodGet, "/v1/assets/search", reply(200, golden(t, "assets.search.json")))
	page, err := api.user().SearchAssetsPage(context.Background(), AssetSearchParams{Query: "eth", Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, []CatalogAsset{{
		ID: "a3f1c8e0-9d42-4b17-8c55-6e0b2f7a1d34", Symbol: "ETH", Name: "Ethereum", Type: AssetCrypto,
		LogoURL: "https://...", Category: "layer-1", CMCRank: 2,
		Chains: []AssetChain{{ChainID: "ethereum", ContractAddress: "0x0000000000000000000000000000000000000000"}},
		Score:  Ptr(0.98),
	}}, page.Items)
	assert.Equal(t, 14, page.Total)
	assert.True(t, page.HasNext(), "1 of 14 read; no hasMore, so the total decides")
	assert.Equal(t, url.Values{"q": {"eth"}, "offset": {"0"}, "limit": {"10"}}, sent.last(t))
	req := api.rec.last(t)
	assert.Equal(t, "/v1/assets/search", req.Path)
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"), "a token, though no scope")
	assert.Empty(t, opSearchAssets.scope)
}

func TestSearchAssetsSendsEveryFilterAndStopsAtTheTotal(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	asset := func(symbol string) string {
		return `{"id":"id-` + symbol + `","symbol":"` + symbol + `","name":"` + symbol + `","logoUrl":null,"type":"stablecoin",` +
			`"category":null,"cmcRank":null,"chains":[{"chainId":"bitcoin","contractAddress":null}]}`
	}
	sent := answerAndKeepQueries(api, http.MethodGet, "/v1/assets/search", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("offset") == "4" {
			return reply(200, `{"success":true,"data":[`+asset("C")+`],"total":5,"limit":100,"offset":4}`)(req)
		}
		return reply(200, `{"success":true,"data":[`+asset("A")+`,`+asset("B")+`,`+asset("X")+`],"total":5,"limit":100,"offset":1}`)(req)
	})
	p := AssetSearchParams{ContractAddress: "0xA0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", Type: AssetStablecoin,
		Category: "stablecoin", ChainID: "ethereum", Offset: 1}
	all := collect(t, api.user().SearchAssets(context.Background(), p))
	require.Len(t, all, 4, "offset 1, then 3 + 1 entries reach the total of 5: no third call")
	assert.Equal(t, CatalogAsset{ID: "id-C", Symbol: "C", Name: "C", Type: AssetStablecoin,
		Chains: []AssetChain{{ChainID: "bitcoin"}}}, all[3], "no score without a query; null rank and contract")
	filters := url.Values{"contractAddress": {p.ContractAddress}, "type": {"stablecoin"}, "category": {"stablecoin"}, "chainId": {"ethereum"}}
	want := []url.Values{withPaging(filters, "offset", "1", "limit", "100"), withPaging(filters, "offset", "4", "limit", "100")}
	assert.Equal(t, want, sent.list())
}

// withPaging returns a copy of q with the given name/value pairs set.
func withPaging(q url.Values, pairs ...string) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		out.Set(pairs[i], pairs[i+1])
	}
	return out
}

func TestSearchAssetsRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	for _, p := range []AssetSearchParams{
		{Query: strings.Repeat("x", 101)}, {ContractAddress: strings.Repeat("a", 256)}, {ContractAddress: "0x 12"},
		{Category: strings.Repeat("c", 101)}, {ChainID: "eth chain"}, {Type: "token"}, {Limit: 101}, {Offset: -1},
	} {
		_, err := api.user().SearchAssetsPage(context.Background(), p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		for _, err := range api.user().SearchAssets(context.Background(), p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		}
	}
	assert.Equal(t, 0, api.rec.count())
}

func TestSearchAssetsReportsAValidationError(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/assets/search", reply(400,
		`{"success":false,"error":"Validation failed","code":"VALIDATION_ERROR","details":{"issues":[{"path":["limit"],"message":"too big"}]}}`))
	_, err := api.user().SearchAssetsPage(context.Background(), AssetSearchParams{})
	require.ErrorIs(t, err, ErrValidation)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, "VALIDATION_ERROR", apiErr.Code)
	assert.Equal(t, "Validation failed", apiErr.Message)
}
