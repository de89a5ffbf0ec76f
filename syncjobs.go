package kryptos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/clock"
	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// SyncStatus is the state of a sync job (DATA-API.md §5.13), exactly as the
// API sent it: a value this package does not know is kept, and is neither
// Done nor Succeeded.
type SyncStatus string

// The documented sync job states. Completed, PartiallySynced, Failed and
// Cancelled are final.
const (
	SyncPending    SyncStatus = "pending"
	SyncQueued     SyncStatus = "queued"
	SyncInProgress SyncStatus = "in_progress"
	SyncCompleted  SyncStatus = "completed"
	// SyncPartiallySynced is a success with losses, not a failure: either
	// the workspace's transaction cap cut the run short (SyncJob.LimitReached)
	// or some connector functions failed while the others succeeded
	// (SyncJob.RecordsFailed).
	SyncPartiallySynced SyncStatus = "partially_synced"
	SyncFailed          SyncStatus = "failed"
	SyncCancelled       SyncStatus = "cancelled"
)

// syncStatuses returns the documented states, as the status filter takes
// them.
func syncStatuses() []string {
	return []string{string(SyncPending), string(SyncQueued), string(SyncInProgress), string(SyncCompleted),
		string(SyncPartiallySynced), string(SyncFailed), string(SyncCancelled)}
}

// canonical maps the v1-style upper-case words that one docs page still
// uses ("SYNCING → COMPLETED", DATA-API.md §8.5) to the v2 vocabulary, so
// that Done and Succeeded judge them the same way.
func (s SyncStatus) canonical() SyncStatus {
	switch strings.ReplaceAll(strings.ToLower(string(s)), " ", "_") {
	case "pending":
		return SyncPending
	case "queued":
		return SyncQueued
	case "in_progress", "syncing", "ongoing":
		return SyncInProgress
	case "completed":
		return SyncCompleted
	case "partially_synced":
		return SyncPartiallySynced
	case "failed":
		return SyncFailed
	case "cancelled", "canceled":
		return SyncCancelled
	}
	return s
}

// Done reports whether s is final: the job will not change any more.
func (s SyncStatus) Done() bool {
	switch s.canonical() {
	case SyncCompleted, SyncPartiallySynced, SyncFailed, SyncCancelled:
		return true
	}
	return false
}

// Succeeded reports whether s is a final success. A partial sync counts:
// what could be pulled was saved. Re-running it helps only when
// SyncJob.LimitReached is false; a cut by the transaction cap needs the
// cap raised and a sync from the start.
func (s SyncStatus) Succeeded() bool {
	c := s.canonical()
	return c == SyncCompleted || c == SyncPartiallySynced
}

// SyncMode says how much of an integration a sync fetches, in the data API's
// words (latestSync.mode, the user resync's syncMode).
type SyncMode string

const (
	// SyncIncremental fetches what is new since the last sync: the API's
	// default.
	SyncIncremental SyncMode = "incremental"
	// SyncFromStart deletes the integration's data and fetches its whole
	// history again: the only way to backfill history that a transaction
	// cap cut off.
	SyncFromStart SyncMode = "resync_from_start"
)

