package benchmarks

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/throttle"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// BenchmarkCall is the cost of one call, serially: the SDK against the
// hand-written baseline, on the same loopback server.
func BenchmarkCall(b *testing.B) {
	ctx := context.Background()
	for _, c := range calls {
		b.Run(c.name+"/impl=sdk", func(b *testing.B) {
			client := newServer(b, grantsAnswer(1)).sdk(b)
			b.ReportAllocs()
			for b.Loop() {
				if err := c.sdk(ctx, client); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/impl=baseline", func(b *testing.B) {
			base := newServer(b, grantsAnswer(1)).baseline()
			b.ReportAllocs()
			for b.Loop() {
				if err := c.baseline(base, ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkConcurrent runs CheckSession from 1, 16 and 64 goroutines through
// one client, and reports the connections the server saw opened: reused
// connections keep it near the number of goroutines, whatever b.N.
func BenchmarkConcurrent(b *testing.B) {
	ctx := context.Background()
	for _, g := range []int{1, 16, 64} {
		for _, impl := range []string{"sdk", "baseline"} {
			b.Run(fmt.Sprintf("goroutines=%d/impl=%s", g, impl), func(b *testing.B) {
				srv := newServer(b, grantsAnswer(1))
				var call func() error
				if impl == "sdk" {
					client := srv.sdk(b)
					call = func() error { _, err := client.CheckSession(ctx, accessToken); return err }
				} else {
					base := srv.baseline()
					call = func() error { return base.checkSession(ctx) }
				}
				b.ReportAllocs()
				b.ResetTimer()
				spread(b, g, call)
				b.StopTimer()
				b.ReportMetric(float64(srv.opened.Load()), "conns")
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			})
		}
	}
}

// spread makes b.N calls from n goroutines.
func spread(b *testing.B, n int, call func() error) {
	var wg sync.WaitGroup
	per, extra := b.N/n, b.N%n
	for i := range n {
		count := per
		if i < extra {
			count++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range count {
				if err := call(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkListGrants decodes 10, 1,000 and 100,000 grants: through the SDK,
// through the baseline (the same HTTP call, then json.Unmarshal), and with
// json.Unmarshal alone on a body already in memory.
func BenchmarkListGrants(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10, 1000, 100000} {
		body := grantsAnswer(n)
		b.Run(fmt.Sprintf("grants=%d/impl=sdk", n), func(b *testing.B) {
			client := newServer(b, body).sdk(b, kryptos.WithMaxResponseBytes(64<<20))
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				grants, err := client.ListGrants(ctx)
				if err != nil || len(grants) != n {
					b.Fatal(len(grants), err)
				}
			}
		})
		b.Run(fmt.Sprintf("grants=%d/impl=baseline", n), func(b *testing.B) {
			base := newServer(b, body).baseline()
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				grants, err := base.listGrants(ctx)
				if err != nil || len(grants) != n {
					b.Fatal(len(grants), err)
				}
			}
		})
		b.Run(fmt.Sprintf("grants=%d/impl=unmarshal", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var env envelope[grantsData]
				if err := json.Unmarshal(body, &env); err != nil || len(env.Data.Grants) != n {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLimiterWait is the cost the default limiter adds to a call that
// does not have to wait: for an operation without a quota, and for one with
// a quota it stays within.
func BenchmarkLimiterWait(b *testing.B) {
	ctx := context.Background()
	limiter, err := kryptos.NewQuotaLimiter(map[kryptos.Operation]kryptos.Quota{
		kryptos.OpCreateLinkToken: {Requests: 1 << 20, Per: 50 * time.Millisecond},
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, op := range []kryptos.Operation{kryptos.OpCheckSession, kryptos.OpCreateLinkToken} {
		b.Run("op="+string(op), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := limiter.Wait(ctx, op); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQuota simulates ten minutes of demand at three times each
// default per-minute quota on a fake clock: the client waits on the SDK's
// own window, and a server that enforces the documented limit exactly, over
// a sliding window, counts what it would reject. It reports the share of
// the quota used and the rejections.
func BenchmarkQuota(b *testing.B) {
	for op, q := range map[kryptos.Operation]kryptos.Quota{
		kryptos.OpCreateLinkToken:     kryptos.DefaultQuotas()[kryptos.OpCreateLinkToken],
		kryptos.OpExchangePublicToken: kryptos.DefaultQuotas()[kryptos.OpExchangePublicToken],
	} {
		b.Run("op="+string(op), func(b *testing.B) {
			var used float64
			var rejected int
			for b.Loop() {
				used, rejected = simulateQuota(q, 3, 10*time.Minute)
			}
			b.ReportMetric(100*used, "%quota-used")
			b.ReportMetric(float64(rejected), "rejected")
		})
	}
}

// simulateQuota runs demand times the quota through a QuotaWindow for
// length of simulated time, and checks each admitted request against the
// server's sliding window.
func simulateQuota(q kryptos.Quota, demand int, length time.Duration) (used float64, rejected int) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &jumpClock{now: start}
	w := throttle.QuotaWindow(q.Requests, q.Per, clock)
	gap := q.Per / time.Duration(demand*q.Requests)
	var served []time.Time // the server's sliding log of accepted requests
	admitted := 0
	for arrival := start; arrival.Before(start.Add(length)); arrival = arrival.Add(gap) {
		if clock.now.Before(arrival) {
			clock.now = arrival
		}
		_ = w.Wait(context.Background()) // jumps the clock to the admission time
		if !clock.now.Before(start.Add(length)) {
			break
		}
		at := clock.now
		i := sort.Search(len(served), func(i int) bool { return served[i].After(at.Add(-q.Per)) })
		if len(served)-i >= q.Requests {
			rejected++
			continue
		}
		served = append(served, at)
		admitted++
	}
	return float64(admitted) / (float64(q.Requests) * float64(length) / float64(q.Per)), rejected
}

// jumpClock is a single-threaded fake clock whose Sleep jumps ahead.
type jumpClock struct{ now time.Time }

func (c *jumpClock) Now() time.Time { return c.now }

func (c *jumpClock) Sleep(_ context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return nil
}

// BenchmarkSandbox is the sandbox's throughput with the SDK as its client,
// from 64 goroutines.
func BenchmarkSandbox(b *testing.B) {
	ctx := context.Background()
	srv := kryptostest.NewServer(kryptostest.WithRateLimits(kryptostest.RateLimits{}))
	defer srv.Close()
	client := srv.Client(kryptos.WithLimiter(nil))
	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	if err != nil {
		b.Fatal(err)
	}
	public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true})
	if err != nil {
		b.Fatal(err)
	}
	grant, err := client.ExchangePublicToken(ctx, public)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	spread(b, 64, func() error { _, err := client.CheckSession(ctx, grant.AccessToken); return err })
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
