package kryptos

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// Option configures a Client. NewClient checks every option and fails with
// a *ParamError for an invalid one, so that nothing fails later.
type Option func(*settings) error

// settings is what the options set; NewClient turns it into a Client.
type settings struct {
	endpoints    Endpoints
	transport    http.RoundTripper
	timeout      time.Duration
	retry        RetryPolicy
	limiter      Limiter
	maxQuotaWait time.Duration
	logger       *slog.Logger
	appInfo      string
	maxBody      int64
}

// Defaults of a Client's settings.
const (
	// DefaultTimeout bounds each attempt of a call, from sending the request
	// to reading the last byte of the answer.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxResponseBytes caps the size of an answer's body.
	DefaultMaxResponseBytes = 10 << 20
)

// newSettings applies opts over the defaults and checks the result.
func newSettings(opts []Option) (settings, error) {
	s := settings{
		endpoints:    ProductionEndpoints(),
		retry:        DefaultRetryPolicy(),
		maxQuotaWait: -1,
		logger:       slog.New(slog.DiscardHandler),
		maxBody:      DefaultMaxResponseBytes,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&s); err != nil {
			return s, err
		}
	}
	var err error
	if s.endpoints, err = s.endpoints.check(); err != nil {
		return s, err
	}
	if s.transport == nil {
		s.transport = httpcore.DefaultTransport()
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.limiter == nil {
		s.limiter, _ = NewLimiter(LimiterConfig{Quotas: DefaultQuotas()}) // the defaults are valid
	}
	return s, nil
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

// WithEndpoints sets the base URLs of the Connect and data APIs (default
// ProductionEndpoints). Each must be https, except on loopback hosts
// (127.0.0.1, ::1, localhost), which may use http. Both must be loopback or
// neither, so that a user's token cannot go to production from a client
// half-pointed at a sandbox. A path prefix is kept; a query, fragment or
// user info is refused.
func WithEndpoints(e Endpoints) Option {
	return func(s *settings) error {
		s.endpoints = e
		return nil
	}
}

// WithSandbox points both APIs at baseURL, such as the URL of a
// kryptostest.Server or of the kryptos sandbox command, which serve both at
// one address.
func WithSandbox(baseURL string) Option {
	return WithEndpoints(Endpoints{Connect: baseURL, Data: baseURL})
}

// WithHTTPClient makes the Client send its requests through hc's transport,
// so proxies, custom TLS, mocks and instrumentation such as OpenTelemetry are
// kept; a nil Transport means http.DefaultTransport. hc.Timeout becomes the
// per-attempt timeout unless WithTimeout is given. The Client adds its own
// quota waits and per-attempt timeout around the transport and refuses
// redirects (which would carry the client secret elsewhere); hc's other
// fields (CheckRedirect, Jar) are not used.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return &ParamError{"httpClient", "must not be nil"}
		}
		s.transport = hc.Transport
		if s.timeout == 0 {
			s.timeout = hc.Timeout
		}
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

// WithLimiter replaces the Client's Limiter (by default a NewLimiter with
// DefaultQuotas, which keeps no quota on Connect and data calls and holds a
// class only after the server's 429). Pass the same Limiter to every Client
// that shares a client ID. A nil Limiter is refused.
func WithLimiter(l Limiter) Option {
	return func(s *settings) error {
		if l == nil {
			return &ParamError{"limiter", "must not be nil; NewLimiter(LimiterConfig{}) keeps no client-side quota"}
		}
		s.limiter = l
		return nil
	}
}

// WithMaxQuotaWait bounds how long a call may wait on the client side, for
// its Limiter's quota or a server's 429 pause: a call that would wait longer
// fails at once, without being sent, with an error matching ErrQuotaWait;
// the call whose own attempt drew a 429 asking for longer gets that 429
// returned at once, RetryAfter set, instead of sleeping before a retry. A
// max of zero fails whenever waiting would be needed. By default a call
// waits as long as its context allows, and a wait of over a second is
// logged as a warning (to WithLogger's logger).
func WithMaxQuotaWait(max time.Duration) Option {
	return func(s *settings) error {
		if max < 0 {
			return &ParamError{"maxQuotaWait", "must not be negative"}
		}
		s.maxQuotaWait = max
		return nil
	}
}

// WithLogger sends the Client's records to l (by default they are
// discarded): each attempt at debug level with its operation, path, status
// and duration; a warning for every 429, and for every call the client-side
// quota held over a second. No record holds a secret, a token, a header, a
// query or a body. A nil l keeps the default.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		if l != nil {
			s.logger = l
		}
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
// the moment it is sent, after any quota wait, to the last byte of its
// answer. The whole call, retries included, is bounded by the caller's
// context. The per-attempt bound costs nothing when that context's deadline
// comes sooner, and next to nothing (no timer or context of its own for each
// attempt) when the requests go through net/http's own *http.Transport, as
// they do by default.
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
