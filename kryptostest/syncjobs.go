package kryptostest

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// Sync jobs as the data API shows them (DATA-API.md §5.13): GET
// /v1/sync/{syncId}, GET /v1/sync, an integration's latestSync, and the
// user's own resync, POST /v1/integrations/{id}/resync. The docs leave the
// sync object's envelope and most of its fields open; the sandbox answers
// the integrations family's wrapped shape, {success, data}, with the fields
// the docs commit to (those of latestSync, plus summary) and integrationId,
// createdAt and updatedAt.
//
// Everything is computed from the job's timings: queued (0%), in progress
// (the records processed grow with the time spent), then final (100%).
// What a job processes is the part of the integration's history it
// fetches: all of what it saves for a sync from the start, only what is new
// since the previous successful sync for an incremental one, narrowed to
// the functions and the time window a user's resync asked for. Those
// options change the report, not what the job saves.

// syncOptions are what a user's resync asked for beyond its mode.
type syncOptions struct {
	functions  []string
	start, end time.Time
	priceOnly  bool
}

// connectorFunction is one function of a provider's connector: a part of a
// sync, and a key of its summary.
type connectorFunction struct {
	name, publicName string
	base             bool
	categories       []string
}

// priceFunction is the one function a price-only resync runs.
const priceFunction = "updatePrices"

// connectorFunctions returns the functions a sync of p runs, as the
// provider's catalogue entry lists them.
func connectorFunctions(p *providerInfo) []connectorFunction {
	switch credentialKind(p) {
	case "csv":
		return []connectorFunction{{"importFile", "CSV file", true, []string{"import"}}}
	case "api_key":
		return []connectorFunction{
			{"fetchTrades", "Trades", true, []string{"trade"}},
			{"fetchDeposits", "Deposits", true, []string{"deposit"}},
			{"fetchWithdrawals", "Withdrawals", true, []string{"withdrawal"}},
			{"fetchStakingRewards", "Staking rewards", false, []string{"staking"}},
		}
	}
	return []connectorFunction{
		{"fetchTransactions", "Transactions", true, []string{"transfer"}},
		{"fetchTokenTransfers", "Token transfers", true, []string{"transfer", "token"}},
	}
}

// functionOf names the connector function that fetched tx.
func functionOf(p *providerInfo, tx *txRecord) string {
	switch credentialKind(p) {
	case "csv":
		return "importFile"
	case "api_key":
		switch {
		case tx.typ == "trade":
			return "fetchTrades"
		case tx.label == "Staking Reward":
			return "fetchStakingRewards"
		case tx.typ == "deposit":
			return "fetchDeposits"
		}
		return "fetchWithdrawals"
	}
	if legs := tx.legs(); len(legs) > 0 && legs[0].asset.tokenID != p.chain {
		return "fetchTokenTransfers"
	}
	return "fetchTransactions"
}

// syncModeOf is a job's mode in the data API's words.
func syncModeOf(m kryptos.ResyncMode) kryptos.SyncMode {
	if m == kryptos.ResyncFromStart {
		return kryptos.SyncFromStart
	}
	return kryptos.SyncIncremental
}

// syncKind says how a job fetches: through an exchange's API, from a
// chain, or from a file.
func syncKind(in *integration) string {
	switch credentialKind(in.provider) {
	case "api_key":
		return "api"
	case "csv":
		return "csv"
	}
	return "blockchain"
}

// previousSuccess returns the integration's last job before j that had
// finished successfully when j was queued.
func (s *Server) previousSuccess(in *integration, j *job) *job {
	i := slices.Index(in.jobs, j)
	for i--; i >= 0; i-- {
		prev := in.jobs[i]
		if !prev.fails && !prev.finishedAt(&s.cfg).After(j.createdAt) {
			return prev
		}
	}
	return nil
}

// jobRecords returns the transactions job j processes, oldest first.
func (s *Server) jobRecords(in *integration, j *job) []*txRecord {
	o := j.options
	if o != nil && o.priceOnly {
		return in.history[:j.saved]
	}
	from := 0
	if j.mode == kryptos.ResyncLatest {
		if prev := s.previousSuccess(in, j); prev != nil {
			from = min(prev.saved, j.saved)
		}
	}
	records := in.history[from:j.saved]
	if o == nil {
		return records
	}
	var out []*txRecord
	for _, tx := range records {
		if (!o.start.IsZero() && tx.at.Before(o.start)) || (!o.end.IsZero() && !tx.at.Before(o.end)) {
			continue
		}
		if len(o.functions) > 0 && !slices.Contains(o.functions, functionOf(in.provider, tx)) {
			continue
		}
		out = append(out, tx)
	}
	return out
}

