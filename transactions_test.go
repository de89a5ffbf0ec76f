package kryptos

import (
	"context"
	"encoding/json"
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

// queryRecorder answers every request of a route with one body and keeps
// the query string of the last one.
type queryRecorder struct {
	mu   sync.Mutex
	last url.Values
	n    int
}

func (r *queryRecorder) responder(status int, body string) httpmock.Responder {
	answer := reply(status, body)
	return func(req *http.Request) (*http.Response, error) {
		r.mu.Lock()
		r.last, r.n = req.URL.Query(), r.n+1
		r.mu.Unlock()
		return answer(req)
	}
}

func (r *queryRecorder) query(t *testing.T) url.Values {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.Positive(t, r.n, "no request reached the route")
	return r.last
}

func TestListTransactionsDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/transactions", reply(200, golden(t, "transactions.list.json")))
	page, err := api.user().ListTransactionsPage(context.Background(), TransactionsParams{})
	require.NoError(t, err)

	at := time.UnixMilli(1721088000000).UTC()
	fiat, value := 3200.0, 3200.0
	assert.Equal(t, []Transaction{{
		ID: "8f14e45f-ceea-467a-9a3b-1c2f0d7e5a91", WorkspaceID: "ws_12ab", TransactionPlatformID: "0x9c2f...",
		Timestamp: at, Type: TransactionTrade, Label: "Trade", Description: "Swap USDC for ETH", Notes: "",
		ImportSource: ImportSource{Type: SourceAPI, ImportedAt: time.UnixMilli(1721088300000).UTC(), WalletID: "int_9f2c",
			SyncID: "sync_7712", FunctionName: "fetchTrades"},
		IsManual: false, IsEdited: false, IsDeFi: false, IsNFT: false, IsMissingTransaction: false, Protocol: nil,
		Tags: []string{}, Comments: []TransactionComment{},
		NetValue:       NetValue{FiatValue: &fiat, Currency: "USD"},
		TotalCostBasis: 3100, TotalGains: 100,
		ExplorerLink: "https://etherscan.io/tx/0x9c2f...", ExplorerLinkSrc: "sender",
		IsMerged: false, Merged: nil, IsSplit: false,
		Incoming: []Leg{{
			ID: "led_31c9", AssetID: "a3f1c8e0-9d42-4b17-8c55-6e0b2f7a1d34", AssetRaw: map[string]any{"symbol": "ETH"},
			Quantity: MustDecimal("1.000000000000000000"), BaseCurrency: "USD",
			Price: &Price{Price: 3200, BaseCurrency: "USD", Timestamp: at, Source: "cmc"},
			Value: &value, FromAccount: nil, ToAccount: &Account{Provider: "binance", WalletID: "int_9f2c"},
			Label: "Buy", Asset: &LegAsset{Symbol: "ETH", Name: "Ethereum", LogoURL: "https://...", Type: "crypto"},
		}},
		Outgoing: []Leg{}, Fees: []Leg{},
	}}, page.Items)
	assert.Equal(t, "1.000000000000000000", page.Items[0].Incoming[0].Quantity.String(), "the quantity's text is kept exactly")
	// A transaction kept as JSON (a cache, a queue) reads back the same.
	stored, err := json.Marshal(page.Items[0])
	require.NoError(t, err)
	var back Transaction
	require.NoError(t, json.Unmarshal(stored, &back))
	assert.Equal(t, page.Items[0], back)
	assert.Nil(t, page.Items[0].CoaJournal, "absent outside enterprise workspaces")
	assert.Equal(t, 1284, page.Total)
	assert.True(t, page.HasNext(), "hasMore true")
	req := api.rec.last(t)
	assert.Equal(t, "/v1/transactions", req.Path)
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"))
}

