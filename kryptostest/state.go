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
	id           string
	guest        bool
	email        string
	integrations []*integration
	// The user's own transaction limit override, if any.
	limit   *int64
	limiter *bool
}

type integration struct {
	walletID      string
	userID        string
	provider      string
	address       string
	alias         string
	kind          string // wallet, exchange or csv
	syncDisabled  bool
	sourceMissing bool
	failSync      bool
	addedOn       time.Time
	lastJob       *job
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
}

type accessToken struct {
	grantID   string
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
	// notified is the last status announced by webhook.
	notified kryptos.SyncStatus
}

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

// status is where a job stands at now: it is queued, then syncing, then
// completed, as time passes.
func (j *job) status(cfg *config, now time.Time) kryptos.SyncStatus {
	elapsed := now.Sub(j.createdAt)
	switch {
	case elapsed < cfg.queuedFor:
		return kryptos.SyncQueued
	case elapsed < cfg.queuedFor+cfg.syncingFor:
		return kryptos.SyncSyncing
	case j.fails:
		return kryptos.SyncFailed
	}
	return kryptos.SyncCompleted
}

func (j *job) updatedAt(cfg *config, now time.Time) time.Time {
	switch j.status(cfg, now) {
	case kryptos.SyncQueued:
		return j.createdAt
	case kryptos.SyncSyncing:
		return j.createdAt.Add(cfg.queuedFor)
	}
	return j.createdAt.Add(cfg.queuedFor + cfg.syncingFor)
}

// randomHex returns n random bytes in hex: token values nobody can guess.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
