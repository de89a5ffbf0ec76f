package kryptostest

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

func TestWorkspaceAnswersHaveTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	g := connect(t, srv, srv.Client(fast...), LinkUser{Email: "ws.owner@example.com", Wallets: []Wallet{ethWallet}})
	token := g.AccessToken.Reveal()
	sameShapeAsSample(t, "workspaces.list.json", get(t, srv, token, "/v1/workspaces"), golden.Options{})
	sameShapeAsSample(t, "workspaces.get.json", get(t, srv, token, "/v1/workspaces/"+g.WorkspaceID), golden.Options{})

	// Before any sync has settled, lastSyncTime is null: "str? ISO" in
	// §5.2's field table.
	clock := NewFakeClock(epoch)
	slow := NewServer(WithClock(clock))
	defer slow.Close()
	fresh := connect(t, slow, slow.Client(fast...), LinkUser{Guest: true})
	sameShapeAsSample(t, "workspaces.get.json", get(t, slow, fresh.AccessToken.Reveal(), "/v1/workspaces/"+fresh.WorkspaceID),
		golden.Options{Nullable: []string{"data.lastSyncTime"}})
}

func TestWorkspacesThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Email: "ws.owner@example.com", Wallets: []Wallet{ethWallet, {Provider: "csv", Address: "export.csv"}}})
	user := c.User(g.Credential())

	all := everyItem(t, user.ListWorkspaces(ctx, kryptos.WorkspacesParams{}))
	require.Len(t, all, 1)
	m := all[0]
	assert.Equal(t, g.WorkspaceID, m.ID)
	assert.Equal(t, "My Workspace", m.Name)
	assert.Equal(t, kryptos.WorkspaceRetail, m.Type)
	assert.Equal(t, kryptos.RoleOwner, m.RoleID)
	assert.Equal(t, kryptos.MembershipActive, m.Status)
	assert.Equal(t, m.CreatedAt, m.JoinedAt)
	assert.Equal(t, "USD", m.BaseCurrencyCode)
	assert.Nil(t, m.Limits, "lists never carry limits")

	// Every filter really filters.
	cases := []struct {
		params kryptos.WorkspacesParams
		want   int
	}{
		{kryptos.WorkspacesParams{Type: kryptos.WorkspaceRetail}, 1},
		{kryptos.WorkspacesParams{Type: kryptos.WorkspaceConnectAnonymous}, 0},
		{kryptos.WorkspacesParams{Type: kryptos.WorkspaceEnterprise}, 0},
		{kryptos.WorkspacesParams{Status: kryptos.MembershipActive}, 1},
		{kryptos.WorkspacesParams{Status: kryptos.MembershipPending}, 0},
		{kryptos.WorkspacesParams{RoleID: kryptos.RoleOwner}, 1},
		{kryptos.WorkspacesParams{RoleID: kryptos.RoleAdmin}, 0},
		{kryptos.WorkspacesParams{Type: kryptos.WorkspaceRetail, Status: kryptos.MembershipActive, RoleID: kryptos.RoleOwner}, 1},
	}
	for _, tc := range cases {
		page, err := user.ListWorkspacesPage(ctx, tc.params)
		require.NoError(t, err)
		assert.Len(t, page.Items, tc.want, "%+v", tc.params)
		assert.Equal(t, tc.want, page.Total, "%+v", tc.params)
		assert.False(t, page.HasNext())
	}
	second, err := user.ListWorkspacesPage(ctx, kryptos.WorkspacesParams{Page: 2, Limit: 1})
	require.NoError(t, err)
	assert.Empty(t, second.Items)
	assert.Equal(t, 1, second.Total)

	ws, err := user.GetWorkspace(ctx, g.WorkspaceID)
	require.NoError(t, err)
	assert.Equal(t, m.Workspace.ID, ws.ID)
	assert.Equal(t, m.CreatedAt, ws.CreatedAt)
	assert.False(t, ws.CustomAssetPricesEnabled)
	assert.False(t, ws.LastSyncTime.IsZero(), "the imports of both integrations have settled")
	assert.Equal(t, ws.LastSyncTime, ws.LastAccountingCalculation)
	// A Linked user has no override; the platform default applies.
	assert.Equal(t, &kryptos.WorkspaceLimits{
		EffectiveTransactionLimit: valueRef[int64](PlatformTransactionLimit),
		CurrentTransactionCount:   2 * DefaultTransactionsPerIntegration,
		RemainingTransactions:     valueRef[int64](PlatformTransactionLimit - 2*DefaultTransactionsPerIntegration),
	}, ws.Limits)

	_, err = user.GetWorkspace(ctx, "ws_someone_else")
	require.ErrorIs(t, err, kryptos.ErrForbidden)
}

