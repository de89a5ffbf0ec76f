package kryptostest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestFakeClockAdvancesAddUp: FakeClock "is safe for concurrent
// use", and parallel tests sharing one sandbox each move its clock
// (Advance). Advance read the time, released the lock, then Set it: two
// concurrent Advances lost one of them, or (the later one landing first)
// panicked with "cannot move time backwards".
func TestFakeClockAdvancesAddUp(t *testing.T) {
	t.Parallel()
	c := NewFakeClock(epoch)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5000 {
				c.Advance(time.Second)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, epoch.Add(8*5000*time.Second), c.Now())
}
