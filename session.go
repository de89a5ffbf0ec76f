package kryptos

import (
	"context"
	"net/http"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// Session is what the API knows of a stored access token.
type Session struct {
	// Valid says whether the token still works. When it does not, Reason
	// says why (for example "token_expired") and the other fields are empty.
	Valid         bool   `json:"has_valid_session"`
	Reason        string `json:"reason,omitempty"`
	UserID        string `json:"user_id,omitempty"`
	WorkspaceID   string `json:"workspace_id,omitempty"`
	WorkspaceName string `json:"workspace_name,omitempty"`
	GrantedScopes Scopes `json:"granted_scopes,omitempty"`
	GrantID       string `json:"grant_id,omitempty"`
}

type checkSessionRequest struct {
	AccessToken string `json:"access_token"`
}

// CheckSession asks whether a stored access token still works:
// POST /link-token/check-session.
//
// An expired or revoked token is not an error: the Session says Valid false
// with a Reason. Use it before opening the widget to decide whether the user
// must sign in again. Transient failures are retried.
func (c *Client) CheckSession(ctx context.Context, accessToken string) (*Session, error) {
	const op = OpCheckSession
	if err := checkPrefixed("accessToken", accessToken, prefixAccessToken); err != nil {
		return nil, invalid(op, err)
	}
	var s Session
	err := c.do(ctx, call{
		op:     op,
		policy: httpcore.Idempotent,
		method: http.MethodPost,
		path:   "/link-token/check-session",
		body:   checkSessionRequest{AccessToken: accessToken},
	}, &s)
	if err != nil {
		return nil, err
	}
	return &s, nil
}
