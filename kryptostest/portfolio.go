package kryptostest

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// The user's side of the sandbox: each user has a workspace of their own
// (a Connect token is bound to it), two portfolios, and the integrations
// they connected, each with the history its syncs saved. Everything the
// data API shows is computed from these at request time.

// workspace is a user's workspace.
type workspace struct {
	id, name  string
	typ       string // retail, or connect-anonymous for a Guest
	createdAt time.Time
	// portfolios: the first is the default one.
	portfolios []*portfolio
}

// portfolio is a named group of a user's integrations.
type portfolio struct {
	id, name    string
	description string
	isDefault   bool
	createdAt   time.Time
}

// stableID returns a short id derived from parts, the same on every run.
func stableID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + hex.EncodeToString(h.Sum(nil)[:6])
}

// newUser registers a user with their workspace and portfolios. The caller
// holds s.mu.
func (s *Server) newUser(id string, guest bool, email string) *user {
	now := s.cfg.clock.Now()
	ws := &workspace{id: stableID("ws_", id), name: "My Workspace", typ: "retail", createdAt: now}
	if guest {
		ws.name, ws.typ = "Guest workspace", "connect-anonymous"
	}
	ws.portfolios = []*portfolio{
		{id: stableID("pf_", id, "main"), name: "Main", isDefault: true, createdAt: now},
		{id: stableID("pf_", id, "trading"), name: "Trading", description: "Accounts used for active trading", createdAt: now},
	}
	u := &user{id: id, guest: guest, email: email, createdAt: now, workspace: ws}
	s.state.users[id] = u
	if email != "" {
		s.state.usersByEmail[email] = u
	}
	return u
}

// connect adds an integration to a user, generates its history, and
// records the sync that imported it, finished at once. The caller holds
// s.mu.
func (s *Server) connect(u *user, wl Wallet) *integration {
	now := s.cfg.clock.Now()
	p := providerByID(wl.Provider)
	walletID := "wallet-" + randomHex(8)
	in := &integration{
		walletID: walletID, userID: u.id, provider: p, address: wl.Address, alias: wl.Alias,
		kind: kindOf(p), syncDisabled: wl.SyncDisabled, sourceMissing: wl.SourceMissing, failSync: wl.FailSync,
		addedOn: now, portfolio: u.workspace.portfolios[0],
	}
	if p.typ == "exchange" && len(u.integrations)%2 == 1 {
		in.portfolio = u.workspace.portfolios[1] // a second exchange goes to Trading
	}
	in.history = generateHistory(walletID, p, s.cfg.txPerIntegration, now.Add(-time.Minute))
	u.integrations = append(u.integrations, in)
	// The import the widget started when the user connected the account. It
	// has just finished; the first import of an account that fails later
	// still worked.
	first := s.queueJobs(u, []*integration{in}, kryptos.ResyncFromStart, now.Add(-s.cfg.queueTime(in.kind)-s.cfg.syncingFor))[0]
	first.fails = false
	// integration.created announces the connection; the import is not
	// announced again.
	first.notified = first.status(&s.cfg, now)
	return in
}

// kindOf is the kind of an integration of p. An account that connects by
// CSV only (the generic CSV import, Ledger Live) is a file import: it has
// ledger-derived balances only, as credentialKind reports it.
func kindOf(p *providerInfo) string {
	switch {
	case credentialKind(p) == string(kryptos.CredentialCSV):
		return "csv"
	case p.typ == "exchange":
		return "exchange"
	}
	return "wallet"
}

// queueJobs queues a sync of each integration at 'at'. Each job saves as
// much of its history as the user's transaction cap leaves room for, given
// what the user's other integrations hold: a Guest whose cap is lower than
// their history gets partially_synced jobs with limitReached. The caller
// holds s.mu.
func (s *Server) queueJobs(u *user, ins []*integration, mode kryptos.ResyncMode, at time.Time) []*job {
	room := -1 // no cap
	if limit := s.effectiveCap(u); limit >= 0 {
		room = int(limit)
		for _, other := range u.integrations {
			if !containsIntegration(ins, other) {
				room -= other.claimed(&s.cfg, at)
			}
		}
		room = max(room, 0)
	}
	jobs := make([]*job, len(ins))
	for i, in := range ins {
		// A sync from the start fetches the whole history; an incremental
		// one carries on from where the last import left off, so it never
		// brings back what a transaction cap cut off (DATA-API.md §5.13).
		want := len(in.history)
		if mode == kryptos.ResyncLatest {
			want = in.leftOff()
		}
		j := &job{id: "sync_" + randomHex(10), userID: u.id, walletID: in.walletID, kind: in.kind, mode: mode,
			createdAt: at, fails: in.failSync, saved: want}
		if room >= 0 {
			j.saved = min(j.saved, room)
			j.limitReached = j.saved < want
			room -= j.saved
		}
		s.state.jobs[j.id] = j
		in.jobs = append(in.jobs, j)
		in.lastJob = j
		jobs[i] = j
	}
	return jobs
}

