package kryptos

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListLedgersDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/ledgers", reply(200, golden(t, "ledgers.list.json")))
	page, err := api.user().ListLedgersPage(context.Background(), LedgersParams{})
	require.NoError(t, err)

	at := time.UnixMilli(1721088000000).UTC()
	value := 3200.0
	assert.Equal(t, []Ledger{{
		ID: "led_31c9", TransactionID: "8f14e45f-ceea-467a-9a3b-1c2f0d7e5a91", WorkspaceID: "ws_12ab",
		Type: LedgerOutgoing, AssetID: "a3f1c8e0-9d42-4b17-8c55-6e0b2f7a1d34", AssetRaw: map[string]any{"symbol": "USDC"},
		Quantity: MustDecimal("3200.000000"), BaseCurrency: "USD",
		Price: &Price{Price: 1, BaseCurrency: "USD", Timestamp: at, Source: "cmc"},
		Value: &value, Timestamp: at, WalletID: "int_9f2c", SyncID: "sync_7712",
		FromAccount: &Account{Provider: "binance", WalletID: "int_9f2c"}, ToAccount: nil,
		Label: "Sell", Description: "", InternalLabel: "", IsEdited: false,
		BeforeBalance: MustDecimal("5000.000000"), AfterBalance: MustDecimal("1800.000000"),
		CostBasis: MustDecimal("3200.00"), Proceeds: MustDecimal("3200.00"), Profit: MustDecimal("0.00"),
		Asset: &LegAsset{Symbol: "USDC", Name: "USD Coin", LogoURL: "https://...", Type: "stablecoin"},
	}}, page.Items)
	assert.Equal(t, "0.00", page.Items[0].Profit.String(), "a computed zero is kept, and is not null")
	stored, err := json.Marshal(page.Items[0])
	require.NoError(t, err)
	var back Ledger
	require.NoError(t, json.Unmarshal(stored, &back))
	assert.Equal(t, page.Items[0], back, "a ledger entry kept as JSON reads back the same")
	assert.True(t, page.Items[0].Profit.Valid())
	assert.Equal(t, 4821, page.Total)
	assert.True(t, page.HasNext(), "no hasMore: 1 of 4821 read")
	assert.Equal(t, "/v1/ledgers", api.rec.last(t).Path)
}

