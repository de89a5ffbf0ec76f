package kryptos

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// DefaultBaseURL is the base URL of the Kryptos Connect backend API.
const DefaultBaseURL = "https://connect-api.kryptos.io"

// DefaultDataAPIBaseURL is the base URL of the Kryptos data API, which
// serves a user's data to the holder of their access token.
const DefaultDataAPIBaseURL = "https://api-v2.kryptos.io"

// Version is this module's version, sent in the User-Agent header.
const Version = "0.1.0"

// Client calls the Kryptos Connect backend API with one client's
// credentials. Create it once with NewClient and share it: it is safe for
// concurrent use, reuses connections, and keeps the client's quotas across
// all its callers.
//
// A Client prints as its client ID and base URL; the client secret is never
// printed or logged.
type Client struct {
	clientID    string
	baseURL     string
	dataBaseURL string
	// credentials are the headers of every Connect backend call; the data
	// API gets the user's bearer token instead, never the client secret.
	credentials http.Header
	core        *httpcore.Core
}

// NewClient returns a Client for the credentials of a client created in the
// Kryptos Developer Portal. It checks the credentials' form and every option,
// and fails with a *ParamError (matching ErrInvalidParams) before any request
// is made. It makes no request itself.
func NewClient(clientID, clientSecret string, opts ...Option) (*Client, error) {
	if err := checkText("clientID", clientID); err != nil {
		return nil, fmt.Errorf("kryptos: NewClient: %w", err)
	}
	if err := checkText("clientSecret", clientSecret); err != nil {
		return nil, fmt.Errorf("kryptos: NewClient: %w", err)
	}
	s := defaultSettings()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&s); err != nil {
			return nil, fmt.Errorf("kryptos: NewClient: %w", err)
		}
	}

	hc := s.httpClient
	if hc == nil {
		hc = &http.Client{Transport: httpcore.PooledTransport()}
	}
	timeout := s.timeout
	if timeout == 0 {
		timeout = hc.Timeout
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}

	limiter := s.limiter
	if !s.limiterSet {
		limiter, _ = NewQuotaLimiter(DefaultQuotas()) // the defaults are valid
	}
	var wait func(context.Context, string) error
	if limiter != nil {
		wait = func(ctx context.Context, op string) error { return limiter.Wait(ctx, Operation(op)) }
	}

	userAgent := "kryptos-go/" + Version
	if s.appInfo != "" {
		userAgent += " " + s.appInfo
	}
	return &Client{
		clientID:    clientID,
		baseURL:     s.baseURL,
		dataBaseURL: s.dataBaseURL,
		credentials: http.Header{"X-Client-Id": {clientID}, "X-Client-Secret": {clientSecret}},
		core: httpcore.New(httpcore.Config{
			BaseURL:    s.baseURL,
			HTTPClient: hc,
			Header: http.Header{
				"User-Agent": {userAgent},
				"Accept":     {"application/json"},
			},
			Logger:         s.logger,
			Throttle:       wait,
			MaxRetries:     s.retry.MaxRetries,
			MinWait:        s.retry.MinWait,
			MaxWait:        s.retry.MaxWait,
			AttemptTimeout: timeout,
			MaxBodyBytes:   s.maxBody,
		}),
	}, nil
}

// ClientID returns the client ID the Client sends.
func (c *Client) ClientID() string { return c.clientID }

// BaseURL returns the base URL of the Connect backend API the Client calls.
func (c *Client) BaseURL() string { return c.baseURL }

// DataAPIBaseURL returns the base URL of the data API the Client calls.
func (c *Client) DataAPIBaseURL() string { return c.dataBaseURL }

// call is one operation as the endpoint files describe it.
type call struct {
	op     Operation
	policy httpcore.Policy
	method string
	path   string
	body   any
	// bearer, when set, makes this a data API call authorized by the user's
	// access token; otherwise it is a Connect call with the client's
	// credentials.
	bearer string
	// consumedCode and advice: see httpcore.Call.ConsumedCode and opError.
	consumedCode string
	advice       string
}

// do performs a call and decodes its data into out.
func (c *Client) do(ctx context.Context, cl call, out any) error {
	hc := &httpcore.Call{
		Op:           string(cl.op),
		Policy:       cl.policy,
		Method:       cl.method,
		Path:         cl.path,
		Header:       c.credentials,
		Body:         cl.body,
		ConsumedCode: cl.consumedCode,
	}
	if cl.bearer != "" {
		hc.BaseURL = c.dataBaseURL
		hc.Header = http.Header{"Authorization": {"Bearer " + cl.bearer}}
	}
	err := c.core.Do(ctx, hc, out)
	if err != nil {
		return opError(cl.op, err, cl.advice)
	}
	return nil
}

// invalid wraps the rejection of an argument of op.
func invalid(op Operation, err error) error {
	return fmt.Errorf("kryptos: %s: %w", op, err)
}

// Format prints the Client as its client ID and base URL, for every verb, so
// that no formatting of it can reveal the client secret.
func (c *Client) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "kryptos.Client{ClientID:%q, BaseURL:%q}", c.clientID, c.baseURL)
}

// LogValue logs the Client as its client ID and base URL.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", c.clientID), slog.String("base_url", c.baseURL))
}
