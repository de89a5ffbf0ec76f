package kryptos

import (
	"context"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResyncIntegrationSendsTheDocumentedRequest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		mode ResyncMode
		body string
		want ResyncJob
	}{
		{"wallet, latest", ResyncLatest, golden(t, "connect.resync.wallet.json"),
			ResyncJob{Mode: ResyncLatest, IntegrationType: "wallet", WalletID: "wallet-uuid", Status: "queued"}},
		{"csv, from start", ResyncFromStart, golden(t, "connect.resync.csv.json"),
			ResyncJob{Mode: ResyncFromStart, IntegrationType: "csv", WalletID: "wallet-uuid", JobID: "job_xyz789", Status: "ongoing"}},
		{"newer answer with a note", ResyncLatest,
			`{"success":true,"data":{"mode":"latest","integration_type":"exchange","wallet_id":"wallet-uuid","job_id":"sync_1","status":"queued","note":"already syncing"}}`,
			ResyncJob{Mode: ResyncLatest, IntegrationType: "exchange", WalletID: "wallet-uuid", JobID: "sync_1", Status: "queued", Note: "already syncing"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on(http.MethodPost, "/developer/integrations/wallet-uuid/resync", reply(202, tc.body))
			job, err := api.client.ResyncIntegration(context.Background(), "wallet-uuid", ResyncParams{UserID: "uuid-user-123", Mode: tc.mode})
			require.NoError(t, err)
			assert.Equal(t, tc.want, *job)
			req := api.rec.last(t)
			assert.Equal(t, http.MethodPost, req.Method)
			assert.JSONEq(t, `{"user_id":"uuid-user-123","mode":"`+string(tc.mode)+`"}`, req.Body)
		})
	}
}

func TestResyncIntegrationEscapesTheWalletID(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.mock.RegisterNoResponder(reply(202, golden(t, "connect.resync.wallet.json")))
	for id, path := range map[string]string{
		"wallet;v=1,2": "/developer/integrations/wallet%3Bv=1%2C2/resync",
		"wället":       "/developer/integrations/w%C3%A4llet/resync",
		"0xAbC:eth":    "/developer/integrations/0xAbC:eth/resync",
	} {
		_, err := api.client.ResyncIntegration(context.Background(), id, ResyncParams{UserID: "u", Mode: ResyncLatest})
		require.NoError(t, err)
		assert.Equal(t, path, api.rec.last(t).Path)
	}
}

func TestResyncIntegrationRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	ok := ResyncParams{UserID: "u1", Mode: ResyncLatest}
	cases := []struct {
		name     string
		walletID string
		params   ResyncParams
		field    string
	}{
		{"empty wallet", "", ok, "walletID"},
		{"parent directory", "..", ok, "walletID"},
		{"path trick", "../x", ok, "walletID"},
		{"slash", "a/b", ok, "walletID"},
		{"query", "a?b", ok, "walletID"},
		{"escaped slash", "a%2Fb", ok, "walletID"},
		{"newline", "a\nb", ok, "walletID"},
		{"no user", "w1", ResyncParams{Mode: ResyncLatest}, "params.UserID"},
		{"user with space", "w1", ResyncParams{UserID: "u 1", Mode: ResyncLatest}, "params.UserID"},
		{"no mode", "w1", ResyncParams{UserID: "u1"}, "params.Mode"},
		{"unknown mode", "w1", ResyncParams{UserID: "u1", Mode: "full"}, "params.Mode"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			_, err := api.client.ResyncIntegration(context.Background(), tc.walletID, tc.params)
			var pe *ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.field, pe.Field)
			assert.Equal(t, 0, api.rec.count())
		})
	}
}

func TestResyncIntegrationErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		responder httpmock.Responder
		want      error
		attempts  int
		unknown   bool
	}{
		{"bad credentials, no envelope", httpmock.NewStringResponder(401, ""), ErrUnauthorized, 1, false},
		{"grant gone", fail(403, "GRANT_NOT_FOUND", "The user has not granted your client access"), ErrGrantNotFound, 1, false},
		{"no such wallet", fail(404, "INTEGRATION_NOT_FOUND", "No wallet"), ErrIntegrationNotFound, 1, false},
		{"csv file gone", fail(404, "CSV_SOURCE_MISSING", "no file"), ErrCSVSourceMissing, 1, false},
		{"csv latest (older API)", fail(409, "CSV_RESYNC_LATEST_UNSUPPORTED", "use from_start"), ErrCSVResyncLatestUnsupported, 1, false},
		{"csv (newer API)", fail(409, "CSV_RESYNC_UNSUPPORTED", "no csv resync"), ErrCSVResyncUnsupported, 1, false},
		{"sync disabled", fail(409, "SYNC_DISABLED", "disabled"), ErrSyncDisabled, 1, false},
		{"refused, then queued", httpmock.NewErrorResponder(errRefused).Then(reply(202, golden(t, "connect.resync.wallet.json"))), nil, 2, false},
		{"503 may have queued it", fail(503, "", "unavailable"), ErrOutcomeUnknown, 1, true},
		{"reset may have queued it", httpmock.NewErrorResponder(errReset), ErrOutcomeUnknown, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on(http.MethodPost, "/developer/integrations/w1/resync", tc.responder)
			job, err := api.client.ResyncIntegration(context.Background(), "w1", ResyncParams{UserID: "u1", Mode: ResyncLatest})
			assert.Equal(t, tc.attempts, api.rec.count(), "attempts")
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, "queued", job.Status)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, tc.unknown, errorIs(err, ErrOutcomeUnknown))
		})
	}
}
