package kryptostest

import (
	"encoding/json"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"fmt"

	"github.com/kryptos-connect/kryptos-go"
)

// connectWriter runs the flow for a user who also grants
// integrations:write, which the user's own resync needs.
func connectWriter(t *testing.T, srv *Server, c *kryptos.Client, u LinkUser) *kryptos.AccessGrant {
	t.Helper()
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: append(kryptos.DefaultScopes(), kryptos.ScopeIntegrationsWrite)})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, u)
	require.NoError(t, err)
	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	return g
}

// syncReport decodes a job's per-function summary.
func syncReport(t *testing.T, j *kryptos.SyncJob) map[string]struct {
	Status  string `json:"status"`
	Records int    `json:"records"`
	Error   string `json:"error"`
} {
	t.Helper()
	var out map[string]struct {
		Status  string `json:"status"`
		Records int    `json:"records"`
		Error   string `json:"error"`
	}
	require.NoError(t, json.Unmarshal(j.Summary, &out))
	return out
}

func reportFunctions[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestSyncJobsReportTheirProgress(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithSandboxMode(false), WithPortfolioSize(40), WithSyncTimings(time.Second, 4*time.Second))
	defer srv.Close()
	c := srv.Client(fast...)
	user := c.User(connectWriter(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "binance", Address: "acct-1"}}}).Credential())
	in := integrationsOf(t, user)[0]

	job, err := user.ResyncIntegration(ctx, in.ID, kryptos.IntegrationResyncParams{Mode: kryptos.SyncFromStart})
	require.NoError(t, err)
	assert.Equal(t, kryptos.SyncQueued, job.Status)
	assert.Equal(t, kryptos.SyncFromStart, job.Mode)
	assert.Equal(t, "api", job.SyncKind)
	assert.Equal(t, in.ID, job.IntegrationID)
	assert.Equal(t, epoch, job.CreatedAt)
	assert.Zero(t, job.ProgressPercent)
	assert.True(t, job.CompletedAt.IsZero())
	functions := []string{"fetchDeposits", "fetchStakingRewards", "fetchTrades", "fetchWithdrawals"}
	assert.Equal(t, functions, reportFunctions(syncReport(t, job)), "one entry per function of the provider")
	for _, r := range syncReport(t, job) {
		assert.Equal(t, "pending", r.Status)
	}

	clock.Advance(3 * time.Second) // halfway through the 4 s of syncing
	mid, err := user.GetSyncJob(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, kryptos.SyncInProgress, mid.Status)
	assert.Equal(t, float64(50), mid.ProgressPercent)
	assert.Equal(t, 20, mid.RecordsProcessed)
	sum := 0
	for _, r := range syncReport(t, mid) {
		assert.Equal(t, "in_progress", r.Status)
		sum += r.Records
	}
	assert.Equal(t, 20, sum, "the report adds up to the records processed")
	integrationsListed := integrationsOf(t, user)[0]
	assert.Equal(t, kryptos.SyncInProgress, integrationsListed.LatestSync.Status, "latestSync is the live job")
	assert.Equal(t, kryptos.SyncCompleted, integrationsListed.LastSyncStatus, "lastSyncStatus is the last finished one")

	clock.Advance(2 * time.Second)
	done, err := user.GetSyncJob(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, kryptos.SyncCompleted, done.Status)
	assert.Equal(t, float64(100), done.ProgressPercent)
	assert.Equal(t, 40, done.RecordsProcessed)
	assert.False(t, done.LimitReached)
	assert.Equal(t, epoch.Add(5*time.Second), done.CompletedAt)
	assert.Equal(t, epoch.Add(5*time.Second), done.UpdatedAt)
	sum = 0
	for _, r := range syncReport(t, done) {
		assert.Equal(t, "completed", r.Status)
		sum += r.Records
	}
	assert.Equal(t, 40, sum)
	assert.Positive(t, syncReport(t, done)["fetchTrades"].Records)

	one, err := user.GetIntegration(ctx, in.ID)
	require.NoError(t, err)
	assert.Equal(t, kryptos.SyncJob{ID: done.ID, Status: done.Status, SyncKind: done.SyncKind, Mode: done.Mode,
		ProgressPercent: 100, RecordsProcessed: 40, CompletedAt: done.CompletedAt}, *one.LatestSync,
		"latestSync carries the documented fields of the same job")

	_, err = user.GetSyncJob(ctx, "sync_unknown")
	require.ErrorIs(t, err, kryptos.ErrNotFound)
}