// TestTransactionsParamsReachTheWire: each documented filter is sent under
// its documented name, in its documented encoding.
func TestTransactionsParamsReachTheWire(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	lo, hi, gains := 10.5, 2500.0, -3.25
	start := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	end := start.Add(24 * time.Hour)
	cases := []struct {
		name string
		p    TransactionsParams
		want url.Values
	}{
		{"nothing", TransactionsParams{}, url.Values{"offset": {"0"}}},
		{"labels and their twin", TransactionsParams{Labels: []string{"Buy", "Staking Reward"}, NotLabels: []string{"Spam"}},
			url.Values{"labels": {"Buy,Staking Reward"}, "notLabels": {"Spam"}}},
		{"types", TransactionsParams{Types: []TransactionType{TransactionDeposit, TransactionWithdrawal}, NotTypes: []TransactionType{TransactionTrade}},
			url.Values{"types": {"deposit,withdrawal"}, "notTypes": {"trade"}}},
		{"wallets", TransactionsParams{WalletIDs: []string{"int_1", "int_2"}, NotWalletIDs: []string{"int_3"}},
			url.Values{"walletIds": {"int_1,int_2"}, "notWalletIds": {"int_3"}}},
		{"assets", TransactionsParams{AssetIDs: []string{"a1"}, NotAssetIDs: []string{"a2", "a3"}},
			url.Values{"assetIds": {"a1"}, "notAssetIds": {"a2,a3"}}},
		{"providers", TransactionsParams{Providers: []string{"binance"}, NotProviders: []string{"kraken"}},
			url.Values{"providers": {"binance"}, "notProviders": {"kraken"}}},
		{"import sources", TransactionsParams{ImportSourceTypes: []ImportSourceType{SourceAPI, SourceCSV}, NotImportSourceTypes: []ImportSourceType{SourceManual}},
			url.Values{"importSourceTypes": {"API,CSV"}, "notImportSourceTypes": {"Manual"}}},
		{"ledger types", TransactionsParams{LedgerTypes: []LedgerType{LedgerFee}, NotLedgerTypes: []LedgerType{LedgerIncoming, LedgerOutgoing}},
			url.Values{"ledgerTypes": {"fee"}, "notLedgerTypes": {"incoming,outgoing"}}},
		{"tags", TransactionsParams{Tags: []string{"tax"}, NotTags: []string{"ignore me"}},
			url.Values{"tags": {"tax"}, "notTags": {"ignore me"}}},
		{"addresses", TransactionsParams{FromAddresses: []string{"0xa"}, NotFromAddresses: []string{"0xb"}, ToAddresses: []string{"0xc"},
			NotToAddresses: []string{"0xd"}, Addresses: []string{"0xe", "0xf"}},
			url.Values{"fromAddresses": {"0xa"}, "notFromAddresses": {"0xb"}, "toAddresses": {"0xc"}, "notToAddresses": {"0xd"}, "addresses": {"0xe,0xf"}}},
		{"kind flags", TransactionsParams{IsDeFi: &yes, IsNFT: &no, IsManual: &yes, IsEdited: &no},
			url.Values{"isDefiTrx": {"true"}, "isNFTTrx": {"false"}, "isManual": {"true"}, "isEdited": {"false"}}},
		{"inclusion flags", TransactionsParams{IncludeSpam: &yes, IncludeIgnored: &yes},
			url.Values{"includeSpam": {"true"}, "includeIgnored": {"true"}}},
		{"problem flags", TransactionsParams{HasMissingPrice: &yes, HasMissingAsset: &no, IsMissingTransaction: &yes},
			url.Values{"hasMissingPrice": {"true"}, "hasMissingAsset": {"false"}, "isMissingTransaction": {"true"}}},
		{"review flags, the uncategorised recipe", TransactionsParams{Types: []TransactionType{TransactionDeposit, TransactionWithdrawal},
			Labels: []string{"Deposit", "Withdrawal"}, IsUncategorisedIgnored: &no, IsHighPnLReviewed: &no, IsMissingPriceIgnored: &yes},
			url.Values{"types": {"deposit,withdrawal"}, "labels": {"Deposit,Withdrawal"}, "isUncategorisedIgnored": {"false"},
				"isHighPnLReviewed": {"false"}, "isMissingPriceIgnored": {"true"}}},
		{"time range in Unix ms", TransactionsParams{StartTime: start, EndTime: end},
			url.Values{"startTime": {"1767323045006"}, "endTime": {"1767409445006"}}},
		{"amounts", TransactionsParams{MinValue: &lo, MaxValue: &hi, MinTotalGains: &gains},
			url.Values{"minValue": {"10.5"}, "maxValue": {"2500"}, "minTotalGains": {"-3.25"}}},
		{"search and COA", TransactionsParams{Search: "swap eth", CoaTagStatus: CoaPartial, CoaSyncStatus: CoaUnsynced},
			url.Values{"search": {"swap eth"}, "coaTagStatus": {"partial"}, "coaSyncStatus": {"unsynced"}}},
		{"sort", TransactionsParams{SortBy: SortTransactionsByTotalGains, Ascending: true},
			url.Values{"sortBy": {"totalGains"}, "sortOrder": {"asc"}}},
		{"descending is the default and is not sent", TransactionsParams{SortBy: SortTransactionsByCreatedAt},
			url.Values{"sortBy": {"createdAt"}}},
		{"paging", TransactionsParams{Offset: 400, Limit: 200}, url.Values{"offset": {"400"}, "limit": {"200"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			var rec queryRecorder
			api.onData(http.MethodGet, "/v1/transactions", rec.responder(200, `{"data":[],"meta":{"limit":50,"offset":0,"hasMore":false,"total":0}}`))
			page, err := api.user().ListTransactionsPage(context.Background(), tc.p)
			require.NoError(t, err)
			assert.Empty(t, page.Items)
			want := tc.want
			if want.Get("offset") == "" {
				want.Set("offset", "0")
			}
			assert.Equal(t, want, rec.query(t))
		})
	}
}

func TestListTransactionsFollowsThePagesAndAsksForTheLargestOnes(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	tx := func(id string) string {
		return `{"id":"` + id + `","timestamp":1721088000000,"type":"deposit","label":"Deposit","incomingAssets":[],"outgoingAssets":[],"fee":[]}`
	}
	url := DefaultDataURL + "/v1/transactions"
	api.mock.RegisterResponderWithQuery(http.MethodGet, url, "labels=Deposit&offset=0&limit=200",
		reply(200, `{"data":[`+tx("a")+`,`+tx("b")+`],"meta":{"limit":200,"offset":0,"hasMore":true,"total":3}}`))
	api.mock.RegisterResponderWithQuery(http.MethodGet, url, "labels=Deposit&offset=2&limit=200",
		reply(200, `{"data":[`+tx("c")+`],"meta":{"limit":200,"offset":2,"hasMore":false,"total":3}}`))
	got := collect(t, api.user().ListTransactions(context.Background(), TransactionsParams{Labels: []string{"Deposit"}}))
	require.Len(t, got, 3)
	assert.Equal(t, []string{"a", "b", "c"}, []string{got[0].ID, got[1].ID, got[2].ID})
	assert.Equal(t, TransactionDeposit, got[2].Type)
	assert.Equal(t, time.UnixMilli(1721088000000).UTC(), got[2].Timestamp)
	assert.Equal(t, 2, api.rec.count(), "two pages, the second offset by what the first held")

	// A loop that stops early fetches no further page.
	for range api.user().ListTransactions(context.Background(), TransactionsParams{Labels: []string{"Deposit"}}) {
		break
	}
	assert.Equal(t, 3, api.rec.count())
}

func TestListTransactionsRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	nan, lo, hi := math.NaN(), 10.0, 5.0
	now := time.Now()
	cases := []struct {
		field string
		p     TransactionsParams
	}{
		{"params.Limit", TransactionsParams{Limit: 201}},
		{"params.Limit", TransactionsParams{Limit: -1}},
		{"params.Offset", TransactionsParams{Offset: -1}},
		{"params.labels", TransactionsParams{Labels: []string{"Buy,Sell"}}},
		{"params.notTags", TransactionsParams{NotTags: []string{""}}},
		{"params.Types", TransactionsParams{Types: []TransactionType{"trades"}}},
		{"params.NotImportSourceTypes", TransactionsParams{NotImportSourceTypes: []ImportSourceType{"api"}}},
		{"params.LedgerTypes", TransactionsParams{LedgerTypes: []LedgerType{"in"}}},
		{"params.sortBy", TransactionsParams{SortBy: "value"}},
		{"params.coaTagStatus", TransactionsParams{CoaTagStatus: "done"}},
		{"params.coaSyncStatus", TransactionsParams{CoaSyncStatus: "yes"}},
		{"params.EndTime", TransactionsParams{StartTime: now, EndTime: now.Add(-time.Second)}},
		{"params.StartTime", TransactionsParams{StartTime: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"params.MinValue", TransactionsParams{MinValue: &nan}},
		{"params.MinValue", TransactionsParams{MinValue: &lo, MaxValue: &hi}},
		{"params.search", TransactionsParams{Search: string(make([]byte, maxTextBytes+1))}},
	}
	for _, tc := range cases {
		_, err := api.user().ListTransactionsPage(context.Background(), tc.p)
		require.ErrorIs(t, err, ErrInvalidParams, tc.field)
		var pe *ParamError
		require.ErrorAs(t, err, &pe, tc.field)
		assert.Equal(t, tc.field, pe.Field)
		for _, err := range api.user().ListTransactions(context.Background(), tc.p) {
			require.ErrorIs(t, err, ErrInvalidParams, tc.field)
		}
	}
	_, err := api.user().GetTransaction(context.Background(), "../x")
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = api.user().GetTransactionLedgers(context.Background(), "")
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 0, api.rec.count(), "nothing was sent")
}

