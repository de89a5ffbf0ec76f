package kryptosredis_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptosredis"
	"github.com/redis/go-redis/v9"
)

// newStore returns a Store of clientID over rdb, as one replica has.
func newStore(t *testing.T, rdb *redis.Client, clientID string) *kryptosredis.Store {
	t.Helper()
	s, err := kryptosredis.New(rdb, kryptosredis.Options{ClientID: clientID})
	require.NoError(t, err)
	return s
}

// lockOnce takes lock and releases it at once.
func lockOnce(t *testing.T, lock *kryptosredis.RefreshLock, msgAndArgs ...any) {
	t.Helper()
	unlock, err := lock.Lock(context.Background())
	require.NoError(t, err, msgAndArgs...)
	unlock()
}

// assertStillHeld asserts that lock is not had within wait: another replica
// holds it. It reports whether it was not had.
func assertStillHeld(t *testing.T, lock *kryptosredis.RefreshLock, wait time.Duration) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	unlock, err := lock.Lock(ctx)
	if !assert.ErrorIs(t, err, context.DeadlineExceeded, "replica a still holds the lock") {
		unlock()
		return false
	}
	return true
}

// sentWithin counts the data sends l lets through in the next second,
// trying every 20 ms: well within the window of the tests' 5 s quota.
func sentWithin(ctx context.Context, l *kryptosredis.Limiter) int {
	sent := 0
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if l.Wait(ctx, kryptos.ClassData, 0) == nil {
			sent++
		}
		time.Sleep(20 * time.Millisecond)
	}
	return sent
}

func TestTheRefreshLockLetsOneReplicaInAtATime(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	seedLockEpoch(t, r, id)
	var inside, most, entered atomic.Int64
	var wg sync.WaitGroup
	for range 5 {
		s, err := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: id})
		require.NoError(t, err)
		lock := s.RefreshLock("user-42")
		wg.Go(func() {
			for range 3 {
				unlock, err := lock.Lock(context.Background())
				if !assert.NoError(t, err) {
					return
				}
				n := inside.Add(1)
				most.Store(max(most.Load(), n))
				entered.Add(1)
				time.Sleep(5 * time.Millisecond)
				inside.Add(-1)
				unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(1), most.Load())
	assert.Equal(t, int64(15), entered.Load())

	// Another user's lock is another key; the key does not show the user.
	s, _ := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: id})
	unlock, err := s.RefreshLock("user-42").Lock(context.Background())
	require.NoError(t, err)
	defer unlock()
	lockOnce(t, s.RefreshLock("user-43"))
	keys, err := r.client().Keys(context.Background(), "*").Result()
	require.NoError(t, err)
	for _, k := range keys {
		assert.NotContains(t, k, "user-42")
	}

	// A held lock makes a waiter wait until its context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = s.RefreshLock("user-42").Lock(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	r.stop()
	_, err = s.RefreshLock("user-44").Lock(context.Background())
	assert.ErrorIs(t, err, kryptosredis.ErrUnavailable)
}

func TestAHeldRefreshLockIsRenewedUntilUnlocked(t *testing.T) {
	r := startRedis(t)
	s, err := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: unique(t)})
	require.NoError(t, err)
	unlock, err := s.RefreshLock("user-1").WithHold(60 * time.Millisecond).Lock(context.Background())
	require.NoError(t, err)
	// Three expiries later, a slow refresh still holds it.
	time.Sleep(200 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = s.RefreshLock("user-1").Lock(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "still held")
	unlock()
	unlock() // twice is harmless
	lockOnce(t, s.RefreshLock("user-1"))
}

// A Lock whose SET NX Redis applied, but whose answer came after the
// Store's timeout, returns ErrUnavailable: the caller never holds the lock,
// so nobody unlocks or renews it. It must not then keep every replica out
// of the user's refresh for the key's whole expiry (30 s).
func TestALockWhoseAnswerWasLostDoesNotHoldTheUserOut(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	seedLockEpoch(t, r, id)
	s, err := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: id, Timeout: 50 * time.Millisecond})
	require.NoError(t, err)

	// The lock script is in Redis's cache already, as in any replica that
	// has refreshed before.
	lockOnce(t, s.RefreshLock("user-0"))

	blocker := r.client()
	slept := make(chan struct{})
	go func() { blocker.Do(context.Background(), "DEBUG", "SLEEP", "0.3"); close(slept) }()
	time.Sleep(50 * time.Millisecond)
	_, err = s.RefreshLock("user-1").Lock(context.Background())
	require.ErrorIs(t, err, kryptosredis.ErrUnavailable, "Redis is asleep: the answer comes too late")
	<-slept

	// Redis answers again; nobody holds the lock.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	unlock, err := s.RefreshLock("user-1").Lock(ctx)
	if assert.NoError(t, err, "the lock the lost answer took is still held by nobody") {
		unlock()
	}
}

