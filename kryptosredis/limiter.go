package kryptosredis

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kryptos-connect/kryptos-go"
)

// Outage is what a Limiter does while Redis is unavailable.
type Outage int

const (
	// FailClosed refuses every call while Redis is unavailable: Wait
	// returns an error that matches ErrUnavailable, and the call fails
	// without being sent. Nothing can exceed the quota, and nothing gets
	// through.
	FailClosed Outage = iota
	// FallBackLocal keeps each replica to 1/Replicas of every quota with
	// an in-process limiter while Redis is unavailable, so that together
	// they stay within the quota if Replicas is right. As the sends that
	// Redis counted just before it went down are unknown, each class first
	// waits out one window. The calls let through are written to Redis when
	// it is back, so that the shared window counts them, and each replica
	// keeps to its share for two more windows (and RetryRedis), until every
	// replica has written its own.
	FallBackLocal
)

// String returns the outage behaviour's name.
func (o Outage) String() string {
	switch o {
	case FailClosed:
		return "fail closed"
	case FallBackLocal:
		return "fall back local"
	}
	return fmt.Sprintf("Outage(%d)", int(o))
}

// LimiterConfig configures Store.Limiter.
type LimiterConfig struct {
	// Quotas are the limits the server holds the client ID to, per class,
	// as in kryptos.LimiterConfig. Classes without one still share the
	// server's 429 back-off.
	Quotas map[kryptos.QuotaClass]kryptos.Quota
	// Margin lengthens every window, so that uneven delays between
	// reserving a slot and reaching the server cannot crowd the requests
	// of two windows into one at the server. When zero it is 1% of the
	// window and at least 50 ms, as in the in-process limiter.
	Margin time.Duration
	// Outage says what Wait does while Redis is unavailable.
	Outage Outage
	// Replicas is how many replicas share the client ID: each takes
	// 1/Replicas of every quota (at least one request a window) under
	// FallBackLocal. Required with FallBackLocal.
	Replicas int
	// RetryRedis is how long the Limiter stays on its outage behaviour
	// after Redis failed before it asks Redis again. 1 s when zero.
	RetryRedis time.Duration
}

// Limiter is a kryptos.Limiter over Redis: across every replica that shares
// the Redis and the client ID, it never lets more than Quota.Requests of a
// class through in any window of Quota.Per (plus the margin), and every
// replica waits out a 429's retry_after that any of them was given.
//
// Each Wait is one Lua script that reads Redis's clock (TIME), drops the
// send times that left the window, and reserves a slot or answers how long
// until one frees up. Replicas' clocks play no part. A waiting replica
// sleeps until then and asks again; waiters are not served in arrival order
// across replicas.
type Limiter struct {
	store  *Store
	quotas map[kryptos.QuotaClass]kryptos.Quota
	window map[kryptos.QuotaClass]time.Duration // Per plus the margin
	outage Outage
	retry  time.Duration
	local  *fallback // nil under FailClosed
	id     string    // this Limiter's part of every member name
	seq    atomic.Uint64

	mu       sync.Mutex
	down     bool                               // Redis failed, and has not answered since
	backAt   time.Time                          // when Redis last answered again after an outage
	err      error                              // Redis's last failure
	probing  bool                               // a call is asking Redis again
	retryAt  time.Time                          // when down, Redis is not asked before then
	unsynced map[kryptos.QuotaClass][]time.Time // sends let through locally, not yet in Redis
	epochs   map[kryptos.QuotaClass]string      // the epoch of each class's keys last seen in Redis
}

