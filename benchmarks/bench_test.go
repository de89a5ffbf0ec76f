package benchmarks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/clock"
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

// BenchmarkInMemory is BenchmarkCall without the network: both clients send
// through memAPI, which answers from memory. It measures the client's own
// code (building the request, net/http's Client, reading and decoding the
// answer) without the loopback server, its goroutines and the scheduler,
// which make BenchmarkCall noisy on a shared machine. CheckSession is also
// called with a context whose deadline comes sooner than the per-attempt
// timeout (ctx=sooner), which spares the SDK the attempt's own context.
func BenchmarkInMemory(b *testing.B) {
	background := context.Background()
	sooner, cancel := context.WithTimeout(background, kryptos.DefaultTimeout/2)
	defer cancel()
	api := newMemAPI(b)
	for _, c := range calls {
		ctxs := []struct {
			name string
			ctx  context.Context
		}{{"", background}}
		if c.name == "CheckSession" {
			ctxs = append(ctxs, struct {
				name string
				ctx  context.Context
			}{"/ctx=sooner", sooner})
		}
		for _, ctx := range ctxs {
			b.Run(c.name+ctx.name+"/impl=sdk", func(b *testing.B) {
				client := api.sdk(b)
				b.ReportAllocs()
				for b.Loop() {
					if err := c.sdk(ctx.ctx, client); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(c.name+ctx.name+"/impl=baseline", func(b *testing.B) {
				base := api.baseline()
				b.ReportAllocs()
				for b.Loop() {
					if err := c.baseline(base, ctx.ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkBusyClient is the baseline's CheckSession with a busy wait of
// 0, 1.5 and 3 µs after each call: what a client that spends longer between
// an answer and its next request pays on loopback, where client and server
// share the machine's cores.
func BenchmarkBusyClient(b *testing.B) {
	ctx := context.Background()
	for _, busy := range []time.Duration{0, 1500 * time.Nanosecond, 3 * time.Microsecond} {
		b.Run(fmt.Sprintf("busy=%dns", busy.Nanoseconds()), func(b *testing.B) {
			base := newServer(b, grantsAnswer(1)).baseline()
			for b.Loop() {
				if err := base.checkSession(ctx); err != nil {
					b.Fatal(err)
				}
				for end := time.Now().Add(busy); time.Now().Before(end); {
				}
			}
		})
	}
}

// BenchmarkDeadline is CheckSession with a caller's context without a
// deadline (ctx=background) and with one that comes sooner than the
// per-attempt timeout (ctx=sooner). The SDK then sends each attempt with the
// caller's context as it is: comparing the two shows what the per-attempt
// context costs when it is needed, and that it costs nothing when it is not.
func BenchmarkDeadline(b *testing.B) {
	const perAttempt = time.Hour
	sooner, cancel := context.WithTimeout(context.Background(), perAttempt/2)
	defer cancel()
	for _, ctx := range []struct {
		name string
		ctx  context.Context
	}{{"background", context.Background()}, {"sooner", sooner}} {
		b.Run("ctx="+ctx.name+"/impl=sdk", func(b *testing.B) {
			client := newServer(b, grantsAnswer(1)).sdk(b, kryptos.WithTimeout(perAttempt))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.CheckSession(ctx.ctx, accessToken); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("ctx="+ctx.name+"/impl=baseline", func(b *testing.B) {
			base := newServer(b, grantsAnswer(1)).baseline()
			b.ReportAllocs()
			for b.Loop() {
				if err := base.checkSession(ctx.ctx); err != nil {
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
// json.Unmarshal alone on a body already in memory, into the baseline's
// structs (impl=unmarshal) and into the SDK's own kryptos.Grant
// (impl=unmarshal-sdktypes), the floor for the SDK's decoding.
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
		b.Run(fmt.Sprintf("grants=%d/impl=unmarshal-sdktypes", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var answer sdkGrantsAnswer
				if err := json.Unmarshal(body, &answer); err != nil || len(answer.Data.Grants) != n {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLimiterWait is the cost the default limiter adds to a call that
// does not have to wait: for a class without a quota, and for one with a
// quota it stays within.
func BenchmarkLimiterWait(b *testing.B) {
	ctx := context.Background()
	limiter, err := kryptos.NewLimiter(kryptos.LimiterConfig{Quotas: map[kryptos.QuotaClass]kryptos.Quota{
		kryptos.ClassLinkToken: {Requests: 1 << 20, Per: 50 * time.Millisecond},
	}})
	if err != nil {
		b.Fatal(err)
	}
	for _, class := range []kryptos.QuotaClass{kryptos.ClassConnect, kryptos.ClassLinkToken} {
		b.Run("class="+string(class), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := limiter.Wait(ctx, class, -1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQuota simulates ten minutes of demand at three times a
// per-minute quota (the historical 10 link tokens and 5 exchanges a
// minute) on a fake clock: the client waits on the SDK's own window, and a
// server that enforces the limit exactly, over a sliding window, counts what
// it would reject. It reports the share of the quota used and the
// rejections.
func BenchmarkQuota(b *testing.B) {
	for name, q := range map[string]kryptos.Quota{
		"link_token": {Requests: 10, Per: time.Minute},
		"exchange":   {Requests: 5, Per: time.Minute},
	} {
		b.Run("class="+name, func(b *testing.B) {
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
// server's sliding window. The window never sleeps here: a request it
// refuses to admit at once waits for the clock to reach its slot.
func simulateQuota(q kryptos.Quota, demand int, length time.Duration) (used float64, rejected int) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.NewFake(start)
	w := throttle.QuotaWindow(q.Requests, q.Per, c)
	gap := q.Per / time.Duration(demand*q.Requests)
	var served []time.Time // the server's sliding log of accepted requests
	admitted := 0
	end := start.Add(length)
	for arrival := start; arrival.Before(end); arrival = arrival.Add(gap) {
		if c.Now().Before(arrival) {
			c.Set(arrival)
		}
		var tooLong *throttle.TooLong
		for err := w.Wait(context.Background(), 0); err != nil; err = w.Wait(context.Background(), 0) {
			if !errors.As(err, &tooLong) {
				panic(err)
			}
			c.Advance(tooLong.Wait) // jump to the admission time
		}
		if !c.Now().Before(end) {
			break
		}
		at := c.Now()
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

// BenchmarkSandbox is the sandbox's throughput with the SDK as its client,
// from 64 goroutines.
func BenchmarkSandbox(b *testing.B) {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client()
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
	spread(b, 64, func() error { _, err := client.CheckSession(ctx, grant.AccessToken.Reveal()); return err })
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
