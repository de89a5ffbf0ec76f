package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/clock"
	"github.com/kryptos-connect/kryptos-go/internal/redact"
)

// Defaults and bounds of a Handler's settings.
const (
	// DefaultBodyLimit caps a delivery's body. The documented deliveries
	// are under 1 KiB.
	DefaultBodyLimit = 1 << 20
	// MinBodyLimit is the smallest cap WithBodyLimit accepts, so that no
	// genuine delivery can be over the cap: the Handler refuses a body over
	// it for good (413).
	MinBodyLimit = 64 << 10
	// MaxBodyLimit is the largest cap WithBodyLimit accepts: a body is read
	// whole into memory.
	MaxBodyLimit = 1 << 30
	// DefaultHandlerTimeout bounds a call of the Handler's function.
	DefaultHandlerTimeout = 30 * time.Second
	// DefaultLease is how long a claim on a delivery id lasts unless it is
	// extended; the Handler extends it every third of it while its
	// function runs.
	DefaultLease = 5 * time.Second
	// MinLease is the shortest lease WithLease accepts: an extension, sent
	// every third of the lease, must reach the store before it runs out.
	MinLease = 30 * time.Millisecond
	// MaxClockSkew is how far ahead of the receiver's clock WithMaxAge lets
	// an event's timestamp be: a sender whose clock is ahead must not make
	// an event outlive the Deduplicator's memory of it.
	MaxClockSkew = 5 * time.Minute
	// DefaultInFlightWait is how long a delivery whose id is being handled
	// elsewhere waits for that handling to end before it is answered 503.
	DefaultInFlightWait = 6 * time.Second
)

// Handler is an http.Handler that receives Kryptos webhooks: it verifies
// each delivery, decodes it, and calls its function once per delivery id,
// and answers so that Kryptos retries whatever may still succeed and
// nothing that already did. Create it with NewHandler. It is safe for
// concurrent use.
//
// Its answers, and why (Kryptos retries 429, 500, 502, 503 and 504, twice,
// and nothing else):
//
//   - 200 once the function returned nil for the id, now or before: the
//     event is handled, a retry needs only an acknowledgement.
//   - 500 when the function failed, panicked, or ran out of time: the claim
//     on the id is released, and Kryptos' retry is handled.
//   - 503 with Retry-After when the id is being handled by another call
//     (Kryptos retried after its 10 s timeout while the first attempt still
//     runs, here or on another replica), and that call did not end within
//     WithInFlightWait; and when the Deduplicator failed. Answering 200
//     there would lose the event if the first attempt then failed.
//   - 401 for a signature that is missing or matches no secret, 400 for a
//     signed body that is not a delivery, or is older than WithMaxAge, 413
//     for a body over the limit, 405 for a method other than POST. These are
//     final: a retry carries the same body and headers. The Handler logs
//     them at error level, as a genuine delivery refused this way is lost.
//
// The function's errors go to the log only: the sender learns nothing but
// the status.
type Handler struct {
	secrets      []string
	fn           func(context.Context, *Event) error
	bodyLimit    int64
	maxAge       time.Duration
	dedup        Deduplicator
	log          *slog.Logger // nil: slog.Default() at the time of logging
	timeout      time.Duration
	lease        time.Duration
	inFlightWait time.Duration
	clock        clock.Clock
}

// Format prints the Handler, or a pointer to it, as the number of its
// secrets and its settings, for every verb, so that no formatting of it can
// reveal a signing secret (with which anyone could forge deliveries).
func (h Handler) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "webhook.Handler{Secrets:%d, BodyLimit:%d, MaxAge:%v, Timeout:%v, Lease:%v, InFlightWait:%v}",
		len(h.secrets), h.bodyLimit, h.maxAge, h.timeout, h.lease, h.inFlightWait)
}

// LogValue logs the Handler as Format prints it, without its secrets.
func (h Handler) LogValue() slog.Value { return slog.StringValue(fmt.Sprint(h)) }

// Option configures a Handler. NewHandler checks every option and fails
// with a *kryptos.ParamError for an invalid one, so that nothing fails at
// the first delivery.
type Option func(*Handler) error

