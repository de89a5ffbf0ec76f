package kryptos

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// defiWire answers the data API's requests below a path and keeps the URL
// of each, for the checks of the query string sent.
type defiWire struct {
	mu   sync.Mutex
	urls []*url.URL
}

// serve registers a responder for every GET whose path starts with prefix.
func (w *defiWire) serve(api *mockAPI, prefix string, status int, body string) {
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(DefaultDataURL+prefix))
	api.mock.RegisterRegexpResponder(http.MethodGet, re, func(req *http.Request) (*http.Response, error) {
		w.mu.Lock()
		w.urls = append(w.urls, req.URL)
		w.mu.Unlock()
		return reply(status, body)(req)
	})
}

func (w *defiWire) last(t *testing.T) *url.URL {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	require.NotEmpty(t, w.urls, "no request was answered")
	return w.urls[len(w.urls)-1]
}

// defiSampleTime is the time of the docs' DeFi and NFT samples, 1721088000000.
var defiSampleTime = time.Date(2024, 7, 16, 0, 0, 0, 0, time.UTC)

func TestListDeFiDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/defi", reply(200, golden(t, "defi.list.json")))
	page, err := api.user().ListDeFiPage(context.Background(), DeFiParams{})
	require.NoError(t, err)
	price := func(v float64) *Price {
		return &Price{Price: v, BaseCurrency: "USD", Timestamp: defiSampleTime, Source: "debank"}
	}
	assert.Equal(t, []DeFiPosition{{
		ID: "defi_7c1a9e",
		Owner: Account{Provider: "ethereum", ProviderPublicName: "Ethereum", PublicAddress: "0xab...",
			WalletID: "int_44de", LogoURL: "https://...", Alias: "Main EVM"},
		ProtocolID: "aave-v3", ProtocolName: "Aave V3", ProtocolLogoURL: "https://...",
		Chain: "ethereum", PositionName: "USDC Supply", DetailTypes: []string{"common"},
		PositionIndex: "0", Category: DeFiLending, Pool: json.RawMessage(`{}`), Portfolio: json.RawMessage(`{}`),
		TotalValue: price(52000), DebtValue: price(12000), NetValue: price(40000),
		PositionTimestamp: defiSampleTime, IsActive: true, Tags: []string{}, Notes: "",
	}}, page.Items)
	assert.Equal(t, 9, page.Total)
	assert.Equal(t, NoSummary{}, page.Summary)
	assert.False(t, page.HasNext(), "hasMore false")
	req := api.rec.last(t)
	assert.Equal(t, "/v1/defi", req.Path)
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"))
}

func TestDeFiTotalsDecodeTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	var wire defiWire
	wire.serve(api, "/v1/defi/", 200, golden(t, "defi.totals.json"))
	ctx := context.Background()
	want := &DeFiTotals{TotalBalance: 52000, Borrowed: 12000, EarnedRewards: 840, ConnectedProtocols: 4, BaseCurrency: "USD"}

	totals, err := api.user().DeFiTotals(ctx, DeFiTotalsParams{})
	require.NoError(t, err)
	assert.Equal(t, want, totals)
	assert.Equal(t, "/v1/defi/totals", wire.last(t).Path)
	assert.Empty(t, wire.last(t).RawQuery)

	totals, err = api.user().PortfolioDeFiTotals(ctx, "pf_main", DeFiTotalsParams{IncludeSpam: defiBool(true)})
	require.NoError(t, err)
	assert.Equal(t, want, totals)
	assert.Equal(t, "/v1/defi/portfolio/pf_main/totals", wire.last(t).Path)
	assert.Equal(t, "includeSpam=true", wire.last(t).RawQuery)

	_, err = api.user().PortfolioDeFiTotals(ctx, "", DeFiTotalsParams{})
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Len(t, api.rec.all(), 2, "the refused call sent nothing")
}

func TestDeFiTotalsWithoutDataAreMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"success":true,"data":null}`, `{"success":true}`} {
		api := newMockAPI(t)
		api.onData(http.MethodGet, "/v1/defi/totals", reply(200, body))
		_, err := api.user().DeFiTotals(context.Background(), DeFiTotalsParams{})
		require.ErrorIs(t, err, ErrMalformedResponse, body)
	}
}

// defiBool is a *bool for the params' optional flags.
func defiBool(v bool) *bool { return &v }

func TestListDeFiSendsEachFilter(t *testing.T) {
	t.Parallel()
	const empty = `{"success":true,"data":[],"totalCount":0,"offset":0,"limit":50,"hasMore":false}`
	tests := []struct {
		name      string
		portfolio string // "" for the workspace's list
		params    DeFiParams
		path      string
		query     url.Values
	}{
		{"no filter", "", DeFiParams{}, "/v1/defi", url.Values{"offset": {"0"}}},
		{"a category without a shortcut", "", DeFiParams{Category: DeFiVesting}, "/v1/defi",
			url.Values{"offset": {"0"}, "category": {"vesting"}}},
		{"staking goes to its shortcut", "", DeFiParams{Category: DeFiStaking}, "/v1/defi/staking", url.Values{"offset": {"0"}}},
		{"lending goes to its shortcut", "", DeFiParams{Category: DeFiLending}, "/v1/defi/lending", url.Values{"offset": {"0"}}},
		{"farming goes to its shortcut", "", DeFiParams{Category: DeFiFarming}, "/v1/defi/farming", url.Values{"offset": {"0"}}},
		{"every other filter", "", DeFiParams{
			Category: DeFiLeveragedFarming, DetailType: "locked", IntegrationID: "wallet-1", NetworkID: "base",
			Search: "Aave V3", IncludeSpam: defiBool(false), Offset: 20, Limit: 10,
		}, "/v1/defi", url.Values{
			"category": {"leveraged_farming"}, "detailType": {"locked"}, "integrationId": {"wallet-1"}, "networkId": {"base"},
			"search": {"Aave V3"}, "includeSpam": {"false"}, "offset": {"20"}, "limit": {"10"},
		}},
		{"a portfolio", "pf_main", DeFiParams{IncludeSpam: defiBool(true)}, "/v1/defi/portfolio/pf_main",
			url.Values{"offset": {"0"}, "includeSpam": {"true"}}},
		{"a portfolio's staking", "pf_main", DeFiParams{Category: DeFiStaking}, "/v1/defi/portfolio/pf_main/staking", url.Values{"offset": {"0"}}},
		{"a portfolio's lending", "pf_main", DeFiParams{Category: DeFiLending, NetworkID: "ethereum"}, "/v1/defi/portfolio/pf_main/lending",
			url.Values{"offset": {"0"}, "networkId": {"ethereum"}}},
		{"a portfolio's farming", "pf_main", DeFiParams{Category: DeFiFarming}, "/v1/defi/portfolio/pf_main/farming", url.Values{"offset": {"0"}}},
		{"a portfolio's other category", "pf_main", DeFiParams{Category: DeFiGovernance}, "/v1/defi/portfolio/pf_main",
			url.Values{"offset": {"0"}, "category": {"governance"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			var wire defiWire
			wire.serve(api, "/v1/defi", 200, empty)
			var err error
			if tt.portfolio == "" {
				_, err = api.user().ListDeFiPage(context.Background(), tt.params)
			} else {
				_, err = api.user().ListPortfolioDeFiPage(context.Background(), tt.portfolio, tt.params)
			}
			require.NoError(t, err)
			assert.Equal(t, tt.path, wire.last(t).Path)
			assert.Equal(t, tt.query, wire.last(t).Query())
		})
	}
}

func TestListDeFiFollowsThePages(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	pos := func(id string) string {
		return `{"id":"` + id + `","protocolId":"lido","category":"staking","positionIndex":"0","positionTimestamp":1721088000000,"tags":[]}`
	}
	// Iterating asks for the largest page; the server may send fewer.
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/defi/portfolio/pf_1/staking", "offset=0&limit=1000",
		reply(200, `{"success":true,"data":[`+pos("a")+`,`+pos("b")+`],"totalCount":3,"offset":0,"limit":2,"hasMore":true}`))
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/defi/portfolio/pf_1/staking", "offset=2&limit=1000",
		reply(200, `{"success":true,"data":[`+pos("c")+`],"totalCount":3,"offset":2,"limit":2,"hasMore":false}`))
	var ids []string
	for _, p := range collect(t, api.user().ListPortfolioDeFi(context.Background(), "pf_1", DeFiParams{Category: DeFiStaking})) {
		ids = append(ids, p.ID)
		assert.Equal(t, DeFiStaking, p.Category)
	}
	assert.Equal(t, []string{"a", "b", "c"}, ids)
	assert.Equal(t, 2, api.rec.count())
}

func TestListDeFiRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	ctx := context.Background()
	for _, p := range []DeFiParams{
		{Category: "yield"}, {Category: "Lending"}, {Limit: 1001}, {Limit: -1}, {Offset: -1},
		{IntegrationID: "wallet 1"}, {NetworkID: "base\n"},
	} {
		_, err := api.user().ListDeFiPage(ctx, p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		var pe *ParamError
		require.True(t, errors.As(err, &pe), "%+v", p)
		for _, err := range api.user().ListDeFi(ctx, p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		}
		_, err = api.user().ListPortfolioDeFiPage(ctx, "pf_main", p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
	}
	for _, id := range []string{"", "../pf", "pf/1", "pf 1"} {
		_, err := api.user().ListPortfolioDeFiPage(ctx, id, DeFiParams{})
		require.ErrorIs(t, err, ErrInvalidParams, "%q", id)
		for _, err := range api.user().ListPortfolioDeFi(ctx, id, DeFiParams{Category: DeFiLending}) {
			require.ErrorIs(t, err, ErrInvalidParams, "%q", id)
			assert.Contains(t, err.Error(), "ListPortfolioDeFiLending", "the error names the operation")
		}
	}
	_, err := api.user().DeFiNetworks(ctx, DeFiNetworksParams{IntegrationID: "a b"})
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 0, api.rec.count())
}

func TestDeFiCategoriesAreTheDocumentedEighteen(t *testing.T) {
	t.Parallel()
	all := DeFiCategories()
	require.Len(t, all, 18)
	seen := map[DeFiCategory]bool{}
	for _, c := range all {
		assert.True(t, c.Known(), c)
		assert.False(t, seen[c], "%s twice", c)
		seen[c] = true
	}
	assert.False(t, DeFiCategory("yield").Known())
	assert.False(t, DeFiCategory("").Known())
}

func TestDeFiErrorsKeepTheirCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		body     string
		sentinel error
		code     string
		message  string
	}{
		{"a category the API refuses", 400,
			`{"success":false,"error":"Validation failed","code":"VALIDATION_ERROR","details":{"issues":[{"path":["category"],"message":"invalid"}]}}`,
			ErrValidation, "VALIDATION_ERROR", "Validation failed"},
		{"a grant without the scope", 403, golden(t, "error.insufficient_scope.json"),
			ErrInsufficientScope, "insufficient_scope", "Missing: portfolios:read"},
		{"an unknown portfolio", 404, golden(t, "error.wrapped.json"), ErrNotFound, "NOT_FOUND", "Integration not found"},
		{"another workspace", 403, `{"error":"forbidden","error_description":"the token is bound to another workspace"}`,
			ErrForbidden, "forbidden", "the token is bound to another workspace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			var wire defiWire
			wire.serve(api, "/v1/defi", tt.status, tt.body)
			ctx := context.Background()
			_, pageErr := api.user().ListPortfolioDeFiPage(ctx, "pf_x", DeFiParams{})
			_, totalsErr := api.user().DeFiTotals(ctx, DeFiTotalsParams{})
			_, networksErr := api.user().DeFiNetworks(ctx, DeFiNetworksParams{})
			for _, err := range []error{pageErr, totalsErr, networksErr} {
				require.ErrorIs(t, err, tt.sentinel)
				var apiErr *Error
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.status, apiErr.StatusCode)
				assert.Equal(t, tt.code, apiErr.Code)
				assert.Equal(t, tt.message, apiErr.Message)
			}
		})
	}
}

func TestDeFiNetworksDecodeTheirList(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	var wire defiWire
	wire.serve(api, "/v1/defi/networks", 200, `{"success":true,"data":[
		{"providerId":"ethereum","name":"Ethereum","logoUrl":"https://x/eth.png","walletCount":2},
		{"providerId":"base","name":"Base","logoUrl":"https://x/base.png","walletCount":1}]}`)
	ctx := context.Background()
	networks, err := api.user().DeFiNetworks(ctx, DeFiNetworksParams{IntegrationID: "wallet-1", IncludeSpam: defiBool(true)})
	require.NoError(t, err)
	assert.Equal(t, []DeFiNetwork{
		{ProviderID: "ethereum", Name: "Ethereum", LogoURL: "https://x/eth.png", WalletCount: 2},
		{ProviderID: "base", Name: "Base", LogoURL: "https://x/base.png", WalletCount: 1},
	}, networks)
	assert.Equal(t, url.Values{"integrationId": {"wallet-1"}, "includeSpam": {"true"}}, wire.last(t).Query())

	api.onData(http.MethodGet, "/v1/defi/networks", reply(200, `{"success":true,"data":[]}`))
	networks, err = api.user().DeFiNetworks(ctx, DeFiNetworksParams{})
	require.NoError(t, err)
	assert.NotNil(t, networks)
	assert.Empty(t, networks)

	api.onData(http.MethodGet, "/v1/defi/networks", reply(200, `{"success":true,"data":null}`))
	_, err = api.user().DeFiNetworks(ctx, DeFiNetworksParams{})
	require.ErrorIs(t, err, ErrMalformedResponse)
}

func TestADeFiPositionReadsWhatTheDocsLeaveOpen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		want func(*DeFiPosition)
	}{
		{"no debt: debtValue left out", `{"id":"d"}`, func(p *DeFiPosition) {}},
		{"no debt: debtValue null", `{"id":"d","debtValue":null,"notes":null,"tags":null}`, func(p *DeFiPosition) {}},
		{"a numeric positionIndex keeps its text", `{"id":"d","positionIndex":812345}`,
			func(p *DeFiPosition) { p.PositionIndex = "812345" }},
		{"tags of any type", `{"id":"d","tags":["spam",{"k":1},2]}`,
			func(p *DeFiPosition) { p.Tags = []string{"spam", `{"k":1}`, "2"} }},
		{"notes, a time as RFC 3339, an unknown category", `{"id":"d","notes":"n","positionTimestamp":"2024-07-16T00:00:00Z","category":"restaking"}`,
			func(p *DeFiPosition) { p.Notes, p.PositionTimestamp, p.Category = "n", defiSampleTime, "restaking" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got DeFiPosition
			require.NoError(t, json.Unmarshal([]byte(tt.json), &got))
			want := DeFiPosition{ID: "d"}
			tt.want(&want)
			assert.Equal(t, want, got)
			assert.Nil(t, got.DebtValue)
		})
	}
	var p DeFiPosition
	for _, bad := range []string{`{"positionIndex":true}`, `{"tags":"spam"}`, `{"positionTimestamp":"soon"}`} {
		assert.Error(t, json.Unmarshal([]byte(bad), &p), bad)
	}
}