func TestLedgersNotYetProcessedHaveNullAmounts(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/ledgers/led_1", reply(200, `{"data":{"id":"led_1","type":"incoming","quantity":"1e3",
		"price":null,"value":null,"timestamp":1721088000000,"beforeBalance":null,"afterBalance":null,
		"costbasis":null,"proceeds":null,"profit":null,"debitCoaCode":"1000","creditCoaCode":"4000","isDebitCoaEdited":true,
		"type2":"ignored"}}`))
	l, err := api.user().GetLedger(context.Background(), "led_1")
	require.NoError(t, err)
	assert.Equal(t, &Ledger{ID: "led_1", Type: LedgerIncoming, Quantity: MustDecimal("1e3"),
		Timestamp: time.UnixMilli(1721088000000).UTC(), DebitCoaCode: "1000", CreditCoaCode: "4000", IsDebitCoaEdited: true}, l)
	for _, d := range []Decimal{l.BeforeBalance, l.AfterBalance, l.CostBasis, l.Proceeds, l.Profit} {
		assert.False(t, d.Valid(), "null: not computed yet")
	}
}

// TestListLedgersStopsAtTheTotal: the ledgers' meta has no hasMore, so the
// list ends when offset + len(data) reaches meta.total, without asking for
// an empty page.
func TestListLedgersStopsAtTheTotal(t *testing.T) {
	t.Parallel()
	led := func(id string) string {
		return `{"id":"` + id + `","type":"fee","quantity":"1","timestamp":1721088000000}`
	}
	cases := []struct {
		name  string
		pages []string // the data of each page of 2
		total int
		calls int
	}{
		{"a short last page", []string{led("a") + "," + led("b"), led("c")}, 3, 2},
		{"a full last page", []string{led("a") + "," + led("b"), led("c") + "," + led("d")}, 4, 2},
		{"one page", []string{led("a")}, 1, 1},
		{"nothing", []string{""}, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			for i, data := range tc.pages {
				offset := strconv.Itoa(2 * i)
				api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/ledgers",
					url.Values{"types": {"fee"}, "offset": {offset}, "limit": {"2"}},
					reply(200, `{"data":[`+data+`],"meta":{"total":`+strconv.Itoa(tc.total)+`,"limit":2,"offset":`+offset+`}}`))
			}
			got := collect(t, api.user().ListLedgers(context.Background(), LedgersParams{Types: []LedgerType{LedgerFee}, Limit: 2}))
			assert.Len(t, got, tc.total)
			assert.Equal(t, tc.calls, api.rec.count())
		})
	}
}

func TestLedgersParamsReachTheWire(t *testing.T) {
	t.Parallel()
	yes := true
	start := time.UnixMilli(1721088000000)
	cases := []struct {
		name string
		p    LedgersParams
		want url.Values
	}{
		{"nothing", LedgersParams{}, url.Values{}},
		{"lists", LedgersParams{TransactionIDs: []string{"t1", "t2"}, AssetIDs: []string{"a1"}, Types: []LedgerType{LedgerIncoming, LedgerFee},
			Providers: []string{"binance", "coinbase"}},
			url.Values{"transactionIds": {"t1,t2"}, "assetIds": {"a1"}, "types": {"incoming,fee"}, "providers": {"binance,coinbase"}}},
		{"flags", LedgersParams{HasMissingPrice: &yes, HasMissingAsset: &yes},
			url.Values{"hasMissingPrice": {"true"}, "hasMissingAsset": {"true"}}},
		{"time range", LedgersParams{StartTime: start, EndTime: start.Add(time.Millisecond)},
			url.Values{"startTime": {"1721088000000"}, "endTime": {"1721088000001"}}},
		// Decimal strings go out exactly as written: never through a float.
		{"balances below zero", LedgersParams{AfterBalanceBelow: MustDecimal("-0.000001")}, url.Values{"ltAfterBalance": {"-0.000001"}}},
		{"balances above", LedgersParams{AfterBalanceAbove: MustDecimal("1e3"), AfterBalanceBelow: MustDecimal("0.100000000000000000001")},
			url.Values{"gtAfterBalance": {"1e3"}, "ltAfterBalance": {"0.100000000000000000001"}}},
		{"zero is a bound", LedgersParams{AfterBalanceBelow: MustDecimal("0")}, url.Values{"ltAfterBalance": {"0"}}},
		{"sort", LedgersParams{SortBy: SortLedgersByCreatedAt, Ascending: true}, url.Values{"sortBy": {"createdAt"}, "sortOrder": {"asc"}}},
		{"paging", LedgersParams{Offset: 50, Limit: 25}, url.Values{"offset": {"50"}, "limit": {"25"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			var rec queryRecorder
			api.onData(http.MethodGet, "/v1/ledgers", rec.responder(200, `{"data":[],"meta":{"total":0,"limit":50,"offset":0}}`))
			_, err := api.user().ListLedgersPage(context.Background(), tc.p)
			require.NoError(t, err)
			want := tc.want
			if want.Get("offset") == "" {
				want.Set("offset", "0")
			}
			assert.Equal(t, want, rec.query(t))
		})
	}
}

func TestListLedgersRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	now := time.Now()
	cases := []struct {
		field string
		p     LedgersParams
	}{
		{"params.Limit", LedgersParams{Limit: 201}},
		{"params.Offset", LedgersParams{Offset: -5}},
		{"params.Types", LedgersParams{Types: []LedgerType{"incomming"}}},
		{"params.transactionIds", LedgersParams{TransactionIDs: []string{"a,b"}}},
		{"params.sortBy", LedgersParams{SortBy: "value"}},
		{"params.EndTime", LedgersParams{StartTime: now, EndTime: now.Add(-time.Hour)}},
	}
	for _, tc := range cases {
		_, err := api.user().ListLedgersPage(context.Background(), tc.p)
		var pe *ParamError
		require.ErrorAs(t, err, &pe, tc.field)
		assert.Equal(t, tc.field, pe.Field)
		for _, err := range api.user().ListLedgers(context.Background(), tc.p) {
			require.ErrorIs(t, err, ErrInvalidParams, tc.field)
		}
	}
	_, err := api.user().GetLedger(context.Background(), "a/b")
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 0, api.rec.count())
}

func TestGetLedgerNotFoundKeepsTheNestedCode(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/ledgers/led_gone", reply(404, `{"error":{"code":"NOT_FOUND","message":"Ledger not found"}}`))
	api.onData(http.MethodGet, "/v1/ledgers/led_empty", reply(200, `{"data":{}}`))
	_, err := api.user().GetLedger(context.Background(), "led_gone")
	require.ErrorIs(t, err, ErrNotFound)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "NOT_FOUND", apiErr.Code)
	assert.Equal(t, "Ledger not found", apiErr.Message)
	_, err = api.user().GetLedger(context.Background(), "led_empty")
	require.ErrorIs(t, err, ErrMalformedResponse, "an entry without an id")
}
