package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

// testToken is shaped like an access token, to check that logs mask it.
const testToken = "cat_0123456789abcdef0123456789abcdef"

// body returns a delivery's body for id.
func body(id string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"event":"integration.updated","timestamp":%d,"grant_id":"cgrant_1","workspace_id":"ws_1",
		"data":{"walletId":"wallet_1","status":"SYNCING","addedOn":1640995200000,"lastSyncedAt":0,"category":"exchange","type":"api"}}`,
		id, time.Now().UnixMilli())
}

// request returns a signed delivery of b, as Kryptos sends it.
func request(b []byte, extra ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/kryptos", bytes.NewReader(b))
	r.Header = signed(b, extra...)
	r.Header.Set("Content-Type", "application/json")
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// logBuffer is a concurrency-safe buffer for a text logger.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLog() (*logBuffer, Option) {
	buf := &logBuffer{}
	return buf, WithLogger(slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

func ok(context.Context, *Event) error { return nil }

func TestNewHandlerRefusesMisconfiguration(t *testing.T) {
	t.Parallel()
	memory, err := NewMemoryDeduplicator(time.Hour)
	require.NoError(t, err)
	cases := []struct {
		name    string
		secrets []string
		fn      func(context.Context, *Event) error
		opts    []Option
		field   string
	}{
		{"no secrets", nil, ok, nil, "secrets"},
		{"an unset variable, as in the README", []string{os.Getenv("KRYPTOS_WEBHOOK_SECRET_SURELY_UNSET")}, ok, nil, "secrets[0]"},
		{"a blank secret", []string{" "}, ok, nil, "secrets[0]"},
		{"an unset old secret while rotating", []string{testSecret, ""}, ok, nil, "secrets[1]"},
		{"a secret with its newline", []string{testSecret + "\n"}, ok, nil, "secrets[0]"},
		{"no function", []string{testSecret}, nil, nil, "fn"},
		{"a nil deduplicator", []string{testSecret}, ok, []Option{WithDeduplicator(nil)}, "deduplicator"},
		{"a nil logger", []string{testSecret}, ok, []Option{WithLogger(nil)}, "logger"},
		{"a zero body limit", []string{testSecret}, ok, []Option{WithBodyLimit(0)}, "bodyLimit"},
		{"a negative body limit", []string{testSecret}, ok, []Option{WithBodyLimit(-1)}, "bodyLimit"},
		{"a body limit too small for a delivery", []string{testSecret}, ok, []Option{WithBodyLimit(4096)}, "bodyLimit"},
		{"no body limit at all", []string{testSecret}, ok, []Option{WithBodyLimit(math.MaxInt64)}, "bodyLimit"},
		{"a zero max age", []string{testSecret}, ok, []Option{WithMaxAge(0)}, "maxAge"},
		{"a max age past the deduplicator's memory", []string{testSecret}, ok, []Option{WithMaxAge(2 * time.Hour), WithDeduplicator(memory)}, "maxAge"},
		{"a max age within the clock skew of the deduplicator's memory", []string{testSecret}, ok, []Option{WithMaxAge(time.Hour - time.Minute), WithDeduplicator(memory)}, "maxAge"},
		{"a zero handler timeout", []string{testSecret}, ok, []Option{WithHandlerTimeout(0)}, "handlerTimeout"},
		{"a negative lease", []string{testSecret}, ok, []Option{WithLease(-time.Second)}, "lease"},
		{"a lease too short to extend", []string{testSecret}, ok, []Option{WithLease(time.Millisecond)}, "lease"},
		{"a negative in-flight wait", []string{testSecret}, ok, []Option{WithInFlightWait(-1)}, "inFlightWait"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := NewHandler(tc.secrets, tc.fn, tc.opts...)
			assert.Nil(t, h)
			require.ErrorIs(t, err, kryptos.ErrInvalidParams)
			var pe *kryptos.ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.field, pe.Field)
			assert.Contains(t, err.Error(), "webhook: NewHandler:")
		})
	}
	_, err = NewHandler([]string{testSecret}, ok, nil, WithBodyLimit(MinBodyLimit), WithMaxAge(time.Hour), WithInFlightWait(0), WithLease(MinLease))
	require.NoError(t, err, "nil options are skipped; the bounds themselves are accepted")
	_, err = NewHandler([]string{testSecret}, ok, WithBodyLimit(MaxBodyLimit), WithMaxAge(time.Hour-MaxClockSkew), WithDeduplicator(memory))
	require.NoError(t, err, "the upper bounds too")
}

func TestHandlerRefusesWhatARetryCannotFix(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	logs, withLog := newLog()
	h, err := NewHandler([]string{testSecret}, func(context.Context, *Event) error {
		calls.Add(1)
		return nil
	}, withLog, WithMaxAge(time.Hour))
	require.NoError(t, err)

	w := serve(h, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))

	good := body("whd_1")
	cases := []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"signed with another secret", request(good, HeaderSignature, Sign(good, "whsec_rotated")), http.StatusUnauthorized},
		{"unsigned", request(good, HeaderSignature, ""), http.StatusUnauthorized},
		{"a malformed signature", request(good, HeaderSignature, "abc"), http.StatusUnauthorized},
		{"over the limit", request(bytes.Repeat([]byte(" "), DefaultBodyLimit+1)), http.StatusRequestEntityTooLarge},
		{"signed, but not a delivery", request([]byte(`{"nope":1}`)), http.StatusBadRequest},
		{"signed, but an hour and more old", request(fmt.Appendf(nil, `{"id":"whd_2","event":"costbasis.started","timestamp":%d}`,
			time.Now().Add(-61*time.Minute).UnixMilli())), http.StatusBadRequest},
		{"signed, without a timestamp to prove its age", request([]byte(`{"id":"whd_3","event":"costbasis.started"}`)), http.StatusBadRequest},
		// Accepted, it would be accepted again after the deduplicator forgot it.
		{"signed, but dated past the clock skew ahead", request(fmt.Appendf(nil, `{"id":"whd_4","event":"costbasis.started","timestamp":%d}`,
			time.Now().Add(MaxClockSkew+time.Minute).UnixMilli())), http.StatusBadRequest},
	}
	for _, tc := range cases {
		w := serve(h, tc.req)
		assert.Equal(t, tc.status, w.Code, tc.name)
		assert.JSONEq(t, `{"received":false}`, w.Body.String(), tc.name)
		assert.Empty(t, w.Header().Get("Retry-After"), tc.name)
	}
	assert.Equal(t, int32(0), calls.Load(), "nothing refused reaches the function")
	out := logs.String()
	assert.Equal(t, 1+len(cases), strings.Count(out, "level=ERROR"), "each refusal, the GET's included, is an error in the log:\n%s", out)
	assert.Contains(t, out, "check the signing secrets")
	assert.NotContains(t, out, testSecret)

	w = serve(h, request(good))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"received":true}`, w.Body.String())
	assert.Equal(t, int32(1), calls.Load())
}