// jobView is where a job stands at a moment.
type jobView struct {
	status       syncState
	percent      float64
	processed    int
	limitReached bool
	summary      map[string]any
	completedAt  time.Time
}

// viewJob computes what job j of in reports at now.
func (s *Server) viewJob(in *integration, j *job, now time.Time) jobView {
	records := s.jobRecords(in, j)
	v := jobView{status: j.status(&s.cfg, now)}
	switch v.status {
	case syncQueued:
	case syncInProgress:
		frac := float64(now.Sub(j.startedAt(&s.cfg))) / float64(s.cfg.syncingFor)
		v.percent = math.Min(math.Floor(frac*100), 99)
		v.processed = int(frac * float64(len(records)))
	case syncFailed:
		// The provider did not answer: nothing was fetched.
		v.percent, v.completedAt = 100, j.finishedAt(&s.cfg)
	default:
		v.percent, v.processed, v.completedAt = 100, len(records), j.finishedAt(&s.cfg)
		v.limitReached = j.limitReached
	}
	v.summary = s.jobSummary(in, j, v, records)
	return v
}

// jobSummary is the per-function report: {"<function>": {"status",
// "records"}}, with an error for a failed job.
func (s *Server) jobSummary(in *integration, j *job, v jobView, records []*txRecord) map[string]any {
	var names []string
	switch {
	case j.priceOnly():
		names = []string{priceFunction}
	case j.options != nil && len(j.options.functions) > 0:
		names = j.options.functions
	default:
		for _, f := range connectorFunctions(in.provider) {
			names = append(names, f.name)
		}
	}
	counts := map[string]int{}
	for _, tx := range records[:v.processed] {
		name := priceFunction
		if !j.priceOnly() {
			name = functionOf(in.provider, tx)
		}
		counts[name]++
	}
	cut := map[string]bool{}
	if v.limitReached {
		for _, tx := range in.history[j.saved:] {
			cut[functionOf(in.provider, tx)] = true
		}
	}
	out := make(map[string]any, len(names))
	for _, name := range names {
		entry := map[string]any{"records": counts[name]}
		switch {
		case v.status == syncQueued:
			entry["status"] = "pending"
		case v.status == syncInProgress:
			entry["status"] = "in_progress"
		case v.status == syncFailed:
			entry["status"], entry["error"] = "failed", "sandbox: the provider did not answer"
		case cut[name]:
			entry["status"] = "limit_reached"
		default:
			entry["status"] = "completed"
		}
		out[name] = entry
	}
	return out
}

// latestSyncJSON is a job as an integration's latestSync: exactly the
// fields the docs' sample shows.
func (s *Server) latestSyncJSON(in *integration, j *job, now time.Time) map[string]any {
	v := s.viewJob(in, j, now)
	return map[string]any{
		"id": j.id, "status": v.status, "syncKind": syncKind(in), "mode": syncModeOf(j.mode),
		"progressPercent": v.percent, "recordsProcessed": v.processed, "recordsFailed": 0,
		"limitReached": v.limitReached, "completedAt": iso(v.completedAt),
	}
}

// syncJobJSON is a job as GET /v1/sync/{syncId} sends it: latestSync's
// fields, the summary, the integration and its times.
func (s *Server) syncJobJSON(in *integration, j *job, now time.Time) map[string]any {
	out := s.latestSyncJSON(in, j, now)
	out["summary"] = s.viewJob(in, j, now).summary
	out["integrationId"] = in.walletID
	out["createdAt"] = iso(j.createdAt)
	out["updatedAt"] = iso(j.updatedAt(&s.cfg, now))
	return out
}

// GET /v1/sync/{syncId}
func (s *Server) getSyncJob(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeIntegrationsRead})
	if !ok {
		return
	}
	j := s.state.jobs[r.PathValue("syncId")]
	if j == nil || j.userID != req.user.id {
		writeAPIError(w, notFoundWithDetails("Sync not found"))
		return
	}
	writeData(w, http.StatusOK, s.syncJobJSON(req.user.integration(j.walletID), j, req.now))
}