// SyncJob is one sync of an integration: GET /v1/sync/{syncId}, an entry of
// GET /v1/sync, and Integration.LatestSync.
//
// The docs commit to ID, Status, LimitReached and Summary, and (from
// latestSync) SyncKind, Mode, ProgressPercent, RecordsProcessed,
// RecordsFailed and CompletedAt (DATA-API.md §5.13); the sync endpoints
// have no page of their own. IntegrationID, CreatedAt and UpdatedAt are
// read when the API sends them (the sandbox does); they are empty in
// Integration.LatestSync.
//
// LimitReached means the workspace's transaction cap was hit mid-run: the
// rows fetched before the cut are saved, the rest were never read, and the
// status is partially_synced. Raising the cap does not backfill them; the
// integration must also be synced again from the start (SyncFromStart).
// UpdateTransactionLimit queues those syncs itself when it moves the cap:
// see WaitForLimitResyncs.
type SyncJob struct {
	ID     string     `json:"id"`
	Status SyncStatus `json:"status"`
	// IntegrationID is the integration being synced (Integration.ID, the
	// walletId of other endpoints).
	IntegrationID string `json:"integrationId"`
	// SyncKind is how the data is fetched, such as "api".
	SyncKind string   `json:"syncKind"`
	Mode     SyncMode `json:"mode"`
	// ProgressPercent runs from 0 to 100.
	ProgressPercent  float64 `json:"progressPercent"`
	RecordsProcessed int     `json:"recordsProcessed"`
	RecordsFailed    int     `json:"recordsFailed"`
	LimitReached     bool    `json:"limitReached"`
	// Summary is the per-function report, as sent: its shape is not
	// documented. The sandbox sends {"<function>": {"status", "records"}}.
	// Nil when the answer had none.
	Summary json.RawMessage `json:"summary,omitempty"`
	// CompletedAt is zero until the job is final.
	CompletedAt time.Time `json:"completedAt"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// UnmarshalJSON reads the documented fields, and the names older answers
// used for the same facts (job_id or syncId for id; walletId or wallet_id
// for integrationId). Times may be RFC 3339 strings or Unix milliseconds.
func (j *SyncJob) UnmarshalJSON(b []byte) error {
	type plain SyncJob
	var w struct {
		*plain
		Summary     json.RawMessage `json:"summary"`
		CompletedAt optionalTime    `json:"completedAt"`
		CreatedAt   optionalTime    `json:"createdAt"`
		UpdatedAt   optionalTime    `json:"updatedAt"`
		SyncID      string          `json:"syncId"`
		JobID       string          `json:"job_id"`
		WalletID    string          `json:"walletId"`
		WalletIDV1  string          `json:"wallet_id"`
	}
	w.plain = (*plain)(j)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	j.ID = firstOf(j.ID, w.SyncID, w.JobID)
	j.IntegrationID = firstOf(j.IntegrationID, w.WalletID, w.WalletIDV1)
	j.Summary = nil
	if !absent(w.Summary) {
		j.Summary = w.Summary
	}
	j.CompletedAt, j.CreatedAt, j.UpdatedAt = w.CompletedAt.Time, w.CreatedAt.Time, w.UpdatedAt.Time
	return nil
}

// firstOf returns the first non-empty string.
func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// optionalTime is a time the API may send as an RFC 3339 string, Unix
// milliseconds, null or "" (never).
type optionalTime struct{ time.Time }

func (t *optionalTime) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == `""` {
		t.Time = time.Time{}
		return nil
	}
	var ts Timestamp
	if err := ts.UnmarshalJSON(b); err != nil {
		return err
	}
	t.Time = ts.Time
	return nil
}

// progressed reports whether j says something that last did not.
func (j *SyncJob) progressed(last *SyncJob) bool {
	return last == nil || j.Status != last.Status || j.ProgressPercent != last.ProgressPercent ||
		j.RecordsProcessed != last.RecordsProcessed || j.RecordsFailed != last.RecordsFailed ||
		j.LimitReached != last.LimitReached
}

// GetSyncJob returns the state of a sync job: GET /v1/sync/{syncId}, with
// the user's credential and the integrations:read scope. Sync ids come from
// Integration.LatestSync and LastSyncID, ResyncIntegration (both the
// partner's ResyncJob.JobID and the user's), and UpdateTransactionLimit's
// TransactionLimit.Resync. An unknown id matches ErrNotFound. To wait for
// the job to finish, use WaitForSync.
func (u *UserClient) GetSyncJob(ctx context.Context, syncID string, opts ...CallOption) (*SyncJob, error) {
	op := opGetSyncJob
	if err := checkSegment("syncID", syncID); err != nil {
		return nil, invalid(op, err)
	}
	j, err := getObject(ctx, u.c, op, request{params: []string{syncID}, cred: u.cred}, opts, "sync job status", func(j *SyncJob) string { return string(j.Status) })
	if err != nil {
		return nil, err
	}
	if j.ID == "" {
		j.ID = syncID
	}
	return j, nil
}

// SyncJobsParams filter ListSyncJobs. The query parameters of GET /v1/sync
// are not documented; these are the ones the sandbox honours, named as the
// rest of the integrations family names them.
type SyncJobsParams struct {
	// WorkspaceID is needed only for a credential that is not bound to a
	// workspace; Connect and OAuth tokens are.
	WorkspaceID string
	// IntegrationID keeps the syncs of one integration.
	IntegrationID string
	// Status keeps the syncs in this state.
	Status SyncStatus
	// Page is the first page to read (1 when 0); Limit the page size, up to
	// 100 (the server's default when 0).
	Page, Limit int
}

const maxSyncJobsLimit = 100

// syncJobsAnswer is GET /v1/sync, whose envelope is not documented: data is
// accepted as a bare array of sync objects, or as an object holding them
// under syncs, items or jobs, with or without the pagination block of the
// page-number lists.
type syncJobsAnswer struct {
	httpcore.Envelope
	Data syncJobsData `json:"data"`
	// asked is the page size asked for, 0 for the server's default.
	asked int
}

type syncJobsData struct {
	jobs       []SyncJob
	pagination *pagination
}

func (d *syncJobsData) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, &d.jobs)
	}
	var o struct {
		Syncs      []SyncJob   `json:"syncs"`
		Items      []SyncJob   `json:"items"`
		Jobs       []SyncJob   `json:"jobs"`
		Pagination *pagination `json:"pagination"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("sync jobs: want an array, or an object holding syncs, items or jobs: %w", err)
	}
	switch {
	case o.Syncs != nil:
		d.jobs = o.Syncs
	case o.Items != nil:
		d.jobs = o.Items
	default:
		d.jobs = o.Jobs
	}
	d.pagination = o.Pagination
	return nil
}

