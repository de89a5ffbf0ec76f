package kryptosredis

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/webhook"
)

// Deduplicator is a webhook.Deduplicator over Redis: every replica that
// receives Kryptos's webhooks sees the same claims and the same handled
// delivery ids, so that each event is handled once even when its retries
// land on different replicas.
//
// A delivery id is one key that holds "claim:" and the claimer's random
// token while a handler runs (with the lease as its expiry), then "done"
// for the Deduplicator's TTL. Each method is one Lua script, so a claim and
// its check cannot interleave with another replica's.
type Deduplicator struct {
	store *Store
	ttl   time.Duration
}

// Deduplicator returns the Store's webhook.Deduplicator, which remembers a
// handled delivery id for ttl (a day is ample: Kryptos retries within
// minutes).
func (s *Store) Deduplicator(ttl time.Duration) (*Deduplicator, error) {
	if ttl < time.Millisecond {
		return nil, fmt.Errorf("kryptosredis: Deduplicator: %w",
			&kryptos.ParamError{Field: "ttl", Problem: "must be at least a millisecond, Redis's unit; Kryptos retries within minutes, a day is ample"})
	}
	return &Deduplicator{store: s, ttl: ttl}, nil
}

var _ webhook.Deduplicator = (*Deduplicator)(nil)

// begin claims an id. ARGV: the claim value, the lease in ms. It answers
// {1} claimed (also when the claim is already this value: a resent Begin),
// {2} in flight, {3} done.
var begin = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == 'done' then return {3} end
if v and v ~= ARGV[1] then return {2} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1}
`)

// extend moves a claim's expiry, if the claim is the caller's. ARGV: the
// claim value, the lease in ms. It answers {1}, or {0} when lost.
var extend = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1}
`)

// done records an id as handled. ARGV: the claim value, the TTL in ms. It
// answers {1}, or {0} when the claim was no longer the caller's.
var done = redis.NewScript(`
local held = redis.call('GET', KEYS[1]) == ARGV[1]
redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
if held then return {1} end
return {0}
`)

// release frees a claim, if it is the caller's. ARGV: the claim value.
var release = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return {1}
`)

// TTL is how long d remembers a handled id; webhook.NewHandler checks
// WithMaxAge against it.
func (d *Deduplicator) TTL() time.Duration { return d.ttl }

// Begin claims id for token, as webhook.Deduplicator describes.
func (d *Deduplicator) Begin(ctx context.Context, id, token string, lease time.Duration) (webhook.State, error) {
	if err := checkClaim(id, token, lease); err != nil {
		return 0, fmt.Errorf("kryptosredis: Begin: %w", err)
	}
	v, err := d.store.run(ctx, begin, []string{d.key(id)}, "claim:"+token, lease.Milliseconds())
	if err != nil {
		return 0, fmt.Errorf("kryptosredis: claiming webhook delivery %s: %w", id, err)
	}
	switch integer(v, 0) {
	case 1:
		return webhook.StateClaimed, nil
	case 2:
		return webhook.StateInFlight, nil
	case 3:
		return webhook.StateDone, nil
	}
	// Not the script's answer: acknowledging the delivery as done would
	// lose its event.
	return 0, fmt.Errorf("kryptosredis: claiming webhook delivery %s: unexpected answer %v", id, v)
}

// Extend moves token's claim on id to expire lease from now.
func (d *Deduplicator) Extend(ctx context.Context, id, token string, lease time.Duration) error {
	if err := checkClaim(id, token, lease); err != nil {
		return fmt.Errorf("kryptosredis: Extend: %w", err)
	}
	v, err := d.store.run(ctx, extend, []string{d.key(id)}, "claim:"+token, lease.Milliseconds())
	if err != nil {
		return fmt.Errorf("kryptosredis: extending the claim on webhook delivery %s: %w", id, err)
	}
	if integer(v, 0) != 1 {
		return webhook.ErrLeaseLost
	}
	return nil
}

// Done records id as handled for the Deduplicator's TTL.
func (d *Deduplicator) Done(ctx context.Context, id, token string) error {
	if err := checkClaim(id, token, time.Millisecond); err != nil {
		return fmt.Errorf("kryptosredis: Done: %w", err)
	}
	v, err := d.store.run(ctx, done, []string{d.key(id)}, "claim:"+token, d.ttl.Milliseconds())
	if err != nil {
		return fmt.Errorf("kryptosredis: recording webhook delivery %s as handled: %w", id, err)
	}
	if integer(v, 0) != 1 {
		return webhook.ErrLeaseLost
	}
	return nil
}

// Release frees token's claim on id, if token still holds it.
func (d *Deduplicator) Release(ctx context.Context, id, token string) error {
	if err := checkClaim(id, token, time.Millisecond); err != nil {
		return fmt.Errorf("kryptosredis: Release: %w", err)
	}
	if _, err := d.store.run(ctx, release, []string{d.key(id)}, "claim:"+token); err != nil {
		return fmt.Errorf("kryptosredis: releasing webhook delivery %s: %w", id, err)
	}
	return nil
}

func (d *Deduplicator) key(id string) string { return d.store.key("webhook", id) }

// checkClaim refuses what would make claims meaningless. Leases are kept in
// whole milliseconds, as Redis keeps expiries.
func checkClaim(id, token string, lease time.Duration) error {
	switch {
	case id == "":
		return &kryptos.ParamError{Field: "id", Problem: "must not be empty"}
	case token == "":
		return &kryptos.ParamError{Field: "token", Problem: "must not be empty"}
	case lease < time.Millisecond:
		return &kryptos.ParamError{Field: "lease", Problem: "must be at least a millisecond"}
	}
	return nil
}
