package kryptosredis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RefreshLock is an oauth.RefreshLock over Redis for one user's tokens:
// the replica that holds it refreshes, and the others then load the token
// it saved instead of spending the same rotating refresh token.
//
// The lock is a key set only if absent, with an expiry of 30 s that its
// holder renews every 10 s until it unlocks, so that a replica that dies
// while holding it does not hold it forever, and a slow refresh (one that
// waits for a quota slot, or for a slow token endpoint) does not lose it
// to another replica, which would spend the same refresh token. Unlocking
// deletes the key only if the holder is still the caller.
//
// A Redis that lost its keys (a restart without persistence, a flush, a
// failover to a replica behind) may have lost a lock still held: its
// holder's next renewal writes it again, and until then (one expiry,
// 30 s, so that a holder may miss a renewal as it may at any time) Lock
// hands out no refresh lock of the client ID, for any user; it waits,
// within its ctx. A Redis never used before looks the same, once.
type RefreshLock struct {
	store *Store
	key   string
	hold  time.Duration
}

// RefreshLock returns the refresh lock of the user that userKey names (the
// key under which your TokenStore keeps the user's tokens, such as your
// user id). Redis sees only a hash of it.
func (s *Store) RefreshLock(userKey string) *RefreshLock {
	sum := sha256.Sum256([]byte(userKey))
	return &RefreshLock{store: s, key: s.key("refresh", hex.EncodeToString(sum[:16])), hold: 30 * time.Second}
}

// lock takes the lock if it is free. KEYS: the lock, the epoch (a name
// the refresh locks' keys were first written under), the grace (no lock is
// taken while it lives). ARGV: the holder, the expiry in ms, the epoch the
// Store last saw (empty for none), the grace in ms. It answers {1, 0,
// epoch} when the lock is taken, or {0, ms to wait, epoch}.
//
// An epoch that is missing (a new Redis, or one that lost its keys: a
// restart without persistence, a flush), or that another Redis process
// wrote (its run_id: a restart from a snapshot, a failover to a replica
// behind), may hide a lock held before, its holder spending the refresh
// token, and its next renewal writes it again. Until then, no lock is
// taken, whether or not this Store saw the epoch before: a replica that
// has not refreshed since it started cannot tell. The epoch carries
// Redis's time when it was written, so that a Store that saw another epoch
// than the one it finds keeps the same grace.
var lock = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)') or ''
local epoch = redis.call('GET', KEYS[2])
if not epoch or string.match(epoch, '#(%x*)$') ~= run then
  epoch = ARGV[1] .. '@' .. string.format('%d', now) .. '#' .. run
  redis.call('SET', KEYS[2], epoch)
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
elseif ARGV[3] ~= '' and epoch ~= ARGV[3] then
  -- Written again since this Store saw it: the grace runs from then.
  local left = tonumber(string.match(epoch, '@(%d+)#') or '0') + tonumber(ARGV[4]) - now
  if left > 0 and redis.call('PTTL', KEYS[3]) < left then
    redis.call('SET', KEYS[3], '1', 'PX', left)
  end
end
local grace = redis.call('PTTL', KEYS[3])
if grace > 0 then return {0, grace, epoch} end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, 0, epoch} end
return {0, redis.call('PTTL', KEYS[1]), epoch}
`)

// renew moves the lock's expiry, if ARGV[1] still holds it, or writes it
// again if Redis lost it. ARGV[2]: the expiry in ms.
var renew = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1}
end
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1}
end
return {0}
`)

// unlock frees the lock if ARGV[1] still holds it; it answers {1} when it
// did.
var unlock = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return {1} end
return {0}
`)

// Lock blocks until the lock is held or ctx ends, then returns the
// function that releases it. It returns an error that matches
// ErrUnavailable when Redis does not answer.
func (l *RefreshLock) Lock(ctx context.Context) (func(), error) {
	holder := fmt.Sprintf("%016x", rand.Uint64())
	pause := 10 * time.Millisecond
	for {
		keys := []string{l.key, l.store.key("locks", "epoch"), l.store.key("locks", "grace")}
		// The grace is a whole hold: a surviving holder keeps the room for
		// a failed renewal that its lock's expiry leaves it.
		v, err := l.store.run(ctx, lock, keys, holder, l.hold.Milliseconds(), l.store.lockEpoch(), l.hold.Milliseconds())
		if err != nil {
			// Redis may have set the key all the same, its answer lost
			// (slower than the timeout, or ctx ended on the way): nobody
			// would renew or unlock it, and it would keep every replica
			// from refreshing the user's token until it expires.
			// A connection Redis refused carried nothing: there is no key
			// to release.
			if !notSent(err) {
				go l.release(context.WithoutCancel(ctx), holder)
			}
			return nil, fmt.Errorf("kryptosredis: taking a refresh lock: %w", err)
		}
		if e := text(v, 2); e != "" {
			l.store.sawLockEpoch(e)
		}
		if integer(v, 0) == 1 {
			return l.keep(context.WithoutCancel(ctx), holder), nil
		}
		wait := pause + rand.N(pause/2+time.Millisecond)
		if ttl := time.Duration(integer(v, 1)) * time.Millisecond; ttl > 0 && ttl < wait {
			wait = ttl
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// release frees the lock holder may have taken without knowing it. A slow
// Redis may apply the lock's SET after the first try, so it tries again
// with growing pauses while such a key could still live.
func (l *RefreshLock) release(ctx context.Context, holder string) {
	for wait := l.store.timeout; wait < 2*l.hold; wait *= 2 {
		time.Sleep(wait)
		if v, err := l.store.run(ctx, unlock, []string{l.key}, holder); err == nil && integer(v, 0) == 1 {
			return
		}
	}
}

// notSent reports whether err is a failure to connect to Redis, before
// any command could be written.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// keep renews the lock held by holder every third of its expiry until the
// returned function unlocks it.
func (l *RefreshLock) keep(ctx context.Context, holder string) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(l.hold / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				// A failed renewal is tried again at the next tick; the
				// expiry leaves room for two.
				_, _ = l.store.run(ctx, renew, []string{l.key}, holder, l.hold.Milliseconds())
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			// Best effort: when it fails, the lock expires on its own.
			_, _ = l.store.run(ctx, unlock, []string{l.key}, holder)
		})
	}
}

// lockEpoch is the epoch of the refresh locks' keys the Store last saw.
func (s *Store) lockEpoch() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.epoch
}

// sawLockEpoch records the epoch of the refresh locks' keys.
func (s *Store) sawLockEpoch(e string) {
	s.mu.Lock()
	s.epoch = e
	s.mu.Unlock()
}