func TestHandlerAcknowledgesOnlyAfterSuccess(t *testing.T) {
	t.Parallel()
	var calls, failures atomic.Int32
	failures.Store(2)
	logs, withLog := newLog()
	h, err := NewHandler([]string{testSecret}, func(_ context.Context, ev *Event) error {
		calls.Add(1)
		if failures.Add(-1) >= 0 {
			return errors.New("database down; token " + testToken + "\nforged=line")
		}
		return nil
	}, withLog)
	require.NoError(t, err)
	b := body("whd_1")

	for range 2 {
		w := serve(h, request(b))
		assert.Equal(t, http.StatusInternalServerError, w.Code, "a failure is retried, and its id released")
		assert.NotContains(t, w.Body.String(), "database", "the function's error stays in the log")
	}
	assert.Equal(t, http.StatusOK, serve(h, request(b)).Code, "the last retry succeeds")
	assert.Equal(t, http.StatusOK, serve(h, request(b)).Code, "a duplicate is acknowledged")
	assert.Equal(t, int32(3), calls.Load(), "two failures and one success; the duplicate is not handled")

	out := logs.String()
	assert.Contains(t, out, "database down")
	assert.NotContains(t, out, testToken)
	assert.Contains(t, out, "cat_[redacted]")
	assert.NotContains(t, out, "\nforged=line", "an error cannot forge a log line")
	assert.Contains(t, out, "webhook_id=whd_1")
	assert.Contains(t, out, "grant_id=cgrant_1")
}

