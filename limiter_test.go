package kryptos

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go/internal/clock"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestDefaultQuotasAreTheStillPublishedOIDCOnes(t *testing.T) {
	t.Parallel()
	assert.Equal(t, map[QuotaClass]Quota{
		ClassOIDCToken:    {Requests: 100, Per: time.Minute},
		ClassOIDCUserInfo: {Requests: 1000, Per: time.Hour},
		ClassOIDCOther:    {Requests: 200, Per: time.Hour},
	}, DefaultQuotas())
}

// TestEveryOperationCountsAgainstItsClass: the server counts quotas per
// class, so every data API call shares one quota whatever the method.
func TestEveryOperationCountsAgainstItsClass(t *testing.T) {
	t.Parallel()
	want := map[string]QuotaClass{
		"CreateLinkToken": ClassLinkToken, "ExchangePublicToken": ClassExchange,
		"CheckSession": ClassConnect, "ListGrants": ClassConnect, "RevokeGrant": ClassConnect,
		"ResyncIntegration": ClassConnect, "UpdateTransactionLimit": ClassConnect,
	}
	for _, op := range operations {
		if op.api == dataAPI {
			assert.Equal(t, ClassData, op.class, op.name)
			continue
		}
		assert.Equal(t, want[op.name], op.class, op.name)
	}
}

func TestNewLimiterRejectsEmptyQuotasAndRates(t *testing.T) {
	t.Parallel()
	for _, q := range []Quota{{Requests: 0, Per: time.Minute}, {Requests: 1}, {Requests: -1, Per: time.Second}, {Requests: 1, Per: MaxQuotaPer + 1}, {Requests: 1, Per: math.MaxInt64}} {
		_, err := NewLimiter(LimiterConfig{Quotas: map[QuotaClass]Quota{ClassData: q}})
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", q)
		assert.Contains(t, err.Error(), "Quotas[data]")
	}
	for _, r := range []Rate{{PerSecond: 0, Burst: 1}, {PerSecond: 1}, {PerSecond: -1, Burst: 2}} {
		_, err := NewLimiter(LimiterConfig{Rates: map[QuotaClass]Rate{ClassData: r}})
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", r)
		assert.Contains(t, err.Error(), "Rates[data]")
	}
}

// TestAQuotaHoldsAtTheServer sends more link-token requests at once than the
// quota allows, through a limiter on a fake clock, and counts what reaches
// the server in each window.
func TestAQuotaHoldsAtTheServer(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	limiter, err := newLimiter(LimiterConfig{Quotas: map[QuotaClass]Quota{ClassLinkToken: {Requests: 10, Per: time.Minute}}}, c)
	require.NoError(t, err)
	api := newMockAPI(t, WithLimiter(limiter))
	api.on(http.MethodPost, "/link-token", reply(200, golden(t, "connect.link_token.json")))

	const calls = 25
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			_, err := api.client.CreateLinkToken(context.Background(), LinkTokenParams{})
			assert.NoError(t, err)
		})
	}
	// The burst of 10 goes at once; the other 15 queue, the first of them
	// on a timer.
	require.True(t, c.WaitForTimers(1, 5*time.Second))
	waitFor(t, func() bool { return api.rec.count() == 10 })

	c.Advance(time.Minute)
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, 10, api.rec.count(), "nothing more inside the first minute, nor its 600 ms margin")

	c.Advance(600 * time.Millisecond)
	waitFor(t, func() bool { return api.rec.count() == 20 })
	require.True(t, c.WaitForTimers(1, 5*time.Second))
	c.Advance(time.Minute + 600*time.Millisecond)
	wg.Wait()
	assert.Equal(t, calls, api.rec.count())
}

