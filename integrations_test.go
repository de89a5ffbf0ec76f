package kryptos

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleIntegration = `{"provider":"ethereum","providerPublicName":"Ethereum","publicAddress":"0x47c2e31e9ce22437bcf6313d2b9e98245a7bfcfa",
	"walletId":"wallet-uuid","logoUrl":"https://x/eth.png","isContract":false,"alias":"Main","status":"COMPLETED",
	"addedOn":"2026-01-02T03:04:05Z","lastSyncedAt":0,"category":"blockchain","type":"wallet","totalTransactions":42}`

func TestListIntegrationsUsesTheDataAPIWithTheBearerTokenOnly(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.mock.RegisterResponder(http.MethodGet, DefaultDataURL+"/v1/integrations", reply(200, `{"success":true,"data":[`+sampleIntegration+`]}`))
	got, err := api.client.User(AccessToken(testAccessToken)).ListIntegrations(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []Integration{{
		WalletID: "wallet-uuid", Provider: "ethereum", ProviderPublicName: "Ethereum",
		PublicAddress: "0x47c2e31e9ce22437bcf6313d2b9e98245a7bfcfa", Alias: "Main", Type: "wallet", Category: "blockchain",
		Status: IntegrationCompleted, LogoURL: "https://x/eth.png", TotalTransactions: 42,
		AddedOn: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}}, got)

	req := api.rec.last(t)
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"))
	assert.Empty(t, req.Header.Get("X-Client-Secret"), "the client secret never goes to the data API")
	assert.Empty(t, req.Header.Get("X-Client-Id"))
}

func TestListIntegrationsAcceptsEveryListShape(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"success":true,"data":[` + sampleIntegration + `]}`,
		`{"data":[` + sampleIntegration + `],"meta":{"total":1}}`,
		`{"success":true,"data":{"integrations":[` + sampleIntegration + `],"totalCount":1,"offset":0,"limit":50,"hasMore":false}}`,
		`{"data":{"items":[` + sampleIntegration + `]}}`,
	} {
		api := newMockAPI(t, WithEndpoints(Endpoints{Connect: DefaultConnectURL, Data: "https://data.example.com/api/"}))
		api.mock.RegisterResponder(http.MethodGet, "https://data.example.com/api/v1/integrations", reply(200, body))
		got, err := api.client.User(AccessToken(testAccessToken)).ListIntegrations(context.Background())
		require.NoError(t, err, body)
		require.Len(t, got, 1, body)
		assert.Equal(t, "wallet-uuid", got[0].WalletID)
	}
	api := newMockAPI(t)
	api.mock.RegisterResponder(http.MethodGet, DefaultDataURL+"/v1/integrations", reply(200, `{"data":"nope"}`))
	_, err := api.client.User(AccessToken(testAccessToken)).ListIntegrations(context.Background())
	require.ErrorIs(t, err, ErrMalformedResponse)
}

func TestListIntegrationsErrors(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.mock.RegisterResponder(http.MethodGet, DefaultDataURL+"/v1/integrations",
		reply(403, `{"error":"insufficient_scope","error_description":"integrations:read required"}`))
	_, err := api.client.User(AccessToken(testAccessToken)).ListIntegrations(context.Background())
	require.ErrorIs(t, err, ErrInsufficientScope)
	assert.Contains(t, err.Error(), "integrations:read required")
}

func TestGetSyncJob(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.mock.RegisterResponder(http.MethodGet, DefaultDataURL+"/v1/sync/job_xyz789",
		httpmock504().Then(reply(200, `{"success":true,"data":{"job_id":"job_xyz789","status":"partially_synced","wallet_id":"w1",
			"mode":"from_start","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:01:00Z"}}`)))
	job, err := api.client.User(AccessToken(testAccessToken)).GetSyncJob(context.Background(), "job_xyz789")
	require.NoError(t, err)
	assert.Equal(t, SyncJob{ID: "job_xyz789", Status: SyncPartiallySynced, WalletID: "w1", Mode: ResyncFromStart,
		CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)}, *job)
	assert.Equal(t, 2, api.rec.count(), "reads are retried")
	assert.Equal(t, "Bearer "+testAccessToken, api.rec.last(t).Header.Get("Authorization"))

	api.mock.RegisterResponder(http.MethodGet, DefaultDataURL+"/v1/sync/sync_1", reply(200, `{"data":{"id":"sync_1","status":"failed","error":"provider down"}}`))
	job, err = api.client.User(AccessToken(testAccessToken)).GetSyncJob(context.Background(), "sync_1")
	require.NoError(t, err)
	assert.Equal(t, "sync_1", job.ID, "the id is read from id when job_id is absent")
	assert.Equal(t, "provider down", job.Error)

	for _, id := range []string{"", "../x", "a/b"} {
		_, err := api.client.User(AccessToken(testAccessToken)).GetSyncJob(context.Background(), id)
		require.ErrorIs(t, err, ErrInvalidParams, id)
	}
	_, err = api.client.User(AccessToken("")).GetSyncJob(context.Background(), "job_1")
	require.ErrorIs(t, err, ErrInvalidParams)
	api.mock.RegisterResponder(http.MethodGet, DefaultDataURL+"/v1/sync/job_gone", httpmock.NewStringResponder(401, ""))
	_, err = api.client.User(AccessToken(testAccessToken)).GetSyncJob(context.Background(), "job_gone")
	require.ErrorIs(t, err, ErrUnauthorized)
}

func TestSyncStatus(t *testing.T) {
	t.Parallel()
	for s, want := range map[SyncStatus][2]bool{
		SyncPending: {false, false}, SyncQueued: {false, false}, SyncInProgress: {false, false},
		SyncCompleted: {true, true}, SyncPartiallySynced: {true, true}, SyncFailed: {true, false}, SyncCancelled: {true, false},
	} {
		assert.Equal(t, want[0], s.Done(), s)
		assert.Equal(t, want[1], s.Succeeded(), s)
	}
}
