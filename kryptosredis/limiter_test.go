package kryptosredis_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptosredis"
	"github.com/redis/go-redis/v9"
)

// newLimiter returns a Limiter of clientID over its own Store and its own
// connection, as a separate replica would have.
func newLimiter(t *testing.T, r *redisServer, clientID string, cfg kryptosredis.LimiterConfig) *kryptosredis.Limiter {
	t.Helper()
	s, err := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: clientID})
	require.NoError(t, err)
	l, err := s.Limiter(cfg)
	require.NoError(t, err)
	return l
}

// maxInWindow is the most times of sorted that fall within one window of
// length per.
func maxInWindow(sorted []time.Time, per time.Duration) int {
	most, from := 0, 0
	for i, t := range sorted {
		for !sorted[from].After(t.Add(-per)) {
			from++
		}
		most = max(most, i-from+1)
	}
	return most
}

func TestReplicasTogetherNeverExceedTheQuotaInAnyWindow(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	q := kryptos.Quota{Requests: 10, Per: 300 * time.Millisecond}
	cfg := kryptosredis.LimiterConfig{Quotas: map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassData: q}, Margin: 5 * time.Millisecond}

	var mu sync.Mutex
	var sent []time.Time
	ctx, cancel := context.WithTimeout(context.Background(), 1000*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for range 4 {
		l := newLimiter(t, r, id, cfg)
		for range 3 {
			wg.Go(func() {
				for l.Wait(ctx, kryptos.ClassData, -1) == nil {
					mu.Lock()
					sent = append(sent, time.Now())
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	sort.Slice(sent, func(i, j int) bool { return sent[i].Before(sent[j]) })
	// Redis reserves the slots by its own clock; the times here are taken
	// after Wait returns, each late by however long its goroutine waited
	// for a thread (tens of ms under -race on two cores), which can bring
	// two sends a window apart closer. Count in a window shortened by that.
	const lateness = 50 * time.Millisecond
	assert.LessOrEqual(t, maxInWindow(sent, q.Per-lateness), q.Requests, "sends in one window across 4 replicas")
	// 1 s holds at least 3 full windows of 10.
	assert.GreaterOrEqual(t, len(sent), 3*q.Requests)
}

func TestAWaitLongerThanMaxWaitFailsAtOnceWithoutReserving(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	cfg := kryptosredis.LimiterConfig{Quotas: map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassExchange: {Requests: 2, Per: time.Minute}}}
	a, b := newLimiter(t, r, id, cfg), newLimiter(t, r, id, cfg)
	ctx := context.Background()
	require.NoError(t, a.Wait(ctx, kryptos.ClassExchange, 0))
	require.NoError(t, b.Wait(ctx, kryptos.ClassExchange, 0))

	start := time.Now()
	err := a.Wait(ctx, kryptos.ClassExchange, time.Second)
	var qw *kryptos.QuotaWaitError
	require.ErrorAs(t, err, &qw)
	assert.ErrorIs(t, err, kryptos.ErrQuotaWait)
	assert.Equal(t, kryptos.ClassExchange, qw.Class)
	assert.InDelta(t, time.Minute.Seconds(), qw.Wait.Seconds(), 2)
	assert.Less(t, time.Since(start), 500*time.Millisecond, "refused at once")

	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	assert.ErrorIs(t, b.Wait(short, kryptos.ClassExchange, -1), kryptos.ErrQuotaWait, "past the context's deadline")

	// Another client ID has its own quota.
	other := newLimiter(t, r, unique(t)+"-other", cfg)
	assert.NoError(t, other.Wait(ctx, kryptos.ClassExchange, 0))
}

func TestA429OnOneReplicaHoldsEveryReplica(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	a := newLimiter(t, r, id, kryptosredis.LimiterConfig{})
	b := newLimiter(t, r, id, kryptosredis.LimiterConfig{})
	ctx := context.Background()
	require.NoError(t, b.Wait(ctx, kryptos.ClassConnect, 0), "a class without a quota is free")

	a.Backoff(ctx, kryptos.ClassConnect, 300*time.Millisecond)
	var qw *kryptos.QuotaWaitError
	require.ErrorAs(t, b.Wait(ctx, kryptos.ClassConnect, 0), &qw)
	assert.InDelta(t, 0.3, qw.Wait.Seconds(), 0.1)
	assert.NoError(t, b.Wait(ctx, kryptos.ClassData, 0), "another class is not held")

	start := time.Now()
	require.NoError(t, b.Wait(ctx, kryptos.ClassConnect, time.Second))
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)

	// A shorter back-off does not cut a longer one short.
	a.Backoff(ctx, kryptos.ClassConnect, 400*time.Millisecond)
	a.Backoff(ctx, kryptos.ClassConnect, 10*time.Millisecond)
	require.ErrorAs(t, b.Wait(ctx, kryptos.ClassConnect, 0), &qw)
	assert.Greater(t, qw.Wait, 300*time.Millisecond)
}

func TestFailingClosedRefusesEveryCallWhileRedisIsDown(t *testing.T) {
	r := startRedis(t)
	l := newLimiter(t, r, unique(t), kryptosredis.LimiterConfig{
		Quotas:     map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassData: {Requests: 100, Per: time.Second}},
		RetryRedis: 100 * time.Millisecond,
	})
	ctx := context.Background()
	require.NoError(t, l.Wait(ctx, kryptos.ClassData, -1))

	r.stop()
	start := time.Now()
	err := l.Wait(ctx, kryptos.ClassData, -1)
	assert.ErrorIs(t, err, kryptosredis.ErrUnavailable)
	assert.NotErrorIs(t, err, kryptos.ErrQuotaWait)
	assert.ErrorIs(t, l.Wait(ctx, kryptos.ClassData, -1), kryptosredis.ErrUnavailable, "within RetryRedis, Redis is not asked")
	assert.Less(t, time.Since(start), time.Second, "never a hang")

	r.start()
	time.Sleep(150 * time.Millisecond)
	assert.NoError(t, l.Wait(ctx, kryptos.ClassData, -1), "back once Redis answers")
}

func TestASlowRedisIsAnOutageAfterTheTimeout(t *testing.T) {
	r := startRedis(t)
	s, err := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: unique(t), Timeout: 100 * time.Millisecond})
	require.NoError(t, err)
	l, err := s.Limiter(kryptosredis.LimiterConfig{})
	require.NoError(t, err)

	// DEBUG SLEEP blocks the server for everyone.
	blocker := r.client()
	go blocker.Do(context.Background(), "DEBUG", "SLEEP", "1")
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	err = l.Wait(context.Background(), kryptos.ClassData, -1)
	assert.ErrorIs(t, err, kryptosredis.ErrUnavailable)
	assert.Less(t, time.Since(start), 400*time.Millisecond)
}

