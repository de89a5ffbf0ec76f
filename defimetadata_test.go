package kryptos

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListDeFiMetadataDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/defi-metadata", reply(200, golden(t, "defimetadata.list.json")))
	page, err := api.user().ListDeFiMetadataPage(context.Background(), DeFiMetadataParams{})
	require.NoError(t, err)
	assert.Equal(t, []DeFiProtocol{}, page.Items)
	assert.Equal(t, 312, page.Total)
	assert.Equal(t, NoSummary{}, page.Summary)
	assert.False(t, page.HasNext(), "an empty page ends the list")
	req := api.rec.last(t)
	assert.Equal(t, "/v1/defi-metadata", req.Path)
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"))
}

func TestGetDeFiMetadataAnswersTheDocumented404(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/defi-metadata/no-such-protocol", reply(404, golden(t, "defimetadata.get.404.json")))
	_, err := api.user().GetDeFiMetadata(context.Background(), "no-such-protocol")
	require.ErrorIs(t, err, ErrNotFound)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 404, apiErr.StatusCode)
	assert.Empty(t, apiErr.Code)
	assert.Equal(t, "Protocol not found", apiErr.Message)
}

// defiAaveEntry is a catalogue entry as the sandbox sends it.
const defiAaveEntry = `{"id":"aave-v3","name":"Aave V3","logoUrl":"https://x/aave.png","siteUrl":"https://aave.com",
	"description":"Lending markets","chains":["ethereum","base"],"tags":["lending"],"tvl":21400000000.5,
	"priority":100,"totalUserCount":1250000,"isSupportPortfolio":true,"isVisible":true,"audits":[{"firm":"x"}]}`

func TestGetDeFiMetadataKeepsTypedFieldsAndTheWholeEntry(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/defi-metadata/aave-v3", reply(200, `{"success":true,"data":`+defiAaveEntry+`}`))
	p, err := api.user().GetDeFiMetadata(context.Background(), "aave-v3")
	require.NoError(t, err)
	assert.Equal(t, &DeFiProtocol{
		ID: "aave-v3", Name: "Aave V3", LogoURL: "https://x/aave.png", SiteURL: "https://aave.com",
		Description: "Lending markets", Chains: []string{"ethereum", "base"}, Tags: []string{"lending"},
		TVL: 21400000000.5, Priority: 100, TotalUserCount: 1250000, IsSupportPortfolio: true, IsVisible: true,
		Raw: json.RawMessage(defiAaveEntry),
	}, p)
	var audits struct {
		Audits []struct{ Firm string } `json:"audits"`
	}
	require.NoError(t, json.Unmarshal(p.Raw, &audits), "an unknown field is in Raw")
	assert.Equal(t, "x", audits.Audits[0].Firm)

	for _, body := range []string{`{"success":true,"data":null}`, `{"success":true,"data":{"name":"no id"}}`, `{"success":true,"data":[]}`} {
		api.onData(http.MethodGet, "/v1/defi-metadata/aave-v3", reply(200, body))
		_, err = api.user().GetDeFiMetadata(context.Background(), "aave-v3")
		require.ErrorIs(t, err, ErrMalformedResponse, body)
	}
	_, err = api.user().GetDeFiMetadata(context.Background(), "../x")
	require.ErrorIs(t, err, ErrInvalidParams)
}

// defiLogSink is a log sink that the client may write from its goroutine.
type defiLogSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *defiLogSink) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *defiLogSink) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestDeFiMetadataReadsOddEntriesLeniently(t *testing.T) {
	t.Parallel()
	var logs defiLogSink
	api := newMockAPI(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	odd := `{"id":42,"name":"Odd","chains":["ethereum",7],"tags":"dex","tvl":"1234.5","priority":2.5,
		"totalUserCount":"17","isSupportPortfolio":"true","isVisible":"maybe"}`
	api.onData(http.MethodGet, "/v1/defi-metadata", reply(200, `{"success":true,"data":[`+odd+`],"pagination":{"limit":50,"offset":0,"total":1}}`))
	page, err := api.user().ListDeFiMetadataPage(context.Background(), DeFiMetadataParams{})
	require.NoError(t, err, "an entry's odd field does not fail the call")
	require.Len(t, page.Items, 1)
	got := page.Items[0]
	assert.JSONEq(t, odd, string(got.Raw))
	got.Raw = nil
	assert.Equal(t, DeFiProtocol{ID: "42", Name: "Odd", Chains: []string{"ethereum"}, TVL: 1234.5, TotalUserCount: 17,
		IsSupportPortfolio: true}, got)
	for _, field := range []string{"data[0].chains[1]", "data[0].tags", "data[0].priority", "data[0].isVisible"} {
		assert.Contains(t, logs.String(), field, "the odd field is named in the log")
	}
	assert.Equal(t, 4, strings.Count(logs.String(), "level=WARN"), logs.String())

	// A catalogue entry that is not an object is a malformed answer.
	api.onData(http.MethodGet, "/v1/defi-metadata", reply(200, `{"success":true,"data":["aave-v3"],"pagination":{"total":1}}`))
	_, err = api.user().ListDeFiMetadataPage(context.Background(), DeFiMetadataParams{})
	require.ErrorIs(t, err, ErrMalformedResponse)

	// Decoded on its own, an entry is read the same way.
	var p DeFiProtocol
	require.NoError(t, json.Unmarshal([]byte(odd), &p))
	assert.Equal(t, "42", p.ID)
	require.NoError(t, json.Unmarshal([]byte(`null`), &p))
	assert.Equal(t, "42", p.ID, "null leaves it alone, as encoding/json does")
	assert.Error(t, json.Unmarshal([]byte(`"aave"`), &p))
}

func TestListDeFiMetadataSendsEachFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params DeFiMetadataParams
		query  url.Values
	}{
		{"no filter", DeFiMetadataParams{}, url.Values{"offset": {"0"}}},
		{"every filter", DeFiMetadataParams{
			ID: "aave-v3", Name: "Aave", Chain: "base", Tags: []string{"lending", "dex"},
			IsSupportPortfolio: defiBool(true), IsVisible: defiBool(false),
			SortBy: DeFiProtocolsByUserCount, SortOrder: DeFiProtocolsAscending, Offset: 40, Limit: 20,
		}, url.Values{
			"id": {"aave-v3"}, "name": {"Aave"}, "chain": {"base"}, "tags": {"lending,dex"},
			"isSupportPortfolio": {"true"}, "isVisible": {"false"},
			"sortBy": {"totalUserCount"}, "sortOrder": {"asc"}, "offset": {"40"}, "limit": {"20"},
		}},
		{"the other orders", DeFiMetadataParams{SortBy: DeFiProtocolsByPriority, SortOrder: DeFiProtocolsDescending},
			url.Values{"sortBy": {"priority"}, "sortOrder": {"desc"}, "offset": {"0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			var wire defiWire
			wire.serve(api, "/v1/defi-metadata", 200, golden(t, "defimetadata.list.json"))
			_, err := api.user().ListDeFiMetadataPage(context.Background(), tt.params)
			require.NoError(t, err)
			assert.Equal(t, "/v1/defi-metadata", wire.last(t).Path)
			assert.Equal(t, tt.query, wire.last(t).Query())
		})
	}
}

