package kryptos

import (
	"context"
	"net/http"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
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

type grantsData struct {
	Grants []Grant `json:"grants"`
	Count  int     `json:"count"`
}

// ListGrants returns every active grant of the client: GET /token/grants.
// The API does not page this list; a client with very many grants may need
// WithMaxResponseBytes. Transient failures are retried.
func (c *Client) ListGrants(ctx context.Context) ([]Grant, error) {
	var data grantsData
	err := c.do(ctx, call{
		op:     OpListGrants,
		policy: httpcore.Idempotent,
		method: http.MethodGet,
		path:   "/token/grants",
	}, &data)
	if err != nil {
		return nil, err
	}
	if data.Grants == nil {
		data.Grants = []Grant{}
	}
	return data.Grants, nil
}

type revokeRequest struct {
	GrantID string `json:"grant_id"`
}

// RevokeGrant ends a grant: POST /token/revoke. Every access token of the
// grant stops working at once; the user must go through the widget again
// to reconnect.
//
// Revoking is idempotent and transient failures are retried. When a repeated
// attempt is answered GRANT_NOT_FOUND, an earlier attempt may have revoked
// the grant, so the error matches both ErrGrantNotFound and
// ErrOutcomeUnknown.
func (c *Client) RevokeGrant(ctx context.Context, grantID string) error {
	const op = OpRevokeGrant
	if err := checkPrefixed("grantID", grantID, prefixGrantID); err != nil {
		return invalid(op, err)
	}
	return c.do(ctx, call{
		op:           op,
		policy:       httpcore.Idempotent,
		method:       http.MethodPost,
		path:         "/token/revoke",
		body:         revokeRequest{GrantID: grantID},
		consumedCode: "GRANT_NOT_FOUND",
		advice:       "an earlier attempt may have revoked the grant already",
	}, nil)
}