func TestHandlerAnswers503WhileTheIDIsInFlight(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{})
	var calls atomic.Int32
	h, err := NewHandler([]string{testSecret}, func(context.Context, *Event) error {
		calls.Add(1)
		close(started)
		<-release
		return nil
	}, WithInFlightWait(0), WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	b := body("whd_1")

	first := make(chan int)
	go func() { first <- serve(h, request(b)).Code }()
	<-started
	w := serve(h, request(b))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "Kryptos retries a 503: the first attempt may still fail")
	assert.Equal(t, "5", w.Header().Get("Retry-After"))
	close(release)
	assert.Equal(t, http.StatusOK, <-first)
	assert.Equal(t, http.StatusOK, serve(h, request(b)).Code)
	assert.Equal(t, int32(1), calls.Load())
}

func TestARetryWaitsForTheAttemptInFlight(t *testing.T) {
	t.Parallel()
	for _, firstFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("first attempt fails: %v", firstFails), func(t *testing.T) {
			t.Parallel()
			var calls, successes, running atomic.Int32
			release := make(chan struct{})
			started := make(chan struct{}, 2)
			h, err := NewHandler([]string{testSecret}, func(context.Context, *Event) error {
				if running.Add(1) > 1 {
					t.Error("two calls run at once for one id")
				}
				defer running.Add(-1)
				n := calls.Add(1)
				started <- struct{}{}
				if n == 1 {
					<-release
					if firstFails {
						return errors.New("failed after the sender's timeout")
					}
				}
				successes.Add(1)
				return nil
			}, WithInFlightWait(5*time.Second), WithLogger(slog.New(slog.DiscardHandler)))
			require.NoError(t, err)
			b := body("whd_1")

			first := make(chan int)
			go func() { first <- serve(h, request(b)).Code }()
			<-started
			retry := make(chan int)
			go func() { retry <- serve(h, request(b)).Code }()
			time.Sleep(30 * time.Millisecond) // the retry is waiting
			close(release)
			if firstFails {
				assert.Equal(t, http.StatusInternalServerError, <-first)
				assert.Equal(t, http.StatusOK, <-retry, "the waiting retry handled the event itself")
				assert.Equal(t, int32(2), calls.Load())
			} else {
				assert.Equal(t, http.StatusOK, <-first)
				assert.Equal(t, http.StatusOK, <-retry, "the waiting retry got the first attempt's success")
				assert.Equal(t, int32(1), calls.Load())
			}
			assert.Equal(t, int32(1), successes.Load())
		})
	}
}

