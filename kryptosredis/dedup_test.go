package kryptosredis_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptosredis"
	"github.com/kryptos-connect/kryptos-go/webhook"
)

func newDedup(t *testing.T, r *redisServer, clientID string) *kryptosredis.Deduplicator {
	t.Helper()
	s, err := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: clientID})
	require.NoError(t, err)
	d, err := s.Deduplicator(time.Hour)
	require.NoError(t, err)
	return d
}

func TestDeduplicatorKeepsTheClaimAndDoneStatesAcrossReplicas(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	a, b := newDedup(t, r, id), newDedup(t, r, id)
	ctx := context.Background()

	st, err := a.Begin(ctx, "whd_1", "tok-a", time.Second)
	require.NoError(t, err)
	assert.Equal(t, webhook.StateClaimed, st)
	st, err = b.Begin(ctx, "whd_1", "tok-b", time.Second)
	require.NoError(t, err)
	assert.Equal(t, webhook.StateInFlight, st)
	// go-redis sends a command again when its reply is lost: a's own claim
	// must still read as a's.
	st, err = a.Begin(ctx, "whd_1", "tok-a", time.Second)
	require.NoError(t, err)
	assert.Equal(t, webhook.StateClaimed, st, "a Begin sent again by its token keeps the claim its own")

	assert.ErrorIs(t, b.Extend(ctx, "whd_1", "tok-b", time.Second), webhook.ErrLeaseLost, "not b's claim")
	require.NoError(t, b.Release(ctx, "whd_1", "tok-b"), "releasing another's claim does nothing")
	require.NoError(t, a.Extend(ctx, "whd_1", "tok-a", time.Second))
	require.NoError(t, a.Done(ctx, "whd_1", "tok-a"))
	st, err = b.Begin(ctx, "whd_1", "tok-b", time.Second)
	require.NoError(t, err)
	assert.Equal(t, webhook.StateDone, st)

	// A released claim is free again; an expired one too.
	_, err = a.Begin(ctx, "whd_2", "tok-a", time.Second)
	require.NoError(t, err)
	require.NoError(t, a.Release(ctx, "whd_2", "tok-a"))
	st, _ = b.Begin(ctx, "whd_2", "tok-b", 20*time.Millisecond)
	assert.Equal(t, webhook.StateClaimed, st)
	time.Sleep(40 * time.Millisecond)
	st, _ = a.Begin(ctx, "whd_2", "tok-a", time.Second)
	assert.Equal(t, webhook.StateClaimed, st, "b's lease expired")
	// b finished late: the work is recorded, and b hears that it lost.
	assert.ErrorIs(t, b.Done(ctx, "whd_2", "tok-b"), webhook.ErrLeaseLost)
	st, _ = a.Begin(ctx, "whd_2", "tok-c", time.Second)
	assert.Equal(t, webhook.StateDone, st)

	// Another client ID has its own deliveries.
	st, _ = newDedup(t, r, id+"-other").Begin(ctx, "whd_1", "tok", time.Second)
	assert.Equal(t, webhook.StateClaimed, st)

	_, err = a.Begin(ctx, "", "tok", time.Second)
	assert.ErrorIs(t, err, kryptos.ErrInvalidParams)
	s, err := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: id})
	require.NoError(t, err)
	for _, ttl := range []time.Duration{0, -time.Second, 500 * time.Microsecond} {
		_, err = s.Deduplicator(ttl)
		assert.ErrorIs(t, err, kryptos.ErrInvalidParams, "%s: Redis counts in milliseconds; PX 0 would fail every Done", ttl)
	}

	r.stop()
	_, err = a.Begin(ctx, "whd_3", "tok", time.Second)
	assert.ErrorIs(t, err, kryptosredis.ErrUnavailable)
}

