package kryptos

import (
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Option configures a Client. Options are checked by NewClient, which fails
// with a *ParamError for an invalid one.
type Option func(*settings) error

// settings is what the options set; NewClient turns it into a Client.
type settings struct {
	baseURL     string
	dataBaseURL string
	httpClient  *http.Client
	retry       RetryPolicy
	limiter     Limiter
	limiterSet  bool
	logger      *slog.Logger
	appInfo     string
	timeout     time.Duration
	maxBody     int64
}

// Defaults of a Client's settings.
const (
	// DefaultTimeout bounds each attempt of a call, from sending the request
	// to reading the last byte of the answer.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxResponseBytes caps the size of an answer's body.
	DefaultMaxResponseBytes = 10 << 20
)

func defaultSettings() settings {
	return settings{
		baseURL:     DefaultBaseURL,
		dataBaseURL: DefaultDataAPIBaseURL,
		retry:       DefaultRetryPolicy(),
		logger:      slog.New(slog.DiscardHandler),
		maxBody:     DefaultMaxResponseBytes,
	}
}

// RetryPolicy bounds how often, and after how long a wait, a failed attempt
// is repeated. Which failures are repeated depends on the operation: see the
// package documentation.
type RetryPolicy struct {
	// MaxRetries is the number of attempts after the first; 0 turns retries
	// off.
	MaxRetries int
	// MinWait is the shortest wait between attempts; zero means the default.
	MinWait time.Duration
	// MaxWait is the longest wait between attempts; zero means the default.
	// A server that asks to wait longer (Retry-After) gets its answer
	// returned to the caller, with Error.RetryAfter set, instead of a sleep.
	MaxWait time.Duration
}

// DefaultRetryPolicy returns the policy of a Client built without
// WithRetryPolicy: 3 retries, waits from 500 ms to 30 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, MinWait: 500 * time.Millisecond, MaxWait: 30 * time.Second}
}

// WithBaseURL sets the API's base URL (default DefaultBaseURL). It must be
// https, except for loopback hosts (127.0.0.1, ::1, localhost), which may use
// http for tests and the sandbox. A path prefix is kept; a query, fragment or
// user info is refused.
func WithBaseURL(rawURL string) Option {
	return func(s *settings) (err error) {
		s.baseURL, err = parseBaseURL("baseURL", rawURL, DefaultBaseURL)
		return err
	}
}

// WithDataAPIBaseURL sets the base URL of the data API (default
// DefaultDataAPIBaseURL), under the same rules as WithBaseURL. The sandbox
// in kryptostest serves both APIs at one URL.
func WithDataAPIBaseURL(rawURL string) Option {
	return func(s *settings) (err error) {
		s.dataBaseURL, err = parseBaseURL("dataAPIBaseURL", rawURL, DefaultDataAPIBaseURL)
		return err
	}
}

// parseBaseURL checks a base URL and returns it without a trailing slash.
func parseBaseURL(field, rawURL, example string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	switch {
	case err != nil || rawURL == "":
		return "", &ParamError{field, "is not a URL; want one like " + example}
	case u.User != nil:
		return "", &ParamError{field, "must not contain user info; credentials go to NewClient"}
	case u.Host == "" || !u.IsAbs():
		return "", &ParamError{field, "must be absolute, like " + example}
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", &ParamError{field, "must not have a query or fragment"}
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http":
		return "", &ParamError{field, "must use https; plain http is allowed only for loopback hosts"}
	default:
		return "", &ParamError{field, "must use https"}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// WithHTTPClient makes the Client send its requests through hc's transport,
// so proxies, custom TLS and instrumentation such as OpenTelemetry are kept.
// The Client works on a copy of hc: it adds its throttle and per-attempt
// timeout around the transport, refuses redirects (which would carry the
// client secret elsewhere), and uses hc.Timeout as the per-attempt timeout
// unless WithTimeout is given.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return &ParamError{"httpClient", "must not be nil"}
		}
		s.httpClient = hc
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(s *settings) error {
		def := DefaultRetryPolicy()
		if p.MinWait == 0 {
			p.MinWait = def.MinWait
		}
		if p.MaxWait == 0 {
			p.MaxWait = def.MaxWait
		}
		switch {
		case p.MaxRetries < 0 || p.MaxRetries > 100:
			return &ParamError{"RetryPolicy.MaxRetries", "must be between 0 and 100"}
		case p.MinWait < 0 || p.MaxWait < 0:
			return &ParamError{"RetryPolicy", "waits must not be negative"}
		case p.MaxWait < p.MinWait:
			return &ParamError{"RetryPolicy.MaxWait", "must not be shorter than MinWait"}
		}
		s.retry = p
		return nil
	}
}

// WithLimiter replaces the client-side throttle (by default a
// NewQuotaLimiter of DefaultQuotas). nil turns client-side throttling off.
// Pass the same Limiter to every Client that shares a client ID.
func WithLimiter(l Limiter) Option {
	return func(s *settings) error {
		s.limiter, s.limiterSet = l, true
		return nil
	}
}

// WithLogger sends the Client's records to l (by default they are
// discarded): each attempt at debug level with its operation, path, status
// and duration, and a warning for every 429. No record holds a secret, a
// token, a header or a body. nil restores the default.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		if l == nil {
			l = slog.New(slog.DiscardHandler)
		}
		s.logger = l
		return nil
	}
}

// WithUserAgent appends appInfo, such as "myapp/1.2", to the User-Agent
// "kryptos-go/<Version>" sent with every request.
func WithUserAgent(appInfo string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(appInfo) == "" || strings.ContainsFunc(appInfo, isControl) {
			return &ParamError{"appInfo", "must be printable text, like myapp/1.2"}
		}
		s.appInfo = appInfo
		return nil
	}
}

// WithTimeout bounds each attempt of a call (default DefaultTimeout), from
// the moment it is sent, after any throttle wait, to the last byte of its
// answer. The whole call, retries included, is bounded by the caller's
// context.
func WithTimeout(perAttempt time.Duration) Option {
	return func(s *settings) error {
		if perAttempt <= 0 {
			return &ParamError{"perAttempt", "must be positive"}
		}
		s.timeout = perAttempt
		return nil
	}
}

// WithMaxResponseBytes caps the size of an answer's body (default
// DefaultMaxResponseBytes). A larger body fails the call with an *Error that
// wraps ErrResponseTooLarge. Raise it to list many thousands of grants.
func WithMaxResponseBytes(n int64) Option {
	return func(s *settings) error {
		if n <= 0 {
			return &ParamError{"maxResponseBytes", "must be positive"}
		}
		s.maxBody = n
		return nil
	}
}