func TestUserResyncOptionsShapeTheRun(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithSandboxMode(false), WithPortfolioSize(40), WithSyncTimings(time.Second, time.Second))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connectWriter(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "binance", Address: "acct-1"}}})
	user := c.User(g.Credential())
	in := integrationsOf(t, user)[0]
	run := func(p kryptos.IntegrationResyncParams) *kryptos.SyncJob {
		t.Helper()
		job, err := user.ResyncIntegration(ctx, in.ID, p)
		require.NoError(t, err)
		clock.Advance(2 * time.Second)
		done, err := user.GetSyncJob(ctx, job.ID)
		require.NoError(t, err)
		require.Equal(t, kryptos.SyncCompleted, done.Status)
		return done
	}

	incremental := run(kryptos.IntegrationResyncParams{})
	assert.Equal(t, kryptos.SyncIncremental, incremental.Mode)
	assert.Zero(t, incremental.RecordsProcessed, "nothing is new since the import")

	trades := run(kryptos.IntegrationResyncParams{Mode: kryptos.SyncFromStart, Functions: []string{"fetchTrades"}})
	r := syncReport(t, trades)
	assert.Equal(t, []string{"fetchTrades"}, reportFunctions(r))
	assert.Positive(t, trades.RecordsProcessed)
	assert.Less(t, trades.RecordsProcessed, 40, "trades only")
	assert.Equal(t, trades.RecordsProcessed, r["fetchTrades"].Records)

	// The history spans two years before the connection.
	lastYear := run(kryptos.IntegrationResyncParams{Mode: kryptos.SyncFromStart, From: in.CreatedAt.AddDate(-1, 0, 0)})
	assert.Positive(t, lastYear.RecordsProcessed)
	assert.Less(t, lastYear.RecordsProcessed, 40, "the window holds part of the history")
	future := run(kryptos.IntegrationResyncParams{Mode: kryptos.SyncFromStart, From: clock.Now(), To: clock.Now().Add(time.Hour)})
	assert.Zero(t, future.RecordsProcessed)

	prices := run(kryptos.IntegrationResyncParams{PricesOnly: true})
	assert.Equal(t, []string{"updatePrices"}, reportFunctions(syncReport(t, prices)))
	assert.Equal(t, 40, prices.RecordsProcessed, "every transaction is priced again")
	assert.Equal(t, 40, integrationsOf(t, user)[0].TxnCount, "and none is fetched")

	_, err := user.ResyncIntegration(ctx, in.ID, kryptos.IntegrationResyncParams{Functions: []string{"fetchNFTs"}})
	require.ErrorIs(t, err, kryptos.ErrValidation)
	assert.Len(t, syncJobsOf(t, user, kryptos.SyncJobsParams{IntegrationID: in.ID}), 6, "the import and five resyncs; the refused one queued nothing")
	assert.Equal(t, 5, srv.Stats().ResyncsQueued)

	token := map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}
	for _, body := range []string{`{"syncMode":"from_start"}`, `{"priceOnly":true,"syncMode":"resync_from_start"}`,
		`{"startTime":1767225600000,"endTime":1767225600000}`, `[`} {
		status, _, answer := raw(t, srv, http.MethodPost, "/v1/integrations/"+in.ID+"/resync", token, body)
		assert.Equal(t, http.StatusBadRequest, status, body)
		assert.Equal(t, "VALIDATION_ERROR", answer["code"], body)
	}
}

// syncJobsOf drains ListSyncJobs.
func syncJobsOf(t *testing.T, user *kryptos.UserClient, p kryptos.SyncJobsParams) []kryptos.SyncJob {
	t.Helper()
	var out []kryptos.SyncJob
	for j, err := range user.ListSyncJobs(ctx, p) {
		require.NoError(t, err)
		out = append(out, j)
	}
	return out
}

