package kryptosredis

import (
	"context"
	"sync"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// fallback is the in-process limiter that FallBackLocal uses while Redis
// is unavailable: per class, at most share sends in any window, none before
// a window has passed since the outage began (the sends Redis counted just
// before it went down are unknown), and none during a 429's back-off.
type fallback struct {
	share  map[kryptos.QuotaClass]int
	window map[kryptos.QuotaClass]time.Duration

	mu     sync.Mutex
	from   map[kryptos.QuotaClass]time.Time   // no send before then
	sends  map[kryptos.QuotaClass][]time.Time // within the last window, oldest first
	paused map[kryptos.QuotaClass]time.Time
}

func newFallback(share map[kryptos.QuotaClass]int, window map[kryptos.QuotaClass]time.Duration) *fallback {
	return &fallback{
		share: share, window: window,
		from: map[kryptos.QuotaClass]time.Time{}, sends: map[kryptos.QuotaClass][]time.Time{}, paused: map[kryptos.QuotaClass]time.Time{},
	}
}

// begin starts an outage: every class waits out one window.
func (f *fallback) begin(now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for class, w := range f.window {
		f.from[class] = now.Add(w)
	}
}

// reserve takes a slot of class at now, or answers how long until one may
// free up.
func (f *fallback) reserve(class kryptos.QuotaClass, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	wait := max(f.paused[class].Sub(now), f.from[class].Sub(now), 0)
	share, limited := f.share[class]
	if wait > 0 || !limited {
		return wait
	}
	sends := f.sends[class]
	for len(sends) > 0 && !sends[0].After(now.Add(-f.window[class])) {
		sends = sends[1:]
	}
	if len(sends) >= share {
		f.sends[class] = sends
		return sends[len(sends)-share].Add(f.window[class]).Sub(now)
	}
	f.sends[class] = append(sends, now)
	return 0
}

// backoff holds class until now+wait.
func (f *fallback) backoff(class kryptos.QuotaClass, until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if until.After(f.paused[class]) {
		f.paused[class] = until
	}
}

// wait blocks until a slot of class is reserved, as kryptos.Limiter's Wait,
// and returns when it was reserved, for release.
func (f *fallback) wait(ctx context.Context, class kryptos.QuotaClass, maxWait time.Duration) (time.Time, error) {
	start := time.Now()
	for {
		now := time.Now()
		w := f.reserve(class, now)
		if w <= 0 {
			return now, nil
		}
		if maxWait >= 0 && time.Since(start)+w > maxWait {
			return time.Time{}, &kryptos.QuotaWaitError{Class: class, Wait: w}
		}
		if d, ok := ctx.Deadline(); ok && time.Now().Add(w).After(d) {
			return time.Time{}, &kryptos.QuotaWaitError{Class: class, Wait: w}
		}
		t := time.NewTimer(w)
		select {
		case <-ctx.Done():
			t.Stop()
			return time.Time{}, ctx.Err()
		case <-t.C:
		}
	}
}

// release gives back the slot of class reserved at, for a Wait that failed
// after all.
func (f *fallback) release(class kryptos.QuotaClass, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sends := f.sends[class]
	for i, t := range sends {
		if t.Equal(at) {
			f.sends[class] = append(sends[:i:i], sends[i+1:]...)
			return
		}
	}
}