// A Redis that restarts without persistence forgets a held refresh lock
// while its holder still spends the refresh token. Another replica must
// not take the lock then: it would load the same refresh token from the
// TokenStore and spend it again, and a rotating provider revokes the
// chain.
func TestARedisRestartDoesNotHandAHeldLockToAnotherReplica(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	a, b := newStore(t, r.client(), id), newStore(t, r.client(), id)
	const hold = 300 * time.Millisecond
	// Replica b has refreshed before, another user's token.
	lockOnce(t, b.RefreshLock("user-2").WithHold(hold))

	unlockA, err := a.RefreshLock("user-1").WithHold(hold).Lock(context.Background())
	require.NoError(t, err)
	r.stop()
	r.start()

	assertStillHeld(t, b.RefreshLock("user-1").WithHold(hold), 2*hold)
	unlockA()
	lockOnce(t, b.RefreshLock("user-1").WithHold(hold), "free once a unlocks")
}

// After a Redis restart, the first refresh lock taken may come from a
// replica whose Store never saw the locks' epoch (one started since, or
// that has not refreshed since it started): it writes a new epoch, without
// a grace, for it cannot know. A replica that did see the old epoch then
// finds an epoch, a different one, and takes a lock another replica still
// holds mid-refresh: it spends the same rotating refresh token, which the
// epoch was meant to prevent.
func TestAnEpochRewrittenByANewReplicaStillHoldsOffTheOthers(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	seedLockEpoch(t, r, id)
	a, b := newStore(t, r.client(), id), newStore(t, r.client(), id)
	const hold = 3 * time.Second                        // a renews every second
	lockOnce(t, b.RefreshLock("user-2").WithHold(hold)) // replica b has refreshed before

	unlockA, err := a.RefreshLock("user-1").WithHold(hold).Lock(context.Background())
	require.NoError(t, err)
	defer unlockA()
	r.stop()
	r.start()

	// A replica that has not refreshed since it started refreshes another
	// user: nobody holds that lock, it rightly gets it.
	c := newStore(t, r.client(), id)
	lockOnce(t, c.RefreshLock("user-3").WithHold(hold))

	assertStillHeld(t, b.RefreshLock("user-1").WithHold(hold), hold)
}

// The same for the shared Limiter: a Limiter that has not sent a class
// since it started writes the class's new epoch, and a Limiter that saw
// the old one and filled the window finds an epoch and sends a second
// quota within the same window.
func TestAnEpochRewrittenByANewLimiterStillHoldsOffTheOthers(t *testing.T) {
	q := kryptos.Quota{Requests: 3, Per: 5 * time.Second}
	r := startRedis(t)
	id := unique(t)
	cfg := kryptosredis.LimiterConfig{Quotas: map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassData: q}, Outage: kryptosredis.FailClosed}
	a, b := newLimiter(t, r, id, cfg), newLimiter(t, r, id, cfg)
	ctx := context.Background()
	for range q.Requests {
		require.NoError(t, a.Wait(ctx, kryptos.ClassData, 0))
	}
	r.stop()
	r.start()
	_ = b.Wait(ctx, kryptos.ClassData, 0) // b has not sent this class before: it cannot know

	assert.Zero(t, sentWithin(ctx, a), "a saw its window lost, and sent again within it")
}

// releasing counts the goroutines releasing a lock whose answer was lost.
func releasing() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "(*RefreshLock).release")
}

// A Lock whose connection Redis refused sent nothing: no key can have been
// set for it. Once go-redis's pool has seen its dial errors, every Lock of
// an outage fails at once with the refused dial; each must not leave a
// goroutine behind that keeps dialling the dead Redis to release a key, for
// two holds (a minute by default).
func TestALockRedisNeverGotLeavesNothingBehind(t *testing.T) {
	r := startRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1, PoolSize: 1, DialTimeout: 50 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	s, err := kryptosredis.New(rdb, kryptosredis.Options{ClientID: unique(t)})
	require.NoError(t, err)
	r.stop() // connection refused from now on

	lock := func(i int) error {
		_, err := s.RefreshLock(fmt.Sprint("user-", i)).WithHold(3 * time.Second).Lock(context.Background())
		return err
	}
	for i := range 3 { // the pool learns that Redis is down
		require.ErrorIs(t, lock(i), kryptosredis.ErrUnavailable)
	}
	time.Sleep(100 * time.Millisecond)
	before := releasing()
	for i := range 20 {
		err := lock(100 + i)
		require.ErrorIs(t, err, kryptosredis.ErrUnavailable)
		require.ErrorContains(t, err, "connection refused")
	}
	time.Sleep(300 * time.Millisecond)
	assert.LessOrEqual(t, releasing(), before, "goroutines still releasing locks Redis never saw")
}