func TestGetTransactionAndItsLedgers(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	ctx := context.Background()
	const id = "8f14e45f-ceea-467a-9a3b-1c2f0d7e5a91"
	one := `{"id":"` + id + `","timestamp":"2024-07-16T00:00:00.000Z","type":null,"label":"Airdrop","notes":"mine",
		"importSource":{"type":"CSV","importedAt":1721088300000,"walletId":"int_csv","csvLink":"https://files/x.csv","syncId":null,"functionName":null},
		"protocol":{"name":"Uniswap","version":3},"tags":["tax"],
		"comments":[{"id":"c1","text":"checked","timestamp":1721088000000,"author":"ana"},{"id":"c2","text":"ok","timestamp":"2024-07-16T00:00:00Z","author":{"id":"u1"}}],
		"netValue":{"fiatValue":null,"currency":"EUR"},"totalCostbasis":0,"totalGains":0,"explorerLink":null,"explorerLinkSrc":null,
		"isMergedTrx":true,"trxsMerged":["t1",{"id":"t2"}],"isSplitted":true,
		"incomingAssets":[{"id":"led_1","assetId":null,"assetRaw":{"symbol":"XYZ","contract":"0x1"},"quantity":"5","baseCurrency":"EUR","price":null,"value":null,"fromAccount":null,"toAccount":{"provider":"csv","walletId":"int_csv"},"label":"Airdrop","description":"got XYZ","internalLabel":"airdrop","asset":null}],
		"outgoingAssets":[],"fee":[{"id":"led_2","assetId":"a1","assetRaw":{},"quantity":"0.000000000000000001","baseCurrency":"EUR","price":null,"value":null,"fromAccount":{"provider":"csv","walletId":"int_csv"},"toAccount":null,"label":"Fee"}],
		"coaJournal":{"lines":[{"account":"1000","debit":"5"}]},"coaStatus":{"tag":"tagged"}}`
	api.onData(http.MethodGet, "/v1/transactions/"+id, reply(200, `{"data":`+one+`}`))
	api.onData(http.MethodGet, "/v1/transactions/"+id+"/ledgers", reply(200, `{"data":[{"id":"led_1","quantity":"5","label":"Airdrop"},{"id":"led_2","quantity":"0.000000000000000001","label":"Fee"}]}`))
	api.onData(http.MethodGet, "/v1/transactions/gone", reply(404, golden(t, "error.nested.json")))
	api.onData(http.MethodGet, "/v1/transactions/gone/ledgers", reply(404, golden(t, "error.nested.json")))

	tx, err := api.user().GetTransaction(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, TransactionType(""), tx.Type, "null: the label maps to no type")
	assert.Equal(t, time.Date(2024, 7, 16, 0, 0, 0, 0, time.UTC), tx.Timestamp.UTC(), "an RFC 3339 timestamp is read too")
	assert.Equal(t, ImportSource{Type: SourceCSV, ImportedAt: time.UnixMilli(1721088300000).UTC(), WalletID: "int_csv", CSVLink: "https://files/x.csv"}, tx.ImportSource)
	assert.Equal(t, map[string]any{"name": "Uniswap", "version": float64(3)}, tx.Protocol)
	assert.Equal(t, []string{"tax"}, tx.Tags)
	assert.Equal(t, []TransactionComment{
		{ID: "c1", Text: "checked", Timestamp: time.UnixMilli(1721088000000).UTC(), Author: "ana"},
		{ID: "c2", Text: "ok", Timestamp: tx.Comments[1].Timestamp, Author: `{"id":"u1"}`},
	}, tx.Comments)
	assert.True(t, tx.Comments[1].Timestamp.Equal(time.UnixMilli(1721088000000)))
	assert.Equal(t, NetValue{Currency: "EUR"}, tx.NetValue, "null fiat value: unpriced, not 0")
	assert.True(t, tx.IsMerged)
	assert.True(t, tx.IsSplit)
	assert.Equal(t, jsonRaw(`"t1"`, `{"id":"t2"}`), tx.Merged)
	assert.JSONEq(t, `{"lines":[{"account":"1000","debit":"5"}]}`, string(tx.CoaJournal))
	assert.JSONEq(t, `{"tag":"tagged"}`, string(tx.CoaStatus))
	assert.Equal(t, Leg{ID: "led_1", AssetRaw: map[string]any{"symbol": "XYZ", "contract": "0x1"}, Quantity: MustDecimal("5"),
		BaseCurrency: "EUR", ToAccount: &Account{Provider: "csv", WalletID: "int_csv"}, Label: "Airdrop", Description: "got XYZ",
		InternalLabel: "airdrop"}, tx.Incoming[0])
	assert.Equal(t, "0.000000000000000001", tx.Fees[0].Quantity.String())
	assert.Equal(t, []string{"led_1", "led_2"}, []string{tx.Legs()[0].ID, tx.Legs()[1].ID})

	legs, err := api.user().GetTransactionLedgers(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, []Leg{{ID: "led_1", Quantity: MustDecimal("5"), Label: "Airdrop"},
		{ID: "led_2", Quantity: MustDecimal("0.000000000000000001"), Label: "Fee"}}, legs)
	assert.Equal(t, "/v1/transactions/"+id+"/ledgers", api.rec.last(t).Path)

	for _, call := range []func() error{
		func() error { _, err := api.user().GetTransaction(ctx, "gone"); return err },
		func() error { _, err := api.user().GetTransactionLedgers(ctx, "gone"); return err },
	} {
		err := call()
		require.ErrorIs(t, err, ErrNotFound)
		var apiErr *Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 404, apiErr.StatusCode)
		assert.Equal(t, "NOT_FOUND", apiErr.Code, "the nested code is kept")
		assert.Equal(t, "Transaction not found", apiErr.Message)
	}

	api.onData(http.MethodGet, "/v1/transactions/empty", reply(200, `{"data":null}`))
	api.onData(http.MethodGet, "/v1/transactions/empty/ledgers", reply(200, `{}`))
	_, err = api.user().GetTransaction(ctx, "empty")
	require.ErrorIs(t, err, ErrMalformedResponse)
	_, err = api.user().GetTransactionLedgers(ctx, "empty")
	require.ErrorIs(t, err, ErrMalformedResponse)
	api.onData(http.MethodGet, "/v1/transactions/none/ledgers", reply(200, `{"data":[]}`))
	legs, err = api.user().GetTransactionLedgers(ctx, "none")
	require.NoError(t, err)
	assert.Empty(t, legs)
}

