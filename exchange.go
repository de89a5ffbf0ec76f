package kryptos

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// AccessGrant is what a public token is exchanged for: the user's access
// token and the grant that backs it. Store AccessToken (encrypted) to read
// the user's data and to recognise them when they return; store GrantID to
// revoke access later.
type AccessGrant struct {
	// AccessToken (prefix cat_) authorizes data API calls for this user.
	AccessToken string
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
	RefreshToken string
}

// Format prints the grant with its tokens redacted.
func (g AccessGrant) Format(f fmt.State, verb rune) {
	type accessGrant AccessGrant
	g.AccessToken, g.RefreshToken = redact(g.AccessToken), redact(g.RefreshToken)
	formatRedacted(f, verb, "AccessGrant", accessGrant(g))
}

// LogValue logs the grant with its tokens redacted.
func (g AccessGrant) LogValue() slog.Value { return slog.StringValue(fmt.Sprintf("%+v", g)) }

type exchangeRequest struct {
	PublicToken string `json:"public_token"`
}

type exchangeData struct {
	AccessToken  string  `json:"access_token"`
	GrantID      string  `json:"grant_id"`
	TokenType    string  `json:"token_type"`
	ExpiresIn    float64 `json:"expires_in"`
	Scope        Scopes  `json:"scope"`
	WorkspaceID  string  `json:"workspace_id"`
	RefreshToken string  `json:"refresh_token"`
}

const exchangeAdvice = "the public token may already be consumed; do not exchange it again: " +
	"open the widget with a new link token, or check the user's grants with ListGrants"

// ExchangePublicToken exchanges the single-use public token that the widget
// gave the frontend (prefix public_, 30 minutes) for the user's access token
// and grant: POST /token/exchange.
//
// Because a public token works once, a failed attempt is repeated only when
// it provably never reached the server (the connection was refused) or was
// refused with 429. When the request may have been processed (a timeout, a
// reset connection, a 5xx, an answer that could not be read, or
// TOKEN_ALREADY_USED after a repeated attempt) the error matches
// ErrOutcomeUnknown. The default quota is 5 exchanges a minute per client.
func (c *Client) ExchangePublicToken(ctx context.Context, publicToken string) (*AccessGrant, error) {
	const op = OpExchangePublicToken
	if err := checkPrefixed("publicToken", publicToken, prefixPublicToken); err != nil {
		return nil, invalid(op, err)
	}
	var data exchangeData
	err := c.do(ctx, call{
		op:           op,
		policy:       httpcore.OneShot,
		method:       http.MethodPost,
		path:         "/token/exchange",
		body:         exchangeRequest{PublicToken: publicToken},
		consumedCode: "TOKEN_ALREADY_USED",
		advice:       exchangeAdvice,
	}, &data)
	if err != nil {
		return nil, err
	}
	if data.AccessToken == "" {
		// The server took the token and sent nothing usable back.
		cause := fmt.Errorf("%w: no access_token in the answer", ErrMalformedResponse)
		return nil, fmt.Errorf("kryptos: %s: %w", op, &outcomeError{advice: exchangeAdvice, cause: cause})
	}
	return &AccessGrant{
		AccessToken:  data.AccessToken,
		GrantID:      data.GrantID,
		TokenType:    data.TokenType,
		ExpiresIn:    time.Duration(data.ExpiresIn * float64(time.Second)),
		Scopes:       data.Scope,
		WorkspaceID:  data.WorkspaceID,
		RefreshToken: data.RefreshToken,
	}, nil
}
