package kryptos

import (
	"context"
	"errors"
)

// Session is what the API knows of a stored access token.
type Session struct {
	// Valid says whether the token still works. When it does not, Reason
	// says why (for example "token_expired") and the other fields are empty.
	Valid         bool
	Reason        string
	UserID        string
	WorkspaceID   string
	WorkspaceName string
	GrantedScopes Scopes
	GrantID       string
}

type checkSessionRequest struct {
	AccessToken string `json:"access_token"`
}

// sessionAnswer requires has_valid_session: an answer without it must not
// read as "no valid session", which would send the user back through
// consent. It is decoded in the same pass as the envelope: each optional
// field reads itself leniently.
type sessionAnswer struct {
	HasValidSession *bool     `json:"has_valid_session"`
	Reason          optString `json:"reason"`
	UserID          optString `json:"user_id"`
	WorkspaceID     optString `json:"workspace_id"`
	WorkspaceName   optString `json:"workspace_name"`
	GrantedScopes   optScopes `json:"granted_scopes"`
	GrantID         optString `json:"grant_id"`
}

func (a *sessionAnswer) session() Session {
	return Session{
		Valid:         a.HasValidSession != nil && *a.HasValidSession,
		Reason:        a.Reason.s,
		UserID:        a.UserID.s,
		WorkspaceID:   a.WorkspaceID.s,
		WorkspaceName: a.WorkspaceName.s,
		GrantedScopes: a.GrantedScopes.s,
		GrantID:       a.GrantID.s,
	}
}

func (a *sessionAnswer) check() error {
	if a.HasValidSession == nil {
		return errors.New("no has_valid_session in the answer")
	}
	return nil
}

func (a *sessionAnswer) notes() oddities {
	var odd oddities
	a.Reason.note(&odd, "reason")
	a.UserID.note(&odd, "user_id")
	a.WorkspaceID.note(&odd, "workspace_id")
	a.WorkspaceName.note(&odd, "workspace_name")
	a.GrantID.note(&odd, "grant_id")
	a.GrantedScopes.note(&odd, "granted_scopes")
	return odd
}

// CheckSession asks whether a stored access token still works:
// POST /link-token/check-session.
//
// An expired or revoked token is not an error: the Session says Valid false
// with a Reason. Use it before opening the widget to decide whether the user
// must sign in again. An answer that does not say whether the session is
// valid is an error matching ErrMalformedResponse, never an invalid session.
// Transient failures are retried.
func (c *Client) CheckSession(ctx context.Context, accessToken string, opts ...CallOption) (*Session, error) {
	op := opCheckSession
	if err := checkPrefixed("accessToken", accessToken, prefixAccessToken); err != nil {
		return nil, invalid(op, err)
	}
	var a sessionAnswer
	if err := c.do(ctx, op, request{body: checkSessionRequest{AccessToken: accessToken}}, &a, opts); err != nil {
		return nil, err
	}
	session := a.session()
	return &session, nil
}