// TestTheLimiterIsAskedBeforeEveryAttempt: one wait per attempt, retries
// included, so retries cannot break a quota.
func TestTheLimiterIsAskedBeforeEveryAttempt(t *testing.T) {
	t.Parallel()
	counting := &recordingLimiter{}
	api := newMockAPI(t, WithLimiter(counting))
	api.on(http.MethodPost, "/link-token", fail(503, "", "down").Then(fail(429, "", "slow", "retry_after", "0.001")).Then(reply(200, golden(t, "connect.link_token.json"))))
	_, err := api.client.CreateLinkToken(context.Background(), LinkTokenParams{})
	require.NoError(t, err)
	assert.Equal(t, 3, api.rec.count())
	assert.Equal(t, []QuotaClass{ClassLinkToken, ClassLinkToken, ClassLinkToken}, counting.waits())
	assert.Equal(t, []time.Duration{time.Millisecond}, counting.backoffs(), "the 429 was reported with its wait")
}

// TestOne429HoldsEveryCallerOfTheClass: after the server refuses one call
// with retry_after, the other callers of the class wait it out instead of
// each drawing a 429 of their own; other classes are not held.
func TestOne429HoldsEveryCallerOfTheClass(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	limiter, err := newLimiter(LimiterConfig{}, c)
	require.NoError(t, err)
	api := newMockAPI(t, WithLimiter(limiter), WithRetryPolicy(RetryPolicy{MaxRetries: 0}))
	var exchanges atomic.Int32
	exchanged := reply(200, golden(t, "connect.exchange.json"))
	api.on(http.MethodPost, "/token/exchange", func(r *http.Request) (*http.Response, error) {
		if exchanges.Add(1) == 1 {
			return fail(429, "RATE_LIMIT_EXCEEDED", "slow down", "retry_after", "60")(r)
		}
		return exchanged(r)
	})
	api.on(http.MethodGet, "/token/grants", reply(200, golden(t, "connect.grants.json")))

	_, err = api.client.ExchangePublicToken(context.Background(), testPublicToken)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, time.Minute, apiErr.RetryAfter)

	const callers = 8
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			_, err := api.client.ExchangePublicToken(context.Background(), testPublicToken)
			assert.NoError(t, err)
		})
	}
	require.True(t, c.WaitForTimers(callers, 5*time.Second), "every caller waits for the pause to end")
	_, err = api.client.ListGrants(context.Background())
	require.NoError(t, err, "another class is not held")
	assert.Equal(t, int32(1), exchanges.Load(), "no caller of the class was sent during the pause")

	c.Advance(time.Minute)
	wg.Wait()
	assert.Equal(t, int32(1+callers), exchanges.Load())
}

// TestACallCanFailFastInsteadOfWaiting: with WithMaxQuotaWait, or a context
// whose deadline comes before the slot, a call the quota would hold fails at
// once, unsent, with ErrQuotaWait.
func TestACallCanFailFastInsteadOfWaiting(t *testing.T) {
	t.Parallel()
	background := func() (context.Context, context.CancelFunc) { return context.Background(), func() {} }
	cases := []struct {
		name string
		opts []Option
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"WithMaxQuotaWait(0)", []Option{WithMaxQuotaWait(0)}, background},
		{"WithMaxQuotaWait(1s)", []Option{WithMaxQuotaWait(time.Second)}, background},
		{"a ctx deadline before the slot", nil, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Minute)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			limiter, err := NewLimiter(LimiterConfig{Quotas: map[QuotaClass]Quota{ClassExchange: {Requests: 1, Per: time.Hour}}})
			require.NoError(t, err)
			api := newMockAPI(t, append(tc.opts, WithLimiter(limiter))...)
			api.on(http.MethodPost, "/token/exchange", reply(200, golden(t, "connect.exchange.json")))
			_, err = api.client.ExchangePublicToken(context.Background(), testPublicToken)
			require.NoError(t, err, "the one slot of the hour")

			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			_, err = api.client.ExchangePublicToken(ctx, testPublicToken)
			require.ErrorIs(t, err, ErrQuotaWait)
			var qe *QuotaWaitError
			require.ErrorAs(t, err, &qe)
			assert.Equal(t, ClassExchange, qe.Class)
			assert.Greater(t, qe.Wait, 59*time.Minute)
			assert.NotErrorIs(t, err, ErrOutcomeUnknown, "nothing was sent")
			assert.ErrorIs(t, err, ErrNotSent)
			assert.Less(t, time.Since(start), time.Second, "it did not wait")
			assert.Contains(t, err.Error(), "not sent: the client-side quota of class exchange has no slot for")
			assert.Equal(t, 1, api.rec.count())
		})
	}
}