func TestFallingBackLocalKeepsEachReplicaToItsShareAndTellsRedisAfter(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	q := kryptos.Quota{Requests: 8, Per: 300 * time.Millisecond}
	l := newLimiter(t, r, id, kryptosredis.LimiterConfig{
		Quotas: map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassData: q}, Margin: 10 * time.Millisecond,
		Outage: kryptosredis.FallBackLocal, Replicas: 4, RetryRedis: 50 * time.Millisecond,
	})
	ctx := context.Background()
	require.NoError(t, l.Wait(ctx, kryptos.ClassData, -1))

	r.stop()
	start := time.Now()
	var sent []time.Time
	for time.Since(start) < 700*time.Millisecond {
		wctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond-time.Since(start))
		err := l.Wait(wctx, kryptos.ClassData, -1)
		cancel()
		if err != nil {
			require.True(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, kryptos.ErrQuotaWait), err)
			break
		}
		sent = append(sent, time.Now())
	}
	require.NotEmpty(t, sent)
	assert.GreaterOrEqual(t, sent[0].Sub(start), q.Per, "the first window of an outage is waited out")
	assert.LessOrEqual(t, maxInWindow(sent, q.Per), q.Requests/4, "one replica's share")

	r.start()
	time.Sleep(60 * time.Millisecond)
	last := sent[len(sent)-1]
	require.NoError(t, l.Wait(ctx, kryptos.ClassData, -1))
	// The sends made without Redis are in the shared window now.
	counted, err := r.client().ZCard(ctx, "kryptos:{"+id+"}:quota:data").Result()
	require.NoError(t, err)
	var recent int64
	for _, s := range sent {
		if time.Since(s) < q.Per && !s.After(last) {
			recent++
		}
	}
	assert.GreaterOrEqual(t, counted, recent+1)
}

