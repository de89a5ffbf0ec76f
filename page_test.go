package kryptos

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"encoding/json"
	"strconv"

	"strings"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAServerThatIgnoresPagingIsStopped: a server that sends the same page
// whatever offset it is asked for, and says there is more, ends the list
// with ErrPageRepeated after the second page, instead of repeating it for
// ever, even when the entries' live prices move from one answer to the
// next.
func TestAServerThatIgnoresPagingIsStopped(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	var calls atomic.Int64
	api.onData(http.MethodGet, "/v1/holdings", func(*http.Request) (*http.Response, error) {
		n := calls.Add(1)
		return reply(200, fmt.Sprintf(`{"success":true,"data":[
			{"assetId":"btc","totalQuantity":1,"marketPrice":%d},
			{"assetId":"eth","totalQuantity":1,"marketPrice":%d}],
			"totalCount":4,"offset":0,"limit":2,"hasMore":true}`, 50000+n, 3000+n))(nil)
	})
	seen, last := untilError(api.user().ListHoldings(context.Background(), HoldingsParams{Limit: 2}))
	require.ErrorIs(t, last, ErrPageRepeated)
	assert.Equal(t, 2, seen, "the first page's entries, once")
	assert.Equal(t, int64(2), calls.Load())
}

// TestPagesAreComparedByIDWhereEntriesHaveOne: entries whose fields move
// (prices, progress) are the same entry when their ids are; the others
// are the same only when they are equal.
func TestPagesAreComparedByIDWhereEntriesHaveOne(t *testing.T) {
	t.Parallel()
	assert.True(t, samePage([]Holding{{AssetID: "a", MarketPrice: 1}}, []Holding{{AssetID: "a", MarketPrice: 2}}), "same asset, new price")
	assert.False(t, samePage([]Holding{{AssetID: "a"}}, []Holding{{AssetID: "b"}}))
	assert.False(t, samePage([]Ledger{{ID: "l1", TransactionID: "x"}}, []Ledger{{ID: "l1", TransactionID: "y"}}), "no key: compared whole")
	assert.True(t, samePage([]Holding{{MarketPrice: 1}}, []Holding{{MarketPrice: 1}}), "no id: compared whole")
}

// TestListFromAPageKeepsThePageSize: DATA-API.md §2.2 family A,
// "?page=1&limit=50" with §5.6 "limit | int | 50": page 2 at the API's
// default size starts at the 51st portfolio. ListPortfolios with Page 2 and
// no Limit asked for page 2 of 100 instead, so the 51st to the 100th
// portfolios were never listed.
func TestListFromAPageKeepsThePageSize(t *testing.T) {
	t.Parallel()
	const total = 150
	api := newMockAPI(t)
	api.mock.RegisterResponder(http.MethodGet, DefaultDataURL+"/v1/portfolios", func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		page, limit := 1, 50
		if v := q.Get("page"); v != "" {
			page, _ = strconv.Atoi(v)
		}
		if v := q.Get("limit"); v != "" {
			limit, _ = strconv.Atoi(v)
		}
		list := []map[string]any{}
		for i := (page - 1) * limit; i < min(page*limit, total); i++ {
			list = append(list, map[string]any{"id": fmt.Sprintf("pf_%03d", i), "name": "p", "isDefault": i == 0})
		}
		pages := (total + limit - 1) / limit
		body, _ := json.Marshal(map[string]any{"success": true, "data": map[string]any{"portfolios": list,
			"pagination": map[string]any{"page": page, "limit": limit, "total": total, "totalPages": pages, "hasMore": page < pages}}})
		return reply(200, string(body))(req)
	})
	got := collect(t, api.user().ListPortfolios(context.Background(), PortfoliosParams{Page: 2}))
	require.NotEmpty(t, got)
	assert.Equal(t, "pf_050", got[0].ID, "page 2 of the API's default 50 starts at the 51st")
	assert.Equal(t, total-50, len(got), "every portfolio from the 51st")

	// The one-page call agrees with it.
	page, err := api.user().ListPortfoliosPage(context.Background(), PortfoliosParams{Page: 2})
	require.NoError(t, err)
	assert.Equal(t, "pf_050", page.Items[0].ID)
}

