package httpcore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// attemptState follows one call through its attempts. Attempts of a call run
// one after the other on the caller's goroutine, so it needs no lock.
type attemptState struct {
	call     *Call
	attempts int
	// maybeProcessed says whether the last attempt may have reached the
	// server and been acted on: anything but a failed dial, a throttle that
	// gave up, or an answer below 500.
	maybeProcessed bool
	// throttleFailed says the last attempt never left because the throttle
	// returned an error.
	throttleFailed bool
}

type stateKey struct{}

func stateFrom(ctx context.Context) *attemptState {
	st, _ := ctx.Value(stateKey{}).(*attemptState)
	return st
}

// attemptTransport wraps the caller's transport and runs once per attempt:
// it waits for the throttle, bounds the attempt with its own timeout, and
// records what became of it.
type attemptTransport struct {
	next     http.RoundTripper
	throttle func(ctx context.Context, op string) error
	timeout  time.Duration
	log      *slog.Logger
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	if st == nil { // not a Core call; nothing to do
		return t.next.RoundTrip(req)
	}
	st.attempts++
	st.maybeProcessed, st.throttleFailed = false, false
	if t.throttle != nil {
		if err := t.throttle(req.Context(), st.call.Op); err != nil {
			st.throttleFailed = true
			if req.Body != nil {
				_ = req.Body.Close() // a RoundTripper always closes the body
			}
			return nil, fmt.Errorf("waiting for the client-side rate limit: %w", err)
		}
	}
	parent := req.Context()
	var cancel context.CancelFunc
	if t.timeout > 0 {
		var ctx context.Context
		ctx, cancel = context.WithTimeoutCause(parent, t.timeout, ErrAttemptTimeout)
		req = req.WithContext(ctx)
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		if cancel != nil {
			if parent.Err() == nil && errors.Is(context.Cause(req.Context()), ErrAttemptTimeout) {
				err = fmt.Errorf("%w after %s: %w", ErrAttemptTimeout, t.timeout, err)
			}
			cancel()
		}
		st.maybeProcessed = !isDialError(err)
		t.logAttempt(parent, st, req, 0, time.Since(start), err)
		return nil, err
	}
	st.maybeProcessed = resp.StatusCode >= 500
	if cancel != nil {
		// The timeout covers the body too; it is released when the body is
		// closed.
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	}
	t.logAttempt(parent, st, req, resp.StatusCode, time.Since(start), nil)
	return resp, nil
}

// logAttempt records one attempt: the operation, method, path (ids only, no
// query, headers or bodies), status, duration and error. A 429 is a warning:
// it means the client-side quota is set higher than the server's.
func (t *attemptTransport) logAttempt(ctx context.Context, st *attemptState, req *http.Request, status int, took time.Duration, err error) {
	level := slog.LevelDebug
	if status == http.StatusTooManyRequests {
		level = slog.LevelWarn
	}
	if !t.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("op", st.call.Op),
		slog.Int("attempt", st.attempts),
		slog.String("method", req.Method),
		slog.String("path", req.URL.Path),
		slog.Duration("took", took),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	} else {
		attrs = append(attrs, slog.Int("status", status))
	}
	t.log.LogAttrs(ctx, level, "kryptos: attempt", attrs...)
}

// isDialError reports whether err happened while connecting, before any
// byte of the request was sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
