// Package httpcore is the HTTP machinery shared by every kryptos operation:
// client-side waits, per-attempt timeouts, retries that depend on whether an
// operation may safely happen twice, and decoding of the API's envelopes.
//
// A call flows through it like this:
//
//	Core.Do ─► retryablehttp.Client.Do ─► run.RoundTrip (each attempt)
//	             │ checkRetry ─► judge        │ wait, bound, send, read the whole body
//	             │ backoff                    ▼
//	             ▼                        attempt (what happened on the wire)
//	         run.finish ─► decode ─► out, or *Failure / *TransportError
//
// Whether an attempt may have taken effect, and whether it may be repeated,
// is decided in one place, judge, from the call's Policy and the attempt's
// record. The body is read inside the attempt, so a body that stalls or is
// cut is judged like any other transient failure. Each attempt is bounded in
// time by the run's bound, which reuses one watch from attempt to attempt
// when the transport is net/http's own.
//
// It knows nothing of the public kryptos types: it reports failures as
// *Failure (the API answered) or *TransportError (no usable answer), and the
// kryptos package turns those into its exported errors.
package httpcore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Policy says which failed attempts of a call may be sent again.
type Policy int

const (
	// Idempotent calls are repeated after connection errors, per-attempt
	// timeouts, bodies cut short and the statuses 429, 502, 503 and 504:
	// doing them twice has the same effect as doing them once.
	Idempotent Policy = iota
	// OneShot calls have an effect that must not happen twice (consuming a
	// single-use token, queueing a job). They are repeated only when the
	// request provably never reached the server: a failed dial, or a 429.
	OneShot
)

// Call is one API operation to perform.
type Call struct {
	// Op names the operation in logs.
	Op string
	// Class is the quota class the attempts wait for.
	Class  string
	Policy Policy
	Method string
	// URL is absolute, with its path escaped and any query encoded.
	URL string
	// Header is sent with this call, after Config.Header. It must not be
	// modified afterwards.
	Header http.Header
	// Body, when not nil, is sent as it is with Content-Type
	// application/json. It must not be modified afterwards: net/http may
	// still be writing an attempt's body after Do returns.
	Body []byte
	// ConsumedCode is an error code that, when it answers a repeated attempt
	// after an earlier one may have taken effect, may have been caused by
	// that attempt (for example GRANT_NOT_FOUND after a revoke); such a
	// failure is reported as ambiguous.
	ConsumedCode string
	// NoData says the operation answers without data: a 204, or a 2xx
	// with an empty body or any body but an error envelope ("success":
	// false), is a success.
	NoData bool
	// Tracked says the caller needs Meta.EarlierEffect to be exact: the
	// attempts follow whether they got a connection, as OneShot ones do.
	Tracked bool
}

// Config configures a Core. Every field is required unless said otherwise.
type Config struct {
	// Transport sends each attempt. It is wrapped, never replaced.
	Transport http.RoundTripper
	// Header is sent with every request. It must not be modified afterwards.
	Header http.Header
	// Logger receives attempt and retry records; it never sees bodies or
	// headers.
	Logger *slog.Logger
	// Wait, when not nil, is called before every attempt, retries included,
	// with the call's Class; the attempt is sent when it returns nil, and is
	// not sent at all when it fails.
	Wait func(ctx context.Context, class string) error
	// Backoff, when not nil, is told of every 429 with the wait the server
	// asked for (or the back-off chosen when it named none), so that other
	// calls of the class wait too.
	Backoff func(ctx context.Context, class string, wait time.Duration)
	// MaxRetries is the number of attempts after the first one.
	MaxRetries int
	// MinWait and MaxWait bound the wait between attempts. A server that asks
	// for a longer wait than MaxWait gets its answer returned instead.
	MinWait, MaxWait time.Duration
	// MaxPause, when PauseBounded, also bounds the wait after a 429, which
	// holds the call's whole class (the caller's WithMaxQuotaWait): a 429
	// asking for longer is returned instead.
	MaxPause     time.Duration
	PauseBounded bool
	// AttemptTimeout bounds each attempt, from after its Wait to the end of
	// its response body. Zero means no per-attempt bound.
	AttemptTimeout time.Duration
	// MaxBodyBytes caps the size of a response body.
	MaxBodyBytes int64
}

// Meta is what the final answer of a call said about itself.
type Meta struct {
	// StatusCode is 0 when no answer came.
	StatusCode int
	RequestID  string
	// Header is the final answer's header; nil when no answer came.
	Header http.Header
	// Attempts counts the attempts made, including any not sent.
	Attempts int
	// EarlierEffect says that an attempt before the final one may have
	// taken effect at the server: the final answer may describe a repeat.
	EarlierEffect bool
}

// Core performs calls. It is safe for concurrent use.
type Core struct {
	cfg   Config
	calls sync.Pool // *run, each with its retryablehttp.Client and http.Client built once
}

// New returns a Core for cfg.
func New(cfg Config) *Core {
	c := &Core{cfg: cfg}
	c.calls.New = func() any { return c.newRun() }
	return c
}

