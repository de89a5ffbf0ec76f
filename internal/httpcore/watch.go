package httpcore

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// watch bounds the attempts of one run, one after the other, with a cancel
// context and a timer that are reused from each attempt to the next until
// an attempt runs out of time. A context.WithTimeout of its own for every
// attempt costs eight allocations and a runtime timer made and stopped,
// which wakes the network poller when it is the earliest; an attempt under a
// watch costs neither, and its timer is left running: when it fires it
// looks at the attempt then under way, if any, and sleeps again until that
// attempt's deadline. So a run wakes it at most once per timeout however
// many attempts it makes.
//
// A watch serves only attempts sent through net/http's own *http.Transport
// with a caller's context that can never end (context.Background, or one
// that only carries values):
//   - The Transport lets go of a request's context when the request is done:
//     it cancels the context it derives from it, which unregisters that
//     context from the watch's. So a timeout of a later attempt never
//     reaches an earlier request. A RoundTripper of the user's might keep
//     the context for longer.
//   - Contexts derived from a watch's report context.Canceled when it fires,
//     where a timer's would report context.DeadlineExceeded; the cause is
//     ErrAttemptTimeout either way. The Transport reports the cause, which
//     is all the run reads; a user's RoundTripper may test the error.
//   - A caller's context that can end would need a watcher of its own on
//     every attempt, which is what context.WithTimeout is.
type watch struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer

	mu sync.Mutex
	// deadline is the current attempt's; zero between attempts.
	deadline time.Time
	// armed says the timer will fire; fired that it cancelled ctx.
	armed, fired bool
}

func newWatch() *watch {
	w := &watch{}
	w.ctx, w.cancel = context.WithCancelCause(context.Background())
	w.timer = time.AfterFunc(time.Hour, w.fire)
	w.timer.Stop()
	return w
}

// begin watches an attempt that starts at start and may last timeout.
func (w *watch) begin(start time.Time, timeout time.Duration) {
	w.mu.Lock()
	w.deadline = start.Add(timeout)
	if !w.armed {
		w.armed = true
		w.timer.Reset(timeout)
	}
	w.mu.Unlock()
}

// end stops watching the current attempt, and says whether the watch can
// serve the next: not once it has fired.
func (w *watch) end() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deadline = time.Time{}
	return !w.fired
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
		w.fired = true
		w.cancel(ErrAttemptTimeout)
	}
}

// canWatch says whether an attempt sent through rt with the caller's ctx may
// be bounded by a watch.
func canWatch(rt http.RoundTripper, ctx context.Context) bool {
	_, std := rt.(*http.Transport)
	return std && ctx.Done() == nil
}

// watched is a watch's context with the values of the caller's.
type watched struct {
	context.Context // the watch's, under which net/http registers its own
	values          context.Context
}

// Value looks in the watch's context first, for the key under which
// context.WithCancel finds the cancel context to register with: the
// watch's has no other values.
func (c watched) Value(key any) any {
	if v := c.Context.Value(key); v != nil {
		return v
	}
	return c.values.Value(key)
}
