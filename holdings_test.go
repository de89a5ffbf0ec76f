package kryptos

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// queriesSeen keeps the query of every request its responders answer: the
// recorder keeps paths only.
type queriesSeen struct {
	mu  sync.Mutex
	all []url.Values
}

func (s *queriesSeen) answer(r httpmock.Responder) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		s.mu.Lock()
		s.all = append(s.all, req.URL.Query())
		s.mu.Unlock()
		return r(req)
	}
}

func (s *queriesSeen) last(t *testing.T) url.Values {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NotEmpty(t, s.all, "no request was answered")
	return s.all[len(s.all)-1]
}

func valuePtr[T any](v T) *T { return &v }

// documentedHolding is the holding of the holdings.list.json sample, field
// by field.
func documentedHolding() Holding {
	return Holding{
		AssetID: "a3f1c8e0-9d42-4b17-8c55-6e0b2f7a1d34",
		Asset: HoldingAsset{TokenID: "bitcoin", Symbol: "BTC", PublicName: "Bitcoin", LogoURL: "https://...",
			Type: HoldingAssetCrypto, ChainID: "bitcoin"},
		TotalQuantity: 2.5, CostBasis: 100000,
		Priced: true, CostPerUnit: 40000, MarketPrice: 50000, MarketValue: 125000, UnrealizedPnL: 25000,
		ROIPercentage: valuePtr(25.0), Change24h: 4200, Change24hPercentage: 3.5,
		BaseCurrency: "USD", IsSpam: false, TransactionCount: 18,
		AssetDistribution: []HoldingShare{{
			IntegrationID: "int_9f2c", Quantity: 1.5,
			Account: Account{Provider: "ledger", ProviderPublicName: "Ledger", WalletID: "int_9f2c",
				PublicAddress: "bc1q...", LogoURL: "https://...", Alias: "Hardware wallet"},
			AllocationPercentage: 60, TransactionCount: 11, PortfolioID: "pf_main", PortfolioName: "Main",
		}},
	}
}

func TestListHoldingsDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	queries := &queriesSeen{}
	api.onData(http.MethodGet, "/v1/holdings", queries.answer(reply(200, golden(t, "holdings.list.json"))))
	page, err := api.user().ListHoldingsPage(context.Background(), HoldingsParams{})
	require.NoError(t, err)
	assert.Equal(t, []Holding{documentedHolding()}, page.Items)
	assert.Equal(t, 42, page.Total)
	assert.Equal(t, HoldingsSummary{TotalValue: valuePtr(250000.0)}, page.Summary)
	assert.False(t, page.HasNext(), "hasMore false")
	assert.Equal(t, url.Values{"offset": {"0"}}, queries.last(t), "nothing but the first offset: the API's defaults")
	req := api.rec.last(t)
	assert.Equal(t, "/v1/holdings", req.Path)
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"))
}

