package kryptos

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// Version is this module's version, sent in the User-Agent header.
const Version = "0.2.0"

// Client calls the Kryptos Connect backend API with one client's
// credentials, and the data API for its users (see User). Create it once
// with NewClient and share it: it is safe for concurrent use, reuses
// connections, and keeps the client's quotas across all its callers.
//
// A Client prints as its client ID and endpoints; the client secret is
// never printed or logged.
type Client struct {
	clientID  string
	endpoints Endpoints
	// clientHeader holds the credentials of every Connect backend call; the
	// data API gets a user's credential instead, never the client secret.
	clientHeader http.Header
	// clientSecrets are scrubbed from the server's messages.
	clientSecrets []string
	limiter       Limiter
	maxQuotaWait  time.Duration
	logger        *slog.Logger
	core          *httpcore.Core
}

// NewClient returns a Client for the credentials of a client created in the
// Kryptos Developer Portal. It checks the credentials' form and every option,
// and fails with a *ParamError (matching ErrInvalidParams) before any request
// is made. It makes no request itself.
func NewClient(clientID, clientSecret string, opts ...Option) (*Client, error) {
	if err := checkText("clientID", clientID); err != nil {
		return nil, fmt.Errorf("kryptos: NewClient: %w", err)
	}
	if err := checkCredential("clientSecret", clientSecret); err != nil {
		return nil, fmt.Errorf("kryptos: NewClient: %w", err)
	}
	c, err := newClient(opts)
	if err != nil {
		return nil, fmt.Errorf("kryptos: NewClient: %w", err)
	}
	c.clientID = clientID
	c.clientHeader = http.Header{"X-Client-Id": {clientID}, "X-Client-Secret": {clientSecret}}
	c.clientSecrets = []string{clientSecret}
	return c, nil
}

// NewUserClient returns the data API handle of one user for a program that
// has that user's credential but no client credentials: a script or a
// command line tool with a user's access token or API key, or an app that
// signs users in with Kryptos (the oauth package) and only reads their data.
// It takes the same options as NewClient and checks them the same way, and
// refuses a malformed access token or API key; it makes no request itself.
//
//	user, err := kryptos.NewUserClient(kryptos.AccessToken(os.Getenv("KRYPTOS_ACCESS_TOKEN")))
//
// A backend that also calls the Connect API (link tokens, exchanges, grants)
// should create one Client and use Client.User for each user instead, so that
// all its calls share one connection pool and one set of quotas.
func NewUserClient(cred Credential, opts ...Option) (*UserClient, error) {
	if cred == nil {
		return nil, fmt.Errorf("kryptos: NewUserClient: %w", &ParamError{"cred", "is nil; build one with AccessToken, TokenSource or APIKey"})
	}
	if err := cred.check(); err != nil {
		return nil, fmt.Errorf("kryptos: NewUserClient: %w", err)
	}
	c, err := newClient(opts)
	if err != nil {
		return nil, fmt.Errorf("kryptos: NewUserClient: %w", err)
	}
	return c.User(cred), nil
}

// newClient returns a Client with the options' settings and no client
// credentials.
func newClient(opts []Option) (*Client, error) {
	s, err := newSettings(opts)
	if err != nil {
		return nil, err
	}
	c := &Client{
		endpoints:    s.endpoints,
		limiter:      s.limiter,
		maxQuotaWait: s.maxQuotaWait,
		logger:       s.logger,
	}
	userAgent := "kryptos-go/" + Version
	if s.appInfo != "" {
		userAgent += " " + s.appInfo
	}
	c.core = httpcore.New(httpcore.Config{
		Transport:      s.transport,
		Header:         http.Header{"User-Agent": {userAgent}, "Accept": {"application/json"}},
		Logger:         s.logger,
		Wait:           c.wait,
		Backoff:        c.backoff,
		MaxRetries:     s.retry.MaxRetries,
		MinWait:        s.retry.MinWait,
		MaxWait:        s.retry.MaxWait,
		MaxPause:       s.maxQuotaWait,
		PauseBounded:   s.maxQuotaWait >= 0,
		AttemptTimeout: s.timeout,
		MaxBodyBytes:   s.maxBody,
	})
	return c, nil
}

// ClientID returns the client ID the Client sends.
func (c *Client) ClientID() string { return c.clientID }

// Endpoints returns the base URLs the Client calls.
func (c *Client) Endpoints() Endpoints { return c.endpoints }

// Format prints the Client, or a pointer to it, as its client ID and
// endpoints, for every verb, so that no formatting of it can reveal the
// client secret.
func (c Client) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "kryptos.Client{ClientID:%q, Connect:%q, Data:%q}", c.clientID, c.endpoints.Connect, c.endpoints.Data)
}

// LogValue logs the Client as its client ID and endpoints.
func (c Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", c.clientID),
		slog.String("connect", c.endpoints.Connect), slog.String("data", c.endpoints.Data))
}