func TestAClaimOfACrashedReplicaExpires(t *testing.T) {
	t.Parallel()
	dedup, fake := newFakeDedup(t, time.Hour)
	var calls atomic.Int32
	h, err := NewHandler([]string{testSecret}, func(context.Context, *Event) error {
		calls.Add(1)
		return nil
	}, WithDeduplicator(dedup), WithLease(5*time.Second), WithInFlightWait(0), WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	// Another replica claimed the id, then crashed without a word.
	st, err := dedup.Begin(ctx, "whd_1", "crashed-replica", 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, StateClaimed, st)

	b := body("whd_1")
	assert.Equal(t, http.StatusServiceUnavailable, serve(h, request(b)).Code)
	fake.Advance(5 * time.Second)
	assert.Equal(t, http.StatusOK, serve(h, request(b)).Code, "after the lease, a retry is handled")
	assert.Equal(t, int32(1), calls.Load())
}

func TestARetryWaitingOnACrashedClaimTakesItOver(t *testing.T) {
	t.Parallel()
	dedup, err := NewMemoryDeduplicator(time.Hour)
	require.NoError(t, err)
	h, err := NewHandler([]string{testSecret}, ok, WithDeduplicator(dedup), WithLease(100*time.Millisecond),
		WithInFlightWait(2*time.Second), WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	_, err = dedup.Begin(ctx, "whd_1", "crashed-replica", 100*time.Millisecond)
	require.NoError(t, err)
	start := time.Now()
	assert.Equal(t, http.StatusOK, serve(h, request(body("whd_1"))).Code)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond, "it waited for the lease")
}

func TestHandlerExtendsItsClaimWhileTheFunctionRuns(t *testing.T) {
	t.Parallel()
	const lease = 3 * time.Second
	// One fake clock for the handler's heartbeat and the deduplicator's
	// leases: time moves only when the test says.
	dedup, fake := newFakeDedup(t, time.Hour)
	release := make(chan struct{})
	started := make(chan struct{}, 8)
	var calls atomic.Int32
	h, err := newHandler([]string{testSecret}, func(ctx context.Context, _ *Event) error {
		calls.Add(1)
		started <- struct{}{}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, fake, []Option{WithDeduplicator(dedup), WithLease(lease), WithInFlightWait(0), WithLogger(slog.New(slog.DiscardHandler))})
	require.NoError(t, err)
	b := body("whd_1")
	first := make(chan int)
	go func() { first <- serve(h, request(b)).Code }()
	<-started
	for i := range 10 { // 10 thirds of a lease: over three leases
		require.True(t, fake.WaitForTimers(1, 5*time.Second), "the heartbeat waits for its next turn")
		fake.Advance(lease / 3)
		if i%3 == 2 {
			require.True(t, fake.WaitForTimers(1, 5*time.Second))
			assert.Equal(t, http.StatusServiceUnavailable, serve(h, request(b)).Code, "the claim is still held after %d thirds of a lease", i+1)
		}
	}
	close(release)
	assert.Equal(t, http.StatusOK, <-first)
	assert.Equal(t, int32(1), calls.Load())

	// Without the heartbeat, the claim would have expired: a claim made
	// directly, and not extended, is gone after one lease.
	st, err := dedup.Begin(ctx, "whd_2", "t", lease)
	require.NoError(t, err)
	require.Equal(t, StateClaimed, st)
	fake.Advance(lease)
	assert.Equal(t, http.StatusOK, serve(h, request(body("whd_2"))).Code)
}

func TestAFunctionIgnoringItsTimeoutDoesNotHoldTheIDForEver(t *testing.T) {
	t.Parallel()
	const lease = 3 * time.Second
	dedup, fake := newFakeDedup(t, time.Hour)
	logs, withLog := newLog()
	release := make(chan struct{})
	var calls atomic.Int32
	h, err := newHandler([]string{testSecret}, func(context.Context, *Event) error {
		if calls.Add(1) == 1 {
			<-release // ignores its context
		}
		return nil
	}, fake, []Option{WithDeduplicator(dedup), WithLease(lease), WithHandlerTimeout(20 * time.Millisecond), WithInFlightWait(0), withLog})
	require.NoError(t, err)
	b := body("whd_1")
	first := make(chan int)
	go func() { first <- serve(h, request(b)).Code }()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "ran past its timeout") }, 5*time.Second, time.Millisecond)
	assert.Equal(t, http.StatusServiceUnavailable, serve(h, request(b)).Code, "held until its lease ends")
	fake.Advance(lease)
	assert.Equal(t, http.StatusOK, serve(h, request(b)).Code, "no longer extended: a retry handles it")
	close(release)
	assert.Equal(t, http.StatusOK, <-first, "the late success is still recorded")
	assert.Equal(t, int32(2), calls.Load())
	assert.Contains(t, logs.String(), "another call may have handled it too")
}

// lossyDedup loses every claim at the first extension, as a store that
// evicted it would.
type lossyDedup struct{ *MemoryDeduplicator }

func (lossyDedup) Extend(context.Context, string, string, time.Duration) error { return ErrLeaseLost }

