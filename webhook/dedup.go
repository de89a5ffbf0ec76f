package webhook

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/clock"
)

// State is where a delivery id stands in a Deduplicator.
type State int

// The states of a delivery id.
const (
	// StateClaimed: the id was free (never seen, released, or its last
	// claim expired), and the caller's token now holds it for the lease.
	StateClaimed State = iota + 1
	// StateInFlight: another token holds an unexpired claim on the id;
	// its handling is under way.
	StateInFlight
	// StateDone: the id was handled successfully; a retry only needs an
	// acknowledgement.
	StateDone
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case StateClaimed:
		return "claimed"
	case StateInFlight:
		return "in flight"
	case StateDone:
		return "done"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Deduplicator remembers which delivery ids are being handled and which
// were handled, so that each id is handled by one call at a time and
// succeeds once, across every replica that shares it.
//
// Each id is free, claimed (by one token, until its lease expires) or done
// (until the store forgets it, after a time of its choosing, a day or more:
// Kryptos retries within minutes). A claim expires so that a replica that
// crashed while handling an id does not hold it forever: a later retry
// claims it again. The Handler extends its claim while its function runs.
//
// Implementations must be safe for concurrent use, and each method must be
// atomic: over a shared store (Redis, SQL), Begin is one script or
// transaction that answers done, or in flight when another token holds the
// id, and otherwise sets id to token with the lease (not a bare SET NX,
// which would answer a resent Begin's own claim as in flight); Extend and
// Release act only if the stored token is the caller's (a compare-and-set
// script or transaction). The token is a random string the caller makes for
// each claim: it keeps a late caller, whose lease expired and whose id was
// claimed by another since, from releasing or extending the other's claim.
type Deduplicator interface {
	// Begin claims id for token until lease has passed, unless it is done
	// (StateDone) or claimed by another token whose lease has not expired
	// (StateInFlight). It returns StateClaimed when the claim is the
	// caller's, also when token already holds it: a Begin sent again by a
	// store's client after a lost reply must not turn the caller's own
	// claim into StateInFlight. That repeat renews the lease.
	Begin(ctx context.Context, id, token string, lease time.Duration) (State, error)
	// Extend moves the expiry of token's claim on id to lease from now. It
	// returns ErrLeaseLost when token no longer holds id.
	Extend(ctx context.Context, id, token string, lease time.Duration) error
	// Done records id as handled, even when token's claim has expired: the
	// work was done, and later retries must be acknowledged, not handled.
	// It may then return ErrLeaseLost, after recording, as another call may
	// have handled the id too.
	Done(ctx context.Context, id, token string) error
	// Release frees token's claim on id, after a failure, so that a retry
	// handles it. It does nothing when token no longer holds id.
	Release(ctx context.Context, id, token string) error
}

// DefaultDedupTTL is how long the Handler's default MemoryDeduplicator
// remembers a handled id.
const DefaultDedupTTL = 24 * time.Hour

// MemoryDeduplicator is a Deduplicator in the memory of one process, for a
// receiver that runs as one replica. Replicas behind a load balancer each
// see some of the retries: give them one Deduplicator over a shared store
// instead.
type MemoryDeduplicator struct {
	ttl   time.Duration
	clock clock.Clock

	mu  sync.Mutex
	ids map[string]memoryEntry
	// expiries holds each until set in ids, soonest first, so that the
	// expired ids are found without reading them all. An entry whose id
	// has since been given another until is stale and skipped.
	expiries expiryHeap
}

// memoryEntry is a claimed or done id.
type memoryEntry struct {
	token string // "" once done
	// until is when a claim expires, or when a done id is forgotten.
	until time.Time
}

// expiry is when the entry of id set at that time ends.
type expiry struct {
	until time.Time
	id    string
}

// expiryHeap is a min-heap of expiries (container/heap).
type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].until.Before(h[j].until) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// set records e for id. The caller holds m.mu.
func (m *MemoryDeduplicator) set(id string, e memoryEntry) {
	m.ids[id] = e
	heap.Push(&m.expiries, expiry{e.until, id})
}

