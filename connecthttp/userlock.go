package connecthttp

import "sync"

// userLocks serialises, within one process, what changes a user's stored
// connection (an exchange's store and revoke, a disconnect), so that two of
// them never both read the old connection and then each write their own,
// leaving a grant behind. Replicas sharing a store can still interleave:
// TokenStore has no compare-and-swap.
type userLocks struct {
	mu    sync.Mutex
	locks map[string]*userLock
}

type userLock struct {
	mu sync.Mutex
	// holders counts the callers holding or waiting for mu.
	holders int
}

// lock takes user's lock, and returns what releases it.
func (l *userLocks) lock(user string) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*userLock{}
	}
	u := l.locks[user]
	if u == nil {
		u = &userLock{}
		l.locks[user] = u
	}
	u.holders++
	l.mu.Unlock()
	u.mu.Lock()
	return func() {
		u.mu.Unlock()
		l.mu.Lock()
		defer l.mu.Unlock()
		if u.holders--; u.holders == 0 {
			delete(l.locks, user)
		}
	}
}
