package oauth

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/kryptos-connect/kryptos-go"
)

// Config is what a Client needs: the provider, the app's registration with
// it, and the key that protects the sign-in state.
type Config struct {
	// Provider is Kryptos() by default.
	Provider Provider
	// ClientID and ClientSecret are the app's credentials at the provider
	// (the Kryptos Developer Portal's client).
	ClientID, ClientSecret string
	// RedirectURL is the app's callback, registered at the provider.
	RedirectURL string
	// Scopes asked for at sign-in; openid is needed for an ID token.
	// DefaultScopes when nil.
	Scopes kryptos.Scopes
	// StateKey seals the short-lived cookie that binds a sign-in to the
	// browser that started it: at least 32 random bytes, the same on every
	// replica of the app, kept secret.
	StateKey []byte
	// HTTPClient sends the provider's requests; a client with a 30 s
	// timeout when nil. Its transport is wrapped, never replaced.
	HTTPClient *http.Client
	// Limiter holds the calls to the provider to the documented OIDC
	// quotas: token endpoint 100 a minute, userinfo 1000 an hour, the
	// others 200 an hour (kryptos.DefaultQuotas), and waits out its 429s.
	// A new in-process limiter when nil; share one with your kryptos.Client,
	// or a Redis-backed one across replicas.
	Limiter kryptos.Limiter
	// Logger receives warnings (a 429 from the provider); none when nil.
	Logger *slog.Logger
	// Native marks a native app (RFC 8252), such as a command line or a
	// desktop app, that signs users in with StartNativeSignIn: it keeps
	// each sign-in's state in memory and receives the redirect itself, so
	// it needs neither RedirectURL nor StateKey, and the web flow's cookie
	// (StartSignIn, Callback and their handlers) is refused.
	Native bool
}

// Format prints the Config, or a pointer to it, without ClientSecret and
// StateKey (only whether they are set), for every verb: like the Client it
// builds, it must not put them in a log when an app prints its settings.
func (cfg Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "oauth.Config{Issuer:%q, ClientID:%q, ClientSecret:%s, RedirectURL:%q, StateKey:%s, Scopes:%q, Native:%t}",
		cfg.Provider.Issuer, cfg.ClientID, redacted(cfg.ClientSecret != "", `""`), cfg.RedirectURL, redacted(len(cfg.StateKey) > 0, `""`), cfg.Scopes.String(), cfg.Native)
}

// LogValue logs the Config as Format prints it, without its secrets.
func (cfg Config) LogValue() slog.Value { return slog.StringValue(fmt.Sprint(cfg)) }

// MarshalJSON encodes the Config's settings with ClientSecret and StateKey
// redacted (only whether they are set), as connecthttp.Key does: slog's
// JSON handler, and any JSON report, encode a Config held in another
// struct with encoding/json, never through LogValue.
func (cfg Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Provider                    Provider
		ClientID, ClientSecret      string
		RedirectURL                 string
		Scopes                      kryptos.Scopes
		StateKey                    string
		HTTPClient, Limiter, Logger bool
		Native                      bool
	}{cfg.Provider, cfg.ClientID, redacted(cfg.ClientSecret != "", ""), cfg.RedirectURL, cfg.Scopes,
		redacted(len(cfg.StateKey) > 0, ""), cfg.HTTPClient != nil, cfg.Limiter != nil, cfg.Logger != nil, cfg.Native})
}

// redacted is "[redacted]" for a secret that is set, none for none.
func redacted(set bool, none string) string {
	if set {
		return "[redacted]"
	}
	return none
}

// DefaultScopes are the scopes a Client asks for when Config.Scopes is
// nil: the identity scopes, offline_access for a refresh token, and read
// access to the user's portfolio data.
func DefaultScopes() kryptos.Scopes {
	return kryptos.Scopes{kryptos.ScopeOpenID, kryptos.ScopeProfile, kryptos.ScopeEmail, kryptos.ScopeOfflineAccess,
		kryptos.ScopePortfoliosRead, kryptos.ScopeTransactionsRead, kryptos.ScopeIntegrationsRead, kryptos.ScopeUsersRead}
}

const defaultTimeout = 30 * time.Second

// Client signs users in with an OAuth 2.0 / OpenID Connect provider and
// keeps their tokens fresh. It is safe for concurrent use.
type Client struct {
	provider Provider
	oauth    oauth2.Config
	hc       *http.Client
	// verifier checks ID tokens; nil for a provider without an issuer.
	verifier *oidc.IDTokenVerifier
	stateKey []byte
	secure   bool
	native   bool
	logger   *slog.Logger
	// flights shares each refresh token's refresh among the TokenSources
	// of this Client, such as one per request of the same user.
	flights *refreshFlights
	// spent holds the states of the callbacks accepted: each once.
	spent *spentStates
}

