package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kryptos-connect/kryptos-go"
)

// UserInfo is what the provider's userinfo endpoint says of a user
// (OAUTH.md): the standard claims, and Kryptos' per-resource access flags.
type UserInfo struct {
	Subject       string `json:"sub"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Picture       string `json:"picture"`
	// UpdatedAt is sent as Unix seconds.
	UpdatedAt time.Time `json:"-"`
	// PreferredUsername, Language and TransactionLimit come with the profile
	// scope.
	PreferredUsername string `json:"preferred_username"`
	Language          string `json:"language"`
	TransactionLimit  *int64 `json:"transaction_limit"`
	// Access says, per resource (portfolios, transactions, integrations,
	// tax, accounting, reports, workspace, users), whether the grant reaches
	// it: Kryptos' <resource>_access claims.
	Access map[string]bool `json:"-"`
	// Claims holds every claim as sent.
	Claims map[string]any `json:"-"`
}

// UserInfo asks the provider about the user whose token ts holds:
// GET the userinfo endpoint with the access token. A 401 tells ts, if it
// has a TokenRefused method as *TokenSource does, that the token was
// refused, and asks once more with the token it then gives.
func (c *Client) UserInfo(ctx context.Context, ts oauth2.TokenSource) (*UserInfo, error) {
	if c.provider.UserInfoURL == "" {
		return nil, errors.New("oauth: UserInfo: the provider has no userinfo endpoint")
	}
	if ts == nil {
		return nil, fmt.Errorf("oauth: UserInfo: %w", &kryptos.ParamError{Field: "ts", Problem: "must not be nil"})
	}
	body, sent, err := c.userInfo(ctx, ts)
	var e *kryptos.Error
	if refuser, ok := ts.(interface{ TokenRefused(string) }); ok && errors.As(err, &e) && e.StatusCode == http.StatusUnauthorized {
		// A 401 means the token expired (OAUTH.md): refresh, then ask once
		// more, as a data call does.
		refuser.TokenRefused(sent)
		body, _, err = c.userInfo(ctx, ts)
	}
	if err != nil {
		return nil, err
	}
	info := &UserInfo{Access: map[string]bool{}}
	if err := json.Unmarshal(body, info); err != nil {
		return nil, fmt.Errorf("oauth: UserInfo: %w: %w", kryptos.ErrMalformedResponse, err)
	}
	if err := json.Unmarshal(body, &info.Claims); err != nil {
		return nil, fmt.Errorf("oauth: UserInfo: %w: %w", kryptos.ErrMalformedResponse, err)
	}
	if secs, ok := info.Claims["updated_at"].(float64); ok && secs > 0 {
		info.UpdatedAt = time.Unix(int64(secs), 0).UTC()
	}
	for k, v := range info.Claims {
		if res, ok := strings.CutSuffix(k, "_access"); ok {
			info.Access[res], _ = v.(bool)
		}
	}
	return info, nil
}

// userInfo asks the userinfo endpoint with ts's token, and returns the
// answer's body and the token it sent.
func (c *Client) userInfo(ctx context.Context, ts oauth2.TokenSource) ([]byte, string, error) {
	// As kryptos.TokenSource does: the call's ctx bounds the wait for a
	// refresh, not only the context the source was made with.
	var tok *oauth2.Token
	var err error
	if tc, ok := ts.(interface {
		TokenContext(context.Context) (*oauth2.Token, error)
	}); ok {
		tok, err = tc.TokenContext(ctx)
	} else {
		tok, err = ts.Token()
	}
	if err != nil {
		return nil, "", fmt.Errorf("oauth: UserInfo: %w", err)
	}
	if tok == nil {
		return nil, "", fmt.Errorf("oauth: UserInfo: %w", &kryptos.ParamError{Field: "ts", Problem: "gave no token (nil) and no error"})
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.provider.UserInfoURL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("oauth: UserInfo: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	body, err := c.send(req, "UserInfo", tok.AccessToken)
	return body, tok.AccessToken, err
}

// Revoke revokes a token at the provider (RFC 7009): a refresh token ends
// the grant, an access token stops working. hint is "refresh_token",
// "access_token" or "". Revoking a token the provider does not know is not
// an error.
func (c *Client) Revoke(ctx context.Context, token, hint string) error {
	if c.provider.RevocationURL == "" {
		return errors.New("oauth: Revoke: the provider has no revocation endpoint")
	}
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	_, err := c.postForm(ctx, c.provider.RevocationURL, form, "Revoke")
	return err
}

// Introspection is what the provider knows of a token (RFC 7662).
type Introspection struct {
	Active    bool           `json:"active"`
	Scope     kryptos.Scopes `json:"scope"`
	ClientID  string         `json:"client_id"`
	Subject   string         `json:"sub"`
	TokenType string         `json:"token_type"`
	// Expiry and IssuedAt are sent as Unix seconds.
	Expiry   time.Time `json:"-"`
	IssuedAt time.Time `json:"-"`
}

// Introspect asks the provider whether token is active (RFC 7662).
func (c *Client) Introspect(ctx context.Context, token string) (*Introspection, error) {
	if c.provider.IntrospectionURL == "" {
		return nil, errors.New("oauth: Introspect: the provider has no introspection endpoint")
	}
	body, err := c.postForm(ctx, c.provider.IntrospectionURL, url.Values{"token": {token}}, "Introspect")
	if err != nil {
		return nil, err
	}
	var in struct {
		Introspection
		Exp int64 `json:"exp"`
		Iat int64 `json:"iat"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("oauth: Introspect: %w: %w", kryptos.ErrMalformedResponse, err)
	}
	out := in.Introspection
	if in.Exp > 0 {
		out.Expiry = time.Unix(in.Exp, 0).UTC()
	}
	if in.Iat > 0 {
		out.IssuedAt = time.Unix(in.Iat, 0).UTC()
	}
	return &out, nil
}

