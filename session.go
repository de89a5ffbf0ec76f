package kryptos

import (
	"context"
	"encoding/json"
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
// consent.
type sessionAnswer struct {
	session Session
	known   bool
	odd     oddities
}

func (a *sessionAnswer) UnmarshalJSON(b []byte) error {
	var raw struct {
		HasValidSession *bool           `json:"has_valid_session"`
		Reason          json.RawMessage `json:"reason"`
		UserID          json.RawMessage `json:"user_id"`
		WorkspaceID     json.RawMessage `json:"workspace_id"`
		WorkspaceName   json.RawMessage `json:"workspace_name"`
		GrantedScopes   json.RawMessage `json:"granted_scopes"`
		GrantID         json.RawMessage `json:"grant_id"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	a.known = raw.HasValidSession != nil
	a.session = Session{
		Valid:         raw.HasValidSession != nil && *raw.HasValidSession,
		Reason:        a.odd.str("reason", raw.Reason),
		UserID:        a.odd.str("user_id", raw.UserID),
		WorkspaceID:   a.odd.str("workspace_id", raw.WorkspaceID),
		WorkspaceName: a.odd.str("workspace_name", raw.WorkspaceName),
		GrantID:       a.odd.str("grant_id", raw.GrantID),
	}
	if !absent(raw.GrantedScopes) && json.Unmarshal(raw.GrantedScopes, &a.session.GrantedScopes) != nil {
		a.odd.add("granted_scopes", raw.GrantedScopes, "a space-separated string")
	}
	return nil
}

func (a *sessionAnswer) check() error {
	if !a.known {
		return errors.New("no has_valid_session in the answer")
	}
	return nil
}

func (a *sessionAnswer) notes() oddities { return a.odd }

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
	return &a.session, nil
}
