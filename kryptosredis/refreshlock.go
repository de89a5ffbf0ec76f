package kryptosredis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
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

// lock takes the lock if it is free. ARGV: the holder, the expiry in ms.
var lock = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1} end
return {0, redis.call('PTTL', KEYS[1])}
`)

// renew moves the lock's expiry, if ARGV[1] still holds it. ARGV[2]: the
// expiry in ms.
var renew = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1}
`)

// unlock frees the lock if ARGV[1] still holds it.
var unlock = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return {1}
`)

// Lock blocks until the lock is held or ctx ends, then returns the
// function that releases it. It returns an error that matches
// ErrUnavailable when Redis does not answer.
func (l *RefreshLock) Lock(ctx context.Context) (func(), error) {
	holder := fmt.Sprintf("%016x", rand.Uint64())
	pause := 10 * time.Millisecond
	for {
		v, err := l.store.run(ctx, lock, []string{l.key}, holder, l.hold.Milliseconds())
		if err != nil {
			return nil, fmt.Errorf("kryptosredis: taking a refresh lock: %w", err)
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
