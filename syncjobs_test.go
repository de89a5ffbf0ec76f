package kryptos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBody is a sync object as the sandbox sends it.
func syncBody(id, status string, percent, records int, limitReached bool) string {
	completed := "null"
	if SyncStatus(status).Done() {
		completed = `"2026-08-13T09:16:02.000Z"`
	}
	b, _ := json.Marshal(map[string]any{"id": id, "status": status, "integrationId": "int_1", "syncKind": "api",
		"mode": "incremental", "progressPercent": percent, "recordsProcessed": records, "recordsFailed": 0,
		"limitReached": limitReached, "summary": map[string]any{"fetchTrades": map[string]any{"status": status, "records": records}},
		"completedAt": json.RawMessage(completed), "createdAt": "2026-08-13T09:14:22.000Z", "updatedAt": "2026-08-13T09:15:00.000Z"})
	return string(b)
}

func TestGetSyncJobReadsEveryField(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/sync/sync_7712",
		httpmock504().Then(reply(200, `{"success":true,"data":`+syncBody("sync_7712", "partially_synced", 100, 412, true)+`}`)))
	job, err := api.user().GetSyncJob(context.Background(), "sync_7712")
	require.NoError(t, err)
	assert.Equal(t, SyncJob{ID: "sync_7712", Status: SyncPartiallySynced, IntegrationID: "int_1", SyncKind: "api", Mode: SyncIncremental,
		ProgressPercent: 100, RecordsProcessed: 412, LimitReached: true,
		Summary:     json.RawMessage(`{"fetchTrades":{"records":412,"status":"partially_synced"}}`),
		CompletedAt: syncTime("2026-08-13T09:16:02Z"), CreatedAt: syncTime("2026-08-13T09:14:22Z"), UpdatedAt: syncTime("2026-08-13T09:15:00Z")}, *job)
	assert.Equal(t, 2, api.rec.count(), "reads are retried")
	assert.Equal(t, "Bearer "+testAccessToken, api.rec.last(t).Header.Get("Authorization"))
}

func TestGetSyncJobAcceptsTheOlderNames(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		want       SyncJob
	}{
		{"job_id and wallet_id, bare envelope", `{"data":{"job_id":"job_1","status":"SYNCING","wallet_id":"w1","created_at":"x","summary":null}}`,
			SyncJob{ID: "job_1", Status: "SYNCING", IntegrationID: "w1"}},
		{"syncId and walletId, ms times", `{"success":true,"data":{"syncId":"sync_2","status":"COMPLETED","walletId":"w2","completedAt":1767225600000}}`,
			SyncJob{ID: "sync_2", Status: "COMPLETED", IntegrationID: "w2", CompletedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"no id: the one asked for", `{"success":true,"data":{"status":"queued","completedAt":""}}`,
			SyncJob{ID: "sync_asked", Status: SyncQueued}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.mock.RegisterNoResponder(reply(200, tc.body))
			job, err := api.user().GetSyncJob(context.Background(), "sync_asked")
			require.NoError(t, err)
			assert.Equal(t, tc.want, *job)
		})
	}
}

func TestGetSyncJobErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/sync/sync_gone", fail(404, "NOT_FOUND", "Sync not found"))
	api.onData(http.MethodGet, "/v1/sync/sync_empty", reply(200, `{"success":true,"data":{"id":"sync_empty"}}`))
	api.onData(http.MethodGet, "/v1/sync/sync_401", httpmock.NewStringResponder(401, ""))
	_, err := api.user().GetSyncJob(ctx, "sync_gone")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = api.user().GetSyncJob(ctx, "sync_empty")
	require.ErrorIs(t, err, ErrMalformedResponse, "a job without a status tells nothing")
	_, err = api.user().GetSyncJob(ctx, "sync_401")
	require.ErrorIs(t, err, ErrUnauthorized)
	for _, id := range []string{"", "../x", "a/b", strings.Repeat("x", 2000)} {
		_, err := api.user().GetSyncJob(ctx, id)
		require.ErrorIs(t, err, ErrInvalidParams, id)
	}
	_, err = api.client.User(AccessToken("")).GetSyncJob(ctx, "sync_1")
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 3, api.rec.count())
}

func TestSyncStatus(t *testing.T) {
	t.Parallel()
	for s, want := range map[SyncStatus][2]bool{
		SyncPending: {false, false}, SyncQueued: {false, false}, SyncInProgress: {false, false},
		SyncCompleted: {true, true}, SyncPartiallySynced: {true, true}, SyncFailed: {true, false}, SyncCancelled: {true, false},
		// The backend page's v1-style words, and what nobody documented.
		"SYNCING": {false, false}, "COMPLETED": {true, true}, "PARTIALLY SYNCED": {true, true}, "FAILED": {true, false},
		"canceled": {true, false}, "paused": {false, false}, "": {false, false},
	} {
		assert.Equal(t, want[0], s.Done(), "Done %q", s)
		assert.Equal(t, want[1], s.Succeeded(), "Succeeded %q", s)
	}
}