// WithBodyLimit caps a delivery's body at n bytes (default
// DefaultBodyLimit). A cap below MinBodyLimit is refused: a body over the
// cap is refused for good (413), so the cap must be far above any genuine
// delivery. So is one above MaxBodyLimit.
func WithBodyLimit(n int64) Option {
	return func(h *Handler) error {
		switch {
		case n < MinBodyLimit:
			return &kryptos.ParamError{Field: "bodyLimit", Problem: fmt.Sprintf("must be at least %d bytes (MinBodyLimit), so that no genuine delivery is refused", MinBodyLimit)}
		case n > MaxBodyLimit:
			return &kryptos.ParamError{Field: "bodyLimit", Problem: fmt.Sprintf("must be at most %d bytes (MaxBodyLimit): a body is read whole into memory", MaxBodyLimit)}
		}
		h.bodyLimit = n
		return nil
	}
}

// WithMaxAge refuses (400, for good) a delivery whose event, by the signed
// body's timestamp, happened more than maxAge ago, is dated more than
// MaxClockSkew in the future, or whose body has no timestamp. With a maxAge
// at least MaxClockSkew shorter than the Deduplicator's memory, a captured
// delivery replayed later is either remembered or refused: NewHandler
// checks it for a Deduplicator that says its memory with a method
// TTL() time.Duration, as MemoryDeduplicator and kryptosredis's do. The
// X-Webhook-Timestamp header is not signed, so it is not used. Off by
// default: a receiver whose clock is wrong would refuse every event.
func WithMaxAge(maxAge time.Duration) Option {
	return func(h *Handler) error {
		if maxAge <= 0 {
			return &kryptos.ParamError{Field: "maxAge", Problem: "must be positive"}
		}
		h.maxAge = maxAge
		return nil
	}
}

// WithDeduplicator replaces the default deduplicator, a MemoryDeduplicator
// that remembers handled ids for DefaultDedupTTL. Give every replica of a
// receiver one Deduplicator over a shared store.
func WithDeduplicator(d Deduplicator) Option {
	return func(h *Handler) error {
		if d == nil {
			return &kryptos.ParamError{Field: "deduplicator", Problem: "must not be nil"}
		}
		h.dedup = d
		return nil
	}
}

// WithLogger sends the Handler's records to l instead of slog.Default():
// every refused or failed delivery at error level (with the function's
// error, secrets and tokens masked), warnings about a delivery's form at
// warn level, a delivery answered 503 because its id is in flight at info
// level, and each handled or acknowledged delivery at debug level. Records
// carry the delivery id, event and grant id, never a body or a secret.
func WithLogger(l *slog.Logger) Option {
	return func(h *Handler) error {
		if l == nil {
			return &kryptos.ParamError{Field: "logger", Problem: "must not be nil; slog.New(slog.DiscardHandler) discards records"}
		}
		h.log = l
		return nil
	}
}

// WithHandlerTimeout bounds each call of the function (default
// DefaultHandlerTimeout) through its context's deadline. The call goes on
// when Kryptos gives up waiting for the answer (after 10 s): its context is
// not cancelled then, so that work under way can finish and be recorded as
// done, and the retry acknowledged.
func WithHandlerTimeout(d time.Duration) Option {
	return func(h *Handler) error {
		if d <= 0 {
			return &kryptos.ParamError{Field: "handlerTimeout", Problem: "must be positive"}
		}
		h.timeout = d
		return nil
	}
}

// WithLease sets how long a claim on a delivery id lasts unless extended
// (default DefaultLease). The Handler extends it every third of the lease
// while the function runs, so a short lease costs store writes, not
// correctness, down to MinLease; it bounds how long the id of a replica
// that crashed while handling it stays blocked.
func WithLease(d time.Duration) Option {
	return func(h *Handler) error {
		if d < MinLease {
			return &kryptos.ParamError{Field: "lease", Problem: fmt.Sprintf("must be at least %s (MinLease), so that an extension reaches the store in time", MinLease)}
		}
		h.lease = d
		return nil
	}
}

// WithInFlightWait sets how long a delivery whose id is in flight waits for
// that handling to end (default DefaultInFlightWait): then it is answered
// 200 if the handling succeeded, handled itself if it failed, or answered
// 503 if it still runs. Waiting closes a gap: when every retry of a delivery
// is answered 503 at once and the first attempt then fails, nothing sends
// the event again. Keep it under Kryptos' 10 s timeout, and above the lease,
// so that a retry waiting on a crashed replica's claim outlives it. Zero
// answers 503 at once.
func WithInFlightWait(d time.Duration) Option {
	return func(h *Handler) error {
		if d < 0 {
			return &kryptos.ParamError{Field: "inFlightWait", Problem: "must not be negative"}
		}
		h.inFlightWait = d
		return nil
	}
}

