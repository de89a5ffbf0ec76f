package kryptosredis

import "time"

// WithHold sets how long l's key lives between renewals, for tests.
func (l *RefreshLock) WithHold(d time.Duration) *RefreshLock {
	l.hold = d
	return l
}
