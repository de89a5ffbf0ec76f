package kryptos

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpdateTransactionLimitSendsOnlyTheFieldsSet(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		params TransactionLimitParams
		body   string
	}{
		{"limit", TransactionLimitParams{TransactionLimit: Ptr[int64](10000)}, `{"transactionLimit":10000}`},
		{"limiter off", TransactionLimitParams{EnableLimiter: Ptr(false)}, `{"enableLimiter":false}`},
		{"both", TransactionLimitParams{TransactionLimit: Ptr[int64](5), EnableLimiter: Ptr(true)}, `{"transactionLimit":5,"enableLimiter":true}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on(http.MethodPatch, "/developer/grants/"+testGrantID+"/transaction-limit", reply(200, golden(t, "connect.transaction_limit.json")))
			got, err := api.client.UpdateTransactionLimit(context.Background(), testGrantID, tc.params)
			require.NoError(t, err)
			assert.Equal(t, TransactionLimit{GrantID: testGrantID, UserID: "anon_user_uid",
				TransactionLimit: Ptr[int64](10000), EnableLimiter: Ptr(true)}, *got)
			req := api.rec.last(t)
			assert.Equal(t, http.MethodPatch, req.Method)
			assert.JSONEq(t, tc.body, req.Body)
		})
	}
}

func TestUpdateTransactionLimitDecodesTheNewerAnswer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
		want TransactionLimit
	}{
		{"a change queues resyncs", `{"success":true,"data":{"grant_id":"cgrant_1","user_id":"anon_1",
			"transaction_limit":500,"enable_limiter":true,"previous_transaction_limit":null,"previous_enable_limiter":null,
			"resync":{"triggered":[{"integration_id":"int_1","sync_id":"sync_1"}],"failed":[{"integration_id":"int_2","error":"x"}],"skipped":1}}}`,
			TransactionLimit{GrantID: "cgrant_1", UserID: "anon_1", TransactionLimit: Ptr[int64](500), EnableLimiter: Ptr(true),
				Resync: &LimitResync{Triggered: []TriggeredSync{{IntegrationID: "int_1", SyncID: "sync_1"}},
					Failed: jsonRaw(`{"integration_id":"int_2","error":"x"}`), Skipped: 1}}},
		{"nothing changed", `{"success":true,"data":{"grant_id":"cgrant_1","user_id":"anon_1","transaction_limit":null,
			"enable_limiter":false,"previous_transaction_limit":500,"previous_enable_limiter":true,"resync":null}}`,
			TransactionLimit{GrantID: "cgrant_1", UserID: "anon_1", EnableLimiter: Ptr(false),
				PreviousTransactionLimit: Ptr[int64](500), PreviousEnableLimiter: Ptr(true)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on(http.MethodPatch, "/developer/grants/cgrant_1/transaction-limit", reply(200, tc.body))
			got, err := api.client.UpdateTransactionLimit(context.Background(), "cgrant_1", TransactionLimitParams{EnableLimiter: Ptr(true)})
			require.NoError(t, err)
			assert.Equal(t, tc.want, *got)
		})
	}
}

func TestUpdateTransactionLimitErrorsAndRetries(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]error{
		"NOT_ANON_USER":   ErrNotAnonUser,
		"ACCESS_DENIED":   ErrAccessDenied,
		"GRANT_NOT_FOUND": ErrGrantNotFound,
	} {
		api := newMockAPI(t)
		api.on(http.MethodPatch, "/developer/grants/cgrant_1/transaction-limit", fail(400, code, "no"))
		_, err := api.client.UpdateTransactionLimit(context.Background(), "cgrant_1", TransactionLimitParams{EnableLimiter: Ptr(true)})
		require.ErrorIs(t, err, want)
		assert.Equal(t, 1, api.rec.count())
	}

	// Absolute values are safe to send twice, so a gateway error is retried.
	api := newMockAPI(t)
	api.on(http.MethodPatch, "/developer/grants/cgrant_1/transaction-limit", httpmock504().Then(reply(200, golden(t, "connect.transaction_limit.json"))))
	_, err := api.client.UpdateTransactionLimit(context.Background(), "cgrant_1", TransactionLimitParams{EnableLimiter: Ptr(true)})
	require.NoError(t, err)
	assert.Equal(t, 2, api.rec.count())
}

func TestUpdateTransactionLimitRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		grantID string
		params  TransactionLimitParams
		field   string
	}{
		{"no field", "cgrant_1", TransactionLimitParams{}, "params"},
		{"zero", "cgrant_1", TransactionLimitParams{TransactionLimit: Ptr[int64](0)}, "params.TransactionLimit"},
		{"negative", "cgrant_1", TransactionLimitParams{TransactionLimit: Ptr[int64](-5)}, "params.TransactionLimit"},
		{"beyond 2^53-1", "cgrant_1", TransactionLimitParams{TransactionLimit: Ptr[int64](1 << 53)}, "params.TransactionLimit"},
		{"wrong id kind", testAccessToken, TransactionLimitParams{EnableLimiter: Ptr(true)}, "grantID"},
		{"path trick", "cgrant_/../../token/revoke", TransactionLimitParams{EnableLimiter: Ptr(true)}, "grantID"},
		{"empty id", "", TransactionLimitParams{EnableLimiter: Ptr(true)}, "grantID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			_, err := api.client.UpdateTransactionLimit(context.Background(), tc.grantID, tc.params)
			var pe *ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.field, pe.Field)
			assert.Equal(t, 0, api.rec.count())
		})
	}
}