// Limiter returns the Store's kryptos.Limiter. Give it to every Client of
// the client ID, in every replica, with kryptos.WithLimiter.
func (s *Store) Limiter(cfg LimiterConfig) (*Limiter, error) {
	bad := func(field, problem string) error {
		return fmt.Errorf("kryptosredis: Limiter: %w", &kryptos.ParamError{Field: field, Problem: problem})
	}
	switch {
	case cfg.Margin < 0:
		return nil, bad("Margin", "must not be negative")
	case cfg.RetryRedis < 0:
		return nil, bad("RetryRedis", "must not be negative")
	case cfg.Outage != FailClosed && cfg.Outage != FallBackLocal:
		return nil, bad("Outage", "must be FailClosed or FallBackLocal")
	case cfg.Outage == FallBackLocal && cfg.Replicas <= 0:
		return nil, bad("Replicas", "must be positive with FallBackLocal: each replica takes 1/Replicas of the quota")
	}
	l := &Limiter{
		store: s, quotas: map[kryptos.QuotaClass]kryptos.Quota{}, window: map[kryptos.QuotaClass]time.Duration{},
		outage: cfg.Outage, retry: cfg.RetryRedis, unsynced: map[kryptos.QuotaClass][]time.Time{},
		epochs: map[kryptos.QuotaClass]string{},
	}
	if l.retry == 0 {
		l.retry = time.Second
	}
	share := map[kryptos.QuotaClass]int{}
	for class, q := range cfg.Quotas {
		if q.Requests <= 0 || q.Per <= 0 || q.Per > kryptos.MaxQuotaPer {
			return nil, bad("Quotas["+string(class)+"]", "needs positive Requests and a Per of at most kryptos.MaxQuotaPer")
		}
		margin := cfg.Margin
		if margin == 0 {
			margin = max(q.Per/100, 50*time.Millisecond)
		}
		l.quotas[class] = q
		l.window[class] = q.Per + margin
		if cfg.Replicas > 0 {
			share[class] = max(1, q.Requests/cfg.Replicas)
		}
	}
	if cfg.Outage == FallBackLocal {
		l.local = newFallback(share, l.window)
	}
	l.id = fmt.Sprintf("%016x", rand.Uint64())
	return l, nil
}

// take reserves a slot in a class's window, after writing the sends that
// were let through without Redis, and after the shared pause.
//
// KEYS: the window (a sorted set of send times in µs), the pause (the µs
// time before which nothing is sent), the epoch (a name the class's keys
// were first written under). ARGV: the limit (0 for none), the window in
// µs, this send's member name, the epoch this Limiter last saw (empty for
// none), then the ages in µs of the sends to backfill. It answers {1, 0,
// epoch} for a slot, or {0, µs until one may free, epoch}.
//
// A Limiter that saw an epoch and finds none finds a Redis that lost the
// class's keys (a restart without persistence, a flush); an epoch that
// another Redis process wrote (its run_id) shows a Redis restarted from a
// snapshot or a replica promoted, both behind: the sends counted in the
// last window are unknown, so the class waits out one window, as under
// FallBackLocal. The epoch
// carries Redis's time when it was written, so that a Limiter that saw
// another epoch than the one it finds (written again by a Limiter that had
// seen none, and could not know) waits out the same window.
var take = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)') or ''
local epoch = redis.call('GET', KEYS[3])
local lost = 0
if not epoch or string.match(epoch, '#(%x*)$') ~= run then
  -- Another run_id: a restart from a snapshot, or a replica promoted,
  -- both behind.
  if epoch or ARGV[4] ~= '' then lost = now end
  epoch = ARGV[3] .. '@' .. string.format('%d', now) .. '#' .. run
  redis.call('SET', KEYS[3], epoch)
elseif ARGV[4] ~= '' and epoch ~= ARGV[4] then
  -- Written again, by a Limiter that had not seen the one before: the
  -- wait runs from then.
  lost = tonumber(string.match(epoch, '@(%d+)#') or '0')
end
if lost > 0 and limit > 0 and lost + window > now then
  local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
  if lost + window > cur then
    redis.call('SET', KEYS[2], lost + window, 'PX', math.ceil((lost + window - now) / 1000) + 1000)
  end
end
for i = 5, #ARGV do
  redis.call('ZADD', KEYS[1], now - tonumber(ARGV[i]), ARGV[3] .. ':' .. i)
