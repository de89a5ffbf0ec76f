package kryptos

import (
	"context"
	"errors"
	"time"
)

// AccessGrant is what a public token is exchanged for: the user's access
// token and the grant that backs it. Store AccessToken.Reveal() (encrypted)
// to read the user's data and to recognise them when they return; store
// GrantID to revoke access later.
type AccessGrant struct {
	// AccessToken (prefix cat_) authorizes data API calls for this user:
	// client.User(grant.Credential()).
	AccessToken Secret
	// GrantID (prefix cgrant_) names the grant in RevokeGrant and
	// UpdateTransactionLimit. Older API versions do not send it.
	GrantID   string
	TokenType string
	// ExpiresIn is the token's lifetime: 15 years today, 24 hours on older
	// API versions.
	ExpiresIn   time.Duration
	Scopes      Scopes
	WorkspaceID string
	// RefreshToken (prefix crt_) is sent only by older API versions, whose
	// access tokens expire after 24 hours.
	RefreshToken Secret
}

// Credential returns the Credential of the grant's access token, for
// Client.User.
func (g *AccessGrant) Credential() Credential { return bearer{g.AccessToken} }

type exchangeRequest struct {
	PublicToken string `json:"public_token"`
}

// exchangeAnswer requires only access_token, because a consumed public
// token cannot be exchanged again. It is decoded in the same pass as the
// envelope: each optional field reads itself leniently, so that an answer
// with the token is never lost for the sake of its expiry or scopes.
type exchangeAnswer struct {
	AccessToken  optString  `json:"access_token"`
	GrantID      optString  `json:"grant_id"`
	TokenType    optString  `json:"token_type"`
	ExpiresIn    optSeconds `json:"expires_in"`
	Scope        optScopes  `json:"scope"`
	WorkspaceID  optString  `json:"workspace_id"`
	RefreshToken optString  `json:"refresh_token"`
}

func (a *exchangeAnswer) grant() AccessGrant {
	return AccessGrant{
		AccessToken:  NewSecret(a.AccessToken.s),
		GrantID:      a.GrantID.s,
		TokenType:    a.TokenType.s,
		ExpiresIn:    a.ExpiresIn.d,
		Scopes:       a.Scope.s,
		WorkspaceID:  a.WorkspaceID.s,
		RefreshToken: NewSecret(a.RefreshToken.s),
	}
}

func (a *exchangeAnswer) check() error {
	if a.AccessToken.s == "" {
		return errors.New("no access_token in the answer")
	}
	return nil
}

func (a *exchangeAnswer) notes() oddities {
	var odd oddities
	a.AccessToken.noteSecret(&odd, "access_token")
	a.GrantID.note(&odd, "grant_id")
	a.TokenType.note(&odd, "token_type")
	a.ExpiresIn.note(&odd, "expires_in")
	a.WorkspaceID.note(&odd, "workspace_id")
	a.RefreshToken.noteSecret(&odd, "refresh_token")
	a.Scope.note(&odd, "scope")
	return odd
}

const exchangeAdvice = "the public token may already be consumed; do not exchange it again: " +
	"open the widget with a new link token, or check the user's grants with ListGrants"

// ExchangePublicToken exchanges the single-use public token that the widget
// gave the frontend (prefix public_, 30 minutes) for the user's access token
// and grant: POST /token/exchange.
//
// Because a public token works once, a failed attempt is repeated only when
// it provably never reached the server (the connection was refused) or was
// refused with 429. When the request may have been processed (a timeout or
// reset after it was sent, a 5xx, or an answer that could not be read or
// lacks the access token) the error matches ErrOutcomeUnknown. An answer
// that carries the access token is a success even if its other fields are
// odd; the oddities are logged.
//
// A returning user's widget (a link token with HasExistingGrant) hands
// onConnectSuccess null instead of a public token: there is nothing to
// exchange, and the user's stored access token stays valid. An empty
// publicToken is refused with a *ParamError that says so.
func (c *Client) ExchangePublicToken(ctx context.Context, publicToken string, opts ...CallOption) (*AccessGrant, error) {
	op := opExchangePublicToken
	if publicToken == "" {
		return nil, invalid(op, &ParamError{"publicToken", "is empty: a returning user's widget (LinkToken.HasExistingGrant) hands over null, as there is nothing to exchange; keep using the user's stored access token"})
	}
	if err := checkPrefixed("publicToken", publicToken, prefixPublicToken); err != nil {
		return nil, invalid(op, err)
	}
	var a exchangeAnswer
	if err := c.do(ctx, op, request{body: exchangeRequest{PublicToken: publicToken}}, &a, opts); err != nil {
		return nil, err
	}
	grant := a.grant()
	return &grant, nil
}