func TestUserResyncFollowsTheRulesPerIntegration(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSandboxMode(false))
	defer srv.Close()
	c := srv.Client(fast...)
	wallets := []Wallet{
		{Provider: "ethereum", Address: EthereumTestAddress, SyncDisabled: true},
		{Provider: "csv", Address: "trades.csv"},
		{Provider: "csv", Address: "old.csv", SourceMissing: true},
	}
	user := c.User(connectWriter(t, srv, c, LinkUser{Guest: true, Wallets: wallets}).Credential())
	ins := integrationsOf(t, user)
	disabled, csv, gone := ins[0], ins[1], ins[2]
	assert.False(t, disabled.SyncEnabled)
	assert.True(t, csv.CanResync)
	assert.False(t, gone.CanResync, "the file is gone")

	cases := []struct {
		name string
		in   string
		p    kryptos.IntegrationResyncParams
		want error
	}{
		{"sync disabled", disabled.ID, kryptos.IntegrationResyncParams{}, kryptos.ErrSyncDisabled},
		{"a CSV only from the start", csv.ID, kryptos.IntegrationResyncParams{}, kryptos.ErrCSVResyncLatestUnsupported},
		{"a CSV whose file is gone", gone.ID, kryptos.IntegrationResyncParams{Mode: kryptos.SyncFromStart}, kryptos.ErrCSVSourceMissing},
		{"unknown", "wallet-nope", kryptos.IntegrationResyncParams{}, kryptos.ErrNotFound},
	}
	for _, tc := range cases {
		_, err := user.ResyncIntegration(ctx, tc.in, tc.p)
		require.ErrorIs(t, err, tc.want, tc.name)
		assert.NotErrorIs(t, err, kryptos.ErrOutcomeUnknown, "%s: a refusal is not ambiguous", tc.name)
	}
	job, err := user.ResyncIntegration(ctx, csv.ID, kryptos.IntegrationResyncParams{Mode: kryptos.SyncFromStart})
	require.NoError(t, err)
	assert.Equal(t, "csv", job.SyncKind)
	assert.Equal(t, 1, srv.Stats().ResyncsQueued)

	// The default scopes do not include integrations:write.
	plain := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	reader := c.User(plain.Credential())
	_, err = reader.ResyncIntegration(ctx, integrationsOf(t, reader)[0].ID, kryptos.IntegrationResyncParams{})
	require.ErrorIs(t, err, kryptos.ErrInsufficientScope)
	assert.Contains(t, err.Error(), "Missing: integrations:write")
	assert.Equal(t, 1, srv.Stats().ResyncsQueued)
}

func TestSyncJobListsFilterAndPage(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithSyncTimings(time.Second, time.Second))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connectWriter(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet, {Provider: "solana", Address: SolanaTestAddress}}})
	user := c.User(g.Credential())
	ins := integrationsOf(t, user)
	eth, sol := ins[0], ins[1]
	var queued []string
	for _, in := range []kryptos.Integration{eth, sol, eth} {
		clock.Advance(time.Minute)
		job, err := user.ResyncIntegration(ctx, in.ID, kryptos.IntegrationResyncParams{})
		require.NoError(t, err)
		queued = append(queued, job.ID)
	}
	clock.Advance(time.Minute)
	latest, err := user.ResyncIntegration(ctx, sol.ID, kryptos.IntegrationResyncParams{})
	require.NoError(t, err)

	all := syncJobsOf(t, user, kryptos.SyncJobsParams{Limit: 1})
	require.Len(t, all, 6, "two imports and four resyncs, one page each")
	assert.Equal(t, []string{latest.ID, queued[2], queued[1], queued[0]}, []string{all[0].ID, all[1].ID, all[2].ID, all[3].ID}, "newest first")
	for i := 1; i < len(all); i++ {
		assert.False(t, all[i].CreatedAt.After(all[i-1].CreatedAt))
	}

	ethJobs := syncJobsOf(t, user, kryptos.SyncJobsParams{IntegrationID: eth.ID})
	require.Len(t, ethJobs, 3)
	for _, j := range ethJobs {
		assert.Equal(t, eth.ID, j.IntegrationID)
	}
	waiting := syncJobsOf(t, user, kryptos.SyncJobsParams{Status: kryptos.SyncQueued})
	assert.Equal(t, []string{latest.ID}, []string{waiting[0].ID})
	assert.Len(t, waiting, 1)
	assert.Len(t, syncJobsOf(t, user, kryptos.SyncJobsParams{Status: kryptos.SyncCompleted}), 5)
	assert.Empty(t, syncJobsOf(t, user, kryptos.SyncJobsParams{Status: kryptos.SyncCancelled}))
	assert.Empty(t, syncJobsOf(t, user, kryptos.SyncJobsParams{IntegrationID: "wallet-nope"}))

	page, err := user.ListSyncJobsPage(ctx, kryptos.SyncJobsParams{Limit: 4, Page: 2})
	require.NoError(t, err)
	assert.Equal(t, 6, page.Total)
	assert.Len(t, page.Items, 2)
	assert.False(t, page.HasNext())

	// Another user's jobs are not this user's.
	other := connect(t, srv, c, LinkUser{Guest: true})
	assert.Empty(t, syncJobsOf(t, c.User(other.Credential()), kryptos.SyncJobsParams{}))
	_, err = c.User(other.Credential()).GetSyncJob(ctx, latest.ID)
	require.ErrorIs(t, err, kryptos.ErrNotFound)

	status, _, body := raw(t, srv, http.MethodGet, "/v1/sync?status=done", map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}, "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "VALIDATION_ERROR", body["code"])
}