func TestHandlerCancelsTheFunctionWhenItsClaimIsLost(t *testing.T) {
	t.Parallel()
	memory, err := NewMemoryDeduplicator(time.Hour)
	require.NoError(t, err)
	logs, withLog := newLog()
	h, err := NewHandler([]string{testSecret}, func(ctx context.Context, _ *Event) error {
		<-ctx.Done()
		return ctx.Err()
	}, WithDeduplicator(lossyDedup{memory}), WithLease(30*time.Millisecond), withLog)
	require.NoError(t, err)
	assert.Equal(t, http.StatusInternalServerError, serve(h, request(body("whd_1"))).Code)
	assert.Contains(t, logs.String(), "lost the claim")
}

func TestTheFunctionOutlivesASenderThatHungUp(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	done := make(chan error, 1)
	h, err := NewHandler([]string{testSecret}, func(ctx context.Context, _ *Event) error {
		calls.Add(1)
		time.Sleep(150 * time.Millisecond) // longer than the sender waits
		done <- ctx.Err()
		return ctx.Err()
	}, WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	b := body("whd_1")
	send := func(timeout time.Duration) (int, error) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(b))
		req.Header = signed(b)
		resp, err := (&http.Client{Timeout: timeout}).Do(req)
		if err != nil {
			return 0, err
		}
		_ = resp.Body.Close()
		return resp.StatusCode, nil
	}
	_, err = send(30 * time.Millisecond)
	require.Error(t, err, "the sender gave up")
	status, err := send(5 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status, "the retry waited for the first attempt, which finished")
	require.NoError(t, <-done, "the function's context was not cancelled by the hang-up")
	assert.Equal(t, int32(1), calls.Load())
}

func TestHandlerBoundsTheFunction(t *testing.T) {
	t.Parallel()
	h, err := NewHandler([]string{testSecret}, func(ctx context.Context, _ *Event) error {
		<-ctx.Done()
		return ctx.Err()
	}, WithHandlerTimeout(20*time.Millisecond), WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	assert.Equal(t, http.StatusInternalServerError, serve(h, request(body("whd_1"))).Code)
}

func TestHandlerTurnsAPanicIntoARetriedFailure(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	logs, withLog := newLog()
	h, err := NewHandler([]string{testSecret}, func(context.Context, *Event) error {
		if calls.Add(1) == 1 {
			panic("bug with " + testToken)
		}
		return nil
	}, withLog)
	require.NoError(t, err)
	b := body("whd_1")
	assert.Equal(t, http.StatusInternalServerError, serve(h, request(b)).Code)
	assert.Equal(t, http.StatusOK, serve(h, request(b)).Code, "the id was released")
	assert.Equal(t, int32(2), calls.Load())
	assert.Contains(t, logs.String(), "panic: bug with cat_[redacted]")
	assert.Contains(t, logs.String(), "stack=", "the stack is logged")
}

// brokenDedup fails as a store that is down.
type brokenDedup struct {
	*MemoryDeduplicator
	begin, done bool
}

func (b brokenDedup) Begin(ctx context.Context, id, token string, lease time.Duration) (State, error) {
	if b.begin {
		return 0, errors.New("redis: connection refused")
	}
	return b.MemoryDeduplicator.Begin(ctx, id, token, lease)
}

func (b brokenDedup) Done(context.Context, string, string) error {
	if b.done {
		return errors.New("redis: connection refused")
	}
	return nil
}

func TestHandlerWhenTheDeduplicatorFails(t *testing.T) {
	t.Parallel()
	memory, err := NewMemoryDeduplicator(time.Hour)
	require.NoError(t, err)
	var calls atomic.Int32
	fn := func(context.Context, *Event) error { calls.Add(1); return nil }

	logs, withLog := newLog()
	h, err := NewHandler([]string{testSecret}, fn, WithDeduplicator(brokenDedup{MemoryDeduplicator: memory, begin: true}), withLog)
	require.NoError(t, err)
	w := serve(h, request(body("whd_1")))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "without the store, nothing is handled: Kryptos retries")
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
	assert.Equal(t, int32(0), calls.Load())
	assert.Contains(t, logs.String(), "level=ERROR")

	logs, withLog = newLog()
	h, err = NewHandler([]string{testSecret}, fn, WithDeduplicator(brokenDedup{MemoryDeduplicator: memory, done: true}), withLog)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, serve(h, request(body("whd_2"))).Code, "the event was handled: acknowledged")
	assert.Equal(t, int32(1), calls.Load())
	assert.Contains(t, logs.String(), "could not record the delivery as handled")
}