// GET /v1/sync: the user's sync jobs, newest first, filtered by
// integrationId and status, with the page-number paging of the
// integrations family (limit 50 by default, clamped to 100). The route's
// parameters and envelope are not documented; the sandbox nests the list
// as the integrations list does: {success, data: {syncs, pagination}}.
func (s *Server) listSyncJobs(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeIntegrationsRead})
	if !ok {
		return
	}
	page, limit, e := numberedPage(req.q, 50, 100)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	status, e := oneOfParam(req.q, "status", "", string(kryptos.SyncPending), string(kryptos.SyncQueued),
		string(kryptos.SyncInProgress), string(kryptos.SyncCompleted), string(kryptos.SyncPartiallySynced),
		string(kryptos.SyncFailed), string(kryptos.SyncCancelled))
	if e != nil {
		writeAPIError(w, e)
		return
	}
	integrationID := req.q.Get("integrationId")
	type entry struct {
		in *integration
		j  *job
	}
	var all []entry
	for _, in := range req.user.integrations {
		if integrationID != "" && in.walletID != integrationID {
			continue
		}
		for _, j := range in.jobs {
			if status == "" || string(j.status(&s.cfg, req.now)) == status {
				all = append(all, entry{in, j})
			}
		}
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].j.createdAt.After(all[b].j.createdAt) })
	from, to := window(len(all), (page-1)*limit, limit)
	list := make([]map[string]any, 0, to-from)
	for _, e := range all[from:to] {
		list = append(list, s.syncJobJSON(e.in, e.j, req.now))
	}
	writeData(w, http.StatusOK, map[string]any{"syncs": list, "pagination": pagination(page, limit, len(all))})
}

// resyncBody is the body of the user's resync. The docs name its options
// but not their wire form; the sandbox reads the SDK's: syncMode
// (incremental or resync_from_start), functions, startTime and endTime
// (Unix ms) and priceOnly, each optional.
type resyncBody struct {
	SyncMode  string   `json:"syncMode"`
	Functions []string `json:"functions"`
	StartTime int64    `json:"startTime"`
	EndTime   int64    `json:"endTime"`
	PriceOnly bool     `json:"priceOnly"`
}

// POST /v1/integrations/{integrationId}/resync: the user's own resync,
// with the integrations:write scope. It follows the partner resync's rules
// per integration type (SYNC_DISABLED, the CSV rules) and answers 202 with
// the queued job, as GET /v1/sync/{syncId} shows it.
func (s *Server) resyncUserIntegration(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeIntegrationsWrite})
	if !ok {
		return
	}
	var body resyncBody
	if err == nil && len(raw) > 0 {
		err = json.Unmarshal(raw, &body)
	}
	if err != nil {
		writeAPIError(w, errorf(http.StatusBadRequest, "VALIDATION_ERROR", "the body must be a JSON object: %v", err))
		return
	}
	in := req.user.integration(r.PathValue("integrationId"))
	if in == nil {
		writeAPIError(w, notFoundWithDetails("Integration not found"))
		return
	}
	mode, opts, e := resyncRequest(in, body)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	if e := s.resyncRule(in, mode); e != nil {
		writeAPIError(w, e)
		return
	}
	j := s.queueJobs(req.user, []*integration{in}, mode, req.now)[0]
	j.options = opts
	if opts.priceOnly {
		// Pricing again fetches nothing: the job keeps what is there.
		j.saved, j.limitReached = len(in.visible(&s.cfg, req.now)), false
	}
	s.stats.ResyncsQueued++
	writeData(w, http.StatusAccepted, s.syncJobJSON(in, j, req.now))
}

// resyncRequest checks a user's resync body against the integration.
func resyncRequest(in *integration, b resyncBody) (kryptos.ResyncMode, *syncOptions, *apiError) {
	mode := kryptos.ResyncLatest
	switch kryptos.SyncMode(b.SyncMode) {
	case "", kryptos.SyncIncremental:
	case kryptos.SyncFromStart:
		mode = kryptos.ResyncFromStart
	default:
		return "", nil, validation("syncMode", "must be incremental or resync_from_start")
	}
	known := connectorFunctions(in.provider)
	for _, name := range b.Functions {
		if !slices.ContainsFunc(known, func(f connectorFunction) bool { return f.name == name }) {
			return "", nil, validation("functions", "names no function of provider "+in.provider.id+": "+name)
		}
	}
	o := &syncOptions{functions: b.Functions, priceOnly: b.PriceOnly}
	if b.StartTime > 0 {
		o.start = time.UnixMilli(b.StartTime).UTC()
	}
	if b.EndTime > 0 {
		o.end = time.UnixMilli(b.EndTime).UTC()
	}
	switch {
	case !o.start.IsZero() && !o.end.IsZero() && !o.start.Before(o.end):
		return "", nil, validation("startTime", "must be before endTime")
	case b.PriceOnly && mode == kryptos.ResyncFromStart:
		return "", nil, validation("priceOnly", "cannot be combined with resync_from_start")
	}
	return mode, o, nil
}

// notFoundWithDetails is the integrations family's wrapped 404, with its empty
// details (DATA-API.md §3.2).
func notFoundWithDetails(message string) *apiError {
	e := errorf(http.StatusNotFound, "NOT_FOUND", "%s", message)
	e.details = map[string]any{}
	return e
}