func TestListSyncJobsAcceptsEveryShape(t *testing.T) {
	t.Parallel()
	one, two := syncBody("sync_1", "completed", 100, 5, false), syncBody("sync_2", "queued", 0, 0, false)
	cases := []struct {
		name, body string
		total      int
	}{
		{"bare array", `{"success":true,"data":[` + one + `,` + two + `]}`, -1},
		{"syncs with pagination", `{"success":true,"data":{"syncs":[` + one + `,` + two + `],"pagination":{"page":1,"limit":100,"total":2,"totalPages":1,"hasMore":false}}}`, 2},
		{"items", `{"success":true,"data":{"items":[` + one + `,` + two + `]}}`, -1},
		{"jobs, no success field", `{"data":{"jobs":[` + one + `,` + two + `],"pagination":{"total":2}}}`, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			var q queryLog
			api.onData(http.MethodGet, "/v1/sync", q.answer(reply(200, tc.body)))
			jobs := collect(t, api.user().ListSyncJobs(context.Background(), SyncJobsParams{IntegrationID: "int_1"}))
			require.Len(t, jobs, 2)
			assert.Equal(t, []string{"sync_1", "sync_2"}, []string{jobs[0].ID, jobs[1].ID})
			assert.Equal(t, "int_1", jobs[1].IntegrationID)
			assert.Equal(t, 1, api.rec.count(), "two entries of a page of 100: the list is done")
			assert.Equal(t, "integrationId=int_1&limit=100&page=1", q.last(t))
			page, err := api.user().ListSyncJobsPage(context.Background(), SyncJobsParams{Status: SyncCompleted, Page: 2, Limit: 5})
			require.NoError(t, err)
			assert.Equal(t, tc.total, page.Total)
			assert.Equal(t, "limit=5&page=2&status=completed", q.last(t))
		})
	}
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/sync", reply(200, `{"success":true,"data":"nope"}`))
	_, err := api.user().ListSyncJobsPage(context.Background(), SyncJobsParams{})
	require.ErrorIs(t, err, ErrMalformedResponse)
}

func TestListSyncJobsStopsWhenTheServerIgnoresThePaging(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	bodies := make([]string, 3)
	for i := range bodies {
		bodies[i] = syncBody("sync_"+string(rune('a'+i)), "completed", 100, 1, false)
	}
	api.onData(http.MethodGet, "/v1/sync", reply(200, `{"success":true,"data":[`+strings.Join(bodies, ",")+`]}`))
	page, err := api.user().ListSyncJobsPage(context.Background(), SyncJobsParams{Limit: 2})
	require.NoError(t, err)
	assert.Len(t, page.Items, 3)
	assert.False(t, page.HasNext(), "more than a page came back: it was the whole list")
}

func TestListSyncJobsRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	for _, p := range []SyncJobsParams{{Limit: 101}, {Page: -1}, {Status: "done"}, {IntegrationID: "a b"}, {WorkspaceID: "\n"}} {
		for _, err := range api.user().ListSyncJobs(context.Background(), p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		}
	}
	assert.Equal(t, 0, api.rec.count())
}

// recordedSleeps records the waits of a WaitForSync instead of waiting.
type recordedSleeps struct{ waits []time.Duration }

func (s *recordedSleeps) sleep(ctx context.Context, d time.Duration) error {
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func TestWaitForSyncPollsWithBackOffUntilTheJobIsFinal(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	answers := []string{
		syncBody("sync_1", "queued", 0, 0, false),
		syncBody("sync_1", "in_progress", 40, 160, false),
		syncBody("sync_1", "in_progress", 40, 160, false),
		syncBody("sync_1", "in_progress", 80, 330, false),
		syncBody("sync_1", "in_progress", 80, 330, false),
		syncBody("sync_1", "partially_synced", 100, 412, true),
	}
	r := reply(200, `{"success":true,"data":`+answers[0]+`}`)
	for _, a := range answers[1:] {
		r = r.Then(reply(200, `{"success":true,"data":`+a+`}`))
	}
	api.onData(http.MethodGet, "/v1/sync/sync_1", r)
	var clock recordedSleeps
	var seen []string
	job, err := api.user().WaitForSync(context.Background(), "sync_1", WaitOptions{
		FirstInterval: time.Second, MaxInterval: 5 * time.Second, sleep: clock.sleep,
		OnProgress: func(j SyncJob) { seen = append(seen, fmt.Sprintf("%s %d", j.Status, j.RecordsProcessed)) },
	})
	require.NoError(t, err)
	assert.Equal(t, SyncPartiallySynced, job.Status)
	assert.True(t, job.LimitReached)
	assert.True(t, job.Status.Succeeded(), "a cut by the cap is a success with losses")
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}, clock.waits,
		"doubling from FirstInterval, capped at MaxInterval")
	assert.Equal(t, []string{"queued 0", "in_progress 160", "in_progress 330", "partially_synced 412"}, seen,
		"one call per change, the first and the final state included")
	assert.Equal(t, 6, api.rec.count())
}

