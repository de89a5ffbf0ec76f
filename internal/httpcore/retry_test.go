package httpcore

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		header http.Header
		want   time.Duration
		ok     bool
	}{
		{"none", http.Header{}, 0, false},
		{"seconds", http.Header{"Retry-After": {"120"}}, 2 * time.Minute, true},
		{"fraction", http.Header{"Retry-After": {" 1.5 "}}, 1500 * time.Millisecond, true},
		{"zero", http.Header{"Retry-After": {"0"}}, 0, true},
		{"underscore form", http.Header{"Retry_after": {"7"}}, 7 * time.Second, true},
		{"both: the longer", http.Header{"Retry-After": {"3"}, "Retry_after": {"9"}}, 9 * time.Second, true},
		{"both: the longer, other way", http.Header{"Retry-After": {"9"}, "Retry_after": {"3"}}, 9 * time.Second, true},
		{"HTTP date", http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second, true},
		{"date in the past", http.Header{"Retry_after": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0, true},
		{"negative", http.Header{"Retry-After": {"-5"}}, 0, false},
		{"NaN", http.Header{"Retry-After": {"NaN"}}, 0, false},
		{"overflowing float", http.Header{"Retry-After": {"1e400"}}, 0, false},
		{"huge", http.Header{"Retry-After": {"99999999999999"}}, time.Duration(math.MaxInt64), true},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0, false},
		{"garbage beside a good one", http.Header{"Retry-After": {"soon"}, "Retry_after": {"4"}}, 4 * time.Second, true},
	}
	for _, tc := range cases {
		got, ok := RetryAfter(tc.header, now)
		assert.Equal(t, tc.ok, ok, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}
}

func TestJitterStaysWithinTheBounds(t *testing.T) {
	t.Parallel()
	minWait, maxWait := 500*time.Millisecond, 30*time.Second
	for attempt := range 70 {
		for range 50 {
			w := Jitter(minWait, maxWait, attempt)
			assert.GreaterOrEqual(t, w, minWait, "attempt %d", attempt)
			assert.LessOrEqual(t, w, maxWait, "attempt %d", attempt)
			if attempt < 5 { // below the cap: within [d/2, d] for d = min·2^attempt
				d := minWait << attempt
				assert.GreaterOrEqual(t, w, d/2)
				assert.LessOrEqual(t, w, d)
			}
		}
	}
	// Jitter spreads the waits: not every value is the same.
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[Jitter(minWait, maxWait, 3)] = true
	}
	assert.Greater(t, len(seen), 1)
}

func TestCheckRetryFollowsThePolicy(t *testing.T) {
	t.Parallel()
	c := New(Config{BaseURL: "http://127.0.0.1", HTTPClient: &http.Client{}, Logger: slog.New(slog.DiscardHandler), MaxWait: time.Minute})
	refused := &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	reset := &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	resp := func(code int, header ...string) *http.Response {
		h := http.Header{}
		for i := 0; i+1 < len(header); i += 2 {
			h.Set(header[i], header[i+1])
		}
		return &http.Response{StatusCode: code, Header: h}
	}
	cases := []struct {
		name       string
		resp       *http.Response
		err        error
		idempotent bool
		oneShot    bool
	}{
		{"refused", nil, refused, true, true},
		{"reset", nil, reset, true, false},
		{"attempt timeout", nil, ErrAttemptTimeout, true, false},
		{"bad certificate", nil, x509.UnknownAuthorityError{}, false, false},
		{"200", resp(200), nil, false, false},
		{"400", resp(400), nil, false, false},
		{"429", resp(429), nil, true, true},
		{"429 asking for a short wait", resp(429, "retry_after", "30"), nil, true, true},
		{"429 asking for more than MaxWait", resp(429, "retry_after", "3600"), nil, false, false},
		{"500", resp(500), nil, false, false},
		{"502", resp(502), nil, true, false},
		{"503", resp(503), nil, true, false},
		{"503 asking for more than MaxWait", resp(503, "Retry-After", "61"), nil, false, false},
		{"504", resp(504), nil, true, false},
	}
	for _, tc := range cases {
		for policy, want := range map[Policy]bool{Idempotent: tc.idempotent, OneShot: tc.oneShot} {
			ctx := context.WithValue(context.Background(), stateKey{}, &attemptState{call: &Call{Policy: policy}})
			got, err := c.checkRetry(ctx, tc.resp, tc.err)
			assert.NoError(t, err)
			assert.Equal(t, want, got, "%s, policy %d", tc.name, policy)
		}
	}

	throttled := context.WithValue(context.Background(), stateKey{}, &attemptState{call: &Call{}, throttleFailed: true})
	got, _ := c.checkRetry(throttled, nil, errors.New("limiter failed"))
	assert.False(t, got, "a failed throttle wait is not retried")

	cancelled, cancel := context.WithCancel(context.WithValue(context.Background(), stateKey{}, &attemptState{call: &Call{}}))
	cancel()
	got, _ = c.checkRetry(cancelled, resp(503), nil)
	assert.False(t, got, "nothing is retried once ctx has ended")
}

func TestBackoffPrefersTheServersWait(t *testing.T) {
	t.Parallel()
	c := New(Config{BaseURL: "http://127.0.0.1", HTTPClient: &http.Client{}, Logger: slog.New(slog.DiscardHandler), MaxWait: time.Minute})
	assert.Equal(t, 7*time.Second, c.backoff(time.Millisecond, time.Minute, 0, &http.Response{Header: http.Header{"Retry_after": {"7"}}}))
	w := c.backoff(time.Millisecond, time.Minute, 2, &http.Response{Header: http.Header{}})
	assert.GreaterOrEqual(t, w, 2*time.Millisecond)
	assert.LessOrEqual(t, w, 4*time.Millisecond)
	assert.LessOrEqual(t, c.backoff(time.Millisecond, time.Minute, 0, nil), time.Millisecond)
}

func TestRetryLoggerKeepsTheLibrarysRecordsAtDebug(t *testing.T) {
	t.Parallel()
	assert.Nil(t, retryLogger(slog.New(slog.DiscardHandler)), "no records are built for a logger that drops them")
	assert.Nil(t, retryLogger(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))), "info-level loggers drop debug records")

	var buf bytes.Buffer
	l := retryLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l.Error("request failed", "k", 1)
	l.Warn("w")
	l.Info("i")
	l.Debug("d")
	assert.Equal(t, 4, bytes.Count(buf.Bytes(), []byte("level=DEBUG")))
	assert.Contains(t, buf.String(), "component=retryablehttp")
	assert.NotContains(t, buf.String(), "level=ERROR")
}
