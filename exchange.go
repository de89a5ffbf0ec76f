package kryptos

import (
	"context"
	"encoding/json"
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

// exchangeAnswer decodes the answer leniently: only access_token is
// required, because a consumed public token cannot be exchanged again.
type exchangeAnswer struct {
	grant AccessGrant
	odd   oddities
}

func (a *exchangeAnswer) UnmarshalJSON(b []byte) error {
	var raw struct {
		AccessToken  json.RawMessage `json:"access_token"`
		GrantID      json.RawMessage `json:"grant_id"`
		TokenType    json.RawMessage `json:"token_type"`
		ExpiresIn    json.RawMessage `json:"expires_in"`
		Scope        json.RawMessage `json:"scope"`
		WorkspaceID  json.RawMessage `json:"workspace_id"`
		RefreshToken json.RawMessage `json:"refresh_token"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	a.grant = AccessGrant{
		AccessToken:  NewSecret(a.odd.str("access_token", raw.AccessToken)),
		GrantID:      a.odd.str("grant_id", raw.GrantID),
		TokenType:    a.odd.str("token_type", raw.TokenType),
		ExpiresIn:    a.odd.seconds("expires_in", raw.ExpiresIn),
		WorkspaceID:  a.odd.str("workspace_id", raw.WorkspaceID),
		RefreshToken: NewSecret(a.odd.str("refresh_token", raw.RefreshToken)),
	}
	if !absent(raw.Scope) && json.Unmarshal(raw.Scope, &a.grant.Scopes) != nil {
		a.odd.add("scope", raw.Scope, "a space-separated string")
	}
	return nil
}

func (a *exchangeAnswer) check() error {
	if a.grant.AccessToken.IsZero() {
		return errors.New("no access_token in the answer")
	}
	return nil
}

func (a *exchangeAnswer) notes() oddities { return a.odd }

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
func (c *Client) ExchangePublicToken(ctx context.Context, publicToken string, opts ...CallOption) (*AccessGrant, error) {
	op := opExchangePublicToken
	if err := checkPrefixed("publicToken", publicToken, prefixPublicToken); err != nil {
		return nil, invalid(op, err)
	}
	var a exchangeAnswer
	if err := c.do(ctx, op, request{body: exchangeRequest{PublicToken: publicToken}}, &a, opts); err != nil {
		return nil, err
	}
	return &a.grant, nil
}