func TestLimiterRefusesBadConfigurations(t *testing.T) {
	s, err := kryptosredis.New(startRedis(t).client(), kryptosredis.Options{ClientID: "c"})
	require.NoError(t, err)
	for name, cfg := range map[string]kryptosredis.LimiterConfig{
		"fallback without replicas": {Outage: kryptosredis.FallBackLocal},
		"empty quota":               {Quotas: map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassData: {}}},
		"negative margin":           {Margin: -time.Second},
		"unknown outage":            {Outage: 7},
		"a window past MaxQuotaPer": {Quotas: map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassData: {Requests: 1, Per: kryptos.MaxQuotaPer + 1}}},
	} {
		_, err := s.Limiter(cfg)
		assert.ErrorIs(t, err, kryptos.ErrInvalidParams, name)
	}
	_, err = kryptosredis.New(nil, kryptosredis.Options{ClientID: "c"})
	assert.ErrorIs(t, err, kryptos.ErrInvalidParams)
	_, err = kryptosredis.New(startRedis(t).client(), kryptosredis.Options{})
	assert.ErrorIs(t, err, kryptos.ErrInvalidParams)
}

// TestABackoffDuringAnOutageHandsTheProbeBack: a 429 told to the Limiter
// when Redis may be asked again asks it, and lets later calls ask too;
// before, it kept the probe and Redis was never asked again.
func TestABackoffDuringAnOutageHandsTheProbeBack(t *testing.T) {
	r := startRedis(t)
	l := newLimiter(t, r, unique(t), kryptosredis.LimiterConfig{
		Quotas:     map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassData: {Requests: 100, Per: time.Second}},
		RetryRedis: 50 * time.Millisecond,
	})
	ctx := context.Background()
	require.NoError(t, l.Wait(ctx, kryptos.ClassData, -1))
	r.stop()
	require.ErrorIs(t, l.Wait(ctx, kryptos.ClassData, -1), kryptosredis.ErrUnavailable)
	time.Sleep(80 * time.Millisecond) // past RetryRedis
	l.Backoff(ctx, kryptos.ClassData, time.Millisecond)
	r.start()
	require.Eventually(t, func() bool { return l.Wait(ctx, kryptos.ClassData, -1) == nil }, 2*time.Second, 60*time.Millisecond,
		"Redis is asked again once it is back")
}

// TestTheProbeIsNotHeldThroughALocalWait: under FallBackLocal, a call that
// waits out its local share (a whole window after an outage begins) does
// not keep other calls from asking Redis, so a 429 another replica was
// given holds this one too as soon as Redis is back.
func TestTheProbeIsNotHeldThroughALocalWait(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	a := newLimiter(t, r, id, kryptosredis.LimiterConfig{
		Quotas: map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassData: {Requests: 100, Per: 3 * time.Second}},
		Outage: kryptosredis.FallBackLocal, Replicas: 1, RetryRedis: 50 * time.Millisecond,
	})
	b := newLimiter(t, r, id, kryptosredis.LimiterConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, a.Wait(ctx, kryptos.ClassData, -1))
	r.stop()
	require.ErrorIs(t, a.Wait(ctx, kryptos.ClassData, 0), kryptos.ErrQuotaWait, "the outage begins: a window to wait")
	time.Sleep(80 * time.Millisecond)                      // past RetryRedis
	go func() { _ = a.Wait(ctx, kryptos.ClassData, -1) }() // waits out the window locally
	time.Sleep(20 * time.Millisecond)
	r.start()
	b.Backoff(ctx, kryptos.ClassConnect, 5*time.Second) // a 429 on replica b
	require.Eventually(t, func() bool { return errors.Is(a.Wait(ctx, kryptos.ClassConnect, 0), kryptos.ErrQuotaWait) },
		time.Second, 60*time.Millisecond, "a asks Redis again, and is held by b's 429")
}

// TestARefusedWaitGivesBackItsLocalSlot: while rejoining after an outage, a
// Wait takes a slot of the replica's share before asking Redis; refused by
// Redis, it gives the slot back (a Wait that fails reserves nothing).
func TestARefusedWaitGivesBackItsLocalSlot(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	q := map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassData: {Requests: 2, Per: 300 * time.Millisecond}}
	a := newLimiter(t, r, id, kryptosredis.LimiterConfig{Quotas: q, Margin: 10 * time.Millisecond,
		Outage: kryptosredis.FallBackLocal, Replicas: 1, RetryRedis: 20 * time.Millisecond})
	b := newLimiter(t, r, id, kryptosredis.LimiterConfig{Quotas: q, Margin: 10 * time.Millisecond})
	ctx := context.Background()
	require.NoError(t, a.Wait(ctx, kryptos.ClassData, -1))
	r.stop()
	require.ErrorIs(t, a.Wait(ctx, kryptos.ClassData, 0), kryptos.ErrQuotaWait, "the outage begins")
	r.start()
	time.Sleep(330 * time.Millisecond) // the outage's first window is over
	// a finds that Redis lost the class's keys (its send): the class waits
	// a window, and a gives back the slot of its share.
	require.ErrorIs(t, a.Wait(ctx, kryptos.ClassData, 0), kryptos.ErrQuotaWait, "Redis lost a's send")
	time.Sleep(330 * time.Millisecond)                    // that window is over
	require.NoError(t, b.Wait(ctx, kryptos.ClassData, 0)) // Redis: [b]
	tB := time.Now()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, a.Wait(ctx, kryptos.ClassData, 0)) // Redis: [b, a]; a's share: [a]
	require.ErrorIs(t, a.Wait(ctx, kryptos.ClassData, 0), kryptos.ErrQuotaWait, "Redis is full")
	time.Sleep(time.Until(tB.Add(310*time.Millisecond + 30*time.Millisecond))) // b's send left the window
	assert.NoError(t, a.Wait(ctx, kryptos.ClassData, 0), "one slot is free in Redis and in a's share")
}

