// Package throttle holds the client-side quota window that keeps a Client
// within a per-client rate limit it has been given.
//
// Servers count requests per window of fixed length (for example 10 a
// minute). A token bucket of rate N/W and burst N, such as
// golang.org/x/time/rate, admits its full burst and then refills during the
// same window: up to 2N-1 requests in one window, which such a server
// rejects with 429. A Window is a sliding log instead: it remembers when each
// of the last N requests was admitted and lets a new one through only when
// fewer than N fall in the window that ends with it. It never admits more
// than N in any window of length W, and still lets a burst of N through at
// once.
package throttle

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/clock"
)

// Window admits at most Limit requests in any window of length Period.
// Waiters are admitted in the order they arrive; one that gives up hands its
// place to the next at once. It is safe for concurrent use.
type Window struct {
	limit  int
	period time.Duration
	clock  clock.Clock

	mu sync.Mutex
	// sent holds the admission times of the last limit requests that may
	// still share a window with a future one, in ascending order.
	sent []time.Time
	// queue holds the callers waiting for a slot, first come first served.
	// Only the head waits on a timer; the others wait to become the head.
	queue []*waiter
}

type waiter struct {
	// kick wakes the waiter to look at the window again: it became the
	// head of the queue.
	kick chan struct{}
}

// NewWindow returns a Window that admits limit requests per period. limit
// and period must be positive.
func NewWindow(limit int, period time.Duration, c clock.Clock) *Window {
	if limit <= 0 || period <= 0 {
		panic("throttle: NewWindow needs a positive limit and period")
	}
	return &Window{limit: limit, period: period, clock: c, sent: make([]time.Time, 0, min(limit, 1024))}
}

// QuotaWindow returns the Window a client uses to keep to a server's quota
// of limit requests per period. Its period is 1% longer, and at least 50 ms
// longer: the client counts a request when it leaves, the server when it
// arrives, and a request that travels faster than the one a period earlier
// (which perhaps opened the connection) would otherwise arrive inside the
// server's window.
func QuotaWindow(limit int, period time.Duration, c clock.Clock) *Window {
	return NewWindow(limit, period+QuotaMargin(period), c)
}

// QuotaMargin is how much longer than period a QuotaWindow's period is.
func QuotaMargin(period time.Duration) time.Duration {
	return max(period/100, 50*time.Millisecond)
}

// TooLong is the error of a Wait that would have lasted longer than it was
// allowed to: past the caller's bound or ctx's deadline. Nothing was
// reserved.
type TooLong struct {
	// Wait is how long the caller would have had to wait.
	Wait time.Duration
}

func (e *TooLong) Error() string {
	return fmt.Sprintf("the quota has no free slot for %s", e.Wait.Round(time.Millisecond))
}

// Wait blocks until one request may be sent, or ctx ends. When the wait
// would last longer than maxWait (a negative maxWait sets no bound) or end
// after ctx's deadline, it returns a *TooLong at once instead of waiting.
func (w *Window) Wait(ctx context.Context, maxWait time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	now := w.clock.Now()
	w.forget(now)
	eta := w.slot(len(w.queue), now)
	if len(w.queue) == 0 && !eta.After(now) {
		w.sent = append(w.sent, now)
		w.mu.Unlock()
		return nil
	}
	if wait := eta.Sub(now); (maxWait >= 0 && wait > maxWait) || outlasts(ctx, wait) {
		w.mu.Unlock()
		return &TooLong{Wait: wait}
	}
	me := &waiter{kick: make(chan struct{}, 1)}
	w.queue = append(w.queue, me)
	w.mu.Unlock()
	return w.await(ctx, me)
}

// outlasts reports whether a wait of d would end after ctx's deadline.
// Deadlines are wall-clock times whatever the Window's clock, so the wait
// is compared with the real time left.
func outlasts(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && d > time.Until(deadline)
}

// await waits in the queue until me is admitted or ctx ends.
func (w *Window) await(ctx context.Context, me *waiter) error {
	for {
		var timer clock.Timer
		var fire <-chan time.Time
		w.mu.Lock()
		if w.queue[0] == me {
			now := w.clock.Now()
			w.forget(now)
			slot := w.slot(0, now)
			if !slot.After(now) {
				w.sent = append(w.sent, now)
				w.queue = w.queue[1:]
				w.kickHead()
				w.mu.Unlock()
				return nil
			}
			timer = w.clock.NewTimer(slot.Sub(now))
			fire = timer.C()
		}
		w.mu.Unlock()
		select {
		case <-fire:
		case <-me.kick:
		case <-ctx.Done():
			w.leave(me)
		}
		if timer != nil {
			timer.Stop()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// leave takes a waiter that gave up out of the queue. If it was the head,
// the next waiter takes its place and its slot at once.
func (w *Window) leave(me *waiter) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, x := range w.queue {
		if x == me {
			w.queue = append(w.queue[:i], w.queue[i+1:]...)
			if i == 0 {
				w.kickHead()
			}
			return
		}
	}
}

// kickHead wakes the waiter at the head of the queue, if any. The caller
// holds w.mu.
func (w *Window) kickHead() {
	if len(w.queue) > 0 {
		select {
		case w.queue[0].kick <- struct{}{}:
		default: // already kicked
		}
	}
}

// slot returns the earliest time the waiter at position k of the queue (0
// is the head, len(queue) a newcomer) can be admitted, if everyone ahead of
// it is admitted as early as possible. The caller holds w.mu.
//
// The i-th future admission f(i) must leave at most limit-1 admissions in
// the period before it, so f(i) = max(now, t(n+i-limit) + period), where t
// lists the past admissions and then the future ones. For i >= limit the
// term is a future admission, f(i-limit), which gives the closed form
// f(q*limit + r) = f(r) + q*period.
func (w *Window) slot(k int, now time.Time) time.Time {
	q, r := k/w.limit, k%w.limit
	at := now
	if j := len(w.sent) + r - w.limit; j >= 0 {
		at = later(now, w.sent[j].Add(w.period))
	}
	return at.Add(time.Duration(q) * w.period)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// forget drops the admissions that can no longer share a window with now or
// any later request, and keeps at most limit of them. The caller holds w.mu.
func (w *Window) forget(now time.Time) {
	cutoff := now.Add(-w.period)
	i := 0
	for i < len(w.sent) && !w.sent[i].After(cutoff) {
		i++
	}
	i = max(i, len(w.sent)-w.limit)
	// Reslicing drops the front without copying the rest; append moves the
	// log to a fresh array when it runs out of room at the back, so the cost
	// stays constant per request.
	w.sent = w.sent[i:]
}