func TestWaitForSyncDefaultsAndLimits(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/sync/sync_1", reply(200, `{"success":true,"data":`+syncBody("sync_1", "in_progress", 1, 1, false)+`}`))
	api.onData(http.MethodGet, "/v1/sync/sync_gone", fail(404, "NOT_FOUND", "Sync not found"))

	// The context ends while the job runs: the last state comes back with
	// the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	clock := recordedSleeps{}
	calls := 0
	job, err := api.user().WaitForSync(ctx, "sync_1", WaitOptions{sleep: func(ctx context.Context, d time.Duration) error {
		if calls++; calls == 6 {
			cancel()
		}
		return clock.sleep(ctx, d)
	}})
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "sync sync_1 still in_progress")
	require.NotNil(t, job)
	assert.Equal(t, SyncInProgress, job.Status)
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 15 * time.Second}, clock.waits,
		"1 s, doubling up to 15 s by default")

	_, err = api.user().WaitForSync(context.Background(), "sync_gone", WaitOptions{sleep: clock.sleep})
	require.ErrorIs(t, err, ErrNotFound)

	before := api.rec.count()
	for _, o := range []WaitOptions{{FirstInterval: -1}, {MaxInterval: -time.Second}, {FirstInterval: time.Minute, MaxInterval: time.Second}} {
		_, err := api.user().WaitForSync(context.Background(), "sync_1", o)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", o)
	}
	_, err = api.user().WaitForSync(context.Background(), "a/b", WaitOptions{})
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, before, api.rec.count())
}

func TestWaitForSyncHonoursTheContextOnTheRealClock(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/sync/sync_1", reply(200, `{"success":true,"data":`+syncBody("sync_1", "queued", 0, 0, false)+`}`))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := api.user().WaitForSync(ctx, "sync_1", WaitOptions{FirstInterval: time.Hour})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second, "the back-off does not outlast the context")
}

func TestWaitForLimitResyncsFollowsEveryTriggeredSync(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/sync/sync_a", reply(200, `{"success":true,"data":`+syncBody("sync_a", "queued", 0, 0, false)+`}`).
		Then(reply(200, `{"success":true,"data":`+syncBody("sync_a", "completed", 100, 240, false)+`}`)))
	api.onData(http.MethodGet, "/v1/sync/sync_b", reply(200, `{"success":true,"data":{"id":"sync_b","status":"partially_synced","limitReached":true}}`))
	limit := &TransactionLimit{Resync: &LimitResync{Triggered: []TriggeredSync{
		{IntegrationID: "int_1", SyncID: "sync_a"}, {IntegrationID: "int_2", SyncID: "sync_b"},
	}}}
	var clock recordedSleeps
	var progress []string
	jobs, err := api.user().WaitForLimitResyncs(context.Background(), limit, WaitOptions{sleep: clock.sleep,
		OnProgress: func(j SyncJob) { progress = append(progress, j.IntegrationID+" "+string(j.Status)) }})
	require.NoError(t, err)
	require.Len(t, jobs, 2)
	assert.Equal(t, "int_1", jobs[0].IntegrationID)
	assert.Equal(t, SyncCompleted, jobs[0].Status)
	assert.Equal(t, SyncJob{ID: "sync_b", Status: SyncPartiallySynced, LimitReached: true, IntegrationID: "int_2"}, jobs[1],
		"the integration is taken from the trigger when the answer lacks it")
	assert.Equal(t, []string{"int_1 queued", "int_1 completed", "int_2 partially_synced"}, progress)
	assert.Equal(t, []time.Duration{time.Second}, clock.waits, "the second job was done by then")

	for _, l := range []*TransactionLimit{nil, {GrantID: "cgrant_1"}} {
		jobs, err := api.user().WaitForLimitResyncs(context.Background(), l, WaitOptions{})
		require.NoError(t, err)
		assert.Empty(t, jobs, "no cap change, no resync")
	}

	api.onData(http.MethodGet, "/v1/sync/sync_b", fail(500, "INTERNAL_ERROR", "boom"))
	jobs, err = api.user().WaitForLimitResyncs(context.Background(), limit, WaitOptions{sleep: clock.sleep})
	require.ErrorIs(t, err, ErrInternal)
	assert.Len(t, jobs, 1, "the jobs that finished before the error")
}

func TestResyncIntegrationDecodesThePartnerSample(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on(http.MethodPost, "/developer/integrations/wallet-uuid/resync", reply(202, golden(t, "resync.partner.json")))
	job, err := api.client.ResyncIntegration(context.Background(), "wallet-uuid", ResyncParams{UserID: "uuid-user-123", Mode: ResyncLatest})
	require.NoError(t, err)
	assert.Equal(t, ResyncJob{Mode: ResyncLatest, IntegrationType: "wallet", WalletID: "wallet-uuid", JobID: "sync_a1b2c3d4e5f6",
		Status: "queued", Note: "…poll GET /v1/sync/{job_id}…"}, *job)
	assert.Equal(t, SyncQueued, SyncStatus(job.Status), "the partner answer speaks the data API's sync vocabulary")
}
