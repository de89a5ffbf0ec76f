package httpcore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// run is the state of one Core.Do: the request, the record of its latest
// attempt, and what the attempts so far tell. It is the http.RoundTripper
// of its own http.Client, so each attempt reaches RoundTrip with the call at
// hand and no state travels through the request's context. Attempts run one
// after the other on the caller's goroutine, so it needs no lock. Calls are
// pooled: their clients and method values are built once.
type run struct {
	core *Core
	rc   retryablehttp.Client
	hc   http.Client

	ctx context.Context
	// spec is a copy of the call, so that the caller's Call need not escape
	// to the heap.
	spec Call
	// newBody is x.bodyReader, bound once.
	newBody retryablehttp.ReaderFunc
	// last is what happened to the latest attempt.
	last attempt
	// attempts counts the attempts made.
	attempts int
	// effect says that an attempt before the latest may have taken effect.
	effect bool
	// body is the response body of the latest attempt that was read.
	body []byte
	// wait is the back-off before the next attempt, chosen by checkRetry.
	wait time.Duration
	// env is what decode decodes an answer into, unless out is Whole.
	env envelope
	// header is the call's request header, which RoundTrip gives each
	// attempt. It is made for each call, never pooled: net/http may still
	// be writing an attempt's headers after Do returns.
	header http.Header
	// bound limits the current attempt to the per-attempt timeout.
	bound bound
	// trace tells the current attempt that it got a connection; it is
	// sent with the attempts of calls whose effect matters (see traced).
	trace httptrace.ClientTrace
}

// attempt is what happened to one attempt on the wire: everything judge
// needs to decide whether it may have taken effect and may be repeated.
type attempt struct {
	// notSent says the attempt never left: Wait refused it or ctx ended
	// first. err says why.
	notSent bool
	// err is the transport error of an attempt that got no answer.
	err error
	// status and header are those of the answer, when one came.
	status int
	header http.Header
	// retryAfter is the server's requested wait, parsed once, for an answer
	// that is not a success; hasRetryAfter says whether it named one.
	retryAfter    time.Duration
	hasRetryAfter bool
	// bodyErr is why the answer's body could not be read whole.
	bodyErr error
	// traced says whether connected was followed: then an attempt that
	// failed without a connection provably sent nothing, whatever its error
	// (a context that ended while dialing is not a dial error).
	traced, connected bool
}

func (x *run) start(ctx context.Context, spec *Call) {
	x.ctx, x.spec = ctx, *spec
}

// bodyReader gives each attempt a reader of its own over the call's body.
// One reader must not be rewound for the next attempt: net/http may still be
// writing an attempt's body after its answer came. A *bytes.Reader is what
// net/http knows holds its bytes in memory: it writes the headers and the
// body to the connection in one write, where a body of a type it does not
// know takes two, and a copy through a buffer allocated for each request.
func (x *run) bodyReader() (io.Reader, error) { return bytes.NewReader(x.spec.Body), nil }

func (x *run) reset() {
	x.ctx, x.spec, x.last, x.attempts, x.effect, x.wait = nil, Call{}, attempt{}, 0, false, 0
	x.env, x.header = envelope{}, nil
	x.body = x.body[:0]
}

// request builds the call's request, with the caller's context: each
// attempt derives its own from it. Its header stays empty until RoundTrip:
// http.Client clones a request's header on every call, to follow redirects,
// which this client never does.
func (x *run) request() (*retryablehttp.Request, error) {
	var body any // a nil interface, not a nil func, so GETs carry no body
	if x.spec.Body != nil {
		body = x.newBody
	}
	req, err := retryablehttp.NewRequestWithContext(x.ctx, x.spec.Method, x.spec.URL, body)
	if err != nil {
		return nil, err
	}
	h := make(http.Header, len(x.core.cfg.Header)+len(x.spec.Header)+1)
	for k, v := range x.core.cfg.Header {
		h[k] = v
	}
	for k, v := range x.spec.Header {
		h[k] = v
	}
	if x.spec.Body != nil {
		h["Content-Type"] = jsonContentType
	}
	x.header = h
	return req, nil
}

var jsonContentType = []string{"application/json"}