// NewHandler returns a Handler that verifies deliveries against secrets
// (pass the new and the old secret while rotating) and hands each event to
// fn, once per delivery id. fn should return nil once the event is safely
// handled (stored, queued), and an error to have Kryptos retry it; it should
// be quick, as Kryptos waits 10 s for the answer.
//
// NewHandler fails with a *kryptos.ParamError (matching
// kryptos.ErrInvalidParams) that names the field, rather than answering
// every delivery with an error later: for no secret, an empty or blank
// secret (an unset environment variable), a nil fn, or an invalid option.
func NewHandler(secrets []string, fn func(context.Context, *Event) error, opts ...Option) (*Handler, error) {
	h, err := newHandler(secrets, fn, clock.Real(), opts)
	if err != nil {
		return nil, fmt.Errorf("webhook: NewHandler: %w", err)
	}
	return h, nil
}

func newHandler(secrets []string, fn func(context.Context, *Event) error, c clock.Clock, opts []Option) (*Handler, error) {
	if err := checkSecrets(secrets); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, &kryptos.ParamError{Field: "fn", Problem: "must not be nil"}
	}
	h := &Handler{
		secrets:      append([]string(nil), secrets...),
		fn:           fn,
		bodyLimit:    DefaultBodyLimit,
		timeout:      DefaultHandlerTimeout,
		lease:        DefaultLease,
		inFlightWait: DefaultInFlightWait,
		clock:        c,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(h); err != nil {
			return nil, err
		}
	}
	if h.dedup == nil {
		h.dedup, _ = newMemoryDeduplicator(DefaultDedupTTL, c) // the default is valid
	}
	if m, ok := h.dedup.(interface{ TTL() time.Duration }); ok && h.maxAge > 0 && h.maxAge+MaxClockSkew > m.TTL() {
		return nil, &kryptos.ParamError{Field: "maxAge", Problem: "must be at least MaxClockSkew shorter than the deduplicator's TTL, or a replayed delivery could be handled twice"}
	}
	return h, nil
}

// ServeHTTP receives one delivery. See Handler for its answers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.answer(w, http.StatusMethodNotAllowed, 0)
		h.record(ctx, slog.LevelError, "webhook: refused a request that is not a POST", nil, http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, h.bodyLimit+1))
	switch {
	case err != nil:
		// The connection failed under the body: a retry may get through.
		h.answer(w, http.StatusInternalServerError, 0)
		h.record(ctx, slog.LevelWarn, "webhook: could not read the body", nil, http.StatusInternalServerError, slog.String("error", clean(err.Error(), h.secrets)))
		return
	case int64(len(body)) > h.bodyLimit:
		h.answer(w, http.StatusRequestEntityTooLarge, 0)
		h.record(ctx, slog.LevelError, "webhook: refused a body over the limit; if it was a genuine delivery, it is lost", nil,
			http.StatusRequestEntityTooLarge, slog.Int64("limit", h.bodyLimit))
		return
	}
	ev, err := Parse(body, r.Header, h.secrets...)
	if err == nil && h.maxAge > 0 {
		err = h.checkAge(ev)
	}
	switch {
	case errors.Is(err, ErrSignature):
		h.answer(w, http.StatusUnauthorized, 0)
		h.record(ctx, slog.LevelError, "webhook: refused a delivery whose signature is not valid; if it came from Kryptos, check the signing secrets (Kryptos does not retry it: it is lost)",
			nil, http.StatusUnauthorized, slog.String("error", err.Error()), slog.String("id_header", clean(r.Header.Get(HeaderID), h.secrets)))
		return
	case err != nil:
		h.answer(w, http.StatusBadRequest, 0)
		h.record(ctx, slog.LevelError, "webhook: refused a signed delivery (Kryptos does not retry it: it is lost)", ev, http.StatusBadRequest,
			slog.String("error", err.Error()))
		return
	}
	if len(ev.Warnings) > 0 {
		h.record(ctx, slog.LevelWarn, "webhook: a delivery is not in its documented form", ev, 0, slog.Any("warnings", ev.Warnings))
	}
	h.handle(w, r, ev)
}

// checkAge refuses an event that happened more than maxAge ago, or is
// dated more than MaxClockSkew ahead: accepted, it would be accepted again
// after the Deduplicator forgot it.
func (h *Handler) checkAge(ev *Event) error {
	if ev.Timestamp.IsZero() {
		return fmt.Errorf("%w: the body has no timestamp", errStale)
	}
	switch age := h.clock.Now().Sub(ev.Timestamp); {
	case age > h.maxAge:
		return fmt.Errorf("%w: the event happened %s ago, more than %s", errStale, age.Round(time.Second), h.maxAge)
	case age < -MaxClockSkew:
		return fmt.Errorf("%w: the event is dated %s ahead of this clock, more than %s", errStale, (-age).Round(time.Second), MaxClockSkew)
	}
	return nil
}