func (a *syncJobsAnswer) WholeEnvelope() *httpcore.Envelope { return &a.Envelope }

func (a *syncJobsAnswer) page() pageFacts[SyncJob, NoSummary] {
	if p := a.Data.pagination; p != nil {
		return pageFactsOf(a.Data.jobs, *p, NoSummary{})
	}
	f := pageFacts[SyncJob, NoSummary]{items: a.Data.jobs, total: -1}
	if a.asked > 0 && len(a.Data.jobs) > a.asked {
		// More than a page: the server ignored the paging and sent it all.
		f.hasMore = new(bool)
	}
	return f
}

func (u *UserClient) syncJobLister(p SyncJobsParams, opts []CallOption) *lister[SyncJob, NoSummary] {
	q := newQuery().id("workspaceId", p.WorkspaceID).id("integrationId", p.IntegrationID).
		oneOf("status", string(p.Status), syncStatuses()...)
	err := errors.Join(q.check(), checkPosition("params.Page", p.Page), checkLimit("params.Limit", p.Limit, maxSyncJobsLimit))
	l := &lister[SyncJob, NoSummary]{u: u, op: opListSyncJobs, query: q.v, style: byPageNumber, start: p.Page, limit: p.Limit,
		fullPage: maxSyncJobsLimit, opts: opts, err: err}
	l.answer = func() pageAnswer[SyncJob, NoSummary] { return &syncJobsAnswer{asked: l.limit} }
	return l
}

// ListSyncJobs iterates over the user's sync jobs: GET /v1/sync, page after
// page as the loop asks for them. The route's parameters, paging and
// envelope are not documented (DATA-API.md §8.5): pages are asked for by
// number as on the other integrations routes, and the answer is read in
// every shape listed at syncJobsAnswer. The sandbox lists the newest first.
func (u *UserClient) ListSyncJobs(ctx context.Context, p SyncJobsParams, opts ...CallOption) iter.Seq2[SyncJob, error] {
	return u.syncJobLister(p, opts).all(ctx)
}

// ListSyncJobsPage returns one page of the user's sync jobs: GET /v1/sync.
// Page.Total is -1 when the answer carried no pagination block.
func (u *UserClient) ListSyncJobsPage(ctx context.Context, p SyncJobsParams, opts ...CallOption) (*Page[SyncJob, NoSummary], error) {
	return u.syncJobLister(p, opts).first(ctx)
}

// WaitOptions tune WaitForSync and WaitForLimitResyncs. The zero value
// polls after 1 s, then doubles the wait up to 15 s.
type WaitOptions struct {
	// OnProgress, when set, is called with the job each time a poll finds
	// it changed (status, progress, records or LimitReached), the first
	// read and the final one included. It runs on the waiting goroutine;
	// keep it short.
	OnProgress func(SyncJob)
	// FirstInterval is the wait before the second poll (1 s when 0);
	// MaxInterval caps the doubling waits (15 s when 0). Every poll is a
	// call against the data quota.
	FirstInterval, MaxInterval time.Duration

	// sleep replaces the clock in tests.
	sleep func(context.Context, time.Duration) error
}

