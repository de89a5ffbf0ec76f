package kryptos

import (
	"context"
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

// linkTokenAnswer requires only link_token. It is decoded in the same pass
// as the envelope: each optional field reads itself leniently, so that an
// answer with the token is never lost for the sake of its expiry.
type linkTokenAnswer struct {
	LinkToken        optString `json:"link_token"`
	ExpiresAt        optTime   `json:"expires_at"`
	UserID           optString `json:"user_id"`
	WorkspaceID      optString `json:"workspace_id"`
	HasExistingGrant optBool   `json:"has_existing_grant"`
}

func (a *linkTokenAnswer) linkToken() LinkToken {
	return LinkToken{
		Token:            NewSecret(a.LinkToken.s),
		ExpiresAt:        a.ExpiresAt.t,
		UserID:           a.UserID.s,
		WorkspaceID:      a.WorkspaceID.s,
		HasExistingGrant: a.HasExistingGrant.b,
	}
}

func (a *linkTokenAnswer) check() error {
	if a.LinkToken.s == "" {
		return errors.New("no link_token in the answer")
	}
	return nil
}

func (a *linkTokenAnswer) notes() oddities {
	var odd oddities
	a.LinkToken.noteSecret(&odd, "link_token")
	a.ExpiresAt.note(&odd, "expires_at")
	a.UserID.note(&odd, "user_id")
	a.WorkspaceID.note(&odd, "workspace_id")
	a.HasExistingGrant.note(&odd, "has_existing_grant")
	return odd
}

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
	token := a.linkToken()
	return &token, nil
}
