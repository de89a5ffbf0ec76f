package kryptostest

import (
	"errors"
	"fmt"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/clock"
)

// Option configures a sandbox.
type Option func(*config)

type config struct {
	clock         Clock
	clientID      string
	clientSecret  string
	allowedScopes kryptos.Scopes
	limits        RateLimits
	sandboxMode   bool
	csvNoResync   bool
	legacyTokens  bool
	queuedFor     time.Duration
	syncingFor    time.Duration
	// txPerIntegration is the length of each integration's history.
	txPerIntegration int
	wsLimit          *int64
	wsLimiter        *bool
}

func defaultConfig() config {
	return config{
		clock:            clock.Real(),
		clientID:         "sandbox_client_" + randomHex(8),
		clientSecret:     "sandbox_secret_" + randomHex(16),
		allowedScopes:    allScopes(),
		limits:           DefaultRateLimits(),
		sandboxMode:      true,
		queuedFor:        100 * time.Millisecond,
		syncingFor:       400 * time.Millisecond,
		txPerIntegration: DefaultTransactionsPerIntegration,
	}
}

// RateLimits are the per-client quotas the sandbox enforces, by quota
// class. A class without a positive Quota is not limited.
type RateLimits map[kryptos.QuotaClass]kryptos.Quota

// DefaultRateLimits returns the limits the docs still publish: the OIDC
// endpoints' (100 token requests a minute, 1000 userinfo requests and 200
// other OIDC requests an hour). The Connect and data API numbers were
// removed from the docs, so by default the sandbox does not limit them.
func DefaultRateLimits() RateLimits {
	return RateLimits(kryptos.DefaultQuotas())
}

// LegacyRateLimits returns the Connect and data API limits the docs
// published until February 2026, beside the default ones: 10 link tokens
// and 5 exchanges a minute, and 1000 data API calls an hour. Use it to see
// how a backend copes with a server that still applies them.
func LegacyRateLimits() RateLimits {
	l := DefaultRateLimits()
	l[kryptos.ClassLinkToken] = kryptos.Quota{Requests: 10, Per: time.Minute}
	l[kryptos.ClassExchange] = kryptos.Quota{Requests: 5, Per: time.Minute}
	l[kryptos.ClassData] = kryptos.Quota{Requests: 1000, Per: time.Hour}
	return l
}

// WithClock sets the sandbox's time source, such as a FakeClock.
func WithClock(c Clock) Option { return func(cfg *config) { cfg.clock = c } }

// WithCredentials registers the client with these credentials instead of
// random ones.
func WithCredentials(clientID, clientSecret string) Option {
	return func(cfg *config) { cfg.clientID, cfg.clientSecret = clientID, clientSecret }
}

// WithAllowedScopes limits the scopes the client may request (by default
// every documented scope); others are refused with INVALID_SCOPE.
func WithAllowedScopes(scopes kryptos.Scopes) Option {
	return func(cfg *config) { cfg.allowedScopes = append(kryptos.Scopes(nil), scopes...) }
}

// WithRateLimits replaces DefaultRateLimits; nil or an empty map turns
// every limit off.
func WithRateLimits(l RateLimits) Option {
	return func(cfg *config) {
		cfg.limits = RateLimits{}
		for class, q := range l {
			cfg.limits[class] = q
		}
	}
}

// WithSandboxMode sets whether the client is in sandbox mode (the default
// for new clients): only Ethereum and Solana, and only their test
// addresses, may be connected.
func WithSandboxMode(on bool) Option { return func(cfg *config) { cfg.sandboxMode = on } }

// WithCSVResyncUnsupported makes the sandbox answer every CSV resync with
// 409 CSV_RESYNC_UNSUPPORTED, as newer API versions do. By default it
// follows the older rule: from_start only.
func WithCSVResyncUnsupported() Option { return func(cfg *config) { cfg.csvNoResync = true } }

// WithLegacyTokens makes the token exchange answer as older API versions
// did: an access token of 24 hours, a rotating crt_ refresh token, and no
// grant id. The refresh token is refreshed at the OIDC token endpoint
// (OAUTH.md), like an OAuth one.
func WithLegacyTokens() Option { return func(cfg *config) { cfg.legacyTokens = true } }

// WithSyncTimings sets how long a sync job stays queued and then syncing
// before it completes (by default 100 ms and 400 ms). A CSV's job is never
// queued: it reads the file on record at once, and its resync answers
// "ongoing", as in API.md's sample.
func WithSyncTimings(queued, syncing time.Duration) Option {
	return func(cfg *config) { cfg.queuedFor, cfg.syncingFor = queued, syncing }
}

// WithPortfolioSize sets how many transactions each integration a user
// connects has (default DefaultTransactionsPerIntegration): 100,000 for a
// scale test of an export. Histories are generated when the integration is
// connected, deterministically from its wallet id.
func WithPortfolioSize(transactionsPerIntegration int) Option {
	return func(cfg *config) { cfg.txPerIntegration = max(transactionsPerIntegration, 1) }
}

// WithWorkspaceTransactionLimit sets the default transaction limit of the
// client's Guest users (the Developer Portal's workspace default), which
// applies when a user has no override of their own; nil leaves a field to
// the platform default (100,000, limiter on).
func WithWorkspaceTransactionLimit(limit *int64, enableLimiter *bool) Option {
	return func(cfg *config) { cfg.wsLimit, cfg.wsLimiter = limit, enableLimiter }
}

// validate refuses, at construction, what the options cannot mean: each
// would otherwise surface later, as a panic in a handler (a nil clock), a
// sandbox that refuses every client (empty credentials), jobs that finish
// before they start, or a Guest cap silently lifted (a negative limit reads
// as "no cap"; API.md §2: transactionLimit is a positive integer).
func (cfg *config) validate() error {
	switch {
	case cfg.clock == nil:
		return errors.New("kryptostest: WithClock: the clock is nil")
	case cfg.clientID == "" || cfg.clientSecret == "":
		return errors.New("kryptostest: WithCredentials: the client ID and secret must not be empty")
	case cfg.queuedFor < 0 || cfg.syncingFor < 0:
		return fmt.Errorf("kryptostest: WithSyncTimings: negative timings %v, %v", cfg.queuedFor, cfg.syncingFor)
	case cfg.wsLimit != nil && *cfg.wsLimit <= 0:
		return fmt.Errorf("kryptostest: WithWorkspaceTransactionLimit: the limit must be positive, not %d", *cfg.wsLimit)
	}
	return nil
}

func allScopes() kryptos.Scopes {
	names := "openid profile email offline_access"
	for _, r := range []string{"portfolios", "transactions", "integrations", "contacts", "tax", "accounting", "reports", "workspace", "users"} {
		names += " " + r + ":read " + r + ":write"
	}
	s, _ := kryptos.ParseScopes(names)
	return s
}