// New checks cfg and returns a Client. It makes no request: ID token keys
// are fetched when the first ID token is verified.
func New(cfg Config) (*Client, error) {
	if cfg.Provider == (Provider{}) {
		cfg.Provider = Kryptos()
	}
	if cfg.Scopes == nil {
		cfg.Scopes = DefaultScopes()
	}
	p := cfg.Provider
	if err := checkConfig(cfg); err != nil {
		return nil, fmt.Errorf("oauth: New: %w", err)
	}
	limiter := cfg.Limiter
	if limiter == nil {
		limiter, _ = kryptos.NewLimiter(kryptos.LimiterConfig{Quotas: kryptos.DefaultQuotas()}) // valid defaults
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hc := &http.Client{Timeout: defaultTimeout}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = &quotaTransport{next: next, limiter: limiter, provider: p, logger: logger}
	// A provider never redirects these calls; following one could carry the
	// client secret of a token request to another host.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	var key []byte
	if !cfg.Native {
		var err error
		if key, err = hkdf.Key(sha256.New, cfg.StateKey, nil, "kryptos-go oauth state", 32); err != nil {
			return nil, fmt.Errorf("oauth: New: deriving the state key: %w", err)
		}
	}
	redirect, _ := url.Parse(cfg.RedirectURL)
	c := &Client{
		provider: p,
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL, TokenURL: p.TokenURL, AuthStyle: p.AuthStyle},
			Scopes:   strings.Fields(cfg.Scopes.String()),
		},
		hc: hc, stateKey: key, secure: redirect.Scheme == "https", native: cfg.Native, logger: logger,
		flights: &refreshFlights{m: map[string]*refreshFlight{}}, spent: &spentStates{},
	}
	if p.Issuer != "" {
		ctx := oidc.ClientContext(context.Background(), hc)
		keys := oidc.NewRemoteKeySet(ctx, p.JWKSURL)
		c.verifier = oidc.NewVerifier(p.Issuer, keys, &oidc.Config{ClientID: cfg.ClientID, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256}})
	}
	return c, nil
}

func checkConfig(cfg Config) error {
	p := cfg.Provider
	urls := map[string]string{"Provider.AuthURL": p.AuthURL, "Provider.TokenURL": p.TokenURL, "RedirectURL": cfg.RedirectURL}
	if cfg.Native && cfg.RedirectURL == "" {
		delete(urls, "RedirectURL") // each native sign-in names its own
	}
	for field, v := range urls {
		u, err := url.Parse(v)
		if err != nil || !u.IsAbs() || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return &kryptos.ParamError{Field: field, Problem: "must be an absolute http(s) URL"}
		}
	}
	switch {
	case p.Issuer != "" && p.JWKSURL == "":
		return &kryptos.ParamError{Field: "Provider.JWKSURL", Problem: "is needed to verify the ID tokens of an OpenID Connect provider"}
	case strings.TrimSpace(cfg.ClientID) == "":
		return &kryptos.ParamError{Field: "ClientID", Problem: "must not be empty"}
	case strings.TrimSpace(cfg.ClientSecret) == "":
		return &kryptos.ParamError{Field: "ClientSecret", Problem: "must not be empty"}
	case !cfg.Native && len(cfg.StateKey) < 32:
		return &kryptos.ParamError{Field: "StateKey", Problem: "must be at least 32 random bytes (for example from crypto/rand), the same on every replica"}
	}
	for _, s := range cfg.Scopes {
		if s == "" || strings.ContainsAny(string(s), " \t\r\n\"\\") {
			return &kryptos.ParamError{Field: "Scopes", Problem: fmt.Sprintf("%q is not a scope", string(s))}
		}
	}
	return nil
}

// Provider returns the provider the Client signs users in with.
func (c *Client) Provider() Provider { return c.provider }

// Format prints the Client, or a pointer to it, as its client ID, token URL
// and redirect URL, for every verb, so that no formatting of it can reveal
// the client secret or the key that seals the state cookies.
func (c Client) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "oauth.Client{ClientID:%q, TokenURL:%q, RedirectURL:%q}", c.oauth.ClientID, c.oauth.Endpoint.TokenURL, c.oauth.RedirectURL)
}

// LogValue logs the Client as its client ID, token URL and redirect URL.
func (c Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", c.oauth.ClientID), slog.String("token_url", c.oauth.Endpoint.TokenURL),
		slog.String("redirect_url", c.oauth.RedirectURL))
}

// context returns ctx carrying the Client's HTTP client, which
// golang.org/x/oauth2 uses for its token requests.
func (c *Client) context(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.hc)
}
