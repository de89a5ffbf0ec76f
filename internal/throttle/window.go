// Package throttle holds the client-side quota that keeps a Client under the
// API's documented per-client rate limits.
//
// The API counts requests per fixed-length window (for example 10 link tokens
// a minute). A token bucket of rate N/W and burst N, such as
// golang.org/x/time/rate, admits its full burst and then refills during the
// same window: up to 2N requests in one window, which the server rejects with
// 429. A Window is a sliding log instead: it remembers when each of the last
// N requests was admitted and lets a new one through only when fewer than N
// fall in the window that ends with it. It never admits more than N in any
// window of length W, and still lets a burst of N through at once.
package throttle

import (
	"context"
	"sync"
	"time"
)

// Window admits at most Limit requests in any window of length Period.
// It is safe for concurrent use; waiters are admitted in the order they arrive.
type Window struct {
	limit  int
	period time.Duration
	clock  Clock

	mu sync.Mutex
	// admitted holds the admission times of the requests that may still count
	// against a future window, in ascending order. Times after now are
	// reservations of callers that are still waiting for them.
	admitted []time.Time
}

// NewWindow returns a Window that admits limit requests per period. limit
// and period must be positive.
func NewWindow(limit int, period time.Duration, clock Clock) *Window {
	if limit <= 0 || period <= 0 {
		panic("throttle: NewWindow needs a positive limit and period")
	}
	return &Window{limit: limit, period: period, clock: clock, admitted: make([]time.Time, 0, limit)}
}

// QuotaWindow returns the Window a client uses to keep to a server's quota
// of limit requests per period. Its period is 1% longer, and at least 50 ms
// longer: the client counts a request when it leaves, the server when it
// arrives, and a request that travels faster than the one a period earlier
// (which perhaps opened the connection) would otherwise arrive inside the
// server's window.
func QuotaWindow(limit int, period time.Duration, clock Clock) *Window {
	return NewWindow(limit, period+QuotaMargin(period), clock)
}

// QuotaMargin is how much longer than period a QuotaWindow's period is.
func QuotaMargin(period time.Duration) time.Duration {
	return max(period/100, 50*time.Millisecond)
}

// Wait blocks until the request may be sent or ctx ends. A caller that gives
// up returns its reserved slot, so it does not count against the quota.
func (w *Window) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	at, now := w.reserve()
	if !at.After(now) {
		return nil
	}
	if err := w.clock.Sleep(ctx, at.Sub(now)); err != nil {
		w.release(at)
		return err
	}
	return nil
}

// reserve records the earliest time at which one more request keeps every
// window at or under the limit, and returns it with the current time.
//
// The slot is admitted[len-limit] + period: the window that ends at the new
// request then holds only the limit-1 requests after that one, plus the new
// one. Reservations are therefore appended in ascending order.
func (w *Window) reserve() (at, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now = w.clock.Now()
	w.forget(now)
	at = now
	if n := len(w.admitted); n >= w.limit {
		if slot := w.admitted[n-w.limit].Add(w.period); slot.After(now) {
			at = slot
		}
	}
	w.admitted = append(w.admitted, at)
	return at, now
}

// forget drops the times that can no longer share a window with now or any
// later request: those at or before now-period.
func (w *Window) forget(now time.Time) {
	cutoff := now.Add(-w.period)
	i := 0
	for i < len(w.admitted) && !w.admitted[i].After(cutoff) {
		i++
	}
	// Reslicing drops the front without copying the rest; append moves
	// the log to a fresh array when it runs out of room at the back, so the
	// cost stays constant per request.
	w.admitted = w.admitted[i:]
}

// release gives back the reservation at, made by a caller that stopped
// waiting. Removing a time only lowers the count of every window, so the
// reservations made after it stay within the limit.
func (w *Window) release(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.admitted) - 1; i >= 0; i-- {
		if w.admitted[i].Equal(at) {
			w.admitted = append(w.admitted[:i], w.admitted[i+1:]...)
			return
		}
	}
}

// Allow admits a request now if the window has room, without waiting. When
// it has none, it reports how long until the oldest request in the window
// leaves it. It is how a server enforces the same quota a client keeps to.
func (w *Window) Allow() (ok bool, retryAfter time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	w.forget(now)
	if n := len(w.admitted); n >= w.limit {
		if slot := w.admitted[n-w.limit].Add(w.period); slot.After(now) {
			return false, slot.Sub(now)
		}
	}
	w.admitted = append(w.admitted, now)
	return true, 0
}