// RoundTrip runs one attempt: it waits for the client-side quota, bounds
// the attempt with its timeout, sends it, and reads the whole answer, so
// that a body that stalls or breaks off is a failure of this attempt, which
// checkRetry can repeat.
func (x *run) RoundTrip(req *http.Request) (*http.Response, error) {
	x.effect = x.effect || x.last.mayHaveTakenEffect()
	x.attempts++
	x.last = attempt{}
	a := &x.last
	cfg := &x.core.cfg
	if cfg.Wait != nil {
		if err := cfg.Wait(req.Context(), x.spec.Class); err != nil {
			a.notSent, a.err = true, err
			closeRequestBody(req)
			return nil, err
		}
	}
	rt := cfg.Transport
	if f, ok := rt.(followDefault); ok {
		rt = f.resolve()
	}
	start := time.Now()
	ctx, own := x.bound.begin(req.Context(), rt, start, cfg.AttemptTimeout)
	defer x.bound.end()
	if x.traced() && canWatch(rt) {
		a.traced = true
		ctx, own = httptrace.WithClientTrace(ctx, &x.trace), true
	}
	if own {
		req = req.WithContext(ctx)
	}
	// The request is the run's own (or WithContext's copy of it), so it may
	// take the header here.
	req.Header = x.header
	resp, err := rt.RoundTrip(req)
	if err != nil {
		a.err = x.explain(ctx, err)
		x.logAttempt(req, start)
		return nil, a.err
	}
	a.status, a.header = resp.StatusCode, resp.Header
	if !isSuccess(resp.StatusCode) {
		a.retryAfter, a.hasRetryAfter = RetryAfter(resp.Header, time.Now())
	}
	if resp.StatusCode == http.StatusTooManyRequests && cfg.Backoff != nil {
		wait := a.retryAfter
		if !a.hasRetryAfter {
			wait = Jitter(cfg.MinWait, cfg.MaxWait, x.attempts-1)
		}
		cfg.Backoff(x.ctx, x.spec.Class, wait)
	}
	if err := x.readBody(resp); err != nil {
		a.bodyErr = x.explain(ctx, err)
	}
	x.logAttempt(req, start)
	if a.bodyErr != nil {
		return nil, a.bodyErr
	}
	resp.Body = http.NoBody
	return resp, nil
}

// traced says whether the call's attempts follow whether they got a
// connection: a OneShot call's, whose failure before one may be repeated
// and is not ambiguous, and one with a ConsumedCode or Tracked, whose later
// answers depend on whether an earlier attempt may have taken effect
// (Meta.EarlierEffect). Others are repeated after any transport error
// anyway, and spare the trace's context.
// Only net/http's own Transport reports connections (canWatch); through
// any other RoundTripper, a failure is judged by its error alone.
func (x *run) traced() bool {
	return x.spec.Policy == OneShot || x.spec.ConsumedCode != "" || x.spec.Tracked
}

// gotConn records that the current attempt got a connection. net/http calls
// it on the attempt's goroutine, before it writes the request.
func (x *run) gotConn(httptrace.GotConnInfo) { x.last.connected = true }

// explain replaces the error of an attempt cut off by the per-attempt
// timeout, which the transport reports as a context error, with one that
// says so.
func (x *run) explain(ctx context.Context, err error) error {
	if x.ctx.Err() == nil && errors.Is(context.Cause(ctx), ErrAttemptTimeout) {
		return fmt.Errorf("%w after %s", ErrAttemptTimeout, x.core.cfg.AttemptTimeout)
	}
	return err
}

// readBody reads a whole response body into x.body, failing with
// ErrBodyTooLarge past the cap and ErrBodyCut when it ends early, and
// closes it so the connection goes back to the pool.
func (x *run) readBody(resp *http.Response) error {
	defer resp.Body.Close()
	limit := x.core.cfg.MaxBodyBytes
	if resp.ContentLength > limit {
		return fmt.Errorf("%w: %d bytes announced, the cap is %d", ErrBodyTooLarge, resp.ContentLength, limit)
	}
	buf := x.body[:0]
	if n := int(resp.ContentLength); n > 0 && cap(buf) < n+1 {
		buf = make([]byte, 0, n+1) // +1 to see EOF without growing
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := resp.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			x.body = buf[:0]
			return fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, limit)
		}
		if err == io.EOF {
			x.body = buf
			return nil
		}
		if err != nil {
			x.body = buf[:0]
			return fmt.Errorf("%w after %d bytes: %w", ErrBodyCut, len(buf), err)
		}
	}
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close() // a RoundTripper always closes the body
	}
}

func isSuccess(status int) bool { return status >= 200 && status < 300 }

