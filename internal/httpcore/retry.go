package httpcore

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// verdict is what an attempt means for its call.
type verdict struct {
	// retry says the call may be sent again.
	retry bool
	// effect says the attempt may have taken effect at the server.
	effect bool
}

// judge is the one place that decides, from a call's policy and what
// happened to an attempt on the wire, whether the attempt may have taken
// effect and whether the call may be sent again. maxWait is the longest
// wait a retry may take; a server asking for more gets its answer returned.
//
//	what happened                          effect   Idempotent  OneShot
//	not sent (Wait refused, ctx ended)     no       no          no
//	dial failed, or no connection⁵         no       yes         yes
//	sent, no answer (reset, timeout)       maybe    yes¹        no
//	429                                    no       yes²        yes²
//	answered, body cut or stalled          maybe³   yes⁴        no
//	502, 503, 504                          maybe    yes²        no
//	other 5xx                              maybe    no          no
//	2xx                                    yes      -           -
//	other (4xx, 3xx)                       no       no          no
//
//	¹ not for certificate errors, which another attempt cannot fix
//	² when the server's wait, if it named one, is at most maxWait
//	³ for a 2xx or 5xx; a 4xx refused the request whatever its body
//	⁴ not for a body over the size cap, which would be as large again
//	⁵ no connection: the attempt was traced and failed before it got one
//	  (the per-attempt timeout or ctx ended while dialing)
func judge(p Policy, a *attempt, maxWait time.Duration) verdict {
	idempotent := p == Idempotent
	switch {
	case a.notSent:
		return verdict{}
	case a.err != nil && (isDialError(a.err) || a.traced && !a.connected):
		return verdict{retry: true}
	case a.err != nil:
		return verdict{retry: idempotent && !isPermanent(a.err), effect: true}
	case a.status == http.StatusTooManyRequests:
		return verdict{retry: !a.hasRetryAfter || a.retryAfter <= maxWait}
	case a.bodyErr != nil:
		return verdict{
			retry:  idempotent && !errors.Is(a.bodyErr, ErrBodyTooLarge),
			effect: isSuccess(a.status) || a.status >= 500,
		}
	case a.status == http.StatusBadGateway, a.status == http.StatusServiceUnavailable, a.status == http.StatusGatewayTimeout:
		return verdict{retry: idempotent && (!a.hasRetryAfter || a.retryAfter <= maxWait), effect: true}
	}
	return verdict{effect: isSuccess(a.status) || a.status >= 500}
}

func (a *attempt) mayHaveTakenEffect() bool { return judge(OneShot, a, 0).effect }

// isDialError reports whether err happened while connecting, before any
// byte of the request was sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// isPermanent reports transport errors that another attempt cannot fix.
func isPermanent(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	return errors.As(err, &verify) || errors.As(err, &unknownCA) || errors.As(err, &hostname)
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
