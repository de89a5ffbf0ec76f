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

	"github.com/kryptos-connect/kryptos-go/internal/clock"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const unbounded = -1

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

// waitAsync runs w.Wait in a goroutine and returns the channel its result
// arrives on.
func waitAsync(ctx context.Context, w *Window) <-chan error {
	done := make(chan error, 1)
	go func() { done <- w.Wait(ctx, unbounded) }()
	return done
}

func requireStillWaiting(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("admitted too early (err %v)", err)
	case <-time.After(20 * time.Millisecond):
	}
}

func TestWindowLetsABurstThroughAtOnce(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	w := NewWindow(10, time.Minute, c)
	for i := range 10 {
		require.NoError(t, w.Wait(context.Background(), unbounded), "request %d of the burst", i)
	}
	assert.Equal(t, 0, c.Timers(), "a burst of the limit must not wait")
}

func TestWindowMakesTheNextRequestWaitForTheOldestToLeave(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	w := NewWindow(2, time.Minute, c)
	require.NoError(t, w.Wait(context.Background(), unbounded))
	c.Advance(20 * time.Second)
	require.NoError(t, w.Wait(context.Background(), unbounded))

	done := waitAsync(context.Background(), w)
	require.True(t, c.WaitForTimers(1, time.Second))
	c.Advance(39 * time.Second) // 59 s after the first request: still inside its window
	requireStillWaiting(t, done)
	c.Advance(time.Second) // exactly one period after the first request
	require.NoError(t, <-done)
}

// TestWindowNeverExceedsTheLimitUnderConcurrentDemand drives many goroutines
// through a small quota on a fake clock and checks every window of the
// resulting admission times, the guarantee the server enforces.
func TestWindowNeverExceedsTheLimitUnderConcurrentDemand(t *testing.T) {
	t.Parallel()
	const limit, callers, perCaller = 5, 8, 6
	period := time.Minute
	c := clock.NewFake(epoch)
	w := NewWindow(limit, period, c)

	var mu sync.Mutex
	var admitted []time.Time
	var wg sync.WaitGroup
	var active atomic.Int32
	active.Store(callers)
	for range callers {
		wg.Go(func() {
			defer active.Add(-1)
			for range perCaller {
				if err := w.Wait(context.Background(), unbounded); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				admitted = append(admitted, c.Now())
				mu.Unlock()
			}
		})
	}
	queued := func() int32 {
		w.mu.Lock()
		defer w.mu.Unlock()
		return int32(len(w.queue))
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
			// Move time only while every live caller is queued and the head
			// sleeps on its timer, so each caller records the time it was
			// admitted.
			if n := active.Load(); n > 0 && queued() == n && c.Timers() == 1 {
				c.Advance(time.Second)
			} else {
				time.Sleep(50 * time.Microsecond)
			}
		}
	}
}

func TestWindowHandsTheSlotOfAWaiterThatGivesUpToTheNextAtOnce(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	w := NewWindow(1, time.Minute, c)
	require.NoError(t, w.Wait(context.Background(), unbounded))

	ctx, cancel := context.WithCancel(context.Background())
	first := waitAsync(ctx, w)
	require.True(t, c.WaitForTimers(1, time.Second))
	second := waitAsync(context.Background(), w)
	requireStillWaiting(t, second)

	cancel()
	require.ErrorIs(t, <-first, context.Canceled)
	// The second waiter is now the head and owns the slot at +1 min, not
	// the one at +2 min behind a slot nobody will use.
	require.True(t, c.WaitForTimers(1, time.Second))
	c.Advance(time.Minute)
	require.NoError(t, <-second)
}

func TestWindowServesWaitersInArrivalOrder(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	w := NewWindow(1, time.Second, c)
	require.NoError(t, w.Wait(context.Background(), unbounded))
	var order []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 5 {
		done := waitAsync(context.Background(), w)
		wg.Go(func() {
			require.NoError(t, <-done)
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		})
		// Let the waiter queue before the next one arrives.
		require.Eventually(t, func() bool { w.mu.Lock(); defer w.mu.Unlock(); return len(w.queue) == i+1 },
			time.Second, 100*time.Microsecond)
	}
	for range 5 {
		require.True(t, c.WaitForTimers(1, time.Second))
		c.Advance(time.Second)
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	assert.Equal(t, []int{0, 1, 2, 3, 4}, order)
}

func TestWindowFailsAtOnceWhenTheWaitWouldOutlastTheBound(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	w := NewWindow(1, time.Minute, c)
	require.NoError(t, w.Wait(context.Background(), 0), "no wait is needed: a bound of zero admits")

	err := w.Wait(context.Background(), 30*time.Second)
	var tooLong *TooLong
	require.ErrorAs(t, err, &tooLong)
	assert.Equal(t, time.Minute, tooLong.Wait)
	assert.Equal(t, 0, c.Timers(), "it did not sleep")

	ctx, cancel := context.WithTimeout(context.Background(), 59*time.Second)
	defer cancel()
	require.ErrorAs(t, w.Wait(ctx, unbounded), &tooLong, "the slot is past ctx's deadline")

	// Neither refused caller took the slot.
	c.Advance(time.Minute)
	require.NoError(t, w.Wait(context.Background(), 0))
}

func TestWindowReturnsAtOnceForAnEndedContext(t *testing.T) {
	t.Parallel()
	w := NewWindow(1, time.Minute, clock.NewFake(epoch))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, w.Wait(ctx, unbounded), context.Canceled)
	require.NoError(t, w.Wait(context.Background(), 0), "the failed call must not have used the slot")
}

func TestWindowSlotsOfALongQueue(t *testing.T) {
	t.Parallel()
	c := clock.NewFake(epoch)
	w := NewWindow(3, time.Minute, c)
	for i := range 3 {
		require.NoError(t, w.Wait(context.Background(), unbounded))
		if i < 2 {
			c.Advance(10 * time.Second)
		}
	}
	now := c.Now() // epoch+20s; admissions at 0, 10 s, 20 s
	want := []time.Duration{60, 70, 80, 120, 130, 140, 180}
	for k, s := range want {
		assert.Equal(t, epoch.Add(s*time.Second), w.slot(k, now), "position %d", k)
	}
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

	c := clock.NewFake(epoch)
	w := NewWindow(limit, period, c)
	admitted = admitted[:0]
	for c.Now().Before(epoch.Add(period)) {
		if w.Wait(context.Background(), 0) == nil {
			admitted = append(admitted, c.Now())
			continue
		}
		c.Advance(time.Second)
	}
	assert.Equal(t, limit, maxInAnyWindow(admitted, period))
}

func TestNewWindowRejectsNonPositiveArguments(t *testing.T) {
	t.Parallel()
	assert.Panics(t, func() { NewWindow(0, time.Minute, clock.Real()) })
	assert.Panics(t, func() { NewWindow(1, 0, clock.Real()) })
}

func TestQuotaMargin(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 600*time.Millisecond, QuotaMargin(time.Minute))
	assert.Equal(t, 36*time.Second, QuotaMargin(time.Hour))
	assert.Equal(t, 50*time.Millisecond, QuotaMargin(time.Second), "at least 50 ms, for network jitter")
	w := QuotaWindow(3, time.Minute, clock.Real())
	assert.Equal(t, time.Minute+600*time.Millisecond, w.period)
}