// TestATransactionsServerThatIgnoresPagingIsStillStopped: trusting
// meta.offset (the fix for rows saved between pages) keeps the guard for a
// server that ignores the offset: it echoes 0 whatever it is asked.
func TestATransactionsServerThatIgnoresPagingIsStillStopped(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	var calls atomic.Int64
	api.onData(http.MethodGet, "/v1/transactions", func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return reply(200, `{"data":[{"id":"t1","timestamp":1721088000000},{"id":"t2","timestamp":1721088000000}],
			"meta":{"limit":2,"offset":0,"hasMore":true,"total":4}}`)(r)
	})
	_, last := untilError(api.user().ListTransactions(context.Background(), TransactionsParams{Limit: 2}))
	require.ErrorIs(t, last, ErrPageRepeated)
	assert.Equal(t, int64(2), calls.Load())
}

// A server that echoes the offset it was asked but sends the same entries
// whatever it is: one repeat is taken for rows saved in front of the
// offset, a second in a row is a server that ignores paging, even with
// hasMore true for ever and no total.
func TestAServerEchoingTheOffsetButIgnoringItIsStopped(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	var calls atomic.Int64
	api.onData(http.MethodGet, "/v1/transactions", func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return reply(200, `{"data":[{"id":"t1","timestamp":1721088000000},{"id":"t2","timestamp":1721088000000}],
			"meta":{"limit":2,"offset":`+r.URL.Query().Get("offset")+`,"hasMore":true}}`)(r)
	})
	n, last := untilError(api.user().ListTransactions(context.Background(), TransactionsParams{Limit: 2}))
	require.ErrorIs(t, last, ErrPageRepeated)
	assert.Equal(t, int64(3), calls.Load(), "the first page, one tolerated repeat, and the second repeat")
	assert.Equal(t, 2, n, "the tolerated repeat lists nothing again")
}

// A page that says nothing of what follows (no total, hasMore or
// totalPages) was full when it is as long as the size the answer says it
// used, when the caller asked for none: the list goes on to a short page.
func TestAPageWithoutTotalsGoesOnWhileFull(t *testing.T) {
	t.Parallel()
	const total = 120
	api := newMockAPI(t)
	api.mock.RegisterResponder(http.MethodGet, DefaultDataURL+"/v1/portfolios", func(req *http.Request) (*http.Response, error) {
		page, _ := strconv.Atoi(req.URL.Query().Get("page"))
		const limit = 50 // the API's default: the caller asked for none
		list := []map[string]any{}
		for i := (page - 1) * limit; i < min(page*limit, total); i++ {
			list = append(list, map[string]any{"id": fmt.Sprintf("pf_%03d", i), "name": "p", "isDefault": i == 0})
		}
		body, _ := json.Marshal(map[string]any{"success": true, "data": map[string]any{"portfolios": list,
			"pagination": map[string]any{"page": page, "limit": limit}}})
		return reply(200, string(body))(req)
	})
	got := collect(t, api.user().ListPortfolios(context.Background(), PortfoliosParams{Page: 2}))
	assert.Equal(t, total-50, len(got), "pages 2 and 3, the last one short")
}

// TestRowsSavedInFrontAreNotListedTwice: the tolerated repeat (commit
// 308ccc1: "Exactly one page of rows saved ahead of the offset ... shifts
// the list by a page, and the next page legitimately holds the same
// entries") hands those entries to the loop a second time: an export or a
// sum over ListTransactions counts them twice. The entries of a page that
// repeats the previous one were listed already.
func TestRowsSavedInFrontAreNotListedTwice(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	// Newest first. After the first page, two transactions (t7, t6) are
	// saved in front: the list shifts by exactly one page of 2.
	before := []string{"t5", "t4", "t3", "t2", "t1"}
	after := append([]string{"t7", "t6"}, before...)
	calls := 0
	api.onData(http.MethodGet, "/v1/transactions", func(r *http.Request) (*http.Response, error) {
		calls++
		list := before
		if calls > 1 {
			list = after
		}
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		end := min(offset+2, len(list))
		rows := []string{}
		for _, id := range list[offset:end] {
			rows = append(rows, fmt.Sprintf(`{"id":%q,"timestamp":1721088000000}`, id))
		}
		return reply(200, fmt.Sprintf(`{"data":[%s],"meta":{"limit":2,"offset":%d,"hasMore":%t}}`,
			strings.Join(rows, ","), offset, end < len(list)))(r)
	})
	var ids []string
	for tx, err := range api.user().ListTransactions(context.Background(), TransactionsParams{Limit: 2}) {
		require.NoError(t, err)
		ids = append(ids, tx.ID)
	}
	assert.Equal(t, []string{"t5", "t4", "t3", "t2", "t1"}, ids, "each transaction once")
}