func TestWaitingForTheQuotaIsLogged(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	slow := limiterFuncs{wait: func(ctx context.Context, _ QuotaClass, _ time.Duration) error {
		return clock.Sleep(ctx, clock.Real(), slowQuotaWait+10*time.Millisecond)
	}}
	api := newMockAPI(t, WithLimiter(slow), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	api.on(http.MethodGet, "/token/grants", reply(200, golden(t, "connect.grants.json")).Then(fail(429, "", "slow", "retry_after", "2")))
	_, err := api.client.ListGrants(context.Background())
	require.NoError(t, err)
	assert.Contains(t, logs.String(), `level=WARN msg="kryptos: the client-side quota held a call" class=connect waited=1.01`)
	_, _ = api.client.ListGrants(context.Background()) // a 429 asking for more than MaxWait: returned, not retried
	assert.Contains(t, logs.String(), `level=WARN msg="kryptos: the server asked to slow down; calls of this class wait" class=connect wait=2s`)
}

// TestACallCancelledWhileWaitingIsNotSent: the caller gives up while the
// quota holds the call; nothing was sent, so the outcome is known, and the
// error says the call was waiting for the quota.
func TestACallCancelledWhileWaitingIsNotSent(t *testing.T) {
	t.Parallel()
	limiter, err := NewLimiter(LimiterConfig{Quotas: map[QuotaClass]Quota{ClassExchange: {Requests: 1, Per: time.Hour}}})
	require.NoError(t, err)
	api := newMockAPI(t, WithLimiter(limiter))
	api.on(http.MethodPost, "/token/exchange", reply(200, golden(t, "connect.exchange.json")))
	_, err = api.client.ExchangePublicToken(context.Background(), testPublicToken)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err = api.client.ExchangePublicToken(ctx, testPublicToken)
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown, "nothing was sent, so the outcome is known")
	assert.Contains(t, err.Error(), "not sent: context canceled after waiting")
	assert.Contains(t, err.Error(), "for the client-side quota of class exchange")
	assert.Less(t, time.Since(start), time.Second)
	assert.Equal(t, 1, api.rec.count())
}

// TestACallWhoseContextIsAlreadyDoneSendsNothing: no request, ctx's error,
// never ErrOutcomeUnknown, and no mention of a quota that was not the cause.
func TestACallWhoseContextIsAlreadyDoneSendsNothing(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on(http.MethodPost, "/token/exchange", reply(200, golden(t, "connect.exchange.json")))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := api.client.ExchangePublicToken(ctx, testPublicToken)
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown)
	assert.Equal(t, "kryptos: ExchangePublicToken: not sent: context canceled", err.Error())
	assert.ErrorIs(t, err, ErrNotSent)
	assert.Equal(t, 0, api.rec.count())
}

func TestALimiterErrorIsReturnedWithoutSending(t *testing.T) {
	t.Parallel()
	boom := errors.New("shared quota store unreachable")
	api := newMockAPI(t, WithLimiter(limiterFuncs{wait: func(context.Context, QuotaClass, time.Duration) error { return boom }}))
	_, err := api.client.ExchangePublicToken(context.Background(), testPublicToken)
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown)
	assert.Contains(t, err.Error(), "not sent: the limiter failed: shared quota store unreachable")
	assert.ErrorIs(t, err, ErrNotSent)
	assert.Equal(t, 0, api.rec.count())
}

