package throttle

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// maxInAnyWindow returns the largest number of times that fall in one
// half-open window [t, t+period), over every window that starts at one of them.
func maxInAnyWindow(times []time.Time, period time.Duration) int {
	sorted := append([]time.Time(nil), times...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Before(sorted[j]) })
	most, j := 0, 0
	for i := range sorted {
		for j < len(sorted) && sorted[j].Before(sorted[i].Add(period)) {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

func TestWindowLetsABurstThroughAtOnce(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	w := NewWindow(10, time.Minute, clock)
	for i := range 10 {
		require.NoError(t, w.Wait(context.Background()), "request %d of the burst", i)
	}
	assert.Equal(t, 0, clock.Sleepers(), "a burst of the limit must not wait")
}

func TestWindowMakesTheNextRequestWaitForTheOldestToLeave(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	w := NewWindow(2, time.Minute, clock)
	require.NoError(t, w.Wait(context.Background()))
	clock.Advance(20 * time.Second)
	require.NoError(t, w.Wait(context.Background()))

	done := make(chan error, 1)
	go func() { done <- w.Wait(context.Background()) }()
	require.True(t, clock.WaitForSleepers(1, time.Second))

	clock.Advance(39 * time.Second) // 59 s after the first request: still inside its window
	select {
	case <-done:
		t.Fatal("admitted a third request inside the first request's window")
	case <-time.After(20 * time.Millisecond):
	}
	clock.Advance(time.Second) // exactly one period after the first request
	require.NoError(t, <-done)
}

// TestWindowNeverExceedsTheLimitUnderConcurrentDemand drives many goroutines
// through a small quota on a fake clock and checks every window of the
// resulting admission times, the guarantee the server enforces.
func TestWindowNeverExceedsTheLimitUnderConcurrentDemand(t *testing.T) {
	t.Parallel()
	const limit, callers, perCaller = 5, 8, 6
	period := time.Minute
	clock := NewFakeClock(epoch)
	w := NewWindow(limit, period, clock)

	var mu sync.Mutex
	var admitted []time.Time
	var wg sync.WaitGroup
	var active atomic.Int32
	active.Store(callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer active.Add(-1)
			for range perCaller {
				if err := w.Wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				admitted = append(admitted, clock.Now())
				mu.Unlock()
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	for {
		select {
		case <-finished:
			require.Len(t, admitted, callers*perCaller)
			assert.LessOrEqual(t, maxInAnyWindow(admitted, period), limit)
			// The quota is used to the full: 48 requests at 5 a minute need
			// 9 windows after the first burst, and no more.
			last := admitted[0]
			for _, at := range admitted {
				if at.After(last) {
					last = at
				}
			}
			assert.Equal(t, epoch.Add(9*period), last)
			return
		default:
			// Move time only while every live caller sleeps, so each one
			// records the time at which it was admitted.
			if n := int(active.Load()); n > 0 && clock.Sleepers() == n {
				clock.Advance(time.Second)
			} else {
				time.Sleep(50 * time.Microsecond)
			}
		}
	}
}

func TestWindowGivesBackTheSlotOfACancelledWaiter(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	w := NewWindow(1, time.Minute, clock)
	require.NoError(t, w.Wait(context.Background()))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Wait(ctx) }()
	require.True(t, clock.WaitForSleepers(1, time.Second))
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	// The cancelled reservation at +1 min is gone: the next caller gets it,
	// instead of queueing behind a slot nobody will use.
	clock.Advance(time.Minute)
	require.NoError(t, w.Wait(context.Background()))
	assert.Equal(t, 0, clock.Sleepers())
}

func TestWindowReturnsAtOnceForAnEndedContext(t *testing.T) {
	t.Parallel()
	w := NewWindow(1, time.Minute, NewFakeClock(epoch))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, w.Wait(ctx), context.Canceled)
	require.NoError(t, w.Wait(context.Background()), "the failed call must not have used the slot")
}

// TestTokenBucketWouldExceedTheQuota records why Window is not a token bucket:
// x/time/rate with rate N/W and burst N admits 2N-1 requests within one
// window of length W, which the API answers with 429.
func TestTokenBucketWouldExceedTheQuota(t *testing.T) {
	t.Parallel()
	const limit = 10
	period := time.Minute
	bucket := rate.NewLimiter(rate.Every(period/limit), limit)
	var admitted []time.Time
	for at := epoch; at.Before(epoch.Add(period)); at = at.Add(time.Second) {
		for bucket.AllowN(at, 1) {
			admitted = append(admitted, at)
		}
	}
	assert.Greater(t, maxInAnyWindow(admitted, period), limit)

	clock := NewFakeClock(epoch)
	w := NewWindow(limit, period, clock)
	admitted = admitted[:0]
	for clock.Now().Before(epoch.Add(period)) {
		if at, now := w.reserve(); !at.After(now) {
			admitted = append(admitted, now)
			continue
		} else {
			w.release(at)
		}
		clock.Advance(time.Second)
	}
	assert.Equal(t, limit, maxInAnyWindow(admitted, period))
}

func TestNewWindowRejectsNonPositiveArguments(t *testing.T) {
	t.Parallel()
	assert.Panics(t, func() { NewWindow(0, time.Minute, RealClock{}) })
	assert.Panics(t, func() { NewWindow(1, 0, RealClock{}) })
}

func TestRealClockSleepEndsWithTheContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.ErrorIs(t, RealClock{}.Sleep(ctx, time.Hour), context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second)
	require.NoError(t, RealClock{}.Sleep(context.Background(), time.Millisecond))
}

func TestAllowRejectsInsteadOfWaiting(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	w := NewWindow(2, time.Minute, clock)
	ok, _ := w.Allow()
	require.True(t, ok)
	clock.Advance(10 * time.Second)
	ok, _ = w.Allow()
	require.True(t, ok)
	ok, wait := w.Allow()
	require.False(t, ok)
	assert.Equal(t, 50*time.Second, wait, "until the first request leaves the window")
	clock.Advance(wait)
	ok, _ = w.Allow()
	assert.True(t, ok)
	ok, _ = w.Allow()
	assert.False(t, ok, "a rejected request is not counted, the admitted ones are")
}

func TestQuotaMargin(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 600*time.Millisecond, QuotaMargin(time.Minute))
	assert.Equal(t, 36*time.Second, QuotaMargin(time.Hour))
	assert.Equal(t, 50*time.Millisecond, QuotaMargin(time.Second), "at least 50 ms, for network jitter")
	w := QuotaWindow(3, time.Minute, RealClock{})
	assert.Equal(t, time.Minute+600*time.Millisecond, w.period)
}