// checkRetry asks judge about the attempt that just ended, and chooses the
// wait before the next one: what the server asked for in Retry-After or
// retry_after, or else an exponential wait with jitter between MinWait and
// MaxWait. It never repeats a call whose ctx has ended, nor one whose next
// attempt would come after ctx's deadline: that answer is returned at once
// instead of after a sleep that could not end in time.
func (x *run) checkRetry(ctx context.Context, _ *http.Response, _ error) (bool, error) {
	if ctx.Err() != nil || !judge(x.spec.Policy, &x.last, x.core.cfg.MaxWait).retry {
		return false, nil
	}
	x.wait = x.last.retryAfter // judge has made sure it is at most MaxWait
	if !x.last.hasRetryAfter {
		x.wait = Jitter(x.core.cfg.MinWait, x.core.cfg.MaxWait, x.attempts-1)
	}
	if x.last.status == http.StatusTooManyRequests && x.core.cfg.PauseBounded && x.wait > x.core.cfg.MaxPause {
		return false, nil // a 429 pause longer than the caller may wait on the client side
	}
	if d, ok := ctx.Deadline(); ok && x.wait >= time.Until(d) {
		return false, nil
	}
	if log := x.core.cfg.Logger; log.Enabled(x.ctx, slog.LevelDebug) {
		log.LogAttrs(x.ctx, slog.LevelDebug, "kryptos: retrying",
			slog.String("op", x.spec.Op), slog.Int("attempt", x.attempts), slog.Duration("wait", x.wait))
	}
	return true, nil
}

// backoff returns the wait checkRetry chose.
func (x *run) backoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return x.wait }

// finish turns the end of the attempts into the call's result: out decoded
// from the final answer, or the error that describes it.
func (x *run) finish(err error, out any) (Meta, error) {
	a := &x.last
	meta := Meta{StatusCode: a.status, Header: a.header, Attempts: x.attempts, EarlierEffect: x.effect}
	if a.header != nil {
		meta.RequestID = a.header.Get("X-Request-Id")
	}
	verdict := judge(x.spec.Policy, a, x.core.cfg.MaxWait)
	oneShotEffect := x.spec.Policy == OneShot && (x.effect || verdict.effect)
	if a.status == 0 {
		// Our record of the attempt, not the library's wrapping of it, and
		// the caller's cancellation if it came while waiting to retry.
		ended := x.ctx.Err()
		switch {
		case a.err != nil && (ended == nil || errors.Is(a.err, ended)):
			err = a.err
		case a.err != nil:
			err = fmt.Errorf("%w; the last attempt failed: %w", ended, a.err)
		case ended != nil:
			err = ended
		case err == nil:
			err = errors.New("no answer") // unreachable: an attempt records why it got none
		}
		return meta, &TransportError{Err: err, Attempts: x.attempts, NotSent: a.notSent, Ambiguous: oneShotEffect && !a.notSent,
			Unreached: !x.effect && !verdict.effect}
	}
	if a.bodyErr != nil {
		return meta, &Failure{Meta: meta, Message: a.bodyErr.Error(), Err: a.bodyErr, RetryAfter: a.retryAfter,
			Ambiguous: oneShotEffect}
	}
	f := x.decode(meta, out)
	if f == nil {
		return meta, nil
	}
	if err := x.ctx.Err(); err != nil && f.Err == nil {
		f.Err = err // ctx ended while waiting to repeat this answer
	}
	f.RetryAfter = a.retryAfter
	// A 2xx that says success false refused the request; one that could not
	// be decoded may have done what it was asked.
	f.Ambiguous = (oneShotEffect && (a.status >= 500 || (isSuccess(a.status) && errors.Is(f.Err, ErrMalformed)))) ||
		(x.spec.ConsumedCode != "" && f.Code == x.spec.ConsumedCode && x.effect)
	return meta, f
}

// logAttempt records one attempt: the operation, method, path (ids only, no
// query, headers or bodies), status, duration and error. A 429 is a warning:
// the server refused a request the client-side quota let through.
func (x *run) logAttempt(req *http.Request, start time.Time) {
	a := &x.last
	level := slog.LevelDebug
	if a.status == http.StatusTooManyRequests {
		level = slog.LevelWarn
	}
	log := x.core.cfg.Logger
	if !log.Enabled(x.ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("op", x.spec.Op),
		slog.Int("attempt", x.attempts),
		slog.String("method", req.Method),
		slog.String("path", req.URL.Path),
		slog.Duration("took", time.Since(start)),
	}
	if a.status != 0 {
		attrs = append(attrs, slog.Int("status", a.status))
	}
	if a.hasRetryAfter {
		attrs = append(attrs, slog.Duration("retry_after", a.retryAfter))
	}
	if err := errors.Join(a.err, a.bodyErr); err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	log.LogAttrs(x.ctx, level, "kryptos: attempt", attrs...)
}