// ClientCredentials returns a source of the app's own tokens, bound to no
// user (the client-credentials grant; the Kyber guide's "application
// token"), for the provider's app-level APIs. It fetches a new one when the
// last expires.
func (c *Client) ClientCredentials(ctx context.Context, scopes ...kryptos.Scope) oauth2.TokenSource {
	cfg := clientcredentials.Config{ClientID: c.oauth.ClientID, ClientSecret: c.oauth.ClientSecret,
		TokenURL: c.oauth.Endpoint.TokenURL, AuthStyle: c.oauth.Endpoint.AuthStyle}
	for _, s := range scopes {
		cfg.Scopes = append(cfg.Scopes, string(s))
	}
	return &wrappedSource{c: c, src: cfg.TokenSource(c.context(ctx)), op: "ClientCredentials"}
}

// wrappedSource turns a token source's OAuth errors into *kryptos.Error.
type wrappedSource struct {
	c   *Client
	src oauth2.TokenSource
	op  string
}

func (w *wrappedSource) Token() (*oauth2.Token, error) {
	tok, err := w.src.Token()
	if err != nil {
		return nil, w.c.providerError(w.op, err)
	}
	return tok, nil
}

// postForm sends a form with the client's authentication to a provider
// endpoint.
func (c *Client) postForm(ctx context.Context, endpoint string, form url.Values, op string) ([]byte, error) {
	if c.oauth.Endpoint.AuthStyle == oauth2.AuthStyleInParams {
		form.Set("client_id", c.oauth.ClientID)
		form.Set("client_secret", c.oauth.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.oauth.Endpoint.AuthStyle != oauth2.AuthStyleInParams {
		req.SetBasicAuth(url.QueryEscape(c.oauth.ClientID), url.QueryEscape(c.oauth.ClientSecret))
	}
	return c.send(req, op, form.Get("token"))
}

// send makes a request and returns the body of a 2xx answer, or a
// *kryptos.Error built from the OAuth error answer, with secrets masked.
func (c *Client) send(req *http.Request, op string, secrets ...string) ([]byte, error) {
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: %w", op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: reading the answer: %w", op, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return body, nil
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &e)
	return nil, c.providerError(op, &oauth2.RetrieveError{Response: resp, Body: body, ErrorCode: e.Error, ErrorDescription: e.Description}, secrets...)
}
