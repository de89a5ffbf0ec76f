package throttle

import (
	"context"
	"time"
)

// Clock is the time source of a Window. Production code uses [RealClock]; tests
// use a fake that moves only when told to, so quotas are tested without waiting.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep blocks until d has passed or ctx ends, returning ctx.Err() in the
	// second case.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits on a timer that is stopped as soon as ctx ends.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