func TestWaitForSyncFollowsASandboxJob(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSyncTimings(30*time.Millisecond, 120*time.Millisecond))
	defer srv.Close()
	c := srv.Client(fast...)
	user := c.User(connectWriter(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}}).Credential())
	job, err := user.ResyncIntegration(ctx, integrationsOf(t, user)[0].ID, kryptos.IntegrationResyncParams{Mode: kryptos.SyncFromStart})
	require.NoError(t, err)
	var seen []kryptos.SyncJob
	final, err := user.WaitForSync(ctx, job.ID, kryptos.WaitOptions{FirstInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond,
		OnProgress: func(j kryptos.SyncJob) { seen = append(seen, j) }})
	require.NoError(t, err)
	assert.Equal(t, kryptos.SyncCompleted, final.Status)
	assert.Equal(t, DefaultTransactionsPerIntegration, final.RecordsProcessed)
	require.GreaterOrEqual(t, len(seen), 3, "queued, in progress, completed at least")
	assert.Equal(t, *final, seen[len(seen)-1])
	statuses := map[kryptos.SyncStatus]bool{}
	for i, j := range seen {
		statuses[j.Status] = true
		if i > 0 {
			assert.GreaterOrEqual(t, j.ProgressPercent, seen[i-1].ProgressPercent, "progress never goes back")
			assert.GreaterOrEqual(t, j.RecordsProcessed, seen[i-1].RecordsProcessed)
		}
	}
	assert.True(t, statuses[kryptos.SyncInProgress], "the wait saw the job running")
}

func TestALimitChangeResyncsFromTheStartAndCanBeWaitedFor(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithPortfolioSize(50), WithSyncTimings(10*time.Millisecond, 40*time.Millisecond))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet, {Provider: "solana", Address: SolanaTestAddress}}})
	user := c.User(g.Credential())
	wait := kryptos.WaitOptions{FirstInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond}

	// A cap below the history cuts the re-import short.
	limit, err := c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](30)})
	require.NoError(t, err)
	require.NotNil(t, limit.Resync)
	require.Len(t, limit.Resync.Triggered, 2)
	jobs, err := user.WaitForLimitResyncs(ctx, limit, wait)
	require.NoError(t, err)
	require.Len(t, jobs, 2)
	for i, j := range jobs {
		assert.Equal(t, limit.Resync.Triggered[i].IntegrationID, j.IntegrationID)
		assert.Equal(t, kryptos.SyncPartiallySynced, j.Status)
		assert.True(t, j.LimitReached, "the cap was hit mid-run")
		assert.Equal(t, kryptos.SyncFromStart, j.Mode)
	}
	assert.Equal(t, 30, jobs[0].RecordsProcessed+jobs[1].RecordsProcessed, "the rows before the cut are saved")
	statuses := map[string]bool{}
	for _, r := range syncReport(t, &jobs[0]) {
		statuses[r.Status] = true
	}
	assert.True(t, statuses["limit_reached"], "the report names what the cap cut")
	for _, in := range integrationsOf(t, user) {
		assert.True(t, in.HasMissingBalance, "%s: the ledger holds less than the provider", in.Provider.ID)
		assert.True(t, in.LatestSync.LimitReached)
	}

	// Raising the cap re-imports everything from the start.
	limit, err = c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](1000)})
	require.NoError(t, err)
	jobs, err = user.WaitForLimitResyncs(ctx, limit, wait)
	require.NoError(t, err)
	for _, j := range jobs {
		assert.Equal(t, kryptos.SyncCompleted, j.Status)
		assert.False(t, j.LimitReached)
		assert.Equal(t, 50, j.RecordsProcessed)
	}
	for _, in := range integrationsOf(t, user) {
		assert.False(t, in.HasMissingBalance)
		assert.Equal(t, 50, in.TxnCount)
	}
}

