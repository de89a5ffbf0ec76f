package kryptos

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

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
	seen := 0
	var last error
	for _, err := range api.user().ListHoldings(context.Background(), HoldingsParams{Limit: 2}) {
		if err != nil {
			last = err
			break
		}
		seen++
	}
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