// sweep forgets the ids whose entries ended by now: the cost of a call is
// that of what expired since the last one, whatever the number of ids held.
// The caller holds m.mu.
func (m *MemoryDeduplicator) sweep(now time.Time) {
	for len(m.expiries) > 0 && !now.Before(m.expiries[0].until) {
		x := heap.Pop(&m.expiries).(expiry)
		if e, ok := m.ids[x.id]; ok && e.until.Equal(x.until) {
			delete(m.ids, x.id)
		}
	}
}

// NewMemoryDeduplicator returns a MemoryDeduplicator that remembers a
// handled id for ttl. It fails with a *kryptos.ParamError when ttl is not
// positive.
func NewMemoryDeduplicator(ttl time.Duration) (*MemoryDeduplicator, error) {
	return newMemoryDeduplicator(ttl, clock.Real())
}

func newMemoryDeduplicator(ttl time.Duration, c clock.Clock) (*MemoryDeduplicator, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("webhook: NewMemoryDeduplicator: %w",
			&kryptos.ParamError{Field: "ttl", Problem: "must be positive; Kryptos retries within minutes, a day is ample"})
	}
	return &MemoryDeduplicator{ttl: ttl, clock: c, ids: map[string]memoryEntry{}}, nil
}

// TTL is how long m remembers a handled id.
func (m *MemoryDeduplicator) TTL() time.Duration { return m.ttl }

// checkClaim refuses what would make claims meaningless.
func checkClaim(id, token string, lease time.Duration) error {
	switch {
	case id == "":
		return &kryptos.ParamError{Field: "id", Problem: "must not be empty"}
	case token == "":
		return &kryptos.ParamError{Field: "token", Problem: "must not be empty"}
	case lease <= 0:
		return &kryptos.ParamError{Field: "lease", Problem: "must be positive"}
	}
	return nil
}

// Begin claims id for token, as Deduplicator describes.
func (m *MemoryDeduplicator) Begin(_ context.Context, id, token string, lease time.Duration) (State, error) {
	if err := checkClaim(id, token, lease); err != nil {
		return 0, fmt.Errorf("webhook: Begin: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock.Now()
	m.sweep(now)
	if e, ok := m.ids[id]; ok && now.Before(e.until) {
		if e.token == "" {
			return StateDone, nil
		}
		if e.token != token {
			return StateInFlight, nil
		}
	}
	m.set(id, memoryEntry{token: token, until: now.Add(lease)})
	return StateClaimed, nil
}

// Extend moves token's claim on id to expire lease from now.
func (m *MemoryDeduplicator) Extend(_ context.Context, id, token string, lease time.Duration) error {
	if err := checkClaim(id, token, lease); err != nil {
		return fmt.Errorf("webhook: Extend: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock.Now()
	e, ok := m.ids[id]
	if !ok || e.token != token || !now.Before(e.until) {
		return ErrLeaseLost
	}
	m.set(id, memoryEntry{token: token, until: now.Add(lease)})
	return nil
}

// Done records id as handled for the deduplicator's TTL.
func (m *MemoryDeduplicator) Done(_ context.Context, id, token string) error {
	if err := checkClaim(id, token, 1); err != nil {
		return fmt.Errorf("webhook: Done: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock.Now()
	e, ok := m.ids[id]
	held := ok && e.token == token && now.Before(e.until)
	m.set(id, memoryEntry{until: now.Add(m.ttl)})
	if !held {
		return ErrLeaseLost
	}
	return nil
}

// Release frees token's claim on id, if token still holds it.
func (m *MemoryDeduplicator) Release(_ context.Context, id, token string) error {
	if err := checkClaim(id, token, 1); err != nil {
		return fmt.Errorf("webhook: Release: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.ids[id]; ok && e.token == token {
		delete(m.ids, id)
	}
	return nil
}