// Do performs call and decodes the data of a successful answer into out, a
// pointer, or discards it when out is nil. It returns a *Failure when the
// API answered with anything but success, and a *TransportError when no
// usable answer came. Meta describes the final answer either way.
func (c *Core) Do(ctx context.Context, call *Call, out any) (Meta, error) {
	if err := ctx.Err(); err != nil {
		// Nothing is sent for a call that is over before it starts.
		return Meta{}, &TransportError{Err: err, NotSent: true, Unreached: true}
	}
	x := c.calls.Get().(*run)
	defer c.release(x)
	x.start(ctx, call)
	req, err := x.request()
	if err != nil {
		return Meta{}, fmt.Errorf("building request: %w", err)
	}
	resp, err := x.rc.Do(req)
	if resp != nil {
		// The body was read and closed by the attempt; what is left is
		// http.NoBody.
		_ = resp.Body.Close()
	}
	return x.finish(err, out)
}

// release returns a call's state to the pool, without a large body buffer
// that would pin memory between calls.
func (c *Core) release(x *run) {
	if cap(x.body) > maxPooledBody {
		x.body = nil
	}
	x.reset()
	c.calls.Put(x)
}

const maxPooledBody = 256 << 10

// Failure is an answer from the API that is not a success: an error
// envelope, a body that is not the expected JSON, or one that could not be
// read.
type Failure struct {
	Meta
	Code    string
	Message string
	// Details is the error's details object as sent, if it had one.
	Details    json.RawMessage
	RetryAfter time.Duration
	// Ambiguous is set when the call's effect may have happened although it
	// failed.
	Ambiguous bool
	// Err is the cause of a body that could not be read or decoded, or the
	// context error that ended the call while it waited to repeat this
	// answer.
	Err error
}

// Error describes the failure without the response body.
func (f *Failure) Error() string {
	s := fmt.Sprintf("HTTP %d", f.StatusCode)
	if f.Code != "" {
		s += " " + f.Code
	}
	return s + ": " + f.Message
}

// Unwrap returns the cause of an unreadable body, if any.
func (f *Failure) Unwrap() error { return f.Err }

// TransportError is a call that got no usable answer: the connection failed,
// an attempt timed out, the Wait refused it, or ctx ended.
type TransportError struct {
	Err      error
	Attempts int
	// NotSent says that the last attempt never left the client: ctx ended
	// or Wait failed before it was sent.
	NotSent bool
	// Unreached says that no attempt may have reached the server: each
	// one never left the client, or failed before it had a connection
	// (see judge).
	Unreached bool
	// Ambiguous is set for a OneShot call that may have reached the server.
	Ambiguous bool
}

// Error includes the number of attempts and the cause.
func (e *TransportError) Error() string {
	if e.NotSent {
		return fmt.Sprintf("not sent: %v", e.Err)
	}
	return fmt.Sprintf("no answer after %d attempt(s): %v", e.Attempts, e.Err)
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// ErrAttemptTimeout is the cause of an attempt cut off by the per-attempt
// timeout.
var ErrAttemptTimeout = errors.New("attempt timed out")

// ErrMalformed is the cause of a successful answer that is not the JSON the
// operation expects.
var ErrMalformed = errors.New("malformed response")

// ErrBodyTooLarge is the cause of a response body over the size cap.
var ErrBodyTooLarge = errors.New("response body too large")

// ErrBodyCut is the cause of a response body that ended before its
// announced length or broke off mid-read.
var ErrBodyCut = errors.New("response body cut short")

// newRun builds the reusable state of one call at a time: the
// retryablehttp client whose loop drives the attempts, and the http.Client
// it sends them through, with the run itself as the transport.
func (c *Core) newRun() *run {
	x := &run{core: c}
	x.newBody = x.bodyReader
	x.trace.GotConn = x.gotConn
	x.hc = http.Client{
		Transport: x,
		// The API never redirects. Following one would send the client
		// secret, a custom header that net/http does not strip, to wherever
		// it points.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	// Two pitfalls of retryablehttp are neutralised here. It calls
	// HTTPClient.CloseIdleConnections after a call that failed, which would
	// close the idle connections of every other call sharing the transport:
	// the transport it sees is the run itself, which has no
	// CloseIdleConnections method, so that is a no-op and the pool stays
	// warm. And its default logger writes every request's URL to stderr: a
	// struct literal leaves Logger nil, so it logs nothing; the attempt and
	// retry records come from this package, without queries.
	x.rc = retryablehttp.Client{
		HTTPClient:   &x.hc,
		RetryWaitMin: c.cfg.MinWait,
		RetryWaitMax: c.cfg.MaxWait,
		RetryMax:     c.cfg.MaxRetries,
		CheckRetry:   x.checkRetry,
		Backoff:      x.backoff,
		// Hand the final answer, or the last error, back as it is: finish
		// builds the error from the attempt's record, not from the
		// library's "giving up after" text.
		ErrorHandler: func(resp *http.Response, err error, _ int) (*http.Response, error) { return resp, err },
	}
	return x
}