// A price-only resync "prices the transactions already imported again,
// without fetching any" (IntegrationResyncParams.PricesOnly). Queued while
// the from-start resync that a cap raise queued is still running, it must
// not undo that import: DATA-API.md §5.13 says a cap raise plus a re-sync
// from the start brings back what limitReached cut off.
func TestPriceOnlyResyncKeepsAConcurrentImport(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithSandboxMode(false), WithPortfolioSize(40),
		WithWorkspaceTransactionLimit(kryptos.Ptr[int64](10), nil), WithSyncTimings(time.Second, 4*time.Second))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connectWriter(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "binance", Address: "acct-1"}}})
	user := c.User(g.Credential())
	in := integrationsOf(t, user)[0]
	require.Equal(t, 10, in.TxnCount, "the cap cut the first import")
	require.True(t, in.LatestSync.LimitReached)

	limit, err := c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](1000)})
	require.NoError(t, err)
	require.Len(t, limit.Resync.Triggered, 1, "the raise queues a from-start resync")
	_, err = user.ResyncIntegration(ctx, in.ID, kryptos.IntegrationResyncParams{PricesOnly: true})
	require.NoError(t, err)

	clock.Advance(time.Minute)
	fromStart, err := user.GetSyncJob(ctx, limit.Resync.Triggered[0].SyncID)
	require.NoError(t, err)
	require.Equal(t, kryptos.SyncCompleted, fromStart.Status)
	require.Equal(t, 40, fromStart.RecordsProcessed)
	in = integrationsOf(t, user)[0]
	assert.Equal(t, 40, in.TxnCount, "the from-start import is kept after the price-only run")
	n := 0
	for _, err := range user.ListTransactions(ctx, kryptos.TransactionsParams{}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 40, n, "transactions visible")
}

// Under WithCSVResyncUnsupported (the newer docs: "newer docs reject both
// (409 CSV_RESYNC_UNSUPPORTED)", API.md §2), a CSV whose file is on record
// cannot be resynced because CSVs cannot be resynced at all, not because
// its file is missing: the limit change's failed entry must say the same
// as the resync endpoint does for it.
func TestLimitResyncNamesWhyACSVFailed(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSandboxMode(false), WithCSVResyncUnsupported())
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "csv", Address: "trades.csv"}}})
	user := c.User(g.Credential())
	in := integrationsOf(t, user)[0]
	s, err := c.CheckSession(ctx, g.AccessToken.Reveal())
	require.NoError(t, err)
	_, err = c.ResyncIntegration(ctx, in.ID, kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncFromStart})
	require.ErrorIs(t, err, kryptos.ErrCSVResyncUnsupported, "the resync endpoint's reason")

	limit, err := c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](50)})
	require.NoError(t, err)
	require.NotNil(t, limit.Resync)
	require.Len(t, limit.Resync.Failed, 1)
	assert.JSONEq(t, fmt.Sprintf(`{"integration_id":%q,"code":"CSV_RESYNC_UNSUPPORTED"}`, in.ID), string(limit.Resync.Failed[0]))
}

