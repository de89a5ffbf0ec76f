package kryptos

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/kryptos-connect/kryptos-go/internal/clock"
	"github.com/kryptos-connect/kryptos-go/internal/throttle"
)

// QuotaClass names a group of operations that the server counts against one
// rate limit per client ID, such as every data API call. Limiters keep
// quotas per class, not per method.
type QuotaClass string

// The quota classes of the API (API.md §3). Each operation belongs to one;
// the README's table of methods names it.
const (
	// ClassLinkToken is POST /link-token.
	ClassLinkToken QuotaClass = "link_token"
	// ClassExchange is POST /token/exchange.
	ClassExchange QuotaClass = "exchange"
	// ClassConnect is every other Connect backend call (sessions, grants,
	// resyncs, transaction limits).
	ClassConnect QuotaClass = "connect"
	// ClassData is every data API call, whoever's credential it carries.
	ClassData QuotaClass = "data"
	// ClassOIDCToken is the OIDC token endpoint: code exchanges and
	// refreshes.
	ClassOIDCToken QuotaClass = "oidc_token"
	// ClassOIDCUserInfo is the OIDC userinfo endpoint.
	ClassOIDCUserInfo QuotaClass = "oidc_userinfo"
	// ClassOIDCOther is every other OIDC endpoint (revocation,
	// introspection, discovery, keys).
	ClassOIDCOther QuotaClass = "oidc_other"
)

// Limiter decides when each request may leave the client. Wait is called
// before every attempt, retries included, and the attempt is sent when it
// returns nil; Backoff is called whenever the server answers 429, so that
// every caller of that class waits out the server's retry_after together
// instead of each drawing its own 429.
//
// Implementations must be safe for concurrent use. The server counts per
// client ID, so every Client of one client ID should share one Limiter; a
// Limiter over a shared store (see the kryptosredis module) extends that
// across processes.
type Limiter interface {
	// Wait blocks until one request of class may be sent, or ctx ends (then
	// it returns ctx.Err()). When the wait would last longer than maxWait
	// (a negative maxWait sets no bound) or end after ctx's deadline, it
	// returns a *QuotaWaitError at once, without reserving anything.
	Wait(ctx context.Context, class QuotaClass, maxWait time.Duration) error
	// Backoff holds every later request of class until wait has passed:
	// the server refused one with 429 and asked for that wait.
	Backoff(ctx context.Context, class QuotaClass, wait time.Duration)
}

// Quota is a rate limit: at most Requests in any window of length Per.
type Quota struct {
	Requests int
	Per      time.Duration
}

// MaxQuotaPer is the longest Quota.Per a Limiter accepts, here and in
// kryptosredis: the API's windows are an hour at most, and a window much
// longer would overflow with its margin.
const MaxQuotaPer = 366 * 24 * time.Hour

// Rate paces a class evenly: PerSecond requests a second on average, with
// bursts of up to Burst. Unlike a Quota it does not promise a count per
// window; it spreads bulk work (a long export, a backfill) so that it leaves
// room for everything else.
type Rate struct {
	PerSecond float64
	Burst     int
}

// LimiterConfig configures NewLimiter. Classes without a Quota or Rate are
// held only by the server's 429s.
type LimiterConfig struct {
	// Quotas are the limits the client keeps to on its own side, per class.
	// Start from DefaultQuotas and add the numbers you know the server
	// applies to your client.
	Quotas map[QuotaClass]Quota
	// Rates pace classes, typically ClassData during bulk reads.
	Rates map[QuotaClass]Rate
}

// DefaultQuotas returns the documented per-client limits that are still
// published (OAUTH.md): 100 OIDC token requests a minute, 1000 userinfo
// requests an hour, and 200 other OIDC requests an hour.
//
// The Connect and data API numbers (10 link tokens and 5 exchanges a minute,
// 1000 data API calls an hour) were removed from the docs in February 2026,
// and a client-side quota the server no longer applies would only stall a
// busy backend. The server's 429 is the authority; add those numbers to
// LimiterConfig.Quotas if your client is still held to them.
func DefaultQuotas() map[QuotaClass]Quota {
	return map[QuotaClass]Quota{
		ClassOIDCToken:    {Requests: 100, Per: time.Minute},
		ClassOIDCUserInfo: {Requests: 1000, Per: time.Hour},
		ClassOIDCOther:    {Requests: 200, Per: time.Hour},
	}
}

// ErrQuotaWait matches a call that was not sent because the client-side
// Limiter would have held it too long: past WithMaxQuotaWait, or past the
// call's context deadline. Its *QuotaWaitError says for how long.
var ErrQuotaWait = errors.New("kryptos: the client-side quota would hold the call too long")

// QuotaWaitError is a request that a Limiter refused to hold: it would have
// waited Wait for a slot of Class. It matches ErrQuotaWait.
type QuotaWaitError struct {
	Class QuotaClass
	Wait  time.Duration
}

func (e *QuotaWaitError) Error() string {
	return fmt.Sprintf("the client-side quota of class %s has no slot for %s", e.Class, e.Wait.Round(time.Millisecond))
}

// Is reports whether target is ErrQuotaWait.
func (e *QuotaWaitError) Is(target error) bool { return target == ErrQuotaWait }