func TestHoldingsParamsReachTheWire(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		params HoldingsParams
		want   url.Values
	}{
		{"integration", HoldingsParams{IntegrationID: "int_9f2c"}, url.Values{"integrationId": {"int_9f2c"}}},
		{"asset ids as one CSV value", HoldingsParams{AssetIDs: []string{"a-1", "b-2"}}, url.Values{"assetIds": {"a-1,b-2"}}},
		{"search", HoldingsParams{Search: "usd coin"}, url.Values{"search": {"usd coin"}}},
		{"min value", HoldingsParams{MinValue: valuePtr(12.5)}, url.Values{"minValue": {"12.5"}}},
		{"min value 0 is sent", HoldingsParams{MinValue: valuePtr(0.0)}, url.Values{"minValue": {"0"}}},
		{"spam", HoldingsParams{IncludeSpam: valuePtr(true)}, url.Values{"includeSpam": {"true"}}},
		{"type", HoldingsParams{Type: HoldingsXStocks}, url.Values{"type": {"xstocks"}}},
		{"sort by the 24h change", HoldingsParams{SortBy: HoldingsBy24hChange, SortOrder: HoldingsAscending},
			url.Values{"sortBy": {"24hrChange"}, "sortOrder": {"asc"}}},
		{"sort by transactions", HoldingsParams{SortBy: HoldingsByTransactionCount}, url.Values{"sortBy": {"txnCount"}}},
		{"rates off, as a string", HoldingsParams{Rates: valuePtr(false)}, url.Values{"rates": {"false"}}},
		{"rates on", HoldingsParams{Rates: valuePtr(true)}, url.Values{"rates": {"true"}}},
		{"calculated balances", HoldingsParams{CalculatedBalances: valuePtr(true)}, url.Values{"calculatedBalances": {"true"}}},
		{"provider-reported only", HoldingsParams{ExcludeCalculatedBalances: valuePtr(true)}, url.Values{"excludeCalculatedBalances": {"true"}}},
		{"both flags false", HoldingsParams{CalculatedBalances: valuePtr(false), ExcludeCalculatedBalances: valuePtr(false)},
			url.Values{"calculatedBalances": {"false"}, "excludeCalculatedBalances": {"false"}}},
		{"offset and limit", HoldingsParams{Offset: 100, Limit: 50}, url.Values{"offset": {"100"}, "limit": {"50"}}},
		{"the largest page", HoldingsParams{Limit: 1000}, url.Values{"limit": {"1000"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			queries := &queriesSeen{}
			api.onData(http.MethodGet, "/v1/holdings", queries.answer(reply(200, golden(t, "holdings.list.json"))))
			_, err := api.user().ListHoldingsPage(context.Background(), tc.params)
			require.NoError(t, err)
			want := tc.want
			if want.Get("offset") == "" {
				want.Set("offset", "0")
			}
			assert.Equal(t, want, queries.last(t))
			assert.Equal(t, "/v1/holdings", api.rec.last(t).Path)
		})
	}
}

func TestHoldingsListsTakeThePathFormForAPortfolio(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	queries := &queriesSeen{}
	answer := queries.answer(reply(200, golden(t, "holdings.list.json")))
	api.onData(http.MethodGet, "/v1/holdings/portfolio/pf_main", answer)
	api.onData(http.MethodGet, "/v1/calculated-balances/portfolio/pf_main", answer)
	api.onData(http.MethodGet, "/v1/calculated-balances", answer)
	ctx := context.Background()
	p := HoldingsParams{PortfolioID: "pf_main", Search: "btc"}

	_, err := api.user().ListHoldingsPage(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, "/v1/holdings/portfolio/pf_main", api.rec.last(t).Path)
	assert.Equal(t, url.Values{"offset": {"0"}, "search": {"btc"}}, queries.last(t), "the portfolio is in the path, not the query")

	_, err = api.user().ListCalculatedBalancesPage(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, "/v1/calculated-balances/portfolio/pf_main", api.rec.last(t).Path)

	_, err = api.user().ListCalculatedBalancesPage(ctx, HoldingsParams{MinValue: valuePtr(1.0)})
	require.NoError(t, err)
	assert.Equal(t, "/v1/calculated-balances", api.rec.last(t).Path)
	assert.Equal(t, url.Values{"offset": {"0"}, "minValue": {"1"}}, queries.last(t))
}

func TestListHoldingsFollowsTheOffsets(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	h := func(id string) string {
		return `{"assetId":"` + id + `","asset":{"symbol":"` + id + `"},"totalQuantity":1,"costBasis":0,"marketPrice":2,"marketValue":2,"roiPercentage":null}`
	}
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/holdings", "offset=0&limit=1000&includeSpam=true",
		reply(200, `{"success":true,"data":[`+h("a")+`,`+h("b")+`],"totalCount":3,"offset":0,"limit":1000,"hasMore":true,"totalValue":6}`))
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/holdings", "offset=2&limit=1000&includeSpam=true",
		reply(200, `{"success":true,"data":[`+h("c")+`],"totalCount":3,"offset":2,"limit":1000,"hasMore":false,"totalValue":6}`))
	var ids []string
	for _, h := range collect(t, api.user().ListHoldings(context.Background(), HoldingsParams{IncludeSpam: valuePtr(true)})) {
		ids = append(ids, h.AssetID)
		assert.True(t, h.Priced)
		assert.Nil(t, h.ROIPercentage, "null: the cost basis is unknown, not a 0 % return")
	}
	assert.Equal(t, []string{"a", "b", "c"}, ids, "a limit of 0 asks for pages of 1000")
	assert.Equal(t, 2, api.rec.count())
}

