package clock

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestSleepEndsWithTheContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.ErrorIs(t, Sleep(ctx, Real(), time.Hour), context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second)
	require.NoError(t, Sleep(context.Background(), Real(), time.Millisecond))
	require.NoError(t, Sleep(context.Background(), Real(), 0))
}

func TestFakeTimersFireWhenTimePassesThem(t *testing.T) {
	t.Parallel()
	f := NewFake(epoch)
	early, late := f.NewTimer(time.Second), f.NewTimer(time.Minute)
	assert.Equal(t, 2, f.Timers())

	f.Advance(999 * time.Millisecond)
	select {
	case <-early.C():
		t.Fatal("fired before its time")
	default:
	}
	f.Advance(time.Millisecond)
	assert.Equal(t, epoch.Add(time.Second), <-early.C())
	assert.Equal(t, 1, f.Timers())

	assert.True(t, late.Stop(), "a pending timer stops")
	assert.False(t, late.Stop(), "a stopped timer reports it")
	f.Advance(time.Hour)
	select {
	case <-late.C():
		t.Fatal("a stopped timer fired")
	default:
	}
}

func TestFakeZeroTimerFiresAtOnce(t *testing.T) {
	t.Parallel()
	f := NewFake(epoch)
	assert.Equal(t, epoch, <-f.NewTimer(0).C())
	assert.Equal(t, 0, f.Timers())
}

func TestFakeSleepWakesOnAdvance(t *testing.T) {
	t.Parallel()
	f := NewFake(epoch)
	done := make(chan error, 1)
	go func() { done <- Sleep(context.Background(), f, time.Minute) }()
	require.True(t, f.WaitForTimers(1, time.Second))
	f.Advance(time.Minute)
	require.NoError(t, <-done)
	assert.False(t, f.WaitForTimers(1, 10*time.Millisecond), "no timer is left")
}

func TestFakeSetRefusesToGoBack(t *testing.T) {
	t.Parallel()
	f := NewFake(epoch)
	f.Set(epoch.Add(time.Hour))
	assert.Equal(t, epoch.Add(time.Hour), f.Now())
	assert.Panics(t, func() { f.Set(epoch) })
}
