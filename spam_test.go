package kryptos

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sentQueries keeps the query of every request a mocked route answered,
// for the tests that check what the SDK put on the wire.
type sentQueries struct {
	mu  sync.Mutex
	all []url.Values
}

// answerAndKeepQueries makes the mock answer method and path (below
// DefaultDataURL) with r, and keeps the query of each request.
func answerAndKeepQueries(api *mockAPI, method, path string, r httpmock.Responder) *sentQueries {
	s := &sentQueries{}
	api.onData(method, path, func(req *http.Request) (*http.Response, error) {
		s.mu.Lock()
		s.all = append(s.all, req.URL.Query())
		s.mu.Unlock()
		return r(req)
	})
	return s
}

// last returns the query of the last request; the test fails when there
// was none.
func (s *sentQueries) last(t *testing.T) url.Values {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NotEmpty(t, s.all, "no request reached the route")
	return s.all[len(s.all)-1]
}

func (s *sentQueries) list() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.all...)
}

func TestListSpamDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	sent := answerAndKeepQueries(api, http.MethodGet, "/v1/spam", reply(200, golden(t, "spam.list.json")))
	page, err := api.user().ListSpamPage(context.Background(), SpamParams{})
	require.NoError(t, err)
	at := time.Date(2026, 8, 1, 9, 30, 0, 0, time.UTC)
	assert.Equal(t, []SpamEntry{{
		ID: "usp_31c9", WorkspaceID: "ws_12ab", AssetID: "a3f1c8e0-9d42-4b17-8c55-6e0b2f7a1d34", Symbol: "SCAM",
		ChainID: "ethereum", IsSpam: true, Name: "Airdropped Token", LogoURL: "https://...", ContractAddress: "0x...",
		CreatedAt: at, UpdatedAt: at,
	}}, page.Items)
	assert.Equal(t, 37, page.Total)
	assert.True(t, page.HasNext(), "hasMore true")
	assert.Equal(t, url.Values{"offset": {"0"}}, sent.last(t), "no limit: the API's default of 20")
	req := api.rec.last(t)
	assert.Equal(t, "/v1/spam", req.Path)
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"))
}

func TestListSpamSendsItsFiltersAndFollowsTheOffsets(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	entry := func(id string) string {
		return `{"id":"` + id + `","workspaceId":"ws","assetId":"a","symbol":"S","chainId":"ethereum","isSpam":false,` +
			`"name":null,"logoUrl":null,"contractAddress":null,"createdAt":"2026-08-01T09:30:00.000Z","updatedAt":"2026-08-01T09:30:00.000Z"}`
	}
	first := `{"success":true,"data":{"entries":[` + entry("a") + `,` + entry("b") + `],"totalCount":3,"limit":2,"offset":0,"hasMore":true,"totalPages":2}}`
	second := `{"success":true,"data":{"entries":[` + entry("c") + `],"totalCount":3,"limit":2,"offset":2,"hasMore":false,"totalPages":2}}`
	sent := answerAndKeepQueries(api, http.MethodGet, "/v1/spam", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("offset") == "0" {
			return reply(200, first)(req)
		}
		return reply(200, second)(req)
	})
	var ids []string
	for e := range seqValues(t, api.user().ListSpam(context.Background(), SpamParams{Search: "scam", IncludeNonSpam: Ptr(true), Limit: 2})) {
		ids = append(ids, e.ID)
		assert.False(t, e.IsSpam)
		assert.Empty(t, e.Name, "null name")
	}
	assert.Equal(t, []string{"a", "b", "c"}, ids)
	assert.Equal(t, []url.Values{
		{"search": {"scam"}, "includeNonSpam": {"true"}, "offset": {"0"}, "limit": {"2"}},
		{"search": {"scam"}, "includeNonSpam": {"true"}, "offset": {"2"}, "limit": {"2"}},
	}, sent.list())

	// Without a limit, the iterator asks for the largest page.
	for range seqValues(t, api.user().ListSpam(context.Background(), SpamParams{IncludeNonSpam: Ptr(false), Offset: 5})) {
		break
	}
	assert.Equal(t, url.Values{"includeNonSpam": {"false"}, "offset": {"5"}, "limit": {"200"}}, sent.last(t))
}

func TestListSpamRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	for _, p := range []SpamParams{{Limit: 201}, {Limit: -1}, {Offset: -1}, {Search: strings.Repeat("é", 101)}} {
		_, err := api.user().ListSpamPage(context.Background(), p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		for _, err := range api.user().ListSpam(context.Background(), p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		}
	}
	assert.Equal(t, 0, api.rec.count())
	api.onData(http.MethodGet, "/v1/spam", reply(200, `{"success":true,"data":{"entries":[],"totalCount":0,"limit":200,"offset":0,"hasMore":false,"totalPages":0}}`))
	page, err := api.user().ListSpamPage(context.Background(), SpamParams{Search: strings.Repeat("é", 100), Limit: 200})
	require.NoError(t, err, "100 characters and a limit of 200 are allowed")
	assert.Empty(t, page.Items)
	assert.False(t, page.HasNext())
}

func TestListSpamNeedsTransactionsRead(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/spam", reply(403, golden(t, "error.insufficient_scope.json")))
	_, err := api.user().ListSpamPage(context.Background(), SpamParams{})
	require.ErrorIs(t, err, ErrInsufficientScope)
	var apiErr *Error
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, http.StatusForbidden, apiErr.StatusCode)
	assert.Equal(t, "insufficient_scope", apiErr.Code)
	assert.Equal(t, ScopeTransactionsRead, opListSpam.scope)
}

// seqValues turns a list's iterator into one of its values, failing the
// test on an error. Unlike collect, the loop may stop early.
func seqValues[T any](t *testing.T, seq iter.Seq2[T, error]) iter.Seq[T] {
	return func(yield func(T) bool) {
		for v, err := range seq {
			require.NoError(t, err)
			if !yield(v) {
				return
			}
		}
	}
}