func TestListHoldingsPageWalksOnWithNext(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	queries := &queriesSeen{}
	api.onData(http.MethodGet, "/v1/holdings", queries.answer(func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("offset") == "0" {
			return reply(200, `{"success":true,"data":[{"assetId":"a"},{"assetId":"b"}],"totalCount":3,"offset":0,"limit":2,"hasMore":true,"totalValue":9.5}`)(req)
		}
		return reply(200, `{"success":true,"data":[{"assetId":"c"}],"totalCount":3,"offset":2,"limit":2,"hasMore":false,"totalValue":9.5}`)(req)
	}))
	ctx := context.Background()
	first, err := api.user().ListHoldingsPage(ctx, HoldingsParams{Limit: 2, SortBy: HoldingsByName})
	require.NoError(t, err)
	require.Len(t, first.Items, 2)
	require.True(t, first.HasNext())
	second, err := first.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"offset": {"2"}, "limit": {"2"}, "sortBy": {"name"}}, queries.last(t), "the filters go with every page")
	assert.Equal(t, "c", second.Items[0].AssetID)
	assert.Equal(t, 3, second.Total)
	assert.Equal(t, 9.5, *second.Summary.TotalValue)
	assert.False(t, second.HasNext())
	assert.False(t, second.Items[0].Priced, "no marketPrice sent")
}

func TestListHoldingsWithoutRates(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	// rates=false omits the price fields and totalValue (DATA-API.md §5.3).
	api.onData(http.MethodGet, "/v1/holdings", reply(200, `{"success":true,"data":[{"assetId":"a3f1","asset":{"tokenId":"bitcoin","symbol":"BTC","publicName":"Bitcoin","logoUrl":"https://...","type":"crypto","chainId":"bitcoin"},
		"totalQuantity":2.5,"costBasis":100000,"baseCurrency":"USD","isSpam":false,"transactionCount":18,"assetDistribution":[]}],
		"totalCount":1,"offset":0,"limit":50,"hasMore":false}`))
	page, err := api.user().ListHoldingsPage(context.Background(), HoldingsParams{Rates: valuePtr(false)})
	require.NoError(t, err)
	assert.Equal(t, []Holding{{
		AssetID: "a3f1",
		Asset: HoldingAsset{TokenID: "bitcoin", Symbol: "BTC", PublicName: "Bitcoin", LogoURL: "https://...",
			Type: HoldingAssetCrypto, ChainID: "bitcoin"},
		TotalQuantity: 2.5, CostBasis: 100000, BaseCurrency: "USD", TransactionCount: 18, AssetDistribution: []HoldingShare{},
	}}, page.Items, "not Priced; every price field zero, ROI nil")
	assert.Nil(t, page.Summary.TotalValue)
	assert.Equal(t, 1, page.Total)
}

