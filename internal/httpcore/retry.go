package httpcore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// checkRetry decides after each attempt whether to send the call again,
// following the call's Policy. It never retries once ctx has ended, and it
// gives up on a server that asks to wait longer than MaxWait, so the caller
// gets that answer, with its RetryAfter, instead of a long sleep.
func (c *Core) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, nil
	}
	st := stateFrom(ctx)
	if err != nil {
		switch {
		case st.throttleFailed:
			return false, nil
		case isDialError(err):
			return true, nil
		default:
			return st.call.Policy == Idempotent && !isPermanent(err), nil
		}
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if st.call.Policy != Idempotent {
			return false, nil
		}
	default:
		return false, nil
	}
	if wait, ok := RetryAfter(resp.Header, time.Now()); ok && wait > c.maxWait {
		return false, nil
	}
	return true, nil
}

// isPermanent reports transport errors that another attempt cannot fix.
func isPermanent(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	return errors.As(err, &verify) || errors.As(err, &unknownCA) || errors.As(err, &hostname)
}

// backoff returns the wait before attempt number attempt+1: what the server
// asked for in Retry-After or retry_after, or else an exponential wait with
// jitter between min and max.
func (c *Core) backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if wait, ok := RetryAfter(resp.Header, time.Now()); ok {
			return wait // checkRetry has made sure it is at most max
		}
	}
	return Jitter(min, max, attempt)
}

// Jitter returns a random wait in [d/2, d], where d is min·2^attempt capped
// at max, and never less than min. The randomness spreads the retries of
// many clients that failed at the same moment.
func Jitter(min, max time.Duration, attempt int) time.Duration {
	d := max
	if attempt < 62 {
		if exp := min << attempt; exp > 0 && exp < max {
			d = exp
		}
	}
	half := d / 2
	return max2(half+rand.N(half+1), min)
}

func max2(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// RetryAfter reads how long the server asks the client to wait, from the
// standard Retry-After header or the API's documented retry_after header,
// taking the longer when both are present. Each holds seconds or an HTTP
// date. It reports false when neither holds a usable value.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	a, okA := parseRetryAfter(h.Get("Retry-After"), now)
	b, okB := parseRetryAfter(h.Get("Retry_after"), now)
	switch {
	case okA && okB:
		return max2(a, b), true
	case okA:
		return a, true
	default:
		return b, okB
	}
}

// parseRetryAfter parses one header value: non-negative seconds (a fraction
// is allowed) or an HTTP date, which counts from now and is never negative.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(secs) || secs < 0 {
			return 0, false
		}
		if secs >= float64(math.MaxInt64/int64(time.Second)) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max2(t.Sub(now), 0), true
	}
	return 0, false
}

// retryLogger adapts the client's logger to retryablehttp. The library's own
// records ("performing request", "retrying request", "request failed") are
// kept at debug level: failures reach the caller as errors, and logging them
// as errors too would double them. It returns nil, so the library skips
// building its records, when the logger would drop them anyway.
func retryLogger(l *slog.Logger) retryablehttp.LeveledLogger {
	if !l.Enabled(context.Background(), slog.LevelDebug) {
		return nil
	}
	return debugLogger{l.With(slog.String("component", "retryablehttp"))}
}

type debugLogger struct{ l *slog.Logger }

func (d debugLogger) Error(msg string, kv ...any) { d.l.Debug(msg, kv...) }
func (d debugLogger) Info(msg string, kv ...any)  { d.l.Debug(msg, kv...) }
func (d debugLogger) Debug(msg string, kv ...any) { d.l.Debug(msg, kv...) }
func (d debugLogger) Warn(msg string, kv ...any)  { d.l.Debug(msg, kv...) }
