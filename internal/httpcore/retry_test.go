package httpcore

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
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
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[Jitter(minWait, maxWait, 3)] = true
	}
	assert.Greater(t, len(seen), 1, "jitter spreads the waits")
}

// TestJudge is the decision table of judge, row by row.
func TestJudge(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	reset := &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	answered := func(status int) attempt { return attempt{status: status, header: http.Header{}} }
	wait := func(status int, d time.Duration) attempt {
		a := answered(status)
		a.retryAfter, a.hasRetryAfter = d, true
		return a
	}
	cut := func(status int, err error) attempt { a := answered(status); a.bodyErr = err; return a }
	cases := []struct {
		name                string
		a                   attempt
		effect              bool
		idempotent, oneShot bool
	}{
		{"not sent", attempt{notSent: true, err: errors.New("no slot")}, false, false, false},
		{"dial refused", attempt{err: fmt.Errorf("wrapped: %w", refused)}, false, true, true},
		{"reset", attempt{err: reset}, true, true, false},
		{"attempt timeout", attempt{err: ErrAttemptTimeout}, true, true, false},
		{"bad certificate", attempt{err: x509.UnknownAuthorityError{}}, true, false, false},
		{"200", answered(200), true, false, false},
		{"204", answered(204), true, false, false},
		{"307", answered(307), false, false, false},
		{"400", answered(400), false, false, false},
		{"404", answered(404), false, false, false},
		{"429", answered(429), false, true, true},
		{"429 asking for a short wait", wait(429, 30*time.Second), false, true, true},
		{"429 asking for more than maxWait", wait(429, time.Hour), false, false, false},
		{"500", answered(500), true, false, false},
		{"502", answered(502), true, true, false},
		{"503", answered(503), true, true, false},
		{"504", answered(504), true, true, false},
		{"200, body cut", cut(200, ErrBodyCut), true, true, false},
		{"503, body cut", cut(503, ErrBodyCut), true, true, false},
		{"400, body cut", cut(400, ErrBodyCut), false, true, false},
		{"200, body too large", cut(200, ErrBodyTooLarge), true, false, false},
	}
	for _, tc := range cases {
		for policy, retry := range map[Policy]bool{Idempotent: tc.idempotent, OneShot: tc.oneShot} {
			v := judge(policy, &tc.a, time.Minute)
			assert.Equal(t, retry, v.retry, "%s, policy %d: retry", tc.name, policy)
			assert.Equal(t, tc.effect, v.effect, "%s, policy %d: effect", tc.name, policy)
		}
	}
}

func TestTheWaitBeforeARetryPrefersTheServers(t *testing.T) {
	t.Parallel()
	x := newCore(t, func(cfg *Config) { cfg.MinWait, cfg.MaxWait = time.Millisecond, time.Minute }).newRun()
	x.spec = Call{}
	x.last = attempt{status: 429, retryAfter: 7 * time.Second, hasRetryAfter: true}
	retry, _ := x.checkRetry(context.Background(), nil, nil)
	assert.True(t, retry)
	assert.Equal(t, 7*time.Second, x.backoff(0, 0, 0, nil))

	x.last, x.attempts = attempt{status: 503}, 3
	retry, _ = x.checkRetry(context.Background(), nil, nil)
	assert.True(t, retry)
	w := x.backoff(0, 0, 0, nil)
	assert.GreaterOrEqual(t, w, 2*time.Millisecond)
	assert.LessOrEqual(t, w, 4*time.Millisecond)

	ended, cancel := context.WithCancel(context.Background())
	cancel()
	retry, _ = x.checkRetry(ended, nil, nil)
	assert.False(t, retry, "nothing is repeated once ctx has ended")
}
