package webhook

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/clock"
)

var (
	ctx   = context.Background()
	epoch = time.Date(2026, 2, 19, 12, 0, 0, 0, time.UTC)
)

func newFakeDedup(t *testing.T, ttl time.Duration) (*MemoryDeduplicator, *clock.Fake) {
	t.Helper()
	fake := clock.NewFake(epoch)
	d, err := newMemoryDeduplicator(ttl, fake)
	require.NoError(t, err)
	return d, fake
}

func TestMemoryDeduplicatorStates(t *testing.T) {
	t.Parallel()
	d, fake := newFakeDedup(t, time.Hour)
	begin := func(token string) State {
		t.Helper()
		st, err := d.Begin(ctx, "whd_1", token, 10*time.Second)
		require.NoError(t, err)
		return st
	}
	assert.Equal(t, StateClaimed, begin("a"))
	assert.Equal(t, StateInFlight, begin("b"), "claimed by a")
	fake.Advance(9 * time.Second)
	assert.Equal(t, StateClaimed, begin("a"), "a Begin sent again by its token keeps the claim its own")
	fake.Advance(9 * time.Second)
	assert.Equal(t, StateInFlight, begin("b"), "and renewed the lease")

	// Release by another token does nothing; by the holder, it frees the id.
	require.NoError(t, d.Release(ctx, "whd_1", "b"))
	assert.Equal(t, StateInFlight, begin("c"))
	require.NoError(t, d.Release(ctx, "whd_1", "a"))
	assert.Equal(t, StateClaimed, begin("c"))

	// Done is remembered for the TTL, then forgotten.
	require.NoError(t, d.Done(ctx, "whd_1", "c"))
	assert.Equal(t, StateDone, begin("d"))
	require.NoError(t, d.Release(ctx, "whd_1", "c"), "a release after done changes nothing")
	assert.Equal(t, StateDone, begin("d"))
	fake.Advance(time.Hour - time.Nanosecond)
	assert.Equal(t, StateDone, begin("d"))
	fake.Advance(time.Nanosecond)
	assert.Equal(t, StateClaimed, begin("d"), "forgotten after the TTL")
}

func TestMemoryDeduplicatorLeases(t *testing.T) {
	t.Parallel()
	d, fake := newFakeDedup(t, time.Hour)
	st, err := d.Begin(ctx, "whd_1", "crashed", 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, StateClaimed, st)

	fake.Advance(4 * time.Second)
	st, _ = d.Begin(ctx, "whd_1", "retry", 5*time.Second)
	assert.Equal(t, StateInFlight, st)
	fake.Advance(time.Second)
	st, _ = d.Begin(ctx, "whd_1", "retry", 5*time.Second)
	assert.Equal(t, StateClaimed, st, "the claim of a replica that crashed expires with its lease")

	// The late holder can neither extend nor release the new claim.
	require.ErrorIs(t, d.Extend(ctx, "whd_1", "crashed", 5*time.Second), ErrLeaseLost)
	require.NoError(t, d.Release(ctx, "whd_1", "crashed"))
	st, _ = d.Begin(ctx, "whd_1", "third", 5*time.Second)
	assert.Equal(t, StateInFlight, st, "the late release did not free the retry's claim")

	// Extending keeps a claim alive past its first lease.
	for range 5 {
		fake.Advance(4 * time.Second)
		require.NoError(t, d.Extend(ctx, "whd_1", "retry", 5*time.Second))
	}
	st, _ = d.Begin(ctx, "whd_1", "third", 5*time.Second)
	assert.Equal(t, StateInFlight, st)

	// A late Done still records the id: the work was done.
	fake.Advance(6 * time.Second)
	require.ErrorIs(t, d.Extend(ctx, "whd_1", "retry", 5*time.Second), ErrLeaseLost)
	require.ErrorIs(t, d.Done(ctx, "whd_1", "retry"), ErrLeaseLost)
	st, _ = d.Begin(ctx, "whd_1", "fourth", 5*time.Second)
	assert.Equal(t, StateDone, st)
}

func TestMemoryDeduplicatorRefusesBadArguments(t *testing.T) {
	t.Parallel()
	_, err := NewMemoryDeduplicator(0)
	require.ErrorIs(t, err, kryptos.ErrInvalidParams)
	_, err = NewMemoryDeduplicator(-time.Hour)
	require.ErrorIs(t, err, kryptos.ErrInvalidParams)
	d, err := NewMemoryDeduplicator(time.Hour)
	require.NoError(t, err)
	_, err = d.Begin(ctx, "", "t", time.Second)
	require.ErrorIs(t, err, kryptos.ErrInvalidParams)
	_, err = d.Begin(ctx, "whd_1", "", time.Second)
	require.ErrorIs(t, err, kryptos.ErrInvalidParams)
	_, err = d.Begin(ctx, "whd_1", "t", 0)
	require.ErrorIs(t, err, kryptos.ErrInvalidParams)
	require.ErrorIs(t, d.Extend(ctx, "whd_1", "t", -1), kryptos.ErrInvalidParams)
	require.ErrorIs(t, d.Done(ctx, "whd_1", ""), kryptos.ErrInvalidParams)
	require.ErrorIs(t, d.Release(ctx, "whd_1", ""), kryptos.ErrInvalidParams, "an empty token must not release a done id")
}

func TestMemoryDeduplicatorSweepsExpiredIDs(t *testing.T) {
	t.Parallel()
	d, fake := newFakeDedup(t, time.Minute)
	for i := range 1000 {
		id := fmt.Sprintf("whd_%d", i)
		_, err := d.Begin(ctx, id, "t", time.Second)
		require.NoError(t, err)
		switch i % 3 {
		case 0:
			require.NoError(t, d.Done(ctx, id, "t")) // remembered for the TTL
		case 1:
			require.NoError(t, d.Extend(ctx, id, "t", 30*time.Second)) // claimed longer
		}
	}
	fake.Advance(2 * time.Second)
	_, err := d.Begin(ctx, "whd_next", "t", time.Second)
	require.NoError(t, err)
	d.mu.Lock()
	assert.Len(t, d.ids, 1+334+333, "the expired claims are swept; the done and extended ones stay")
	d.mu.Unlock()
	state, err := d.Begin(ctx, "whd_0", "u", time.Second)
	require.NoError(t, err)
	assert.Equal(t, StateDone, state, "a done id is still remembered")
	state, err = d.Begin(ctx, "whd_1", "u", time.Second)
	require.NoError(t, err)
	assert.Equal(t, StateInFlight, state, "an extended claim still holds")

	fake.Advance(time.Hour)
	_, err = d.Begin(ctx, "whd_last", "t", time.Second)
	require.NoError(t, err)
	d.mu.Lock()
	defer d.mu.Unlock()
	assert.Len(t, d.ids, 1, "every expired claim and forgotten id is swept")
	assert.Len(t, d.expiries, 1, "and its expiries with them")
}

func TestMemoryDeduplicatorGivesOneClaimUnderContention(t *testing.T) {
	t.Parallel()
	d, err := NewMemoryDeduplicator(time.Hour)
	require.NoError(t, err)
	var claimed atomic.Int32
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := d.Begin(ctx, "whd_1", fmt.Sprint("t", i), time.Minute)
			assert.NoError(t, err)
			if st == StateClaimed {
				claimed.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), claimed.Load())
}

func TestStateNames(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "claimed", StateClaimed.String())
	assert.Equal(t, "in flight", StateInFlight.String())
	assert.Equal(t, "done", StateDone.String())
	assert.Equal(t, "State(0)", State(0).String())
}