const (
	defaultFirstPoll = time.Second
	defaultMaxPoll   = 15 * time.Second
)

func (o *WaitOptions) intervals() (first, most time.Duration, err error) {
	if o.FirstInterval < 0 || o.MaxInterval < 0 {
		return 0, 0, &ParamError{"options", "FirstInterval and MaxInterval must not be negative"}
	}
	first, most = o.FirstInterval, o.MaxInterval
	if first == 0 {
		first = defaultFirstPoll
	}
	if most == 0 {
		most = max(defaultMaxPoll, first)
	}
	if most < first {
		return 0, 0, &ParamError{"options.MaxInterval", "must not be shorter than FirstInterval"}
	}
	return first, most, nil
}

func (o *WaitOptions) pause(ctx context.Context, d time.Duration) error {
	if o.sleep != nil {
		return o.sleep(ctx, d)
	}
	return clock.Sleep(ctx, clock.Real(), d)
}

// WaitForSync polls GET /v1/sync/{syncId} until the job is final (see
// SyncStatus.Done), and returns its final state, whatever it is: check
// job.Status.Succeeded(), and job.LimitReached for a run the transaction
// cap cut short. It polls at once, then after FirstInterval, doubling the
// wait up to MaxInterval. A status this package does not know is not
// final: bound the wait with ctx. When ctx ends, it returns the last state
// read with an error wrapping ctx.Err(); a failed poll returns that poll's
// error (transient failures are retried inside the poll first).
func (u *UserClient) WaitForSync(ctx context.Context, syncID string, o WaitOptions, opts ...CallOption) (*SyncJob, error) {
	if err := checkSegment("syncID", syncID); err != nil {
		return nil, invalid(opGetSyncJob, err)
	}
	wait, most, err := o.intervals()
	if err != nil {
		return nil, invalid(opGetSyncJob, err)
	}
	var last *SyncJob
	for {
		job, err := u.GetSyncJob(ctx, syncID, opts...)
		if err != nil {
			return last, err
		}
		if o.OnProgress != nil && job.progressed(last) {
			o.OnProgress(*job)
		}
		if job.Status.Done() {
			return job, nil
		}
		last = job
		if err := o.pause(ctx, wait); err != nil {
			return last, fmt.Errorf("kryptos: WaitForSync: sync %s still %s: %w", syncID, last.Status, err)
		}
		wait = min(2*wait, most)
	}
}

// WaitForLimitResyncs waits, one after the other, for the from-start syncs
// that UpdateTransactionLimit queued when it moved a Guest user's cap
// (limit.Resync.Triggered), and returns each job's final state in that
// order, with IntegrationID filled in from the trigger when the API left
// it out. A limit whose change queued nothing (Resync nil) returns no jobs.
// On an error it returns the jobs that finished before it. The integrations
// whose resync could not be queued are in limit.Resync.Failed; those it
// skipped are counted in limit.Resync.Skipped.
//
// The wait for later jobs is usually short: they ran while the earlier ones
// were being waited for.
func (u *UserClient) WaitForLimitResyncs(ctx context.Context, limit *TransactionLimit, o WaitOptions, opts ...CallOption) ([]SyncJob, error) {
	if limit == nil || limit.Resync == nil {
		return nil, nil
	}
	jobs := make([]SyncJob, 0, len(limit.Resync.Triggered))
	for _, t := range limit.Resync.Triggered {
		each := o
		if o.OnProgress != nil {
			each.OnProgress = func(j SyncJob) {
				if j.IntegrationID == "" {
					j.IntegrationID = t.IntegrationID
				}
				o.OnProgress(j)
			}
		}
		job, err := u.WaitForSync(ctx, t.SyncID, each, opts...)
		if err != nil {
			return jobs, err
		}
		if job.IntegrationID == "" {
			job.IntegrationID = t.IntegrationID
		}
		jobs = append(jobs, *job)
	}
	return jobs, nil
}