// handle claims the delivery's id and runs the function on it.
func (h *Handler) handle(w http.ResponseWriter, r *http.Request, ev *Event) {
	ctx := r.Context()
	// The claim, the call and the record of its outcome go on if the sender
	// hangs up: the event is verified and in hand, and finishing it is what
	// lets the retry be acknowledged.
	work := context.WithoutCancel(ctx)
	token := newToken()
	state, claimedAt, err := h.claim(ctx, work, ev.ID, token)
	retryAfter := max(1, int(h.lease.Round(time.Second)/time.Second))
	switch {
	case err != nil:
		h.answer(w, http.StatusServiceUnavailable, retryAfter)
		h.record(ctx, slog.LevelError, "webhook: the deduplicator failed; Kryptos will retry", ev, http.StatusServiceUnavailable,
			slog.String("error", clean(err.Error(), h.secrets)))
		return
	case state == StateDone:
		h.answer(w, http.StatusOK, 0)
		h.record(ctx, slog.LevelDebug, "webhook: acknowledged a delivery handled before", ev, http.StatusOK)
		return
	case state == StateInFlight:
		h.answer(w, http.StatusServiceUnavailable, retryAfter)
		h.record(ctx, slog.LevelInfo, "webhook: the delivery is being handled by another call; Kryptos will retry", ev, http.StatusServiceUnavailable)
		return
	case state != StateClaimed:
		h.answer(w, http.StatusServiceUnavailable, retryAfter)
		h.record(ctx, slog.LevelError, "webhook: the deduplicator answered an unknown state; Kryptos will retry", ev, http.StatusServiceUnavailable,
			slog.String("state", state.String()))
		return
	}

	err = h.run(work, ev, token, claimedAt)
	storeCtx, cancel := context.WithTimeout(work, h.lease)
	defer cancel()
	if err != nil {
		if rerr := h.dedup.Release(storeCtx, ev.ID, token); rerr != nil {
			h.record(ctx, slog.LevelError, "webhook: could not release the delivery id; a retry will handle it once the lease expires", ev, 0,
				slog.String("error", clean(rerr.Error(), h.secrets)))
		}
		h.answer(w, http.StatusInternalServerError, 0)
		attrs := []slog.Attr{slog.String("error", clean(err.Error(), h.secrets))}
		var p *panicError
		if errors.As(err, &p) {
			attrs = append(attrs, slog.String("stack", string(p.stack)))
		}
		h.record(ctx, slog.LevelError, "webhook: the function failed; Kryptos will retry the delivery (twice at most: after that the event is lost)", ev,
			http.StatusInternalServerError, attrs...)
		return
	}
	if derr := h.dedup.Done(storeCtx, ev.ID, token); derr != nil {
		msg := "webhook: could not record the delivery as handled; it is acknowledged, but another delivery of it would be handled again"
		if errors.Is(derr, ErrLeaseLost) {
			msg = "webhook: the claim on the delivery id expired while the function ran; another call may have handled it too (raise the lease)"
		}
		h.record(ctx, slog.LevelError, msg, ev, 0, slog.String("error", clean(derr.Error(), h.secrets)))
	}
	h.answer(w, http.StatusOK, 0)
	h.record(ctx, slog.LevelDebug, "webhook: handled", ev, http.StatusOK)
}

