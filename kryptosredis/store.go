package kryptosredis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kryptos-connect/kryptos-go"
)

// Options configures a Store.
type Options struct {
	// ClientID is the Kryptos client ID whose quotas and deliveries the
	// Store keeps. It is part of every key. Required.
	ClientID string
	// Prefix starts every key; "kryptos" when empty.
	Prefix string
	// Timeout bounds each call to Redis: a call that has not answered by
	// then counts as Redis being unavailable. 250 ms when zero.
	Timeout time.Duration
	// Logger receives a warning when Redis becomes unavailable and a note
	// when it is back. slog.Default() when nil.
	Logger *slog.Logger
}

// Store shares quotas, webhook deduplication and refresh locks of one
// client ID across replicas through Redis. It is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration
	logger  *slog.Logger

	mu    sync.Mutex
	epoch string // of the refresh locks' keys, as last seen in Redis
}

// ErrUnavailable matches an error caused by Redis being down, refusing a
// command, or answering slower than Options.Timeout. The error wraps the
// cause.
var ErrUnavailable = errors.New("kryptosredis: Redis is unavailable")

// New returns a Store over rdb. It checks the options only; it does not
// call Redis, so that a replica starts while Redis is down.
func New(rdb redis.UniversalClient, opts Options) (*Store, error) {
	switch {
	case rdb == nil:
		return nil, fmt.Errorf("kryptosredis: New: %w", &kryptos.ParamError{Field: "rdb", Problem: "must not be nil"})
	case opts.ClientID == "":
		return nil, fmt.Errorf("kryptosredis: New: %w", &kryptos.ParamError{Field: "ClientID", Problem: "must not be empty: keys are namespaced by it"})
	case opts.Timeout < 0:
		return nil, fmt.Errorf("kryptosredis: New: %w", &kryptos.ParamError{Field: "Timeout", Problem: "must not be negative"})
	}
	s := &Store{rdb: rdb, prefix: opts.Prefix, timeout: opts.Timeout, logger: opts.Logger}
	if s.prefix == "" {
		s.prefix = "kryptos"
	}
	if s.timeout == 0 {
		s.timeout = 250 * time.Millisecond
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	// The client ID goes in braces: a hash tag, so that in Redis Cluster
	// every key of one client ID lives on one shard.
	s.prefix += ":{" + opts.ClientID + "}:"
	return s, nil
}

// key returns the key of one use ("quota", "webhook", "refresh") and name.
func (s *Store) key(use, name string) string { return s.prefix + use + ":" + name }

// run runs one script within the Store's timeout. The command runs in its
// own goroutine so that the bound holds whatever the Redis client's read
// and write timeouts are: a late answer is dropped (and the go-redis
// timeouts end the goroutine). When ctx ends first, run returns ctx.Err().
func (s *Store) run(ctx context.Context, script *redis.Script, keys []string, args ...any) ([]any, error) {
	bounded, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	type result struct {
		v   any
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := script.Run(bounded, s.rdb, keys, args...).Result()
		done <- result{v, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-bounded.Done():
		r.err = fmt.Errorf("no answer within %s", s.timeout)
	}
	if r.err != nil {
		if err := ctx.Err(); err != nil {
			return nil, err // the caller gave up: not Redis's fault
		}
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, r.err)
	}
	out, ok := r.v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: a script answered %T", ErrUnavailable, r.v)
	}
	return out, nil
}

// text reads the i-th value of a script's answer: "" when it is not a
// string.
func text(v []any, i int) string {
	if i < len(v) {
		if s, ok := v[i].(string); ok {
			return s
		}
	}
	return ""
}

// integer reads the i-th value of a script's answer.
func integer(v []any, i int) int64 {
	if i < len(v) {
		if n, ok := v[i].(int64); ok {
			return n
		}
	}
	return 0
}
