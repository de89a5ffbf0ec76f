package kryptos

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListGrantsDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on(http.MethodGet, "/token/grants", reply(200, golden(t, "connect.grants.json")))

	grants, err := api.client.ListGrants(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []Grant{{
		ID: "cgrant_abc123xyz789", WorkspaceID: "uuid-workspace-123",
		Scopes:    Scopes{ScopeTransactionsRead, Scope("balances:read")}, // an older scope, kept as sent
		CreatedAt: time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2039, 1, 15, 10, 0, 0, 0, time.UTC),
	}}, grants)

	req := api.rec.last(t)
	assert.Equal(t, http.MethodGet, req.Method)
	assert.Equal(t, "/token/grants", req.Path)
	assert.False(t, req.HasBody, "a GET carries no body")
	assert.Empty(t, req.Header.Get("Content-Type"))
	assert.Equal(t, testClientSecret, req.Header.Get("X-Client-Secret"))
}

func TestListGrantsReturnsAnEmptySliceForNoGrants(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"success":true,"data":{"grants":[],"count":0}}`, `{"success":true,"data":{"count":0}}`} {
		api := newMockAPI(t)
		api.on(http.MethodGet, "/token/grants", reply(200, body))
		grants, err := api.client.ListGrants(context.Background())
		require.NoError(t, err)
		assert.NotNil(t, grants)
		assert.Empty(t, grants)
	}
}

func TestRevokeGrantSendsTheDocumentedRequest(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on(http.MethodPost, "/token/revoke", reply(200, golden(t, "connect.revoke.json")))
	require.NoError(t, api.client.RevokeGrant(context.Background(), testGrantID))
	req := api.rec.last(t)
	assert.Equal(t, "/token/revoke", req.Path)
	assert.JSONEq(t, `{"grant_id":"`+testGrantID+`"}`, req.Body)
}

// TestRevokeGrantTakesAnyBodyOfA200: a revoke answers without data, so
// whatever a 2xx carries is a success, unless it is an error envelope.
func TestRevokeGrantTakesAnyBodyOfA200(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`Grant revoked successfully`, `{"success":true,"data":"ok"}`, `{"success":true,"data":[]}`, `{"message":"revoked"}`} {
		api := newMockAPI(t)
		api.on(http.MethodPost, "/token/revoke", reply(200, body))
		assert.NoError(t, api.client.RevokeGrant(context.Background(), testGrantID), body)
	}
	api := newMockAPI(t)
	api.on(http.MethodPost, "/token/revoke", reply(200, `{"success":false,"error":"Grant not found","code":"GRANT_NOT_FOUND"}`))
	require.ErrorIs(t, api.client.RevokeGrant(context.Background(), testGrantID), ErrGrantNotFound, "an error envelope is still an error")
}

func TestRevokeGrantNotFound(t *testing.T) {
	t.Parallel()
	t.Run("on the first attempt it is a plain error", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		api.on(http.MethodPost, "/token/revoke", fail(404, "GRANT_NOT_FOUND", "No grant found with this ID"))
		err := api.client.RevokeGrant(context.Background(), testGrantID)
		require.ErrorIs(t, err, ErrGrantNotFound)
		assert.NotErrorIs(t, err, ErrOutcomeUnknown)
		assert.Equal(t, 1, api.rec.count())
	})
	t.Run("after a retry an earlier attempt may have revoked it", func(t *testing.T) {
		t.Parallel()
		api := newMockAPI(t)
		api.on(http.MethodPost, "/token/revoke",
			httpmock504().Then(fail(404, "GRANT_NOT_FOUND", "No grant found with this ID")))
		err := api.client.RevokeGrant(context.Background(), testGrantID)
		require.ErrorIs(t, err, ErrGrantNotFound)
		require.ErrorIs(t, err, ErrOutcomeUnknown)
		assert.Equal(t, 2, api.rec.count())
	})
}

func TestRevokeGrantRejectsBadIDsBeforeSending(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", "cgrant_", "grant_1", testAccessToken, "cgrant_1\r\n", " cgrant_1"} {
		api := newMockAPI(t)
		err := api.client.RevokeGrant(context.Background(), id)
		var pe *ParamError
		require.ErrorAs(t, err, &pe, "id %q", id)
		assert.Equal(t, "grantID", pe.Field)
		assert.Equal(t, 0, api.rec.count())
	}
}