func TestListCalculatedBalancesDecodesTheirTwoFields(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/calculated-balances", reply(200, `{"success":true,"data":[
		{"assetId":"a","asset":{"symbol":"ETH","type":"crypto","contractAddress":"0x0000000000000000000000000000000000000000"},"totalQuantity":1.25,"costBasis":3000,"marketPrice":3200,
		 "isMissingTransactionHistory":true,"lastLedgerTimestamp":1721088000000},
		{"assetId":"b","asset":{"symbol":"EUR","type":"fiat"},"totalQuantity":10,"isMissingTransactionHistory":false,"lastLedgerTimestamp":null},
		{"assetId":"c","asset":{"symbol":"ART","type":"collectible"},"lastLedgerTimestamp":"2024-07-16T00:00:00.000Z"}],
		"totalCount":3,"offset":0,"limit":50,"hasMore":false,"totalValue":4000}`))
	items := collect(t, api.user().ListCalculatedBalances(context.Background(), HoldingsParams{}))
	require.Len(t, items, 3)
	assert.True(t, items[0].IsMissingTransactionHistory)
	assert.Equal(t, time.UnixMilli(1721088000000).UTC(), items[0].LastLedgerTimestamp)
	assert.Equal(t, "0x0000000000000000000000000000000000000000", items[0].Asset.ContractAddress)
	assert.True(t, items[0].Priced)
	assert.False(t, items[1].IsMissingTransactionHistory)
	assert.True(t, items[1].LastLedgerTimestamp.IsZero(), "null: no ledger entry")
	assert.Equal(t, HoldingAssetFiat, items[1].Asset.Type)
	assert.Equal(t, time.Date(2024, 7, 16, 0, 0, 0, 0, time.UTC), items[2].LastLedgerTimestamp.UTC(), "an ISO time is read too")
	assert.Equal(t, HoldingAssetType("collectible"), items[2].Asset.Type, "an unknown type is kept as sent")
	assert.Equal(t, "/v1/calculated-balances", api.rec.last(t).Path)
}

func TestAHoldingWithABadTimestampFailsToDecode(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/calculated-balances", reply(200, `{"success":true,"data":[{"assetId":"a","lastLedgerTimestamp":"yesterday"}],"totalCount":1}`))
	_, err := api.user().ListCalculatedBalancesPage(context.Background(), HoldingsParams{})
	require.ErrorIs(t, err, ErrMalformedResponse)
}

func TestGetHoldingAndThePortfolioForm(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	one := `{"success":true,"data":{"assetId":"a3f1c8e0-9d42-4b17-8c55-6e0b2f7a1d34","asset":{"tokenId":"bitcoin","symbol":"BTC","publicName":"Bitcoin","logoUrl":"https://...","type":"crypto","chainId":"bitcoin"},
		"totalQuantity":2.5,"costBasis":100000,"costPerUnit":40000,"marketPrice":50000,"marketValue":125000,"unrealizedPnL":25000,"roiPercentage":25,"change24h":4200,
		"change24hPercentage":3.5,"baseCurrency":"USD","isSpam":false,"transactionCount":18,"assetDistribution":[{"integrationId":"int_9f2c","quantity":1.5,
		"account":{"provider":"ledger","providerPublicName":"Ledger","walletId":"int_9f2c","publicAddress":"bc1q...","logoUrl":"https://...","alias":"Hardware wallet"},
		"allocationPercentage":60,"transactionCount":11,"portfolioId":"pf_main","portfolioName":"Main"}]}}`
	const asset = "a3f1c8e0-9d42-4b17-8c55-6e0b2f7a1d34"
	api.onData(http.MethodGet, "/v1/holdings/"+asset, reply(200, one))
	api.onData(http.MethodGet, "/v1/holdings/portfolio/pf_main/holdings/"+asset, reply(200, one))
	api.onData(http.MethodGet, "/v1/holdings/unknown-asset", reply(404, golden(t, "holdings.get.404.json")))
	api.onData(http.MethodGet, "/v1/holdings/portfolio/pf_main/holdings/unknown-asset", reply(404, golden(t, "holdings.get.404.json")))
	api.onData(http.MethodGet, "/v1/holdings/empty", reply(200, `{"success":true,"data":null}`))
	ctx := context.Background()

	h, err := api.user().GetHolding(ctx, asset)
	require.NoError(t, err)
	assert.Equal(t, documentedHolding(), *h)
	assert.Equal(t, "/v1/holdings/"+asset, api.rec.last(t).Path)

	h, err = api.user().GetPortfolioHolding(ctx, "pf_main", asset)
	require.NoError(t, err)
	assert.Equal(t, documentedHolding(), *h)
	assert.Equal(t, "/v1/holdings/portfolio/pf_main/holdings/"+asset, api.rec.last(t).Path)

	for _, get := range []func() (*Holding, error){
		func() (*Holding, error) { return api.user().GetHolding(ctx, "unknown-asset") },
		func() (*Holding, error) { return api.user().GetPortfolioHolding(ctx, "pf_main", "unknown-asset") },
	} {
		h, err = get()
		assert.Nil(t, h)
		require.ErrorIs(t, err, ErrNotFound)
		var apiErr *Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, Error{StatusCode: 404, Message: "Not found"}, Error{StatusCode: apiErr.StatusCode, Code: apiErr.Code, Message: apiErr.Message},
			"the documented 404 has no code")
	}

	_, err = api.user().GetHolding(ctx, "empty")
	require.ErrorIs(t, err, ErrMalformedResponse)

	n := api.rec.count()
	for _, err := range []error{
		func() error { _, err := api.user().GetHolding(ctx, ""); return err }(),
		func() error { _, err := api.user().GetHolding(ctx, "../holdings"); return err }(),
		func() error { _, err := api.user().GetPortfolioHolding(ctx, "", asset); return err }(),
		func() error { _, err := api.user().GetPortfolioHolding(ctx, "pf_main", "a?b"); return err }(),
	} {
		require.ErrorIs(t, err, ErrInvalidParams)
	}
	assert.Equal(t, n, api.rec.count(), "nothing sent for a bad id")
}

func TestHoldingsListsRejectBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	bad := []HoldingsParams{
		{Limit: 1001}, {Limit: -1}, {Offset: -1},
		{MinValue: valuePtr(-0.01)}, {MinValue: valuePtr(math.NaN())}, {MinValue: valuePtr(math.Inf(1))},
		{Type: "stocks"}, {SortBy: "price"}, {SortBy: "change24h"}, {SortOrder: "DESC"},
		{AssetIDs: []string{"a,b"}}, {AssetIDs: []string{""}},
		{IntegrationID: "int 1"}, {PortfolioID: "../pf"},
		{CalculatedBalances: valuePtr(true), ExcludeCalculatedBalances: valuePtr(true)},
	}
	for _, p := range bad {
		_, err := api.user().ListHoldingsPage(context.Background(), p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		for _, err := range api.user().ListHoldings(context.Background(), p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		}
		_, err = api.user().ListCalculatedBalancesPage(context.Background(), p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
	}
	// The calculated balances are all ledger-derived: the flags that pick a
	// kind of balance do not apply to them.
	for _, p := range []HoldingsParams{{CalculatedBalances: valuePtr(true)}, {ExcludeCalculatedBalances: valuePtr(false)}} {
		for _, err := range api.user().ListCalculatedBalances(context.Background(), p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
			var pe *ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "params.CalculatedBalances", pe.Field)
		}
	}
	assert.Equal(t, 0, api.rec.count())
}

func TestHoldingsErrorShapesKeepTheirCodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		responder httpmock.Responder
		want      Error
		is        error
	}{
		{"scope", reply(403, golden(t, "error.insufficient_scope.json")),
			Error{StatusCode: 403, Code: "insufficient_scope", Message: "Missing: portfolios:read"}, ErrInsufficientScope},
		{"validation", reply(400, `{"success":false,"error":"Validation failed","code":"VALIDATION_ERROR","details":{"issues":[{"path":["limit"],"message":"must be an integer from 1 to 1000"}]}}`),
			Error{StatusCode: 400, Code: "VALIDATION_ERROR", Message: "Validation failed"}, ErrValidation},
		{"portfolio not found", reply(404, golden(t, "error.wrapped.json")),
			Error{StatusCode: 404, Code: "NOT_FOUND", Message: "Integration not found"}, ErrNotFound},
		{"forbidden", reply(403, `{"error":"forbidden","error_description":"the token is bound to another workspace"}`),
			Error{StatusCode: 403, Code: "forbidden", Message: "the token is bound to another workspace"}, ErrForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.onData(http.MethodGet, "/v1/holdings", tc.responder)
			var seen int
			for _, err := range api.user().ListHoldings(context.Background(), HoldingsParams{}) {
				seen++
				require.ErrorIs(t, err, tc.is)
				var apiErr *Error
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tc.want, Error{StatusCode: apiErr.StatusCode, Code: apiErr.Code, Message: apiErr.Message})
			}
			assert.Equal(t, 1, seen, "the error ends the iteration")
		})
	}
}