func TestHandlerLogsWarningsAndStillHandles(t *testing.T) {
	t.Parallel()
	logs, withLog := newLog()
	var got *Event
	h, err := NewHandler([]string{testSecret}, func(_ context.Context, ev *Event) error { got = ev; return nil }, withLog)
	require.NoError(t, err)
	b := []byte(`{"id":"whd_1","event":"integration.updated","data":{"totalTransactions":"12"}}`)
	assert.Equal(t, http.StatusOK, serve(h, request(b)).Code)
	require.NotNil(t, got)
	assert.Equal(t, int64(12), got.Integration.TotalTransactions)
	assert.Contains(t, logs.String(), "level=WARN")
	assert.Contains(t, logs.String(), "data.totalTransactions: want a number, got a string")
}

func TestHandlerUsesTheDefaultLoggerWhenGivenNone(t *testing.T) {
	t.Parallel()
	h, err := NewHandler([]string{testSecret}, ok)
	require.NoError(t, err)
	assert.Nil(t, h.log, "slog.Default() is read when logging, so that a later slog.SetDefault counts")
}

func TestHandlerReadFailureIsRetried(t *testing.T) {
	t.Parallel()
	h, err := NewHandler([]string{testSecret}, ok, WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/", failingReader{})
	assert.Equal(t, http.StatusInternalServerError, serve(h, r).Code)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// partitionedDedup is a replica's view of a shared store that it can no
// longer reach after its claim: every Extend fails with a transport error,
// never with ErrLeaseLost, while the store itself (shared with the other
// replica) lets the claim expire.
type partitionedDedup struct{ *MemoryDeduplicator }

func (partitionedDedup) Extend(context.Context, string, string, time.Duration) error {
	return errors.New("redis: i/o timeout")
}

// doc.go: "One call of your function runs per id at a time, and it succeeds
// once", across replicas sharing a Deduplicator. A replica that cannot
// extend its claim for longer than the lease has lost it (another replica
// can claim the id), so its function must be cancelled, as it is when the
// store answers ErrLeaseLost.
func TestAReplicaThatCannotExtendItsClaimStopsItsFunction(t *testing.T) {
	t.Parallel()
	const lease = 90 * time.Millisecond
	shared, err := NewMemoryDeduplicator(time.Hour)
	require.NoError(t, err)

	var running, most atomic.Int32
	enter := func() {
		n := running.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				return
			}
		}
	}
	started := make(chan struct{}, 2)
	fn := func(ctx context.Context, _ *Event) error {
		enter()
		defer running.Add(-1)
		started <- struct{}{}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(1500 * time.Millisecond): // a slow but legitimate call
			return nil
		}
	}
	quiet := WithLogger(slog.New(slog.DiscardHandler))
	a, err := NewHandler([]string{testSecret}, fn, WithDeduplicator(partitionedDedup{shared}), WithLease(lease), quiet)
	require.NoError(t, err)
	b, err := NewHandler([]string{testSecret}, func(ctx context.Context, ev *Event) error {
		enter()
		defer running.Add(-1)
		return nil
	}, WithDeduplicator(shared), WithLease(lease), WithInFlightWait(time.Second), quiet)
	require.NoError(t, err)

	d := body("whd_partition")
	first := make(chan int, 1)
	go func() { first <- serve(a, request(d)).Code }()
	<-started
	// Kryptos' retry lands on replica b, which reaches the store: a's claim
	// expires there after one lease, and b handles the event.
	assert.Equal(t, http.StatusOK, serve(b, request(d)).Code)
	<-first
	assert.Equal(t, int32(1), most.Load(), "two calls of the function ran at once for one delivery id")
}