func TestAGuestIsAMemberOfNoWorkspace(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	user := c.User(g.Credential())
	page, err := user.ListWorkspacesPage(ctx, kryptos.WorkspacesParams{})
	require.NoError(t, err)
	assert.Empty(t, page.Items)
	assert.Equal(t, 0, page.Total)
	status, _, body := raw(t, srv, http.MethodGet, "/v1/workspaces", map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, []any{}, body["data"].(map[string]any)["workspaces"], "an empty array, not null")

	// The Guest's token is still bound to a workspace of its own.
	ws, err := user.GetWorkspace(ctx, g.WorkspaceID)
	require.NoError(t, err)
	assert.Equal(t, kryptos.WorkspaceConnectAnonymous, ws.Type)
	assert.Equal(t, int64(DefaultTransactionsPerIntegration), ws.Limits.CurrentTransactionCount)
}

// TestWorkspaceLimitsFollowTheCap moves a Guest's cap and watches the
// limits block as the resync it queues goes from queued to finished.
func TestWorkspaceLimitsFollowTheCap(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	user := c.User(g.Credential())
	limits := func() *kryptos.WorkspaceLimits {
		t.Helper()
		ws, err := user.GetWorkspace(ctx, g.WorkspaceID)
		require.NoError(t, err)
		return ws.Limits
	}
	const history = DefaultTransactionsPerIntegration
	first, err := user.GetWorkspace(ctx, g.WorkspaceID)
	require.NoError(t, err)

	_, err = c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: valueRef[int64](100)})
	require.NoError(t, err)
	// Queued: the old import still stands, over the new cap.
	assert.Equal(t, &kryptos.WorkspaceLimits{TransactionLimit: valueRef[int64](100), EffectiveTransactionLimit: valueRef[int64](100),
		CurrentTransactionCount: history, RemainingTransactions: valueRef[int64](0)}, limits())
	clock.Advance(150 * time.Millisecond) // syncing: 100 rows in flight, fewer than are saved
	assert.Equal(t, int64(history), limits().CurrentTransactionCount)
	clock.Advance(time.Second) // partially synced: the cap cut the import
	assert.Equal(t, &kryptos.WorkspaceLimits{TransactionLimit: valueRef[int64](100), EffectiveTransactionLimit: valueRef[int64](100),
		CurrentTransactionCount: 100, RemainingTransactions: valueRef[int64](0)}, limits())
	ws, err := user.GetWorkspace(ctx, g.WorkspaceID)
	require.NoError(t, err)
	assert.True(t, ws.LastSyncTime.After(first.LastSyncTime), "the resync settled later")

	// Turning the limiter off removes the cap: no effective limit, no headroom.
	_, err = c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{EnableLimiter: valueRef(false)})
	require.NoError(t, err)
	clock.Advance(150 * time.Millisecond) // syncing the whole history again
	assert.Equal(t, &kryptos.WorkspaceLimits{TransactionLimit: valueRef[int64](100), EnableLimiter: valueRef(false),
		CurrentTransactionCount: history}, limits(), "rows in flight count")
	clock.Advance(time.Second)
	got := limits()
	assert.False(t, got.Capped())
	assert.Equal(t, int64(history), got.CurrentTransactionCount)
}

func TestWorkspacesScopesAndParams(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connectGranting(t, srv, c, LinkUser{Email: "no.workspace.scope@example.com"}, kryptos.ScopePortfoliosRead)
	user := c.User(g.Credential())
	_, err := user.GetWorkspace(ctx, g.WorkspaceID)
	require.ErrorIs(t, err, kryptos.ErrInsufficientScope)
	assert.Contains(t, err.Error(), "Missing: workspace:read")
	// The list needs no scope.
	all := everyItem(t, user.ListWorkspaces(ctx, kryptos.WorkspacesParams{}))
	assert.Len(t, all, 1)

	auth := map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}
	status, _, body := raw(t, srv, http.MethodGet, "/v1/workspaces?limit=500", auth, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, map[string]any{"page": 1.0, "limit": 100.0, "total": 1.0}, body["data"].(map[string]any)["pagination"],
		"a page-number list clamps its limit, and sends page, limit and total only")
	status, _, body = raw(t, srv, http.MethodGet, "/v1/workspaces", auth, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, 10.0, body["data"].(map[string]any)["pagination"].(map[string]any)["limit"], "the default limit is 10")
	status, _, body = raw(t, srv, http.MethodGet, "/v1/workspaces?type=personal", auth, "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "VALIDATION_ERROR", body["code"])
	status, _, _ = raw(t, srv, http.MethodGet, "/v1/workspaces", nil, "")
	assert.Equal(t, http.StatusUnauthorized, status)
}

// valueRef returns a pointer to v.
func valueRef[T any](v T) *T { return &v }

// everyItem drains an iterator, failing the test on an error.
func everyItem[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}