// TestTransactionErrorsKeepTheirShape: the family's nested errors, and the
// OAuth-style refusals every data endpoint shares, decode into *Error with
// the code intact.
func TestTransactionErrorsKeepTheirShape(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		status    int
		body      string
		sentinel  error
		code, msg string
		attempts  int
	}{
		{"nested internal error (a 500 is not retried)", 500, `{"error":{"code":"INTERNAL_ERROR","message":"Internal server error"}}`, ErrInternal, "INTERNAL_ERROR", "Internal server error", 1},
		{"nested validation error", 400, `{"error":{"code":"VALIDATION_ERROR","message":"limit must be from 1 to 200"}}`, ErrValidation, "VALIDATION_ERROR", "limit must be from 1 to 200", 1},
		{"missing scope", 403, golden(t, "error.insufficient_scope.json"), ErrInsufficientScope, "insufficient_scope", "Missing: portfolios:read", 1},
		{"another workspace", 403, `{"error":"forbidden","error_description":"the token is bound to another workspace"}`, ErrForbidden, "forbidden", "the token is bound to another workspace", 1},
		{"no token", 401, `{"error":"unauthorized","error_description":"a bearer access token is required"}`, ErrUnauthorized, "unauthorized", "a bearer access token is required", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.onData(http.MethodGet, "/v1/transactions", reply(tc.status, tc.body))
			_, err := api.user().ListTransactionsPage(context.Background(), TransactionsParams{})
			require.ErrorIs(t, err, tc.sentinel)
			var apiErr *Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.Equal(t, tc.code, apiErr.Code)
			assert.Equal(t, tc.msg, apiErr.Message)
			assert.Equal(t, tc.attempts, api.rec.count())
		})
	}
}

