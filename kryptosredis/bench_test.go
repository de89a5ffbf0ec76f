package kryptosredis_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptosredis"
	"github.com/kryptos-connect/kryptos-go/webhook"
)

// benchQuota never makes a benchmark wait: neither limiter gets anywhere
// near 2^20 calls within its window (10 ms plus the 50 ms margin), so Wait
// measures the call itself. Every Wait passes maxWait 0, which turns a wait
// into an error, and the benchmark fails if one happens.
//
// It is not a quota like 1e9 an hour: the in-process limiter keeps (and
// allocates up front) a slot per request of its window, and a billion
// slots of time.Time are 24 GB.
var benchQuota = kryptos.Quota{Requests: 1 << 20, Per: 10 * time.Millisecond}

// benchParallelism is how many goroutines per GOMAXPROCS the parallel
// benchmarks run: one replica serving many requests at once. A Redis call
// mostly waits on the network, so two goroutines on two cores would show
// its latency, not what one replica gets through.
const benchParallelism = 8

// BenchmarkWait is the cost of one Limiter.Wait that need not wait: the
// in-process kryptos.NewLimiter against the Redis Limiter (one Lua script
// on a loopback redis-server) in the same run.
func BenchmarkWait(b *testing.B) {
	ctx := context.Background()
	quotas := map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassData: benchQuota}
	local, err := kryptos.NewLimiter(kryptos.LimiterConfig{Quotas: quotas})
	if err != nil {
		b.Fatal(err)
	}
	r := startRedis(b)
	store, err := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: unique(b)})
	if err != nil {
		b.Fatal(err)
	}
	shared, err := store.Limiter(kryptosredis.LimiterConfig{Quotas: quotas})
	if err != nil {
		b.Fatal(err)
	}

	serial := func(l kryptos.Limiter) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := l.Wait(ctx, kryptos.ClassData, 0); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	parallel := func(l kryptos.Limiter) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(benchParallelism)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := l.Wait(ctx, kryptos.ClassData, 0); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
	}
	b.Run("in-process", serial(local))
	b.Run("redis", serial(shared))
	b.Run("in-process-parallel", parallel(local))
	b.Run("redis-parallel", parallel(shared))
}

// BenchmarkDeduplicatorBegin is the cost of claiming a new webhook
// delivery: webhook.NewMemoryDeduplicator against the Redis Deduplicator.
// Every Begin claims an id not seen before, as a first delivery does.
func BenchmarkDeduplicatorBegin(b *testing.B) {
	ctx := context.Background()
	memory, err := webhook.NewMemoryDeduplicator(time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	r := startRedis(b)
	store, err := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: unique(b)})
	if err != nil {
		b.Fatal(err)
	}
	shared, err := store.Deduplicator(time.Hour)
	if err != nil {
		b.Fatal(err)
	}

	var run atomic.Int64 // keeps ids apart if a sub-benchmark runs again
	for _, impl := range []struct {
		name string
		d    webhook.Deduplicator
	}{{"memory", memory}, {"redis", shared}} {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			prefix := fmt.Sprintf("whd_%d_", run.Add(1))
			i := 0
			for b.Loop() {
				i++
				st, err := impl.d.Begin(ctx, prefix+strconv.Itoa(i), "tok", time.Minute)
				if err != nil {
					b.Fatal(err)
				}
				if st != webhook.StateClaimed {
					b.Fatalf("Begin of a new id answered %v", st)
				}
			}
		})
	}
}

// BenchmarkRedisPing is the floor under the Redis benchmarks: one PING on
// a loopback redis-server through the same kind of client, without a
// script, a Store or its timeout.
func BenchmarkRedisPing(b *testing.B) {
	ctx := context.Background()
	rdb := startRedis(b).client()
	b.ReportAllocs()
	for b.Loop() {
		if err := rdb.Ping(ctx).Err(); err != nil {
			b.Fatal(err)
		}
	}
}
