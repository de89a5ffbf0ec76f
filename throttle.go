package kryptos

import (
	"context"
	"fmt"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/throttle"
)

// Operation names one of the Client's API operations. Limiters use it to
// apply a quota per endpoint class.
type Operation string

// The operations of a Client, named after its methods.
const (
	OpCreateLinkToken        Operation = "CreateLinkToken"
	OpExchangePublicToken    Operation = "ExchangePublicToken"
	OpCheckSession           Operation = "CheckSession"
	OpListGrants             Operation = "ListGrants"
	OpRevokeGrant            Operation = "RevokeGrant"
	OpResyncIntegration      Operation = "ResyncIntegration"
	OpUpdateTransactionLimit Operation = "UpdateTransactionLimit"
	OpListIntegrations       Operation = "ListIntegrations"
	OpGetSyncJob             Operation = "GetSyncJob"
)

// Limiter throttles a Client on its side, so that it stays within the API's
// per-client rate limits instead of collecting 429s. Wait is called before
// every attempt, retries included, and the attempt is sent when it returns
// nil. It must return promptly with ctx.Err() once ctx ends, and be safe for
// concurrent use.
//
// Quotas are per client ID at the server. Several Clients with one client ID
// in one process should share a Limiter (WithLimiter); several processes
// should split the quotas between them, or implement Limiter over a shared
// store.
type Limiter interface {
	Wait(ctx context.Context, op Operation) error
}

// Quota is a rate limit: at most Requests in any window of length Per.
type Quota struct {
	Requests int
	Per      time.Duration
}

// DefaultQuotas returns the documented per-client limits of the operations
// that have one: 10 link tokens and 5 exchanges a minute, and 1000 data API
// calls an hour, split evenly between ListIntegrations and GetSyncJob so
// that together they stay within it. Other operations are not throttled.
func DefaultQuotas() map[Operation]Quota {
	return map[Operation]Quota{
		OpCreateLinkToken:     {Requests: 10, Per: time.Minute},
		OpExchangePublicToken: {Requests: 5, Per: time.Minute},
		OpListIntegrations:    {Requests: 500, Per: time.Hour},
		OpGetSyncJob:          {Requests: 500, Per: time.Hour},
	}
}

// NewQuotaLimiter returns a Limiter that holds each operation to its quota
// and lets operations without one through.
//
// It never sends more than Requests in any window of length Per, the way the
// server counts, yet sends a burst of Requests at once. (A token bucket such
// as golang.org/x/time/rate with the same rate and burst would send up to
// twice the quota within one window.) Its windows are 1% longer than Per, and
// at least 50 ms longer, so that uneven network delays cannot crowd the
// requests of two windows into one at the server. Waiters are served in
// arrival order, and one that gives up frees its place.
func NewQuotaLimiter(quotas map[Operation]Quota) (Limiter, error) {
	return newQuotaLimiter(quotas, throttle.RealClock{})
}

func newQuotaLimiter(quotas map[Operation]Quota, clock throttle.Clock) (*quotaLimiter, error) {
	l := &quotaLimiter{windows: make(map[Operation]*throttle.Window, len(quotas))}
	for op, q := range quotas {
		if q.Requests <= 0 || q.Per <= 0 {
			return nil, fmt.Errorf("kryptos: NewQuotaLimiter: %w", &ParamError{"quotas[" + string(op) + "]", "needs positive Requests and Per"})
		}
		l.windows[op] = throttle.QuotaWindow(q.Requests, q.Per, clock)
	}
	return l, nil
}

type quotaLimiter struct {
	windows map[Operation]*throttle.Window // read-only after construction
}

func (l *quotaLimiter) Wait(ctx context.Context, op Operation) error {
	if w := l.windows[op]; w != nil {
		return w.Wait(ctx)
	}
	return ctx.Err()
}
