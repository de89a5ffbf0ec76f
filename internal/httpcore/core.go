// Package httpcore is the HTTP machinery shared by every kryptos endpoint:
// request building, client-side throttling, per-attempt timeouts, retries that
// depend on whether an operation may safely happen twice, and decoding of the
// API's {success, data, error, code} envelopes.
//
// A call flows through it like this:
//
//	Core.Do ─► retryablehttp.Client.Do ─► attemptTransport.RoundTrip (each attempt)
//	             │  checkRetry / backoff        │ throttle wait, timeout, log
//	             ▼                              ▼
//	         final response  ──────────►  decode ─► out, or *Failure
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
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Policy says which failed attempts of a call may be sent again.
type Policy int

const (
	// Idempotent calls are repeated after connection errors, per-attempt
	// timeouts and the statuses 429, 502, 503 and 504: doing them twice has
	// the same effect as doing them once.
	Idempotent Policy = iota
	// OneShot calls have an effect that must not happen twice (consuming a
	// single-use token, queueing a job). They are repeated only when the
	// request provably never reached the server: a failed dial, or a 429.
	OneShot
)

// Call is one API operation to perform.
type Call struct {
	// Op names the operation in logs, throttle keys and errors.
	Op     string
	Policy Policy
	Method string
	// BaseURL, when set, replaces Config.BaseURL for this call.
	BaseURL string
	// Path is the already-escaped path below the base URL, starting with "/".
	Path string
	// Header is sent with this call, after Config.Header. It must not be
	// modified afterwards.
	Header http.Header
	// Body, when not nil, is sent as JSON.
	Body any
	// ConsumedCode is an error code that, when it answers a repeated attempt,
	// may have been caused by an earlier attempt of this very call (for
	// example TOKEN_ALREADY_USED); such a failure is reported as ambiguous.
	ConsumedCode string
}

// Config configures a Core. Every field is required unless said otherwise.
type Config struct {
	// BaseURL is the API's base URL without a trailing slash.
	BaseURL string
	// HTTPClient is copied; its transport is wrapped, never replaced.
	HTTPClient *http.Client
	// Header is sent with every request. It must not be modified afterwards.
	Header http.Header
	// Logger receives attempt and retry records; it never sees bodies or
	// headers.
	Logger *slog.Logger
	// Throttle, when not nil, is called before every attempt, retries
	// included, with the call's Op; the attempt waits until it returns.
	Throttle func(ctx context.Context, op string) error
	// MaxRetries is the number of attempts after the first one.
	MaxRetries int
	// MinWait and MaxWait bound the wait between attempts. A server that asks
	// for a longer wait than MaxWait gets its answer returned instead.
	MinWait, MaxWait time.Duration
	// AttemptTimeout bounds each attempt, from after its throttle wait to the
	// end of its response body. Zero means no per-attempt bound.
	AttemptTimeout time.Duration
	// MaxBodyBytes caps the size of a response body.
	MaxBodyBytes int64
}

// Core performs calls. It is safe for concurrent use.
type Core struct {
	baseURL string
	header  http.Header
	maxBody int64
	maxWait time.Duration
	rc      *retryablehttp.Client
}

// New returns a Core for cfg.
func New(cfg Config) *Core {
	c := &Core{
		baseURL: cfg.BaseURL,
		header:  cfg.Header,
		maxBody: cfg.MaxBodyBytes,
		maxWait: cfg.MaxWait,
	}
	hc := *cfg.HTTPClient
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = &attemptTransport{next: next, throttle: cfg.Throttle, timeout: cfg.AttemptTimeout, log: cfg.Logger}
	// The API never redirects. Following one would send the client secret,
	// a custom header that net/http does not strip, to wherever it points.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	// The per-attempt bound is applied by attemptTransport, after the
	// throttle wait, so a long quota wait does not count against it.
	hc.Timeout = 0
	c.rc = &retryablehttp.Client{
		HTTPClient:   &hc,
		Logger:       retryLogger(cfg.Logger),
		RetryWaitMin: cfg.MinWait,
		RetryWaitMax: cfg.MaxWait,
		RetryMax:     cfg.MaxRetries,
		CheckRetry:   c.checkRetry,
		Backoff:      c.backoff,
		// Hand the final response back as it is, so that the envelope
		// decoder reads the API's own error instead of "giving up after".
		ErrorHandler: func(resp *http.Response, err error, _ int) (*http.Response, error) { return resp, err },
	}
	return c
}

// Do performs call and decodes the data of a successful answer into out, a
// pointer, or discards it when out is nil. It returns a *Failure when the
// API answered with anything but success, and a *TransportError when no
// usable answer came.
func (c *Core) Do(ctx context.Context, call *Call, out any) error {
	var body any // nil, not an empty []byte, so GETs carry no body
	if call.Body != nil {
		raw, err := json.Marshal(call.Body)
		if err != nil {
			return fmt.Errorf("encoding request: %w", err)
		}
		body = raw
	}
	st := &attemptState{call: call}
	base := c.baseURL
	if call.BaseURL != "" {
		base = call.BaseURL
	}
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, stateKey{}, st), call.Method, base+call.Path, body)
	if err != nil {
		return fmt.Errorf("building request: %w", err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	for k, v := range call.Header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header["Content-Type"] = jsonContentType
	}
	resp, err := c.rc.Do(req)
	if err != nil {
		return &TransportError{Err: err, Attempts: st.attempts, Ambiguous: call.Policy == OneShot && st.maybeProcessed}
	}
	defer drainAndClose(resp.Body)
	return c.decode(st, resp, out)
}

var jsonContentType = []string{"application/json"}

// drainAndClose reads what is left of a body, up to a bound, so that the
// connection goes back to the pool, and closes it.
func drainAndClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

// Failure is an answer from the API that is not a success: an error
// envelope, a body that is not the expected JSON, or one that is too large.
type Failure struct {
	StatusCode int
	Code       string
	Message    string
	RequestID  string
	RetryAfter time.Duration
	// Attempts is the number of attempts made, the answered one included.
	Attempts int
	// Ambiguous is set for a OneShot call whose effect may have happened.
	Ambiguous bool
	// Err is the cause of a body that could not be read or decoded.
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
// an attempt timed out, the throttle gave up, or ctx ended.
type TransportError struct {
	Err      error
	Attempts int
	// Ambiguous is set for a OneShot call that may have reached the server.
	Ambiguous bool
}

// Error includes the number of attempts and the cause.
func (e *TransportError) Error() string {
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