// TestSendsWrittenBackDuringAPauseExpire: the sends of an outage written
// back to Redis while a 429 holds the class get the window's expiry too,
// instead of a key that lives for ever.
func TestSendsWrittenBackDuringAPauseExpire(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	q := map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassData: {Requests: 10, Per: 200 * time.Millisecond}}
	a := newLimiter(t, r, id, kryptosredis.LimiterConfig{Quotas: q, Margin: 10 * time.Millisecond,
		Outage: kryptosredis.FallBackLocal, Replicas: 1, RetryRedis: 20 * time.Millisecond})
	b := newLimiter(t, r, id, kryptosredis.LimiterConfig{})
	ctx := context.Background()
	require.NoError(t, a.Wait(ctx, kryptos.ClassData, -1))
	r.stop()
	require.NoError(t, a.Wait(ctx, kryptos.ClassData, -1), "sent without Redis, after a window")
	r.start()
	b.Backoff(ctx, kryptos.ClassData, 2*time.Second)
	time.Sleep(30 * time.Millisecond) // past RetryRedis
	require.ErrorIs(t, a.Wait(ctx, kryptos.ClassData, 0), kryptos.ErrQuotaWait, "written back, then held by the pause")
	key := "kryptos:{" + id + "}:quota:data"
	n, err := r.client().ZCard(ctx, key).Result()
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "the outage's send was written back")
	ttl, err := r.client().PTTL(ctx, key).Result()
	require.NoError(t, err)
	assert.Positive(t, ttl, "the window key expires")
}

// A Redis that restarts without persistence (or is flushed, or fails over
// to an empty replica) forgets the sends of the current window. The
// Limiter must not then let a whole quota more through in that window.
func TestARedisRestartDoesNotForgetTheWindow(t *testing.T) {
	q := kryptos.Quota{Requests: 3, Per: 5 * time.Second}
	for _, tc := range []struct {
		name   string
		rdb    func(r *redisServer) *redis.Client
		outage kryptosredis.Outage
	}{
		// The doc's own setup: a go-redis client with its default retries,
		// which hides a quick restart from the Limiter.
		{"default client, FallBackLocal", func(r *redisServer) *redis.Client {
			rdb := redis.NewClient(&redis.Options{Addr: r.addr()})
			t.Cleanup(func() { rdb.Close() })
			return rdb
		}, kryptosredis.FallBackLocal},
		// A client without retries: the Limiter sees the failure, and
		// fails closed meanwhile; "nothing can exceed the quota".
		{"no retries, FailClosed", (*redisServer).client, kryptosredis.FailClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRedis(t)
			s, err := kryptosredis.New(tc.rdb(r), kryptosredis.Options{ClientID: unique(t)})
			require.NoError(t, err)
			l, err := s.Limiter(kryptosredis.LimiterConfig{
				Quotas: map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassData: q}, Outage: tc.outage, Replicas: 1,
				RetryRedis: 10 * time.Millisecond,
			})
			require.NoError(t, err)
			ctx := context.Background()
			for range q.Requests {
				require.NoError(t, l.Wait(ctx, kryptos.ClassData, 0))
			}
			require.ErrorIs(t, l.Wait(ctx, kryptos.ClassData, 0), kryptos.ErrQuotaWait, "the window is full")

			r.stop()
			r.start()
			sent := 0
			deadline := time.Now().Add(time.Second) // well within the window of the three sends
			for time.Now().Before(deadline) {
				if l.Wait(ctx, kryptos.ClassData, 0) == nil {
					sent++
				}
				time.Sleep(20 * time.Millisecond)
			}
			assert.Zero(t, sent, "sends let through in the window that already had %d", q.Requests)
		})
	}
}
