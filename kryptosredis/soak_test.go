package kryptosredis_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptosredis"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// soakReplicas is how many replicas share the client ID in the soaks, each
// a Client with its own Store and its own Redis connection.
const soakReplicas = 4

// soakCall is one ListGrants call's outcome, as its replica saw it.
type soakCall struct {
	start, at time.Time // when it began and returned
	err       error
}

// soak runs every replica's workers against srv until ctx ends, each
// calling ListGrants (ClassConnect) in a loop, and returns every outcome
// sorted by time. limiter makes each replica's Limiter.
func soak(ctx context.Context, t *testing.T, srv *kryptostest.Server, limiter func() *kryptosredis.Limiter, workers int) []soakCall {
	var mu sync.Mutex
	var calls []soakCall
	var wg sync.WaitGroup
	for range soakReplicas {
		c := srv.Client(kryptos.WithLimiter(limiter()))
		for range workers {
			wg.Go(func() {
				for ctx.Err() == nil {
					start := time.Now()
					_, err := c.ListGrants(ctx)
					if ctx.Err() != nil {
						return
					}
					mu.Lock()
					calls = append(calls, soakCall{start: start, at: time.Now(), err: err})
					mu.Unlock()
					if err != nil {
						time.Sleep(10 * time.Millisecond) // as an application would
					}
				}
			})
		}
	}
	wg.Wait()
	sort.Slice(calls, func(i, j int) bool { return calls[i].at.Before(calls[j].at) })
	return calls
}

// TestSoakFourReplicasUseTheWholeQuotaAndDrawNo429 holds four replicas to
// the sandbox's exact quota for three windows: the server refuses nothing,
// and the replicas together send their requests as fast as the quota
// allows, less the margin.
func TestSoakFourReplicasUseTheWholeQuotaAndDrawNo429(t *testing.T) {
	r := startRedis(t)
	// A margin of 100 ms keeps the requests of two windows apart at the
	// sandbox under -race on two cores, where 32 requests at once queue for
	// tens of milliseconds (60 ms was not always enough); over 12 s windows
	// it costs 0.83% of the quota.
	q := kryptos.Quota{Requests: 100, Per: 12 * time.Second}
	const margin = 100 * time.Millisecond
	srv := kryptostest.NewServer(kryptostest.WithRateLimits(kryptostest.RateLimits{kryptos.ClassConnect: q}))
	defer srv.Close()
	id := srv.ClientID
	limiter := func() *kryptosredis.Limiter {
		s, err := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: id})
		require.NoError(t, err)
		l, err := s.Limiter(kryptosredis.LimiterConfig{Quotas: map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassConnect: q}, Margin: margin})
		require.NoError(t, err)
		return l
	}

	const windows = 3
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan []soakCall)
	go func() { done <- soak(ctx, t, srv, limiter, 8) }()
	// Stop once the fourth window's burst has been sent.
	deadline := time.Now().Add(windows * (q.Per + time.Second))
	for srv.Stats().ByRoute["GET /grants"] < windows*q.Requests && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	calls := <-done

	require.GreaterOrEqual(t, len(calls), windows*q.Requests)
	for _, c := range calls {
		require.NoError(t, c.err)
	}
	assert.Zero(t, srv.Stats().RateLimited, "the server's 429s")
	// A perfect sender sends a window's requests at once, every Per: the
	// last window's burst starts (windows-1)·Per after the first.
	first, last := calls[0].at, calls[(windows-1)*q.Requests].at
	used := float64((windows-1)*q.Per) / float64(last.Sub(first))
	t.Logf("%d replicas: %d calls, quota used %.2f%%, server 429s %d", soakReplicas, len(calls), 100*used, srv.Stats().RateLimited)
	assert.GreaterOrEqual(t, used, 0.99, "share of the quota used")
}