// DATA-API.md §5.13: "limitReached: true → workspace transaction cap hit
// mid-run (rows before the cut saved, rest never fetched; needs cap raise
// **and** re-sync from start)". An incremental ("latest") resync after the
// cap was raised must not bring the cut rows back; only a from-start one
// does. A limit change fans out to at most 100 integrations, so the 101st
// keeps its cut import and must be resynced by hand, from the start.
func TestAnIncrementalResyncDoesNotBackfillACut(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithSandboxMode(false), WithPortfolioSize(2),
		WithWorkspaceTransactionLimit(kryptos.Ptr[int64](10), nil), WithSyncTimings(time.Second, time.Second))
	defer srv.Close()
	c := srv.Client(fast...)
	var wallets []Wallet
	for i := range 101 {
		wallets = append(wallets, Wallet{Provider: "binance", Address: fmt.Sprintf("acct-%03d", i)})
	}
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: wallets})
	user := c.User(g.Credential())
	ins := integrationsOf(t, user)
	last := ins[len(ins)-1]
	require.Equal(t, 0, last.TxnCount, "the cap cut the last account's import")
	require.True(t, last.LatestSync.LimitReached)

	limit, err := c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](1000)})
	require.NoError(t, err)
	require.Equal(t, 1, limit.Resync.Skipped, "the 101st is left out of the fan-out")
	s, err := c.CheckSession(ctx, g.AccessToken.Reveal())
	require.NoError(t, err)
	clock.Advance(time.Minute)

	latest, err := c.ResyncIntegration(ctx, last.ID, kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncLatest})
	require.NoError(t, err)
	clock.Advance(time.Minute)
	job, err := user.GetSyncJob(ctx, latest.JobID)
	require.NoError(t, err)
	listed := integrationsOf(t, user)[len(ins)-1]
	assert.Equal(t, 0, listed.TxnCount, "an incremental resync does not fetch what the cap cut off")
	assert.Equal(t, 0, job.RecordsProcessed)

	fromStart, err := c.ResyncIntegration(ctx, last.ID, kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncFromStart})
	require.NoError(t, err)
	clock.Advance(time.Minute)
	job, err = user.GetSyncJob(ctx, fromStart.JobID)
	require.NoError(t, err)
	assert.Equal(t, 2, job.RecordsProcessed)
	assert.Equal(t, 2, integrationsOf(t, user)[len(ins)-1].TxnCount, "a from-start resync does")
}

// A price-only run "fetches nothing, so it neither adds nor removes
// transactions" (visible's doc), but claimed still takes the integration's
// latest job, the price-only one, for "what its latest sync will have saved
// once it ends": a from-start import still under way is hidden from the
// cap. Another integration's resync queued meanwhile is given the room that
// import is about to fill, and the user ends up over the workspace
// transaction cap (DATA-API.md §5.13: the cap cuts a run, "rows before the
// cut saved, rest never fetched").
func TestAPriceOnlyRunDoesNotHideAnImportFromTheCap(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithSandboxMode(false), WithPortfolioSize(40),
		WithWorkspaceTransactionLimit(kryptos.Ptr[int64](10), nil), WithSyncTimings(time.Second, 4*time.Second))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connectWriter(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{
		{Provider: "binance", Address: "acct-1"}, {Provider: "kraken", Address: "acct-2"}}})
	user := c.User(g.Credential())
	ins := integrationsOf(t, user)
	require.Len(t, ins, 2)
	s, err := c.CheckSession(ctx, g.AccessToken.Reveal())
	require.NoError(t, err)

	limit, err := c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](50)})
	require.NoError(t, err)
	require.Len(t, limit.Resync.Triggered, 2)
	// While the raise's imports run: a price-only run of the first, then a
	// from-start resync of the second by hand.
	_, err = user.ResyncIntegration(ctx, ins[0].ID, kryptos.IntegrationResyncParams{PricesOnly: true})
	require.NoError(t, err)
	_, err = c.ResyncIntegration(ctx, ins[1].ID, kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncFromStart})
	require.NoError(t, err)

	clock.Advance(time.Minute)
	total := 0
	for _, in := range integrationsOf(t, user) {
		total += in.TxnCount
	}
	assert.LessOrEqual(t, total, 50, "the user's integrations hold more than the cap of 50")
}
