package kryptos

import (
	"context"
	"net/http"
	"testing"
	"time"

	"net/url"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListPortfoliosDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/portfolios", reply(200, golden(t, "portfolios.list.json")))
	page, err := api.user().ListPortfoliosPage(context.Background(), PortfoliosParams{})
	require.NoError(t, err)
	created := time.Date(2026, 1, 4, 11, 2, 0, 0, time.UTC)
	assert.Equal(t, []Portfolio{{
		ID: "pf_main", WorkspaceID: "ws_12ab", Name: "Main", IsDefault: true, IntegrationsCount: 7,
		IntegrationLogos: []string{"https://..."}, CreatedAt: created, UpdatedAt: created,
	}}, page.Items)
	assert.Equal(t, 2, page.Total)
	assert.False(t, page.HasNext(), "hasMore false")
	req := api.rec.last(t)
	assert.Equal(t, "/v1/portfolios", req.Path)
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"))
}

func TestListPortfoliosFollowsThePages(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	pf := func(id string) string {
		return `{"id":"` + id + `","name":"` + id + `","isDefault":false,"createdAt":"2026-01-04T11:02:00.000Z","updatedAt":"2026-01-04T11:02:00.000Z"}`
	}
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/portfolios", "page=1&limit=100",
		reply(200, `{"success":true,"data":{"portfolios":[`+pf("a")+`,`+pf("b")+`],"pagination":{"page":1,"limit":100,"total":3,"totalPages":2,"hasMore":true}}}`))
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/portfolios", "page=2&limit=100",
		reply(200, `{"success":true,"data":{"portfolios":[`+pf("c")+`],"pagination":{"page":2,"limit":100,"total":3,"totalPages":2,"hasMore":false}}}`))
	var ids []string
	for _, p := range collect(t, api.user().ListPortfolios(context.Background(), PortfoliosParams{})) {
		ids = append(ids, p.ID)
	}
	assert.Equal(t, []string{"a", "b", "c"}, ids)
	assert.Equal(t, 2, api.rec.count())
}

func TestGetPortfolioAndTheDefaultOne(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/portfolios/default", reply(200, golden(t, "portfolios.default.json")))
	api.onData(http.MethodGet, "/v1/portfolios/pf_main", reply(200, `{"success":true,"data":{"id":"pf_main","name":"Main","isDefault":true}}`))
	api.onData(http.MethodGet, "/v1/portfolios/pf_gone", reply(404, golden(t, "error.wrapped.json")))
	ctx := context.Background()

	def, err := api.user().GetDefaultPortfolio(ctx)
	require.NoError(t, err)
	assert.Equal(t, Portfolio{ID: "pf_main", Name: "Main", IsDefault: true}, *def)
	one, err := api.user().GetPortfolio(ctx, "pf_main")
	require.NoError(t, err)
	assert.Equal(t, *def, *one)

	_, err = api.user().GetPortfolio(ctx, "pf_gone")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = api.user().GetPortfolio(ctx, "../x")
	require.ErrorIs(t, err, ErrInvalidParams)

	api.onData(http.MethodGet, "/v1/portfolios/default", reply(200, `{"success":true,"data":{"portfolio":null}}`))
	_, err = api.user().GetDefaultPortfolio(ctx)
	require.ErrorIs(t, err, ErrMalformedResponse)
}

func TestListPortfoliosRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	for _, p := range []PortfoliosParams{{Limit: 101}, {Limit: -1}, {Page: -1}, {WorkspaceID: "ws 1"}} {
		_, err := api.user().ListPortfoliosPage(context.Background(), p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		for _, err := range api.user().ListPortfolios(context.Background(), p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		}
	}
	assert.Equal(t, 0, api.rec.count())
}

// DATA-API.md §5.6: "workspaceId | str | — | required (query) on list,
// /default, /{id} unless token is workspace-bound; omitted → 400". The
// client sent it on the list only: a caller whose credential is not bound
// could not read one portfolio, nor the default one.
func TestPortfolioReadsTakeTheWorkspaceID(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	queries := &queriesSeen{}
	api.onData(http.MethodGet, "/v1/portfolios/default", queries.answer(reply(200, golden(t, "portfolios.default.json"))))
	api.onData(http.MethodGet, "/v1/portfolios/pf_main", queries.answer(reply(200, `{"success":true,"data":{"id":"pf_main","name":"Main","isDefault":true}}`)))
	ctx := context.Background()

	def, err := api.user().GetDefaultPortfolioInWorkspace(ctx, "ws_12ab")
	require.NoError(t, err)
	assert.Equal(t, "pf_main", def.ID)
	assert.Equal(t, url.Values{"workspaceId": {"ws_12ab"}}, queries.last(t))

	one, err := api.user().GetPortfolioInWorkspace(ctx, "ws_12ab", "pf_main")
	require.NoError(t, err)
	assert.Equal(t, "pf_main", one.ID)
	assert.Equal(t, url.Values{"workspaceId": {"ws_12ab"}}, queries.last(t))

	// Without one, nothing is added: bound tokens need none.
	_, err = api.user().GetPortfolio(ctx, "pf_main")
	require.NoError(t, err)
	assert.Empty(t, queries.last(t))
	_, err = api.user().GetDefaultPortfolio(ctx)
	require.NoError(t, err)
	assert.Empty(t, queries.last(t))

	_, err = api.user().GetPortfolioInWorkspace(ctx, "ws 12ab", "pf_main")
	require.ErrorIs(t, err, ErrInvalidParams)
}