// TestSoakRedisKilledAndRestartedMidRun kills Redis while four replicas
// hammer the sandbox, and starts it again: under FallBackLocal the replicas
// go on at their share and draw no 429; under FailClosed the calls fail at
// once with ErrUnavailable. In neither does a call hang, and both are back
// on Redis once it answers.
func TestSoakRedisKilledAndRestartedMidRun(t *testing.T) {
	for _, outage := range []kryptosredis.Outage{kryptosredis.FallBackLocal, kryptosredis.FailClosed} {
		t.Run(outage.String(), func(t *testing.T) {
			r := startRedis(t)
			q := kryptos.Quota{Requests: 40, Per: 600 * time.Millisecond}
			srv := kryptostest.NewServer(kryptostest.WithRateLimits(kryptostest.RateLimits{kryptos.ClassConnect: q}))
			defer srv.Close()
			limiter := func() *kryptosredis.Limiter {
				s, err := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: srv.ClientID, Timeout: 100 * time.Millisecond})
				require.NoError(t, err)
				// The margin covers how late a request reaches the sandbox
				// after Redis gave it its slot: 16 workers, Redis and the
				// sandbox share two cores, and under -race 100 ms was once
				// not enough.
				l, err := s.Limiter(kryptosredis.LimiterConfig{
					Quotas: map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassConnect: q}, Margin: 250 * time.Millisecond,
					Outage: outage, Replicas: soakReplicas, RetryRedis: 100 * time.Millisecond,
				})
				require.NoError(t, err)
				return l
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan []soakCall)
			start := time.Now()
			go func() { done <- soak(ctx, t, srv, limiter, 4) }()
			time.Sleep(4 * q.Per)
			limitedAtKill := srv.Stats().RateLimited
			r.stop()
			killed := time.Now()
			time.Sleep(q.Per / 2) // the calls in flight at the kill end
			sentAtKill := srv.Stats().ByRoute["GET /grants"]
			time.Sleep(4*q.Per - q.Per/2)
			sentInOutage := srv.Stats().ByRoute["GET /grants"] - sentAtKill
			limitedAtRestart := srv.Stats().RateLimited
			r.start()
			restarted := time.Now()
			time.Sleep(4 * q.Per)
			cancel()
			calls := <-done

			var before, during, after, unavailable int
			for _, c := range calls {
				// A call may wait out the outage's first window and then its
				// share; one that took longer than a few windows hung.
				assert.Less(t, c.at.Sub(c.start), 5*q.Per+time.Second, "a call that hung")
				switch {
				case c.err != nil:
					require.ErrorIs(t, c.err, kryptosredis.ErrUnavailable)
					unavailable++
				case c.start.Before(killed):
					before++
				case c.start.Before(restarted):
					during++
				default:
					after++
				}
			}
			t.Logf("429s: %d before the kill, %d before the restart", limitedAtKill, limitedAtRestart)
			t.Logf("%s: %d calls before the kill, %d during the outage (%d refused), %d after the restart; server 429s %d; %s in all",
				outage, before, during, unavailable, after, srv.Stats().RateLimited, time.Since(start).Round(time.Millisecond))
			assert.Zero(t, srv.Stats().RateLimited, "the server's 429s")
			assert.Positive(t, before)
			assert.Positive(t, after, "back on Redis after the restart")
			switch outage {
			case kryptosredis.FallBackLocal:
				assert.Zero(t, unavailable)
				// 4 windows of outage, the first waited out: at most 3·share
				// per replica, and some.
				assert.LessOrEqual(t, during, 3*q.Requests+q.Requests/soakReplicas*soakReplicas)
				assert.Positive(t, during)
			case kryptosredis.FailClosed:
				assert.Positive(t, unavailable)
				assert.Zero(t, sentInOutage, "requests sent without Redis")
			}
			if t.Failed() {
				for _, c := range calls {
					if c.err != nil && !errors.Is(c.err, kryptosredis.ErrUnavailable) {
						fmt.Println(c.err)
					}
				}
			}
		})
	}
}