// A Redis that restarts from its last snapshot (Redis's default RDB
// persistence), or a replica promoted behind its master, still has the
// locks' epoch, written long before, but not the lock a replica took since.
// The epoch must not be taken for proof that nothing was lost: another
// replica would take the held lock and spend the same refresh token.
func TestARestartFromASnapshotDoesNotHandAHeldLockToAnotherReplica(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	a, b := newStore(t, r.client(), id), newStore(t, r.client(), id)
	const hold = 600 * time.Millisecond
	seedLockEpoch(t, r, id)
	lockOnce(t, b.RefreshLock("user-2").WithHold(hold))             // b has seen the epoch
	require.NoError(t, r.client().Save(context.Background()).Err()) // the last snapshot

	unlockA, err := a.RefreshLock("user-1").WithHold(hold).Lock(context.Background())
	require.NoError(t, err)
	defer unlockA()
	r.stop()
	r.start() // loads the snapshot: the epoch is there, a's lock is not

	assertStillHeld(t, b.RefreshLock("user-1").WithHold(hold), hold)
}

// A replica whose Store has not taken a refresh lock since it started
// (tokens last a day: most have not) cannot tell a Redis that lost its keys
// from a new one. It must not take a lock another replica may still hold.
func TestAStoreThatNeverSawTheEpochDoesNotTakeAHeldLock(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	a := newStore(t, r.client(), id)
	const hold = 600 * time.Millisecond
	seedLockEpoch(t, r, id)
	unlockA, err := a.RefreshLock("user-1").WithHold(hold).Lock(context.Background())
	require.NoError(t, err)
	defer unlockA()
	r.stop()
	r.start() // without persistence: every key is lost

	c := newStore(t, r.client(), id) // has not refreshed yet
	assertStillHeld(t, c.RefreshLock("user-1").WithHold(hold), hold)
}

// failing makes every script of a client fail while on is set, as for a
// replica whose client still points at the demoted master (READONLY) or
// that a network blip cuts off for a moment.
type failing struct{ on atomic.Bool }

func (f *failing) DialHook(next redis.DialHook) redis.DialHook { return next }
func (f *failing) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (f *failing) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if f.on.Load() {
			err := errors.New("READONLY You can't write against a read only replica.")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

// In normal times a holder keeps its lock through one failed renewal (the
// expiry leaves room for two). After Redis lost its keys, the grace before
// locks are handed out again must leave it the same room: a holder whose
// first renewal since fails must not lose the lock to another replica while
// it still spends the refresh token.
func TestTheGraceLeavesTheHolderAsManyRenewalsAsItsExpiry(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	rdbA := r.client()
	cut := &failing{}
	rdbA.AddHook(cut)
	a, b := newStore(t, rdbA, id), newStore(t, r.client(), id)
	const hold = 1500 * time.Millisecond // renewals every 500 ms
	seedLockEpoch(t, r, id)
	lockOnce(t, b.RefreshLock("user-2").WithHold(hold))

	unlockA, err := a.RefreshLock("user-1").WithHold(hold).Lock(context.Background())
	require.NoError(t, err)
	defer unlockA()
	start := time.Now()
	cut.on.Store(true) // a's renewal at 500 ms fails; the one at 1 s gets through
	time.AfterFunc(800*time.Millisecond, func() { cut.on.Store(false) })
	require.NoError(t, r.client().FlushAll(context.Background()).Err()) // Redis lost its keys

	if !assertStillHeld(t, b.RefreshLock("user-1").WithHold(hold), 2*hold) {
		t.Logf("b took the lock %s after the flush", time.Since(start).Round(time.Millisecond))
	}
}

// The same for the shared Limiter: a Redis restarted from its last snapshot
// has the class's epoch but not the sends counted since; a Limiter must not
// send them again within the window.
func TestARestartFromASnapshotDoesNotLetASecondQuotaThrough(t *testing.T) {
	q := kryptos.Quota{Requests: 3, Per: 5 * time.Second}
	r := startRedis(t)
	a := newLimiter(t, r, unique(t), kryptosredis.LimiterConfig{
		Quotas: map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassData: q}, Outage: kryptosredis.FailClosed,
	})
	ctx := context.Background()
	require.NoError(t, a.Wait(ctx, kryptos.ClassData, 0))
	require.NoError(t, r.client().Save(ctx).Err()) // the last snapshot: one send
	for range q.Requests - 1 {
		require.NoError(t, a.Wait(ctx, kryptos.ClassData, 0))
	}
	r.stop()
	r.start()

	assert.Zero(t, sentWithin(ctx, a), "sends beyond the quota within one window")
}
