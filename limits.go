package kryptos

import (
	"context"
	"encoding/json"
	"errors"
)

// TransactionLimitParams change a Guest user's transaction import limit. Set
// at least one field; a nil field is left as it is.
type TransactionLimitParams struct {
	// TransactionLimit is the number of transactions imported for the user,
	// a positive integer (at most 2^53-1).
	TransactionLimit *int64
	// EnableLimiter turns the limit on or off; false removes the cap.
	EnableLimiter *bool
}

// TransactionLimit is a Guest user's limit after an update. A nil
// TransactionLimit or EnableLimiter means the user has no override and the
// workspace default applies (then the platform's: 100,000, limiter on).
type TransactionLimit struct {
	GrantID          string `json:"grant_id"`
	UserID           string `json:"user_id"`
	TransactionLimit *int64 `json:"transaction_limit"`
	EnableLimiter    *bool  `json:"enable_limiter"`
	// PreviousTransactionLimit, PreviousEnableLimiter and Resync are sent by
	// newer API versions only.
	PreviousTransactionLimit *int64 `json:"previous_transaction_limit,omitempty"`
	PreviousEnableLimiter    *bool  `json:"previous_enable_limiter,omitempty"`
	// Resync lists the from-start resyncs that a change of the cap queued
	// for the user's integrations; nil when nothing changed.
	Resync *LimitResync `json:"resync,omitempty"`
}

func (l *TransactionLimit) check() error {
	if l.GrantID == "" && l.UserID == "" {
		return errors.New("no grant_id or user_id in the answer")
	}
	return nil
}

// unchanged reports whether a newer API's answer says that the request
// changed nothing: the previous values are the current ones, and no resync
// was queued. An older answer, without the previous values, never does.
func (l *TransactionLimit) unchanged() bool {
	return l.Resync == nil && (l.PreviousTransactionLimit != nil || l.PreviousEnableLimiter != nil) &&
		samePtr(l.PreviousTransactionLimit, l.TransactionLimit) && samePtr(l.PreviousEnableLimiter, l.EnableLimiter)
}

// samePtr reports whether two optional values are both absent or equal.
func samePtr[T comparable](a, b *T) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// LimitResync is the fan-out of resyncs queued by a limit change.
type LimitResync struct {
	Triggered []TriggeredSync `json:"triggered"`
	// Failed holds the integrations whose resync could not be queued, as the
	// API sent them: their shape is not documented.
	Failed  []json.RawMessage `json:"failed"`
	Skipped int               `json:"skipped"`
}

// TriggeredSync is one resync queued by a limit change.
type TriggeredSync struct {
	IntegrationID string `json:"integration_id"`
	SyncID        string `json:"sync_id"`
}

type transactionLimitRequest struct {
	TransactionLimit *int64 `json:"transactionLimit,omitempty"`
	EnableLimiter    *bool  `json:"enableLimiter,omitempty"`
}

// UpdateTransactionLimit sets a Guest user's transaction import limit:
// PATCH /developer/grants/{grantId}/transaction-limit.
//
// Limits apply to Guest users only (ErrNotAnonUser for a Linked user). A
// change that alters the cap queues a from-start resync of the user's
// integrations, reported in Resync. The values are absolute, so transient
// failures are retried. A repeat after an attempt that may have been
// processed changes nothing, and its answer says so (previous values equal
// to the new ones, no resync): then the error matches ErrOutcomeUnknown, as
// the limit is set but the resyncs the earlier attempt may have queued are
// unknown.
func (c *Client) UpdateTransactionLimit(ctx context.Context, grantID string, p TransactionLimitParams, opts ...CallOption) (*TransactionLimit, error) {
	op := opUpdateTransactionLimit
	if err := checkPrefixed("grantID", grantID, prefixGrantID); err != nil {
		return nil, invalid(op, err)
	}
	if err := checkSegment("grantID", grantID); err != nil {
		return nil, invalid(op, err)
	}
	switch {
	case p.TransactionLimit == nil && p.EnableLimiter == nil:
		return nil, invalid(op, &ParamError{"params", "set TransactionLimit, EnableLimiter or both"})
	case p.TransactionLimit != nil && (*p.TransactionLimit <= 0 || *p.TransactionLimit > maxSafeInteger):
		return nil, invalid(op, &ParamError{"params.TransactionLimit", "must be a positive integer no larger than 2^53-1"})
	}
	var limit TransactionLimit
	r := request{params: []string{grantID}, body: transactionLimitRequest(p), repeated: func() error {
		if limit.unchanged() {
			return errLimitRepeated
		}
		return nil
	}}
	if err := c.do(ctx, op, r, &limit, opts); err != nil {
		return nil, err
	}
	return &limit, nil
}

// errLimitRepeated is the cause of a limit change whose answer came to a
// repeat and reports no resync.
var errLimitRepeated = errors.New("the limit is set, but this answer is a repeat's, which changed nothing; " +
	"an earlier attempt may have changed the cap and queued from-start resyncs that it does not report")

const limitRepeatAdvice = "an earlier attempt may have changed the limit and queued from-start resyncs of the user's integrations; " +
	"follow them with the user's ListSyncJobs"

// Ptr returns a pointer to v, for the optional fields of
// TransactionLimitParams: kryptos.Ptr[int64](10000), kryptos.Ptr(false).
func Ptr[T any](v T) *T { return &v }