func TestListDeFiMetadataFollowsItsPagination(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	entry := func(id string) string { return `{"id":"` + id + `","name":"` + id + `"}` }
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/defi-metadata", "offset=0&limit=200&sortBy=name",
		reply(200, `{"success":true,"data":[`+entry("a")+`,`+entry("b")+`],"pagination":{"limit":2,"offset":0,"total":3}}`))
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/defi-metadata", "offset=2&limit=200&sortBy=name",
		reply(200, `{"success":true,"data":[`+entry("c")+`],"pagination":{"limit":2,"offset":2,"total":3}}`))
	var ids []string
	for _, p := range collect(t, api.user().ListDeFiMetadata(context.Background(), DeFiMetadataParams{SortBy: DeFiProtocolsByName})) {
		ids = append(ids, p.ID)
	}
	assert.Equal(t, []string{"a", "b", "c"}, ids)
	assert.Equal(t, 2, api.rec.count(), "no hasMore: the list ends when offset + entries reach total")
}

func TestListDeFiMetadataRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	ctx := context.Background()
	for _, p := range []DeFiMetadataParams{
		{Limit: 201}, {Limit: -1}, {Offset: -1}, {SortBy: "tvl desc"}, {SortBy: "TVL"}, {SortOrder: "up"},
		{Tags: []string{"a,b"}}, {Tags: []string{""}}, {ID: "aave v3"},
	} {
		_, err := api.user().ListDeFiMetadataPage(ctx, p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		for _, err := range api.user().ListDeFiMetadata(ctx, p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		}
	}
	assert.Equal(t, 0, api.rec.count())
}

// A list page whose answer has no list (data null or missing) is malformed,
// not an empty list: the engine's rule for every list (page.go, "a page
// without its list is malformed, not empty (an empty list is sent as [])",
// and TestASuccessWithoutItsResultIsMalformed). The DeFi catalogue's page
// (DATA-API.md §5.4: `{ "success": true, "data": [], "pagination": {...} }`)
// turned a missing list into an empty one, so a broken answer read as "no
// protocols" and ListDeFiMetadata ended silently.
func TestDeFiMetadataPageWithoutItsListIsMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"success":true,"data":null,"pagination":{"limit":50,"offset":0,"total":312}}`,
		`{"success":true,"pagination":{"limit":50,"offset":0,"total":312}}`,
	} {
		api := newMockAPI(t)
		api.onData(http.MethodGet, "/v1/defi-metadata", reply(200, body))
		page, err := api.user().ListDeFiMetadataPage(context.Background(), DeFiMetadataParams{})
		require.ErrorIs(t, err, ErrMalformedResponse, "%s: read as %+v", body, page)

		var seen int
		var last error
		for _, err := range api.user().ListDeFiMetadata(context.Background(), DeFiMetadataParams{}) {
			seen++
			last = err
		}
		assert.Equal(t, 1, seen, body)
		require.ErrorIs(t, last, ErrMalformedResponse, "the iteration must not end as if the catalogue were empty: %s", body)
	}
	// The documented empty page still reads as empty.
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/defi-metadata", reply(200, golden(t, "defimetadata.list.json")))
	page, err := api.user().ListDeFiMetadataPage(context.Background(), DeFiMetadataParams{})
	require.NoError(t, err)
	assert.Equal(t, []DeFiProtocol{}, page.Items)
}
