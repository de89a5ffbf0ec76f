package kryptos

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// LinkTokenParams are the options of a link token.
type LinkTokenParams struct {
	// Scopes the user is asked to grant. They must include openid. Nil means
	// DefaultScopes.
	Scopes Scopes
	// AccessToken of a returning user, if you stored one: the widget then
	// skips sign-in and consent, and the link token reports HasExistingGrant.
	// An expired or revoked token yields a plain link token instead.
	AccessToken string
	// RedirectURI, State and Metadata are accepted by older versions of the
	// API; they are sent only when set.
	RedirectURI string
	State       string
	Metadata    map[string]string
}

// Format prints the parameters with the access token redacted.
func (p LinkTokenParams) Format(f fmt.State, verb rune) {
	type linkTokenParams LinkTokenParams
	p.AccessToken = redact(p.AccessToken)
	formatRedacted(f, verb, "LinkTokenParams", linkTokenParams(p))
}

// LogValue logs the parameters with the access token redacted.
func (p LinkTokenParams) LogValue() slog.Value { return slog.StringValue(fmt.Sprintf("%+v", p)) }

// LinkToken is a short-lived token (prefix link_, 30 minutes) that opens the
// Kryptos Connect widget for one user.
type LinkToken struct {
	// Token is the value to hand to the frontend's widget.
	Token     string
	ExpiresAt time.Time
	// UserID, WorkspaceID and HasExistingGrant are set when the request
	// carried a valid access token: the user is known and already granted
	// access. HasExistingGrant is what the Web SDK's generateLinkToken must
	// return as isAuthorized.
	UserID           string
	WorkspaceID      string
	HasExistingGrant bool
}

// Format prints the link token with its token redacted.
func (t LinkToken) Format(f fmt.State, verb rune) {
	type linkToken LinkToken
	t.Token = redact(t.Token)
	formatRedacted(f, verb, "LinkToken", linkToken(t))
}

// LogValue logs the link token with its token redacted.
func (t LinkToken) LogValue() slog.Value { return slog.StringValue(fmt.Sprintf("%+v", t)) }

type linkTokenRequest struct {
	Scopes      Scopes            `json:"scopes"`
	AccessToken string            `json:"access_token,omitempty"`
	RedirectURI string            `json:"redirect_uri,omitempty"`
	State       string            `json:"state,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

type linkTokenData struct {
	LinkToken        string      `json:"link_token"`
	ExpiresAt        lenientTime `json:"expires_at"`
	UserID           string      `json:"user_id"`
	WorkspaceID      string      `json:"workspace_id"`
	HasExistingGrant bool        `json:"has_existing_grant"`
}

// CreateLinkToken creates a link token for the widget: POST /link-token.
//
// For a returning user, set p.AccessToken; the answer's HasExistingGrant
// says whether the widget can skip sign-in. The default quota is 10 link
// tokens a minute per client. Transient failures are retried.
func (c *Client) CreateLinkToken(ctx context.Context, p LinkTokenParams) (*LinkToken, error) {
	const op = OpCreateLinkToken
	if p.Scopes == nil {
		p.Scopes = DefaultScopes()
	}
	if err := p.Scopes.validate("params.Scopes"); err != nil {
		return nil, invalid(op, err)
	}
	if p.AccessToken != "" {
		if err := checkPrefixed("params.AccessToken", p.AccessToken, prefixAccessToken); err != nil {
			return nil, invalid(op, err)
		}
	}
	if p.RedirectURI != "" {
		if u, err := url.Parse(p.RedirectURI); err != nil || !u.IsAbs() || u.Host == "" {
			return nil, invalid(op, &ParamError{"params.RedirectURI", "must be an absolute URL"})
		}
	}
	var data linkTokenData
	err := c.do(ctx, call{
		op:     op,
		policy: httpcore.Idempotent,
		method: http.MethodPost,
		path:   "/link-token",
		body:   linkTokenRequest(p),
	}, &data)
	if err != nil {
		return nil, err
	}
	if data.LinkToken == "" {
		return nil, fmt.Errorf("kryptos: %s: %w: no link_token in the answer", op, ErrMalformedResponse)
	}
	return &LinkToken{
		Token:            data.LinkToken,
		ExpiresAt:        time.Time(data.ExpiresAt),
		UserID:           data.UserID,
		WorkspaceID:      data.WorkspaceID,
		HasExistingGrant: data.HasExistingGrant,
	}, nil
}

// lenientTime decodes an RFC 3339 time, and anything else (null, "", the
// docs' own "..." placeholder) as the zero time: an unreadable expiry must
// not fail a call whose token is good.
type lenientTime time.Time

func (t *lenientTime) UnmarshalJSON(b []byte) error {
	var parsed time.Time
	if parsed.UnmarshalJSON(b) == nil { // RFC 3339, parsed from the bytes
		*t = lenientTime(parsed)
	}
	return nil
}
