package kryptostest

import (
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/clock"
)

// Clock is the sandbox's time source. Expiry, job progress and rate limits
// all read it, so a FakeClock tests them without sleeping.
type Clock = clock.Clock

// FakeClock is a Clock that moves only when told to: Advance(d) or Set(t).
// It is safe for concurrent use.
type FakeClock = clock.Fake

// NewFakeClock returns a FakeClock that reads start.
func NewFakeClock(start time.Time) *FakeClock { return clock.NewFake(start) }
