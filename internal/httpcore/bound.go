package httpcore

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// bound limits each attempt of a run to the per-attempt timeout, from the
// moment it is sent to the last byte of its answer. It costs nothing when
// there is no timeout or the caller's own deadline comes sooner: the attempt
// is sent with the caller's context. Through net/http's own Transport a
// watch bounds it, which costs next to nothing unless the attempt ends
// early; through any other RoundTripper it gets a timeout context of its
// own.
type bound struct {
	// watch is kept from one call to the next until it ends; watching says
	// it bounds the current attempt.
	watch    *watch
	watching bool
	// cancel ends the current attempt's own timeout context, if it has one.
	cancel context.CancelFunc
}

// begin bounds an attempt that starts at start and is sent through rt with
// the caller's context parent. It returns the context to send it with;
// own says whether that is not parent.
func (b *bound) begin(parent context.Context, rt http.RoundTripper, start time.Time, timeout time.Duration) (ctx context.Context, own bool) {
	if timeout <= 0 {
		return parent, false
	}
	if d, ok := parent.Deadline(); ok && d.Sub(start) <= timeout {
		return parent, false
	}
	if !canWatch(rt) {
		ctx, b.cancel = context.WithTimeoutCause(parent, timeout, ErrAttemptTimeout)
		return ctx, true
	}
	if b.watch == nil {
		b.watch = newWatch()
	}
	b.watching = true
	return b.watch.begin(parent, start, timeout), true
}

// end lifts the current attempt's bound.
func (b *bound) end() {
	if b.cancel != nil {
		b.cancel()
		b.cancel = nil
	}
	if b.watching {
		b.watching = false
		if !b.watch.end() {
			b.watch = nil // it ended: the next attempt needs another
		}
	}
}

// watch bounds the attempts of one run, one after the other, with a cancel
// context and a timer that are reused from each attempt to the next until
// one of them ends early. A context.WithTimeout of its own for every attempt
// costs eight allocations and a runtime timer made and stopped, which wakes
// the network poller when it is the earliest; an attempt under a watch
// costs neither. Its timer is left running: when it fires it looks at the
// attempt then under way, if any, and sleeps again until that attempt's
// deadline, so a run wakes it at most once per timeout however many
// attempts it makes. A caller's context that can end is followed with
// context.AfterFunc for the length of the attempt.
//
// A watch serves only attempts sent through net/http's own *http.Transport:
//   - The Transport lets go of a request's context when the request is done:
//     it cancels the context it derives from it, which unregisters that
//     context from the watch's. So the end of a later attempt never reaches
//     an earlier request. A RoundTripper of the user's might keep the
//     context for longer. (So might one registered with the Transport's
//     RegisterProtocol, which the Transport hands the request to as it is.)
//   - Contexts derived from a watch's report context.Canceled when it ends,
//     where a timer's would report context.DeadlineExceeded; the cause is
//     the same: ErrAttemptTimeout, or the caller's context's cause. The
//     Transport reports the cause, which is all the run reads; a user's
//     RoundTripper may test the error.
type watch struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	// parentEnded is w.endedWithParent, bound once.
	parentEnded func()

	mu sync.Mutex
	// deadline is the current attempt's; zero between attempts.
	deadline time.Time
	// parent is the current attempt's caller's context, when it can end.
	parent context.Context
	// stopParent stops following parent; only the run's goroutine uses it.
	stopParent func() bool
	// armed says the timer will fire; ended that ctx is cancelled, or may
	// be, so the watch serves no more attempts.
	armed, ended bool
}

func newWatch() *watch {
	w := &watch{}
	w.ctx, w.cancel = context.WithCancelCause(context.Background())
	w.timer = time.AfterFunc(time.Hour, w.fire)
	w.timer.Stop()
	w.parentEnded = w.endedWithParent
	return w
}

// begin watches an attempt that starts at start, may last timeout (the
// same for every attempt: the timer is never set later than the deadline of
// the attempt under way), and ends sooner if parent does. It returns the
// context to send the attempt with.
func (w *watch) begin(parent context.Context, start time.Time, timeout time.Duration) context.Context {
	canEnd := parent.Done() != nil
	w.mu.Lock()
	w.deadline = start.Add(timeout)
	if !w.armed {
		w.armed = true
		w.timer.Reset(timeout)
	}
	if canEnd {
		w.parent = parent
	}
	w.mu.Unlock()
	if canEnd {
		w.stopParent = context.AfterFunc(parent, w.parentEnded)
	}
	if parent == context.Background() {
		return w.ctx // no values to carry: spares the wrapper's allocation
	}
	return watched{w.ctx, parent}
}

// end stops watching the current attempt, and says whether the watch can
// serve the next: not once it has ended, or may yet end because of this
// attempt's caller.
func (w *watch) end() bool {
	stopped := true
	if w.stopParent != nil {
		stopped = w.stopParent()
	}
	w.stopParent = nil
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deadline = time.Time{}
	if stopped {
		w.parent = nil // not kept alive by a pooled run
	} else {
		w.ended = true // endedWithParent runs, or will: the context is lost
	}
	return !w.ended
}

func (w *watch) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch left := time.Until(w.deadline); {
	case w.deadline.IsZero():
		w.armed = false // no attempt under way: the next one arms it again
	case left > 0:
		w.timer.Reset(left)
	default:
		w.ended = true
		w.cancel(ErrAttemptTimeout)
	}
}

// endedWithParent ends the watch with the caller's context of the attempt
// it was following.
func (w *watch) endedWithParent() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ended = true
	w.cancel(context.Cause(w.parent))
}

// canWatch says whether an attempt sent through rt may be bounded by a
// watch.
func canWatch(rt http.RoundTripper) bool {
	_, std := rt.(*http.Transport)
	return std
}

// watched is a watch's context with the deadline and values of the
// caller's.
type watched struct {
	context.Context // the watch's, under which net/http registers its own
	parent          context.Context
}

func (c watched) Deadline() (time.Time, bool) { return c.parent.Deadline() }

// Value looks in the watch's context first, for the key under which
// context.WithCancel finds the cancel context to register with: the
// watch's has no other values.
func (c watched) Value(key any) any {
	if v := c.Context.Value(key); v != nil {
		return v
	}
	return c.parent.Value(key)
}