// claim claims id, waiting up to inFlightWait for a claim held by another
// call to end. It stops waiting when the sender hangs up (ctx). It returns
// when the claim was asked for, from which its lease runs.
func (h *Handler) claim(ctx, work context.Context, id, token string) (State, time.Time, error) {
	deadline := h.clock.Now().Add(h.inFlightWait)
	pause := 20 * time.Millisecond
	for {
		storeCtx, cancel := context.WithTimeout(work, h.lease)
		at := h.clock.Now()
		state, err := h.dedup.Begin(storeCtx, id, token, h.lease)
		cancel()
		if err != nil || state != StateInFlight {
			return state, at, err
		}
		left := deadline.Sub(h.clock.Now())
		if left <= 0 || clock.Sleep(ctx, h.clock, min(pause, left)) != nil {
			return StateInFlight, at, nil
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// run calls the function with the handler timeout, extending the claim on
// the id, made at claimedAt, while it runs.
func (h *Handler) run(work context.Context, ev *Event, token string, claimedAt time.Time) error {
	ctx, cancel := context.WithTimeout(work, h.timeout)
	defer cancel()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.keepClaim(ctx, work, cancel, ev, token, claimedAt, stop)
	}()
	err := h.call(ctx, ev)
	close(stop)
	wg.Wait()
	return err
}

// keepClaim extends the claim every third of the lease, counted from
// when the claim or the last extension was asked for (so that a late start
// of this goroutine does not add to a late timer), until stop is closed.
// When the claim is lost (the store lost it, this process stalled past the
// lease, or no extension reached the store before the lease ran out), it
// cancels the function's context, since another call may claim the id now.
// Once the function's context has ended (its timeout), it stops extending:
// a function that ignores its context must not hold the id for ever, or
// every retry would be answered 503.
func (h *Handler) keepClaim(fnCtx, work context.Context, cancel context.CancelFunc, ev *Event, token string, claimedAt time.Time, stop <-chan struct{}) {
	every := max(h.lease/3, time.Millisecond)
	next := claimedAt.Add(every)
	// heldUntil is the earliest the store may let the claim expire: a lease
	// from when the claim, or the last extension that succeeded, was asked.
	heldUntil := claimedAt.Add(h.lease)
	for {
		t := h.clock.NewTimer(next.Sub(h.clock.Now()))
		select {
		case <-stop:
			t.Stop()
			return
		case <-fnCtx.Done():
			t.Stop()
			select {
			case <-stop: // the function returned
				return
			default:
			}
			if errors.Is(context.Cause(fnCtx), context.DeadlineExceeded) {
				h.record(work, slog.LevelError, "webhook: the function ran past its timeout; its claim on the delivery id will expire, and a retry may handle it", ev, 0)
			}
			return
		case <-t.C():
		}
		storeCtx, cancelStore := context.WithTimeout(work, every)
		at := h.clock.Now()
		err := h.dedup.Extend(storeCtx, ev.ID, token, h.lease)
		cancelStore()
		next = at.Add(every)
		switch {
		case errors.Is(err, ErrLeaseLost):
			h.record(work, slog.LevelError, "webhook: lost the claim on the delivery id while the function ran; its context is cancelled", ev, 0)
			cancel()
			return
		case err != nil:
			retry := h.clock.Now().Add(every / 2) // sooner: the lease is running out
			if !retry.Before(heldUntil) {
				// The claim expires before another extension could be
				// tried: another replica may claim the id then, so the
				// function must stop, as when the claim is lost.
				h.record(work, slog.LevelError, "webhook: could not extend the claim on the delivery id before it expires; the function's context is cancelled", ev, 0,
					slog.String("error", clean(err.Error(), h.secrets)))
				cancel()
				return
			}
			h.record(work, slog.LevelWarn, "webhook: could not extend the claim on the delivery id; trying again", ev, 0,
				slog.String("error", clean(err.Error(), h.secrets)))
			next = retry
		default:
			heldUntil = at.Add(h.lease)
		}
	}
}

// panicError is a panic of the function, answered as a failure.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// call runs the function, turning a panic into an error so that the id is
// released and the sender gets a 500 it retries, rather than a reset
// connection.
func (h *Handler) call(ctx context.Context, ev *Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{value: p, stack: debug.Stack()}
		}
	}()
	return h.fn(ctx, ev)
}

// answer writes a small JSON status. It tells nothing of why.
func (h *Handler) answer(w http.ResponseWriter, status, retryAfter int) {
	w.Header().Set("Content-Type", "application/json")
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]bool{"received": status < 300})
}

// record logs what happened to a delivery.
func (h *Handler) record(ctx context.Context, level slog.Level, msg string, ev *Event, status int, attrs ...slog.Attr) {
	l := h.log
	if l == nil {
		l = slog.Default()
	}
	if !l.Enabled(ctx, level) {
		return
	}
	if ev != nil {
		attrs = append(attrs, slog.String("webhook_id", clean(ev.ID, h.secrets)), slog.String("event", clean(string(ev.Type), h.secrets)),
			slog.String("grant_id", clean(ev.GrantID, h.secrets)))
	}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	l.LogAttrs(ctx, level, msg, attrs...)
}

// newToken returns a random claim token.
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// clean masks the signing secrets and anything shaped like a token in s,
// and escapes control characters, so that a text from the function or a
// header cannot leak a secret or forge a log line.
func clean(s string, secrets []string) string {
	return redact.OneLine(redact.Secrets(s, secrets))
}