// NewLimiter returns the in-process Limiter: per class, it waits out the
// server's 429s together, paces by Rate (a token bucket of
// golang.org/x/time/rate), and keeps to Quota with a sliding window.
//
// A Quota never lets more than Requests through in any window of length
// Per, the way the server counts, yet lets a burst of Requests through at
// once. (A token bucket with the same rate and burst would send up to
// 2·Requests-1 within one window.) Its windows are 1% longer than Per, and
// at least 50 ms longer, so that uneven network delays cannot crowd the
// requests of two windows into one at the server. Waiters are served in
// arrival order, and one that gives up hands its place to the next at once.
func NewLimiter(cfg LimiterConfig) (Limiter, error) {
	return newLimiter(cfg, clock.Real())
}

func newLimiter(cfg LimiterConfig, c clock.Clock) (*limiter, error) {
	l := &limiter{clock: c, classes: map[QuotaClass]*classLimiter{}}
	class := func(name QuotaClass) *classLimiter {
		if l.classes[name] == nil {
			l.classes[name] = &classLimiter{}
		}
		return l.classes[name]
	}
	for _, name := range []QuotaClass{ClassLinkToken, ClassExchange, ClassConnect, ClassData, ClassOIDCToken, ClassOIDCUserInfo, ClassOIDCOther} {
		class(name)
	}
	for name, q := range cfg.Quotas {
		if q.Requests <= 0 || q.Per <= 0 || q.Per > MaxQuotaPer {
			return nil, fmt.Errorf("kryptos: NewLimiter: %w", &ParamError{"Quotas[" + string(name) + "]", "needs positive Requests and a Per of at most MaxQuotaPer"})
		}
		class(name).window = throttle.QuotaWindow(q.Requests, q.Per, c)
	}
	for name, r := range cfg.Rates {
		if !(r.PerSecond > 0) || r.Burst <= 0 {
			return nil, fmt.Errorf("kryptos: NewLimiter: %w", &ParamError{"Rates[" + string(name) + "]", "needs positive PerSecond and Burst"})
		}
		class(name).pace = rate.NewLimiter(rate.Limit(r.PerSecond), r.Burst)
	}
	return l, nil
}

// limiter is the in-process Limiter. Its map is not modified after
// construction; each class guards its own state.
type limiter struct {
	clock   clock.Clock
	classes map[QuotaClass]*classLimiter
}

type classLimiter struct {
	window *throttle.Window // nil without a Quota
	pace   *rate.Limiter    // nil without a Rate

	// paused is when requests may leave again after a 429; nil when no
	// pause is pending. Every call of the class reads it, without a lock;
	// Backoff replaces it, never modifies it.
	paused atomic.Pointer[time.Time]
}

func (l *limiter) Wait(ctx context.Context, class QuotaClass, maxWait time.Duration) error {
	cl := l.classes[class]
	if cl == nil || (cl.pace == nil && cl.window == nil && cl.paused.Load() == nil) {
		return ctx.Err() // nothing to wait for, nor a clock to read
	}
	start := l.clock.Now()
	left := func() time.Duration {
		if maxWait < 0 {
			return -1
		}
		return max(0, maxWait-l.clock.Now().Sub(start))
	}
	if err := cl.waitPause(ctx, l.clock, class, left); err != nil {
		return err
	}
	if cl.pace != nil {
		if err := cl.waitPace(ctx, l.clock, class, left()); err != nil {
			return err
		}
	}
	if cl.window != nil {
		var tooLong *throttle.TooLong
		if err := cl.window.Wait(ctx, left()); errors.As(err, &tooLong) {
			return &QuotaWaitError{Class: class, Wait: tooLong.Wait}
		} else if err != nil {
			return err
		}
	}
	if cl.pace != nil || cl.window != nil {
		// A 429 that came while this request waited holds it too.
		return cl.waitPause(ctx, l.clock, class, left)
	}
	return nil
}

// waitPause sleeps until a pause set by Backoff has passed.
func (cl *classLimiter) waitPause(ctx context.Context, c clock.Clock, class QuotaClass, left func() time.Duration) error {
	until := cl.paused.Load()
	if until == nil {
		return ctx.Err()
	}
	wait := until.Sub(c.Now())
	if wait <= 0 {
		cl.paused.CompareAndSwap(until, nil) // over, unless a later 429 replaced it
		return ctx.Err()
	}
	if budget := left(); (budget >= 0 && wait > budget) || outlasts(ctx, wait) {
		return &QuotaWaitError{Class: class, Wait: wait}
	}
	return clock.Sleep(ctx, c, wait)
}

// waitPace takes a token of the class's bucket, sleeping for it on the
// Limiter's clock.
func (cl *classLimiter) waitPace(ctx context.Context, c clock.Clock, class QuotaClass, budget time.Duration) error {
	now := c.Now()
	r := cl.pace.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	if wait == 0 {
		return nil
	}
	if (budget >= 0 && wait > budget) || outlasts(ctx, wait) {
		r.CancelAt(now)
		return &QuotaWaitError{Class: class, Wait: wait}
	}
	if err := clock.Sleep(ctx, c, wait); err != nil {
		r.CancelAt(c.Now())
		return err
	}
	return nil
}

func (l *limiter) Backoff(_ context.Context, class QuotaClass, wait time.Duration) {
	cl := l.classes[class]
	if cl == nil || wait <= 0 {
		return
	}
	until := l.clock.Now().Add(wait)
	for {
		old := cl.paused.Load()
		if old != nil && !until.After(*old) {
			return // a pause as long or longer is pending
		}
		if cl.paused.CompareAndSwap(old, &until) {
			return
		}
	}
}

// outlasts reports whether a wait of d would end after ctx's deadline.
func outlasts(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && d > time.Until(deadline)
}