// TestARatePacesBulkCalls: a Rate (golang.org/x/time/rate) spreads the calls
// of a class evenly after its burst, where a class without one goes at once.
func TestARatePacesBulkCalls(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	l, err := newLimiter(LimiterConfig{Rates: map[QuotaClass]Rate{ClassData: {PerSecond: 10, Burst: 2}}}, c)
	require.NoError(t, err)
	ctx := context.Background()
	for range 2 {
		require.NoError(t, l.Wait(ctx, ClassData, -1), "the burst")
	}
	err = l.Wait(ctx, ClassData, 0)
	var qe *QuotaWaitError
	require.ErrorAs(t, err, &qe, "a third call needs a token")
	assert.Equal(t, 100*time.Millisecond, qe.Wait)

	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx, ClassData, -1) }()
	require.True(t, c.WaitForTimers(1, time.Second))
	c.Advance(99 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("paced call went early")
	case <-time.After(10 * time.Millisecond):
	}
	c.Advance(time.Millisecond)
	require.NoError(t, <-done)
	for range 50 {
		require.NoError(t, l.Wait(ctx, ClassConnect, 0), "an unpaced class")
	}
}

func TestALimiterWaitEndsWithItsContext(t *testing.T) {
	t.Parallel()
	l, err := NewLimiter(LimiterConfig{})
	require.NoError(t, err)
	for range 100 {
		require.NoError(t, l.Wait(context.Background(), ClassConnect, 0))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, l.Wait(ctx, ClassConnect, -1), context.Canceled)
	assert.ErrorIs(t, l.Wait(ctx, "a class nobody configured", -1), context.Canceled)
	l.Backoff(ctx, "a class nobody configured", time.Hour) // ignored, without a panic
}

// recordingLimiter admits everything and records what it was asked.
type recordingLimiter struct {
	mu     sync.Mutex
	seen   []QuotaClass
	paused []time.Duration
}

func (r *recordingLimiter) Wait(ctx context.Context, class QuotaClass, _ time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, class)
	return ctx.Err()
}

func (r *recordingLimiter) Backoff(_ context.Context, _ QuotaClass, wait time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paused = append(r.paused, wait)
}

func (r *recordingLimiter) waits() []QuotaClass {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]QuotaClass(nil), r.seen...)
}

func (r *recordingLimiter) backoffs() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.paused...)
}

type limiterFuncs struct {
	wait func(context.Context, QuotaClass, time.Duration) error
}

func (f limiterFuncs) Wait(ctx context.Context, class QuotaClass, maxWait time.Duration) error {
	return f.wait(ctx, class, maxWait)
}

func (limiterFuncs) Backoff(context.Context, QuotaClass, time.Duration) {}

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

// TestAPauseIsOnlyEverLengthened: a shorter 429 does not cut a pending
// pause short, concurrent ones leave the longest, and a pause that is over
// is dropped, so the class waits on nothing again.
func TestAPauseIsOnlyEverLengthened(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := clock.NewFake(epoch)
	l, err := newLimiter(LimiterConfig{}, c)
	require.NoError(t, err)
	held := func() time.Duration {
		var tooLong *QuotaWaitError
		require.ErrorAs(t, l.Wait(ctx, ClassConnect, 0), &tooLong)
		return tooLong.Wait
	}
	l.Backoff(ctx, ClassConnect, time.Minute)
	l.Backoff(ctx, ClassConnect, time.Second)
	assert.Equal(t, time.Minute, held())

	c.Advance(time.Minute)
	require.NoError(t, l.Wait(ctx, ClassConnect, 0))
	assert.Nil(t, l.classes[ClassConnect].paused.Load(), "a pause that is over is dropped")

	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { l.Backoff(ctx, ClassConnect, time.Duration(i+1)*time.Second) })
	}
	wg.Wait()
	assert.Equal(t, 50*time.Second, held())
}