// TestEachWebhookEventIsHandledOnceAcrossReplicas sends every event of a
// run to three replicas behind a round-robin balancer, several times and
// at once, the way Kryptos retries: some handlers are slow (the retry finds
// them in flight) and some fail the first time (the retry must handle it).
func TestEachWebhookEventIsHandledOnceAcrossReplicas(t *testing.T) {
	r := startRedis(t)
	id := unique(t)
	const secret = "whsec_test"
	var mu sync.Mutex
	handled := map[string]int{}
	var failedOnce sync.Map
	var replicas []http.Handler
	for range 3 {
		fn := func(_ context.Context, ev *webhook.Event) error {
			n := 0
			fmt.Sscanf(ev.ID, "whd_%d", &n)
			if n%5 == 0 {
				if _, again := failedOnce.LoadOrStore(ev.ID, true); !again {
					return fmt.Errorf("a transient failure")
				}
			}
			if n%3 == 0 {
				time.Sleep(30 * time.Millisecond)
			}
			mu.Lock()
			handled[ev.ID]++
			mu.Unlock()
			return nil
		}
		h, err := webhook.NewHandler([]string{secret}, fn, webhook.WithDeduplicator(newDedup(t, r, id)),
			webhook.WithInFlightWait(10*time.Millisecond), webhook.WithLease(time.Second))
		require.NoError(t, err)
		replicas = append(replicas, h)
	}
	var next atomic.Int64
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		replicas[next.Add(1)%int64(len(replicas))].ServeHTTP(w, req)
	}))
	defer lb.Close()

	deliver := func(n int) int {
		body, _ := json.Marshal(map[string]any{
			"id": fmt.Sprintf("whd_%d", n), "event": "integration.updated", "timestamp": time.Now().UTC().Format(time.RFC3339),
			"grant_id": "grant_1", "workspace_id": "ws_1", "data": map[string]any{"walletId": "w"},
		})
		req, _ := http.NewRequest(http.MethodPost, lb.URL, bytes.NewReader(body))
		req.Header.Set(webhook.HeaderSignature, webhook.Sign(body, secret))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	const events = 40
	var wg sync.WaitGroup
	for n := range events {
		wg.Go(func() {
			// Three deliveries at once, then retries until one is
			// acknowledged, as Kryptos would.
			var got sync.WaitGroup
			var acked atomic.Bool
			for range 3 {
				got.Go(func() {
					if deliver(n) == http.StatusOK {
						acked.Store(true)
					}
				})
			}
			got.Wait()
			for try := 0; !acked.Load() && try < 20; try++ {
				time.Sleep(20 * time.Millisecond)
				if deliver(n) == http.StatusOK {
					acked.Store(true)
				}
			}
			assert.True(t, acked.Load(), "event %d acknowledged", n)
		})
	}
	wg.Wait()
	require.Len(t, handled, events)
	for id, times := range handled {
		assert.Equal(t, 1, times, id)
	}
}

// oddAnswers makes every script answer one the scripts never give, as a
// broken proxy in front of Redis might.
type oddAnswers struct{}

func (oddAnswers) DialHook(next redis.DialHook) redis.DialHook { return next }
func (oddAnswers) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (oddAnswers) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if c, ok := cmd.(*redis.Cmd); ok && err == nil {
			c.SetVal([]any{int64(7)})
		}
		return err
	}
}

// A Begin answer that is not the script's is an error, not "done": done
// would acknowledge the delivery and lose its event.
func TestAnUnknownBeginAnswerIsAnError(t *testing.T) {
	r := startRedis(t)
	rdb := r.client()
	rdb.AddHook(oddAnswers{})
	s, err := kryptosredis.New(rdb, kryptosredis.Options{ClientID: unique(t)})
	require.NoError(t, err)
	d, err := s.Deduplicator(time.Hour)
	require.NoError(t, err)
	st, err := d.Begin(context.Background(), "whd_1", "tok", time.Second)
	require.Error(t, err, "state %v", st)
	assert.NotEqual(t, webhook.StateDone, st)
}

// WithMaxAge is checked against a Redis Deduplicator's memory too: a
// replay that outlives it would be handled twice.
func TestAMaxAgePastTheRedisMemoryIsRefused(t *testing.T) {
	r := startRedis(t)
	s, err := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: unique(t)})
	require.NoError(t, err)
	d, err := s.Deduplicator(time.Hour)
	require.NoError(t, err)
	handle := func(context.Context, *webhook.Event) error { return nil }
	_, err = webhook.NewHandler([]string{"whsec_test"}, handle, webhook.WithDeduplicator(d), webhook.WithMaxAge(time.Hour))
	require.ErrorIs(t, err, kryptos.ErrInvalidParams)
	_, err = webhook.NewHandler([]string{"whsec_test"}, handle, webhook.WithDeduplicator(d), webhook.WithMaxAge(time.Hour-webhook.MaxClockSkew))
	require.NoError(t, err)
}