func TestTransactionCountsKeepWhatTheyDoNotKnow(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	ctx := context.Background()
	api.onData(http.MethodGet, "/v1/transactions/counts", reply(200,
		`{"data":{"total":12,"byLabel":{"Trade":7,"Spam":5},"byType":{"trade":7,"deposit":5},"byProvider":{"binance":12},"labels":[{"label":"Trade","count":7}]}}`))
	counts, err := api.user().TransactionCounts(ctx)
	require.NoError(t, err)
	assert.Equal(t, &TransactionCounts{
		Total:   12,
		ByLabel: map[string]int{"Trade": 7, "Spam": 5},
		ByType:  map[TransactionType]int{TransactionTrade: 7, TransactionDeposit: 5},
		Extra: map[string]json.RawMessage{
			"byProvider": json.RawMessage(`{"binance":12}`),
			"labels":     json.RawMessage(`[{"label":"Trade","count":7}]`),
		},
	}, counts)
	assert.Equal(t, "/v1/transactions/counts", api.rec.last(t).Path)

	api.onData(http.MethodGet, "/v1/transactions/counts", reply(200, `{"data":{"Trade":7}}`))
	counts, err = api.user().TransactionCounts(ctx)
	require.NoError(t, err)
	assert.Equal(t, &TransactionCounts{Total: -1, Extra: map[string]json.RawMessage{"Trade": json.RawMessage(`7`)}}, counts,
		"an unknown shape is kept whole")

	for _, body := range []string{`{"data":null}`, `{}`, `{"data":[1,2]}`, `{"data":{"total":"many"}}`} {
		api.onData(http.MethodGet, "/v1/transactions/counts", reply(200, body))
		_, err = api.user().TransactionCounts(ctx)
		require.ErrorIs(t, err, ErrMalformedResponse, body)
	}
}
