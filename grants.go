package kryptos

import (
	"context"
	"errors"
	"time"
)

// Grant is a user's standing permission for the client to read their data,
// created by a token exchange and ended by RevokeGrant.
type Grant struct {
	// ID (prefix cgrant_) names the grant in RevokeGrant and
	// UpdateTransactionLimit.
	ID          string    `json:"grant_id"`
	WorkspaceID string    `json:"workspace_id"`
	Scopes      Scopes    `json:"scopes"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

type grantsAnswer struct {
	Grants *[]Grant `json:"grants"`
	Count  *int     `json:"count"`
}

// check requires the list, unless the answer counts zero grants.
func (a *grantsAnswer) check() error {
	if a.Grants == nil && (a.Count == nil || *a.Count != 0) {
		return errors.New("no grants in the answer")
	}
	return nil
}

// ListGrants returns every active grant of the client: GET /token/grants.
// The API does not page this list; a client with very many grants may need
// WithMaxResponseBytes. Transient failures are retried.
func (c *Client) ListGrants(ctx context.Context, opts ...CallOption) ([]Grant, error) {
	var a grantsAnswer
	if err := c.do(ctx, opListGrants, request{}, &a, opts); err != nil {
		return nil, err
	}
	if a.Grants == nil || *a.Grants == nil {
		return []Grant{}, nil
	}
	return *a.Grants, nil
}

type revokeRequest struct {
	GrantID string `json:"grant_id"`
}

// RevokeGrant ends a grant: POST /token/revoke. Every access token of the
// grant stops working at once; the user must go through the widget again
// to reconnect. A 200 with any body, or a 204, is a success.
//
// Revoking is idempotent and transient failures are retried. When a
// repeated attempt is answered GRANT_NOT_FOUND after an earlier attempt may
// have reached the server, that attempt may have revoked the grant, so the
// error matches both ErrGrantNotFound and ErrOutcomeUnknown.
func (c *Client) RevokeGrant(ctx context.Context, grantID string, opts ...CallOption) error {
	op := opRevokeGrant
	if err := checkPrefixed("grantID", grantID, prefixGrantID); err != nil {
		return invalid(op, err)
	}
	return c.do(ctx, op, request{body: revokeRequest{GrantID: grantID}}, nil, opts)
}
