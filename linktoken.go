package kryptos

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"time"
)

// LinkTokenParams are the options of a link token.
type LinkTokenParams struct {
	// Scopes the user is asked to grant. They must include openid. Nil means
	// DefaultScopes.
	Scopes Scopes
	// AccessToken of a returning user, if you stored one: the widget then
	// skips sign-in and consent, and the link token reports HasExistingGrant.
	// An expired or revoked token yields a plain link token instead.
	AccessToken Secret
	// RedirectURI, State and Metadata are accepted by older versions of the
	// API; they are sent only when set.
	RedirectURI string
	State       string
	Metadata    map[string]string
}

// LinkToken is a short-lived token (prefix link_, 30 minutes) that opens the
// Kryptos Connect widget for one user.
type LinkToken struct {
	// Token is the value to hand to the frontend's widget: Token.Reveal().
	Token     Secret
	ExpiresAt time.Time
	// UserID, WorkspaceID and HasExistingGrant are set when the request
	// carried a valid access token: the user is known and already granted
	// access. HasExistingGrant is what the Web SDK's generateLinkToken must
	// return as isAuthorized.
	UserID           string
	WorkspaceID      string
	HasExistingGrant bool
}

type linkTokenRequest struct {
	Scopes      Scopes            `json:"scopes"`
	AccessToken string            `json:"access_token,omitempty"`
	RedirectURI string            `json:"redirect_uri,omitempty"`
	State       string            `json:"state,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// linkTokenAnswer decodes the answer leniently: only link_token is required.
type linkTokenAnswer struct {
	token LinkToken
	odd   oddities
}

func (a *linkTokenAnswer) UnmarshalJSON(b []byte) error {
	var raw struct {
		LinkToken        json.RawMessage `json:"link_token"`
		ExpiresAt        json.RawMessage `json:"expires_at"`
		UserID           json.RawMessage `json:"user_id"`
		WorkspaceID      json.RawMessage `json:"workspace_id"`
		HasExistingGrant json.RawMessage `json:"has_existing_grant"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	a.token = LinkToken{
		Token:            NewSecret(a.odd.str("link_token", raw.LinkToken)),
		ExpiresAt:        a.odd.timestamp("expires_at", raw.ExpiresAt),
		UserID:           a.odd.str("user_id", raw.UserID),
		WorkspaceID:      a.odd.str("workspace_id", raw.WorkspaceID),
		HasExistingGrant: a.odd.boolean("has_existing_grant", raw.HasExistingGrant),
	}
	return nil
}

func (a *linkTokenAnswer) check() error {
	if a.token.Token.IsZero() {
		return errors.New("no link_token in the answer")
	}
	return nil
}

func (a *linkTokenAnswer) notes() oddities { return a.odd }

// CreateLinkToken creates a link token for the widget: POST /link-token.
//
// For a returning user, set p.AccessToken; the answer's HasExistingGrant
// says whether the widget can skip sign-in. Transient failures are retried.
func (c *Client) CreateLinkToken(ctx context.Context, p LinkTokenParams, opts ...CallOption) (*LinkToken, error) {
	op := opCreateLinkToken
	if p.Scopes == nil {
		p.Scopes = DefaultScopes()
	}
	if err := p.Scopes.validate("params.Scopes"); err != nil {
		return nil, invalid(op, err)
	}
	if !p.AccessToken.IsZero() {
		if err := checkPrefixed("params.AccessToken", p.AccessToken.Reveal(), prefixAccessToken); err != nil {
			return nil, invalid(op, err)
		}
	}
	if p.RedirectURI != "" {
		if u, err := url.Parse(p.RedirectURI); err != nil || !u.IsAbs() || u.Host == "" {
			return nil, invalid(op, &ParamError{"params.RedirectURI", "must be an absolute URL"})
		}
	}
	if err := checkLength("params.State", p.State); err != nil {
		return nil, invalid(op, err)
	}
	body := linkTokenRequest{Scopes: p.Scopes, AccessToken: p.AccessToken.Reveal(), RedirectURI: p.RedirectURI, State: p.State, Metadata: p.Metadata}
	var a linkTokenAnswer
	if err := c.do(ctx, op, request{body: body}, &a, opts); err != nil {
		return nil, err
	}
	return &a.token, nil
}
