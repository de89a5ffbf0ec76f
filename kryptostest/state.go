package kryptostest

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// state is everything the sandbox remembers. Server.mu guards it.
type state struct {
	clients      map[string]string // client ID -> secret
	linkTokens   map[string]*linkToken
	publicTokens map[string]*publicToken
	users        map[string]*user
	usersByEmail map[string]*user
	grants       map[string]*grant
	accessTokens map[string]*accessToken
	jobs         map[string]*job
	counters     map[string]*counter // rate-limit counters by client and class
	apiKeys      map[string]string   // API key -> user ID
	grantSeq     int
}

func newState(cfg config) state {
	return state{
		clients:      map[string]string{cfg.clientID: cfg.clientSecret},
		linkTokens:   map[string]*linkToken{},
		publicTokens: map[string]*publicToken{},
		users:        map[string]*user{},
		usersByEmail: map[string]*user{},
		grants:       map[string]*grant{},
		accessTokens: map[string]*accessToken{},
		jobs:         map[string]*job{},
		counters:     map[string]*counter{},
		apiKeys:      map[string]string{},
	}
}

type linkToken struct {
	clientID  string
	scopes    kryptos.Scopes
	expiresAt time.Time
	// userID is set when the link token was created with a valid access
	// token: the user is known and has granted access already.
	userID string
	used   bool
	// The widget's email sign-in: the address a code was sent to, and the
	// one that was verified.
	otpEmail      string
	verifiedEmail string
}

type publicToken struct {
	clientID  string
	userID    string
	scopes    kryptos.Scopes
	expiresAt time.Time
	used      bool
}

type user struct {
	id        string
	guest     bool
	email     string
	createdAt time.Time
	// workspace is the user's own: a Connect token is bound to it.
	workspace    *workspace
	integrations []*integration
	// The user's own transaction limit override, if any.
	limit   *int64
	limiter *bool
	// txIndex is what the transactions and ledgers endpoints show of the
	// user's history, with their recent filtered lists; transactions.go
	// rebuilds it when a sync changes what is visible.
	txIndex *transactionIndex
}

type integration struct {
	walletID      string
	userID        string
	provider      *providerInfo
	address       string
	alias         string
	kind          string // wallet, exchange or csv
	syncDisabled  bool
	sourceMissing bool
	failSync      bool
	addedOn       time.Time
	// portfolio is the integration's primary portfolio.
	portfolio *portfolio
	// history is everything the provider has, oldest first; the data API
	// shows what the latest finished sync saved of it.
	history []*txRecord
	// jobs is the integration's sync history, oldest first.
	jobs    []*job
	lastJob *job
}

type grant struct {
	id string
	// seq orders grants by creation when their times are equal.
	seq       int
	clientID  string
	userID    string
	scopes    kryptos.Scopes
	createdAt time.Time
	expiresAt time.Time
	revoked   bool
	// oauth marks a grant given through "Sign in with Kryptos" rather than
	// the Connect widget: it is not one of the client's Connect grants.
	oauth bool
}

type accessToken struct {
	grantID   string
	issuedAt  time.Time
	expiresAt time.Time
}

type job struct {
	id        string
	userID    string
	walletID  string
	kind      string
	mode      kryptos.ResyncMode
	createdAt time.Time
	// fails makes the job end failed instead of completed.
	fails bool
	// saved is how many transactions of the history the job saves when it
	// finishes; limitReached says the workspace's transaction cap cut it
	// short.
	saved        int
	limitReached bool
	// options narrow a user's resync (syncjobs.go); nil for every other job.
	options *syncOptions
	// notified is the last status announced by webhook.
	notified syncState
}

// priceOnly says the job prices the transactions already saved again,
// without importing any.
func (j *job) priceOnly() bool { return j.options != nil && j.options.priceOnly }

// syncState is a sync job's status, in the data API's vocabulary.
type syncState string

const (
	syncQueued     syncState = "queued"
	syncInProgress syncState = "in_progress"
	syncCompleted  syncState = "completed"
	syncPartial    syncState = "partially_synced"
	syncFailed     syncState = "failed"
)

func (s syncState) done() bool { return s == syncCompleted || s == syncPartial || s == syncFailed }

// activeGrant returns the grant of clientID for userID that still works.
func (st *state) activeGrant(clientID, userID string, now time.Time) *grant {
	for _, g := range st.grants {
		if g.clientID == clientID && g.userID == userID && g.active(now) {
			return g
		}
	}
	return nil
}

func (g *grant) active(now time.Time) bool { return !g.revoked && now.Before(g.expiresAt) }

// tokenState says whether an access token works, and why not.
func (st *state) tokenState(token string, now time.Time) (*grant, string) {
	at := st.accessTokens[token]
	if at == nil {
		return nil, "invalid_token"
	}
	g := st.grants[at.grantID]
	switch {
	case g.revoked:
		return g, "grant_revoked"
	case !now.Before(at.expiresAt) || !now.Before(g.expiresAt):
		return g, "token_expired"
	}
	return g, ""
}

// status is where a job stands at now: it is queued, then in progress,
// then finished, as time passes.
func (j *job) status(cfg *config, now time.Time) syncState {
	elapsed := now.Sub(j.createdAt)
	switch {
	case elapsed < j.queuedFor(cfg):
		return syncQueued
	case elapsed < j.queuedFor(cfg)+cfg.syncingFor:
		return syncInProgress
	case j.fails:
		return syncFailed
	case j.limitReached:
		return syncPartial
	}
	return syncCompleted
}

// startedAt and finishedAt are when the job left the queue and when it
// finished (or will).
func (j *job) startedAt(cfg *config) time.Time { return j.createdAt.Add(j.queuedFor(cfg)) }
func (j *job) finishedAt(cfg *config) time.Time {
	return j.createdAt.Add(j.queuedFor(cfg) + cfg.syncingFor)
}

// queuedFor is how long the job waits in the queue.
func (j *job) queuedFor(cfg *config) time.Duration { return cfg.queueTime(j.kind) }

// queueTime is how long a job of an integration of kind waits in the
// queue. A CSV resync reads the file already on record and starts at once:
// API.md's CSV sample answers "ongoing" where the wallet sample answers
// "queued".
func (cfg *config) queueTime(kind string) time.Duration {
	if kind == "csv" {
		return 0
	}
	return cfg.queuedFor
}

func (j *job) updatedAt(cfg *config, now time.Time) time.Time {
	switch j.status(cfg, now) {
	case syncQueued:
		return j.createdAt
	case syncInProgress:
		return j.startedAt(cfg)
	}
	return j.finishedAt(cfg)
}

// randomHex returns n random bytes in hex: token values nobody can guess.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
