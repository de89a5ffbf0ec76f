package kryptos

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListWorkspacesDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	queries := &queriesSeen{}
	api.onData(http.MethodGet, "/v1/workspaces", queries.answer(reply(200, golden(t, "workspaces.list.json"))))
	page, err := api.user().ListWorkspacesPage(context.Background(), WorkspacesParams{})
	require.NoError(t, err)
	created := time.Date(2026, 1, 4, 11, 2, 0, 0, time.UTC)
	assert.Equal(t, []WorkspaceMembership{{
		Workspace: Workspace{
			ID: "ws_12ab", Name: "My Workspace", Type: WorkspaceRetail, CountryCode: "AU", CostBasisMethod: "FIFO",
			Timezone: "Australia/Sydney", BaseCurrencyCode: "AUD", OrganizationID: "",
			CreatedAt: created, UpdatedAt: time.Date(2026, 8, 1, 9, 30, 0, 0, time.UTC),
		},
		RoleID: RoleOwner, Status: MembershipActive, JoinedAt: created,
	}}, page.Items)
	assert.Nil(t, page.Items[0].Limits, "lists never carry limits")
	assert.Equal(t, 1, page.Total)
	assert.False(t, page.HasNext(), "1 of 1 seen: the total decides, as there is no hasMore")
	assert.Equal(t, url.Values{"page": {"1"}}, queries.last(t), "the API's default page size")
	req := api.rec.last(t)
	assert.Equal(t, "/v1/workspaces", req.Path)
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"))
}

func TestListWorkspacesSendsItsFilters(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		params WorkspacesParams
		want   url.Values
	}{
		{"type", WorkspacesParams{Type: WorkspaceConnectAnonymous}, url.Values{"type": {"connect-anonymous"}}},
		{"membership status", WorkspacesParams{Status: MembershipPending}, url.Values{"status": {"pending"}}},
		{"role", WorkspacesParams{RoleID: RoleAdmin}, url.Values{"roleId": {"admin"}}},
		{"a role the docs do not name", WorkspacesParams{RoleID: "accountant"}, url.Values{"roleId": {"accountant"}}},
		{"page and limit", WorkspacesParams{Page: 3, Limit: 25}, url.Values{"page": {"3"}, "limit": {"25"}}},
		{"all together", WorkspacesParams{Type: WorkspaceEnterprise, Status: MembershipSuspended, RoleID: RoleOwner, Limit: 100},
			url.Values{"type": {"enterprise"}, "status": {"suspended"}, "roleId": {"owner"}, "limit": {"100"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			queries := &queriesSeen{}
			api.onData(http.MethodGet, "/v1/workspaces", queries.answer(reply(200, golden(t, "workspaces.list.json"))))
			_, err := api.user().ListWorkspacesPage(context.Background(), tc.params)
			require.NoError(t, err)
			want := tc.want
			if want.Get("page") == "" {
				want.Set("page", "1")
			}
			assert.Equal(t, want, queries.last(t))
		})
	}
}

func TestListWorkspacesFollowsThePagesByTheTotal(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	ws := func(id string) string {
		return `{"wid":"` + id + `","workspaceName":"` + id + `","type":"enterprise","roleId":"admin","status":"active","joinedAt":null}`
	}
	// No limit is sent (no maximum is documented); the server pages by 2
	// and sends no hasMore: the total of 3 says a second page follows.
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/workspaces", "page=1",
		reply(200, `{"success":true,"data":{"workspaces":[`+ws("a")+`,`+ws("b")+`],"pagination":{"page":1,"limit":2,"total":3}}}`))
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/workspaces", "page=2",
		reply(200, `{"success":true,"data":{"workspaces":[`+ws("c")+`],"pagination":{"page":2,"limit":2,"total":3}}}`))
	var ids []string
	for _, m := range collect(t, api.user().ListWorkspaces(context.Background(), WorkspacesParams{})) {
		ids = append(ids, m.ID)
		assert.Equal(t, RoleAdmin, m.RoleID)
		assert.True(t, m.JoinedAt.IsZero(), "null joinedAt: an invite never accepted")
	}
	assert.Equal(t, []string{"a", "b", "c"}, ids)
	assert.Equal(t, 2, api.rec.count())
}

func TestListWorkspacesRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	for _, p := range []WorkspacesParams{
		{Limit: 101}, {Limit: -1}, {Page: -2}, {Type: "personal"}, {Status: "ACTIVE"}, {RoleID: "two words"},
	} {
		_, err := api.user().ListWorkspacesPage(context.Background(), p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		for _, err := range api.user().ListWorkspaces(context.Background(), p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		}
	}
	assert.Equal(t, 0, api.rec.count())
}

func TestGetWorkspaceDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/workspaces/ws_12ab", reply(200, golden(t, "workspaces.get.json")))
	ws, err := api.user().GetWorkspace(context.Background(), "ws_12ab")
	require.NoError(t, err)
	assert.Equal(t, Workspace{
		ID: "ws_12ab", Name: "My Workspace", Type: WorkspaceRetail, CountryCode: "AU", CostBasisMethod: "FIFO",
		Timezone: "Australia/Sydney", BaseCurrencyCode: "AUD", CustomAssetPricesEnabled: false, OrganizationID: "",
		LastSyncTime:              time.Date(2026, 8, 13, 9, 16, 2, 0, time.UTC),
		LastAccountingCalculation: time.Time{},
		CreatedAt:                 time.Date(2026, 1, 4, 11, 2, 0, 0, time.UTC),
		UpdatedAt:                 time.Date(2026, 8, 1, 9, 30, 0, 0, time.UTC),
		Limits: &WorkspaceLimits{
			TransactionLimit: nil, EnableLimiter: nil, EffectiveTransactionLimit: valuePtr[int64](100000),
			CurrentTransactionCount: 4871, RemainingTransactions: valuePtr[int64](95129),
		},
	}, *ws)
	assert.True(t, ws.Limits.Capped())
	assert.Equal(t, "/v1/workspaces/ws_12ab", api.rec.last(t).Path)
}

func TestGetWorkspaceReadsAnUncappedWorkspace(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/workspaces/ws_anon", reply(200, `{"success":true,"data":{"wid":"ws_anon","type":"connect-anonymous",
		"limits":{"transactionLimit":500,"enableLimiter":false,"effectiveTransactionLimit":null,"currentTransactionCount":1200,"remainingTransactions":null}}}`))
	ws, err := api.user().GetWorkspace(context.Background(), "ws_anon")
	require.NoError(t, err)
	assert.Equal(t, WorkspaceConnectAnonymous, ws.Type)
	assert.Equal(t, &WorkspaceLimits{TransactionLimit: valuePtr[int64](500), EnableLimiter: valuePtr(false),
		CurrentTransactionCount: 1200}, ws.Limits, "the limiter is off: no cap, no headroom")
	assert.False(t, ws.Limits.Capped())
}

func TestGetWorkspaceFailures(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/workspaces/ws_other", reply(403, `{"error":"forbidden","error_description":"the token is bound to another workspace"}`))
	api.onData(http.MethodGet, "/v1/workspaces/ws_scope", reply(403, `{"error":"insufficient_scope","error_description":"Missing: workspace:read"}`))
	api.onData(http.MethodGet, "/v1/workspaces/ws_empty", reply(200, `{"success":true,"data":{"workspaceName":"no id"}}`))
	ctx := context.Background()

	_, err := api.user().GetWorkspace(ctx, "ws_other")
	require.ErrorIs(t, err, ErrForbidden)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "forbidden", apiErr.Code)
	assert.Equal(t, 403, apiErr.StatusCode)

	_, err = api.user().GetWorkspace(ctx, "ws_scope")
	require.ErrorIs(t, err, ErrInsufficientScope)
	assert.Contains(t, err.Error(), "Missing: workspace:read")

	_, err = api.user().GetWorkspace(ctx, "ws_empty")
	require.ErrorIs(t, err, ErrMalformedResponse)

	n := api.rec.count()
	for _, bad := range []string{"", "../ws", "ws 1", "a/b"} {
		_, err = api.user().GetWorkspace(ctx, bad)
		require.ErrorIs(t, err, ErrInvalidParams, bad)
	}
	assert.Equal(t, n, api.rec.count(), "nothing sent for a bad id")
}