// leftOff is how much of its history the integration's latest import
// (queued, running or finished; not one that fails, which fetches nothing,
// nor a price-only run) saves: where an incremental sync carries on from.
// The whole history when it has none.
func (in *integration) leftOff() int {
	if j := in.lastImport(); j != nil {
		return j.saved
	}
	return len(in.history)
}

// claimed is how much of the user's cap an integration takes at 'at': what
// it holds, or what its latest sync will have saved once it ends, if more.
// A sync still queued or under way counts: its saves are coming. A
// price-only run saves nothing: the import before it is the one that counts.
func (in *integration) claimed(cfg *config, at time.Time) int {
	n := len(in.visible(cfg, at))
	if j := in.lastImport(); j != nil {
		return max(n, j.saved)
	}
	return n
}

// lastImport is the integration's latest job that saves transactions
// (queued, running or finished): not one that fails, which fetches nothing,
// nor a price-only run; nil when it has none.
func (in *integration) lastImport() *job {
	for i := len(in.jobs) - 1; i >= 0; i-- {
		if j := in.jobs[i]; !j.fails && !j.priceOnly() {
			return j
		}
	}
	return nil
}

func containsIntegration(list []*integration, in *integration) bool {
	for _, x := range list {
		if x == in {
			return true
		}
	}
	return false
}

// lastFinished returns the integration's latest job that has finished
// successfully (completed or partially synced) at now, if any.
func (in *integration) lastFinished(cfg *config, now time.Time) *job {
	for i := len(in.jobs) - 1; i >= 0; i-- {
		if st := in.jobs[i].status(cfg, now); st == syncCompleted || st == syncPartial {
			return in.jobs[i]
		}
	}
	return nil
}

// visible returns the transactions the data API shows for the integration
// at now: what its latest finished import saved, oldest first. A price-only
// run fetches nothing, so it neither adds nor removes transactions: an
// import that finished around it (a from-start resync after a cap raise)
// keeps what it saved.
func (in *integration) visible(cfg *config, now time.Time) []*txRecord {
	for i := len(in.jobs) - 1; i >= 0; i-- {
		j := in.jobs[i]
		if j.priceOnly() {
			continue
		}
		if st := j.status(cfg, now); st == syncCompleted || st == syncPartial {
			return in.history[:j.saved]
		}
	}
	return nil
}

// position is what an integration holds of one asset at now.
type position struct {
	in        *integration
	asset     *assetInfo
	qty       int64   // base units
	cost      float64 // USD cost basis of what is held
	txCount   int
	lastLedge time.Time
}

func (p *position) value() float64 { return units(p.qty, p.asset) * p.asset.price }

// positions returns what each of the integrations holds at now, per
// integration and asset, replaying their visible ledgers.
func (s *Server) positions(ins []*integration, now time.Time) []*position {
	var out []*position
	for _, in := range ins {
		byAsset := map[*assetInfo]*position{}
		var order []*assetInfo
		for _, tx := range in.visible(&s.cfg, now) {
			var touched []*assetInfo
			for _, l := range tx.legs() {
				p := byAsset[l.asset]
				if p == nil {
					p = &position{in: in, asset: l.asset}
					byAsset[l.asset] = p
					order = append(order, l.asset)
				}
				p.qty = l.after
				if l.kind == "incoming" {
					p.cost += l.costbasis
				} else {
					p.cost -= l.costbasis
				}
				// A transaction counts once per asset, however many of
				// its legs (a send and its fee) are in the asset.
				if !slices.Contains(touched, l.asset) {
					touched = append(touched, l.asset)
					p.txCount++
				}
				p.lastLedge = tx.at
			}
		}
		for _, a := range order {
			if p := byAsset[a]; p.qty > 0 {
				p.cost = max(p.cost, 0)
				out = append(out, p)
			}
		}
	}
	return out
}

// integrationsIn returns the user's integrations whose primary portfolio
// is pf, or all of them when pf is nil.
func (u *user) integrationsIn(pf *portfolio) []*integration {
	if pf == nil {
		return u.integrations
	}
	var out []*integration
	for _, in := range u.integrations {
		if in.portfolio == pf {
			out = append(out, in)
		}
	}
	return out
}

// portfolio returns the user's portfolio with id, or nil.
func (u *user) portfolio(id string) *portfolio {
	for _, p := range u.workspace.portfolios {
		if p.id == id {
			return p
		}
	}
	return nil
}

// transactions returns every visible transaction of the user's
// integrations at now, newest first, each with its integration.
func (s *Server) transactions(u *user, now time.Time) []userTx {
	var out []userTx
	for _, in := range u.integrations {
		for _, tx := range in.visible(&s.cfg, now) {
			out = append(out, userTx{tx, in})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].tx.at.After(out[j].tx.at) })
	return out
}

// userTx is a transaction with the integration it belongs to.
type userTx struct {
	tx *txRecord
	in *integration
}
