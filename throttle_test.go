package kryptos

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go/internal/throttle"
)

func TestDefaultQuotasAreTheDocumentedOnes(t *testing.T) {
	t.Parallel()
	assert.Equal(t, map[Operation]Quota{
		OpCreateLinkToken:     {Requests: 10, Per: time.Minute},
		OpExchangePublicToken: {Requests: 5, Per: time.Minute},
		OpListIntegrations:    {Requests: 500, Per: time.Hour},
		OpGetSyncJob:          {Requests: 500, Per: time.Hour},
	}, DefaultQuotas())
}

func TestNewQuotaLimiterRejectsEmptyQuotas(t *testing.T) {
	t.Parallel()
	for _, q := range []Quota{{Requests: 0, Per: time.Minute}, {Requests: 1}, {Requests: -1, Per: time.Second}} {
		_, err := NewQuotaLimiter(map[Operation]Quota{OpListGrants: q})
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", q)
		assert.Contains(t, err.Error(), "quotas[ListGrants]")
	}
}

// TestDefaultQuotaHoldsAtTheServer sends more link-token requests at once
// than the quota allows, through the default limiter on a fake clock, and
// counts what reaches the server in each window.
func TestDefaultQuotaHoldsAtTheServer(t *testing.T) {
	t.Parallel()
	clock := throttle.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	limiter, err := newQuotaLimiter(DefaultQuotas(), clock)
	require.NoError(t, err)
	api := newMockAPI(t, WithLimiter(limiter))
	api.on(http.MethodPost, "/link-token", reply(200, seedLinkTokenFresh))

	const calls = 25
	var wg sync.WaitGroup
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := api.client.CreateLinkToken(context.Background(), LinkTokenParams{})
			assert.NoError(t, err)
		}()
	}
	// The burst of 10 goes at once; the other 15 wait for the window.
	require.True(t, clock.WaitForSleepers(calls-10, 5*time.Second))
	assert.Equal(t, 10, api.rec.count())

	clock.Advance(time.Minute)
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, 10, api.rec.count(), "nothing more inside the first minute, nor its 600 ms margin")

	clock.Advance(600 * time.Millisecond)
	require.True(t, clock.WaitForSleepers(calls-20, 5*time.Second))
	waitFor(t, func() bool { return api.rec.count() == 20 })

	clock.Advance(time.Minute + 600*time.Millisecond)
	wg.Wait()
	assert.Equal(t, calls, api.rec.count())
}

// TestThrottleAppliesToEveryAttempt counts the limiter's waits: one per
// attempt, retries included, so retries cannot break the quota.
func TestThrottleAppliesToEveryAttempt(t *testing.T) {
	t.Parallel()
	counting := &countingLimiter{}
	api := newMockAPI(t, WithLimiter(counting))
	api.on(http.MethodPost, "/link-token", fail(503, "", "down").Then(fail(429, "", "slow")).Then(reply(200, seedLinkTokenFresh)))
	_, err := api.client.CreateLinkToken(context.Background(), LinkTokenParams{})
	require.NoError(t, err)
	assert.Equal(t, 3, api.rec.count())
	assert.Equal(t, []Operation{OpCreateLinkToken, OpCreateLinkToken, OpCreateLinkToken}, counting.ops())
}

func TestCancelDuringThrottleWait(t *testing.T) {
	t.Parallel()
	limiter, err := NewQuotaLimiter(map[Operation]Quota{OpExchangePublicToken: {Requests: 1, Per: time.Hour}})
	require.NoError(t, err)
	api := newMockAPI(t, WithLimiter(limiter))
	api.on(http.MethodPost, "/token/exchange", reply(200, seedExchange))
	_, err = api.client.ExchangePublicToken(context.Background(), testPublicToken)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err = api.client.ExchangePublicToken(ctx, testPublicToken)
	elapsed := time.Since(start)
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown, "nothing was sent, so the outcome is known")
	assert.Less(t, elapsed, 20*time.Millisecond+50*time.Millisecond)
	assert.Equal(t, 1, api.rec.count())
}

func TestALimiterErrorIsReturnedWithoutRetrying(t *testing.T) {
	t.Parallel()
	boom := errors.New("shared quota store unreachable")
	api := newMockAPI(t, WithLimiter(limiterFunc(func(context.Context, Operation) error { return boom })))
	_, err := api.client.ListGrants(context.Background())
	require.ErrorIs(t, err, boom)
	assert.Equal(t, 0, api.rec.count())
}

func TestOperationsWithoutAQuotaAreNotThrottled(t *testing.T) {
	t.Parallel()
	limiter, err := NewQuotaLimiter(DefaultQuotas())
	require.NoError(t, err)
	for range 100 {
		require.NoError(t, limiter.Wait(context.Background(), OpListGrants))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, limiter.Wait(ctx, OpListGrants), context.Canceled)
}

type countingLimiter struct {
	mu   sync.Mutex
	seen []Operation
}

func (c *countingLimiter) Wait(ctx context.Context, op Operation) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, op)
	return ctx.Err()
}

func (c *countingLimiter) ops() []Operation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Operation(nil), c.seen...)
}

type limiterFunc func(context.Context, Operation) error

func (f limiterFunc) Wait(ctx context.Context, op Operation) error { return f(ctx, op) }

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(time.Millisecond)
	}
}