end
if #ARGV >= 5 then
  -- Written back even when no slot is given below: bound its life too.
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
end
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then
  return {0, paused - now, epoch}
end
if limit <= 0 then
  return {1, 0, epoch}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return {1, 0, epoch}
end
local edge = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return {0, tonumber(edge[2]) + window - now, epoch}
`)

// pause holds a class until µs from Redis's now, unless it is held longer
// already. KEYS: the pause. ARGV: the wait in µs.
var pause = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait = tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if now + wait > cur then
  redis.call('SET', KEYS[1], now + wait, 'PX', math.ceil(wait / 1000) + 1000)
end
return {1}
`)

// Wait blocks until one request of class may be sent, as kryptos.Limiter
// describes. While Redis is unavailable it does what the Outage says.
func (l *Limiter) Wait(ctx context.Context, class kryptos.QuotaClass, maxWait time.Duration) (err error) {
	start := time.Now()
	var shared time.Time // when a slot of this replica's share was reserved, if one is held
	defer func() {
		if err != nil && !shared.IsZero() {
			l.local.release(class, shared) // a Wait that fails sends nothing
		}
	}()
	for {
		if l.local != nil && shared.IsZero() && (l.isDown() || l.rejoining(class)) {
			// Redis is down, or back so recently that the other replicas
			// may not have told it of their outage's sends: keep to this
			// replica's share first. The probe is asked for after this
			// wait, which may last a window, so that no call holds it
			// meanwhile.
			if shared, err = l.local.wait(ctx, class, l.left(start, maxWait)); err != nil {
				return err
			}
		}
		up, probe := l.ask()
		if !up && !probe {
			return l.withoutRedis(ctx, class, !shared.IsZero(), l.left(start, maxWait))
		}
		wait, err := l.take(ctx, class)
		if probe {
			l.probed()
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			l.wentDown(err)
			return l.withoutRedis(ctx, class, !shared.IsZero(), l.left(start, maxWait))
		}
		if wait == 0 {
			return nil
		}
		if maxWait >= 0 && time.Since(start)+wait > maxWait {
			return &kryptos.QuotaWaitError{Class: class, Wait: wait}
		}
		if d, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(d) {
			return &kryptos.QuotaWaitError{Class: class, Wait: wait}
		}
		// A little jitter, so that replicas woken by the same free slot do
		// not all ask at the same instant.
		wait += rand.N(time.Millisecond)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// take runs the take script for class; it returns 0 when a slot is
// reserved, or how long until one may free up.
func (l *Limiter) take(ctx context.Context, class kryptos.QuotaClass) (time.Duration, error) {
	limit, window := 0, time.Duration(0)
	if q, ok := l.quotas[class]; ok {
		limit, window = q.Requests, l.window[class]
	}
	l.mu.Lock()
	epoch := l.epochs[class]
	l.mu.Unlock()
	args := []any{limit, window.Microseconds(), l.id + ":" + fmt.Sprint(l.seq.Add(1)), epoch}
	backfill := l.takeUnsynced(class)
	for _, age := range backfill {
		args = append(args, age.Microseconds())
	}
	v, err := l.store.run(ctx, take, []string{l.store.key("quota", string(class)), l.store.key("pause", string(class)), l.store.key("epoch", string(class))}, args...)
	if err != nil {
		l.putUnsynced(class, backfill)
		return 0, err
	}
	l.cameBack()
	if e := text(v, 2); e != "" {
		l.mu.Lock()
		l.epochs[class] = e
		l.mu.Unlock()
	}
	if integer(v, 0) == 1 {
		return 0, nil
	}
	return max(time.Microsecond, time.Duration(integer(v, 1))*time.Microsecond), nil
}

// Backoff holds every replica's requests of class until wait has passed.
// While Redis is unavailable it holds this replica's only.
func (l *Limiter) Backoff(ctx context.Context, class kryptos.QuotaClass, wait time.Duration) {
	if wait <= 0 {
		return
	}
	if l.local != nil {
		l.local.backoff(class, time.Now().Add(wait))
	}
	up, probe := l.ask()
	if probe {
		defer l.probed() // this call asks Redis again
	}
	if !up && !probe {
		return
	}
	if _, err := l.store.run(context.WithoutCancel(ctx), pause, []string{l.store.key("pause", string(class))}, wait.Microseconds()); err != nil {
		l.wentDown(err)
		return
	}
	l.cameBack()
}

// left is what remains of maxWait since start (negative: no bound).
func (l *Limiter) left(start time.Time, maxWait time.Duration) time.Duration {
	if maxWait < 0 {
		return -1
	}
	return max(0, maxWait-time.Since(start))
}

// rejoining reports whether Redis came back from an outage so recently,
// under FallBackLocal, that another replica may still be sending without
// it: two windows of class and RetryRedis.
func (l *Limiter) rejoining(class kryptos.QuotaClass) bool {
	if l.local == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// Another replica may come back up to a window (its callers held at
	// their share) and RetryRedis later than this one, and only then write
	// its sends to Redis.
	return !l.down && !l.backAt.IsZero() && time.Since(l.backAt) < 2*l.window[class]+l.retry
}

// withoutRedis applies the outage behaviour to one Wait, whose slot of
// this replica's share is held if shared.
func (l *Limiter) withoutRedis(ctx context.Context, class kryptos.QuotaClass, shared bool, left time.Duration) error {
	if l.local == nil {
		return fmt.Errorf("kryptosredis: no quota slot for class %s (failing closed): %w", class, l.lastErr())
	}
	if !shared {
		if _, err := l.local.wait(ctx, class, left); err != nil {
			return err
		}
	}
	if _, ok := l.quotas[class]; ok {
		l.mu.Lock()
		l.unsynced[class] = append(l.unsynced[class], time.Now())
		l.mu.Unlock()
	}
	return nil
}

// takeUnsynced removes the local sends of class that are still within its
// window and returns their ages.
func (l *Limiter) takeUnsynced(class kryptos.QuotaClass) []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	sends := l.unsynced[class]
	if len(sends) == 0 {
		return nil
	}
	delete(l.unsynced, class)
	var ages []time.Duration
	for _, t := range sends {
		if age := time.Since(t); age < l.window[class] {
			ages = append(ages, age)
		}
	}
	return ages
}

// putUnsynced puts back the sends a failed take could not write.
func (l *Limiter) putUnsynced(class kryptos.QuotaClass, ages []time.Duration) {
	if len(ages) == 0 {
		return
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, age := range ages {
		l.unsynced[class] = append(l.unsynced[class], now.Add(-age))
	}
}

// ask reports whether Redis is up, and when it is not, whether this call
// is the one that asks it again (RetryRedis after its last failure, one
// call at a time).
func (l *Limiter) ask() (up, probe bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.down {
		return true, false
	}
	if l.probing || time.Now().Before(l.retryAt) {
		return false, false
	}
	l.probing = true
	return false, true
}

// isDown reports whether Redis failed and has not answered since.
func (l *Limiter) isDown() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.down
}

// probed ends the call that asked Redis again.
func (l *Limiter) probed() {
	l.mu.Lock()
	l.probing = false
	l.mu.Unlock()
}

// wentDown records a failure of Redis; it logs the start of an outage.
func (l *Limiter) wentDown(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.down {
		if l.local != nil {
			l.local.begin(time.Now())
		}
		l.store.logger.Warn("kryptosredis: Redis is unavailable for quota slots", slog.String("outage", l.outage.String()),
			slog.Duration("retry_every", l.retry), slog.String("error", err.Error()))
	}
	l.down, l.retryAt, l.err = true, time.Now().Add(l.retry), err
}

// lastErr is the error of Redis's last failure.
func (l *Limiter) lastErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// cameBack records an answer of Redis; it logs the end of an outage.
func (l *Limiter) cameBack() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		l.down, l.backAt = false, time.Now()
		l.store.logger.Info("kryptosredis: Redis answers again for quota slots")
	}
}
