package reliability

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// matrixRetries is the retry budget of the fault matrix: a fault retried to
// the end shows as 1+matrixRetries attempts.
const matrixRetries = 2

// matrixTimeout is the matrix clients' per-attempt timeout: well under the
// faults' 5 s stalls, and long enough that a loaded machine (2 shared cores
// under -race) answers a healthy attempt within it.
const matrixTimeout = time.Second

// matrixBodyCap is the matrix clients' response size cap: small, so that an
// oversized body is quick to send.
const matrixBodyCap = 64 << 10

// successStatus in a matrixFault stands for the operation's own success
// status (200, or 202 for a resync).
const successStatus = -1

// matrixFault is one way the network, a proxy, the API or the caller's own
// context misbehaves, with what the SDK must make of it.
type matrixFault struct {
	name string
	// fault is queued at the sandbox for every attempt (the first only,
	// with once).
	fault kryptostest.Fault
	// body: a loopback proxy lets the sandbox process the request, then
	// spoils its answer's body on the wire.
	body bodyFault
	// once: only the first attempt meets the fault; a retry gets the real
	// answer.
	once bool
	// refused: no server listens at all.
	refused bool
	// cancelled: the caller's ctx is done before the call.
	cancelled bool
	// held: the client's Limiter holds the operation's quota class for an
	// hour, and the client may wait a second at most (WithMaxQuotaWait).
	held bool
	// deadline, when set, bounds the call's ctx.
	deadline time.Duration
	// retryDate, when set, is added to the fault as a retry_after header
	// holding an HTTP date this far ahead of the moment the cell starts:
	// a date in the past would read as no wait at all, whether or not the
	// SDK parses dates.
	retryDate time.Duration
	// waits is the least a retried call must take: the wait the answer
	// asked for (a date's, less its truncation to the second).
	waits time.Duration
	// atOnce: the call must return without waiting between attempts.
	atOnce bool
	// retriedIdempotent and retriedOneShot: whether each kind of operation
	// sends the request again.
	retriedIdempotent, retriedOneShot bool
	// processed: the request takes effect before the fault.
	processed bool
	// ambiguous: a one-shot operation cannot know whether it took effect.
	ambiguous bool
	// succeeds names the operations that succeed despite the fault.
	succeeds []string
	// holdsClass: the answer makes the client's Limiter hold the
	// operation's whole quota class afterwards.
	holdsClass bool
	// gone: a RevokeGrant that took effect and is retried finds its grant
	// gone (404 GRANT_NOT_FOUND), which may be its own doing: the outcome
	// is unknown.
	gone bool
	// status and code of the *kryptos.Error, or 0 when the failure is not an
	// answer from the API; is: a sentinel the error matches.
	status int
	code   string
	is     error
}

func matrixFaults() []matrixFault {
	html := kryptostest.Fault{Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>", ContentType: "text/html"}
	noResult := kryptostest.Fault{Status: 200, Body: `{"success":true,"data":{}}`, ContentType: "application/json", AfterProcessing: true}
	return []matrixFault{
		{name: "connection refused", refused: true, retriedIdempotent: true, retriedOneShot: true},
		{name: "reset before processing", fault: kryptostest.Fault{Drop: true}, retriedIdempotent: true, ambiguous: true},
		{name: "reset after processing", fault: kryptostest.Fault{Drop: true, AfterProcessing: true}, retriedIdempotent: true, processed: true, ambiguous: true},
		{name: "per-attempt timeout", fault: kryptostest.Fault{Delay: 5 * time.Second}, retriedIdempotent: true, ambiguous: true, is: kryptos.ErrAttemptTimeout},
		{name: "500", fault: kryptostest.Fault{Status: 500, Code: "INTERNAL_ERROR", Message: "boom"}, ambiguous: true, status: 500, code: "INTERNAL_ERROR", is: kryptos.ErrInternal},
		{name: "502", fault: kryptostest.Fault{Status: 502, Code: "EXTERNAL_SERVICE_ERROR", Message: "upstream"}, retriedIdempotent: true, ambiguous: true, status: 502, code: "EXTERNAL_SERVICE_ERROR", is: kryptos.ErrExternalService},
		{name: "503 with Retry-After", fault: kryptostest.Fault{Status: 503, Message: "maintenance", Header: http.Header{"Retry-After": {"0.05"}}}, waits: 2 * 50 * time.Millisecond, retriedIdempotent: true, ambiguous: true, status: 503},
		{name: "504", fault: kryptostest.Fault{Status: 504}, retriedIdempotent: true, ambiguous: true, status: 504},
		{name: "429 with retry_after in seconds", fault: kryptostest.Fault{Status: 429, Code: "RATE_LIMIT_EXCEEDED", Message: "slow down", Header: http.Header{"retry_after": {"0.05"}}}, waits: 2 * 50 * time.Millisecond, retriedIdempotent: true, retriedOneShot: true, status: 429, code: "RATE_LIMIT_EXCEEDED", is: kryptos.ErrRateLimited},
		// The date is set when the cell starts, 1.5 s ahead: truncated to the
		// second, it asks for more than 0.5 s, less than MaxWait.
		{name: "429 with an HTTP date", fault: kryptostest.Fault{Status: 429, Code: "RATE_LIMIT_EXCEEDED", Message: "slow down"}, retryDate: 1500 * time.Millisecond, waits: 300 * time.Millisecond, retriedIdempotent: true, retriedOneShot: true, status: 429, code: "RATE_LIMIT_EXCEEDED", is: kryptos.ErrRateLimited},
		{name: "429 asking for longer than MaxWait", fault: kryptostest.Fault{Status: 429, Code: "RATE_LIMIT_EXCEEDED", Message: "come back later", Header: http.Header{"retry_after": {"3600"}}}, holdsClass: true, atOnce: true, status: 429, code: "RATE_LIMIT_EXCEEDED", is: kryptos.ErrRateLimited},
		{name: "success:false on a 200", fault: kryptostest.Fault{Status: 200, Code: "VALIDATION_ERROR", Message: "bad"}, status: 200, code: "VALIDATION_ERROR", is: kryptos.ErrValidation},
		{name: "HTML 502 from a proxy", fault: html, retriedIdempotent: true, ambiguous: true, status: 502},
		// A revoke answers without data: any body of its 200 is a success.
		{name: "truncated JSON", fault: kryptostest.Fault{Truncate: true}, processed: true, ambiguous: true,
			succeeds: []string{"RevokeGrant"}, status: successStatus, is: kryptos.ErrMalformedResponse},
		{name: "body over the size cap", fault: kryptostest.Fault{Pad: matrixBodyCap + 1}, processed: true, ambiguous: true, status: successStatus, is: kryptos.ErrResponseTooLarge},
		{name: "unknown error code", fault: kryptostest.Fault{Status: 418, Code: "TEAPOT_PROTOCOL", Message: "new"}, status: 418, code: "TEAPOT_PROTOCOL"},
		{name: "401 with an empty body", fault: kryptostest.Fault{Status: 401}, status: 401, is: kryptos.ErrUnauthorized},
		// What Core v2 adds: the body is read inside the attempt, so a 2xx
		// whose body is cut or stalls is a failed attempt like any other.
		{name: "2xx body cut short once", body: cutBody, once: true, retriedIdempotent: true, processed: true, ambiguous: true, gone: true, status: successStatus, is: kryptos.ErrMalformedResponse},
		{name: "2xx body cut short every time", body: cutBody, retriedIdempotent: true, processed: true, ambiguous: true, gone: true, status: successStatus, is: kryptos.ErrMalformedResponse},
		{name: "2xx body stalls past the per-attempt timeout once", body: stallBody, once: true, retriedIdempotent: true, processed: true, ambiguous: true, gone: true, status: successStatus, is: kryptos.ErrAttemptTimeout},
		// RevokeGrant's answer carries no data, so it needs none. A list
		// page without its list ({"data":{}}) is malformed, not empty, as
		// GetSyncJob refuses a job without a status and the Connect reads
		// an answer without their result.
		{name: "2xx without the operation's result", fault: noResult, processed: true, ambiguous: true,
			succeeds: []string{"RevokeGrant"}, status: 200, is: kryptos.ErrMalformedResponse},
		{name: "503 asking to wait past ctx's deadline", fault: kryptostest.Fault{Status: 503, Message: "maintenance", Header: http.Header{"Retry-After": {"1.5"}}}, deadline: time.Second, ambiguous: true, status: 503},
		{name: "ctx already cancelled", cancelled: true, is: context.Canceled},
		{name: "client-side quota held", held: true, is: kryptos.ErrQuotaWait},
	}
}

// fixture is a sandbox with a connected Guest user, a sync job of theirs,
// and a public token still to exchange.
type fixture struct {
	srv         *kryptostest.Server
	grant       *kryptos.AccessGrant
	userID      string
	walletID    string
	jobID       string
	publicToken string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := kryptostest.NewServer(kryptostest.WithRateLimits(nil))
	t.Cleanup(srv.Close)
	c := srv.Client()
	g := connectGuest(t, srv, c)
	job, err := c.ResyncIntegration(context.Background(), g.walletID, kryptos.ResyncParams{UserID: g.userID, Mode: kryptos.ResyncFromStart})
	require.NoError(t, err)
	return &fixture{srv: srv, grant: g.grant, userID: g.userID, walletID: g.walletID, jobID: job.JobID, publicToken: linkGuest(t, srv, c)}
}

// matrixOp is one of the operations, with the route it calls and the quota
// class it counts against: the seven Connect backend operations, and the
// data API reads a resync needs.
type matrixOp struct {
	name    string
	oneShot bool
	class   kryptos.QuotaClass
	// success is the status of a successful answer.
	success int
	// revokes: the operation is RevokeGrant, whose retry can find its own
	// effect (GRANT_NOT_FOUND).
	revokes bool
	// reports: the operation is UpdateTransactionLimit, whose retry's
	// answer can say that it changed nothing, the first attempt's doing.
	reports bool
	path    func(*fixture) string
	call    func(context.Context, *kryptos.Client, *fixture, ...kryptos.CallOption) error
	// effects counts what the operation did at the server, for those that
	// must do it at most once.
	effects func(kryptostest.Stats) int
}

func matrixOps() []matrixOp {
	static := func(p string) func(*fixture) string { return func(*fixture) string { return p } }
	return []matrixOp{
		{name: "CreateLinkToken", class: kryptos.ClassLinkToken, path: static("/link-token"),
			call: func(ctx context.Context, c *kryptos.Client, f *fixture, o ...kryptos.CallOption) error {
				_, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: f.grant.AccessToken}, o...)
				return err
			}},
		{name: "ExchangePublicToken", oneShot: true, class: kryptos.ClassExchange, path: static("/token/exchange"),
			call: func(ctx context.Context, c *kryptos.Client, f *fixture, o ...kryptos.CallOption) error {
				_, err := c.ExchangePublicToken(ctx, f.publicToken, o...)
				return err
			}, effects: func(s kryptostest.Stats) int { return s.TokensExchanged - 1 }}, // the fixture exchanged one
		{name: "CheckSession", class: kryptos.ClassConnect, path: static("/link-token/check-session"),
			call: func(ctx context.Context, c *kryptos.Client, f *fixture, o ...kryptos.CallOption) error {
				_, err := c.CheckSession(ctx, f.grant.AccessToken.Reveal(), o...)
				return err
			}},
		{name: "ListGrants", class: kryptos.ClassConnect, path: static("/token/grants"),
			call: func(ctx context.Context, c *kryptos.Client, _ *fixture, o ...kryptos.CallOption) error {
				_, err := c.ListGrants(ctx, o...)
				return err
			}},
		{name: "RevokeGrant", class: kryptos.ClassConnect, revokes: true, path: static("/token/revoke"),
			call: func(ctx context.Context, c *kryptos.Client, f *fixture, o ...kryptos.CallOption) error {
				return c.RevokeGrant(ctx, f.grant.GrantID, o...)
			}},
		{name: "ResyncIntegration", oneShot: true, class: kryptos.ClassConnect, success: http.StatusAccepted,
			path: func(f *fixture) string { return "/developer/integrations/" + f.walletID + "/resync" },
			call: func(ctx context.Context, c *kryptos.Client, f *fixture, o ...kryptos.CallOption) error {
				_, err := c.ResyncIntegration(ctx, f.walletID, kryptos.ResyncParams{UserID: f.userID, Mode: kryptos.ResyncLatest}, o...)
				return err
			}, effects: func(s kryptostest.Stats) int { return s.ResyncsQueued - 1 }}, // the fixture queued one
		{name: "ListIntegrations", class: kryptos.ClassData, path: static("/v1/integrations"),
			call: func(ctx context.Context, c *kryptos.Client, f *fixture, o ...kryptos.CallOption) error {
				_, err := c.User(f.grant.Credential()).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{}, o...)
				return err
			}},
		{name: "GetSyncJob", class: kryptos.ClassData, path: func(f *fixture) string { return "/v1/sync/" + f.jobID },
			call: func(ctx context.Context, c *kryptos.Client, f *fixture, o ...kryptos.CallOption) error {
				_, err := c.User(f.grant.Credential()).GetSyncJob(ctx, f.jobID, o...)
				return err
			}},
		{name: "UpdateTransactionLimit", class: kryptos.ClassConnect, reports: true,
			path: func(f *fixture) string { return "/developer/grants/" + f.grant.GrantID + "/transaction-limit" },
			call: func(ctx context.Context, c *kryptos.Client, f *fixture, o ...kryptos.CallOption) error {
				_, err := c.UpdateTransactionLimit(ctx, f.grant.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](42)}, o...)
				return err
			}},
	}
}

// matrixTally gathers the fault matrix's figures across its parallel cells.
type matrixTally struct {
	cells, effectsChecked, requestIDs atomic.Int32
	mu                                sync.Mutex
	worst                             map[string]int // most effects of a one-shot operation in any cell
}

func (m *matrixTally) effects(op string, n int) {
	m.effectsChecked.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.worst[op] = max(m.worst[op], n)
}

// TestFaultMatrix runs every operation against every fault, each cell on a
// sandbox of its own, and checks the attempts sent, the error returned (its
// class, sentinel, status, code, request id and one-line text), what the
// call reported through CaptureResponse, and what happened at the server.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	start := time.Now()
	tally := &matrixTally{worst: map[string]int{}}
	t.Cleanup(func() {
		t.Logf("fault matrix: %d cells (%d operations x %d faults) in %s, %d with server-side effect counts, %d request ids checked; most effects of a one-shot operation in one cell: %v",
			tally.cells.Load(), len(matrixOps()), len(matrixFaults()), time.Since(start).Round(100*time.Millisecond),
			tally.effectsChecked.Load(), tally.requestIDs.Load(), tally.worst)
	})
	for _, op := range matrixOps() {
		for _, fl := range matrixFaults() {
			t.Run(op.name+"/"+fl.name, func(t *testing.T) {
				t.Parallel()
				runCell(t, op, fl, tally)
			})
		}
	}
}

// runCell sends through net/http's own Transport, as a Client does by
// default, so that a watch bounds each attempt (a RoundTripper of the
// test's would put the SDK on its other path, a timeout context per
// attempt, and leave the default one untested); it counts attempts by their
// dials, keep-alives off.
func runCell(t *testing.T, op matrixOp, fl matrixFault, tally *matrixTally) {
	f := newFixture(t)
	transport, sent := dialCountingTransport()
	base := f.srv.URL
	requestID := "" // the X-Request-Id the final answer carries
	switch {
	case fl.refused:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		base = "http://" + ln.Addr().String()
		require.NoError(t, ln.Close())
	case fl.body != noBodyFault:
		n := 1 + matrixRetries
		if fl.once {
			n = 1
		}
		proxy := newSpoilingProxy(t, f.srv.URL, fl.body, n)
		base = proxy.URL
	case fl.cancelled || fl.held:
		// Nothing is to be sent.
	default:
		fault := fl.fault
		requestID = "req_" + strings.NewReplacer(" ", "_", "/", "_").Replace(op.name+"/"+fl.name)
		fault.Header = fault.Header.Clone()
		if fault.Header == nil {
			fault.Header = http.Header{}
		}
		fault.Header.Set("X-Request-Id", requestID)
		if fl.retryDate > 0 {
			fault.Header.Set("retry_after", time.Now().Add(fl.retryDate).UTC().Format(http.TimeFormat))
		}
		n := 1 + matrixRetries
		if fl.once {
			n = 1
		}
		f.srv.FailNext(op.path(f), n, fault) // every attempt meets the fault
	}
	opts := []kryptos.Option{
		kryptos.WithSandbox(base),
		kryptos.WithHTTPClient(&http.Client{Transport: transport}),
		kryptos.WithTimeout(matrixTimeout), kryptos.WithMaxResponseBytes(matrixBodyCap),
		kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: matrixRetries, MinWait: time.Millisecond, MaxWait: 2 * time.Second}),
	}
	if fl.held {
		limiter, err := kryptos.NewLimiter(kryptos.LimiterConfig{})
		require.NoError(t, err)
		limiter.Backoff(context.Background(), op.class, time.Hour)
		opts = append(opts, kryptos.WithLimiter(limiter), kryptos.WithMaxQuotaWait(time.Second))
	}
	c, err := kryptos.NewClient(f.srv.ClientID, f.srv.ClientSecret, opts...)
	require.NoError(t, err)

	ctx := context.Background()
	if fl.deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, fl.deadline)
		defer cancel()
	}
	if fl.cancelled {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		cancel()
	}
	var resp kryptos.Response
	start := time.Now()
	err = op.call(ctx, c, f, kryptos.CaptureResponse(&resp))
	took := time.Since(start)
	tally.cells.Add(1)

	want := expect(op, fl)
	assert.Equal(t, int32(want.sent), sent.Load(), "attempts sent")
	assert.Equal(t, want.attempts, resp.Attempts, "Response.Attempts")
	if fl.waits > 0 && want.sent > 1 {
		assert.GreaterOrEqual(t, took, fl.waits, "the retries waited as the answer asked")
	}
	if fl.atOnce {
		assert.Less(t, took, 500*time.Millisecond, "returned at once, not after a wait")
	}

	// What happened at the server: a one-shot operation at most once.
	if op.effects != nil {
		effects := op.effects(f.srv.Stats())
		assert.Equal(t, want.effects, effects, "server-side effects")
		assert.LessOrEqual(t, effects, 1, "a one-time operation happened twice")
		tally.effects(op.name, effects)
	}

	if want.ok {
		assert.NoError(t, err)
		return
	}
	require.Error(t, err)
	text := err.Error()
	assert.True(t, strings.HasPrefix(text, "kryptos: "+op.name+": "), "error names the operation: %s", text)
	assert.False(t, strings.ContainsFunc(text, unicode.IsControl), "error is one line: %q", text)
	assert.Equal(t, want.unknown, errors.Is(err, kryptos.ErrOutcomeUnknown), "ErrOutcomeUnknown in %v", err)
	assert.NotErrorIs(t, err, kryptos.ErrInvalidParams)
	// Only a call that never reached the server is safe to repeat.
	assert.Equal(t, fl.refused || fl.cancelled || fl.held, errors.Is(err, kryptos.ErrNotSent), "ErrNotSent in %v", err)
	if want.is != nil {
		assert.ErrorIs(t, err, want.is)
	}
	status := want.status
	assert.Equal(t, status, resp.StatusCode, "Response.StatusCode")
	var apiErr *kryptos.Error
	if status == 0 {
		assert.False(t, errors.As(err, &apiErr), "no answer from the API, yet an *Error: %v", err)
		assert.Empty(t, resp.RequestID)
	} else if assert.ErrorAs(t, err, &apiErr) {
		assert.Equal(t, status, apiErr.StatusCode)
		assert.Equal(t, want.code, apiErr.Code)
		assert.Equal(t, resp.RequestID, apiErr.RequestID, "the error keeps the final answer's request id")
		if requestID != "" {
			assert.Equal(t, requestID, apiErr.RequestID)
		} else {
			assert.True(t, strings.HasPrefix(apiErr.RequestID, "req_proxy_"), "request id %q", apiErr.RequestID)
		}
		tally.requestIDs.Add(1)
	}

	switch {
	case fl.held:
		var qe *kryptos.QuotaWaitError
		if assert.ErrorAs(t, err, &qe) {
			assert.Equal(t, op.class, qe.Class, "the operation's quota class")
			assert.Greater(t, qe.Wait, 59*time.Minute)
		}
		assert.Less(t, took, 500*time.Millisecond, "refused at once, not after waiting")
	case fl.deadline > 0:
		assert.Less(t, took, fl.deadline/2, "a retry that could not start before the deadline is not waited for")
	case fl.holdsClass:
		assert.Equal(t, time.Hour, apiErr.RetryAfter)
		// The client's Limiter now holds the whole class for the hour: the
		// next call of it, with a deadline sooner than that, is refused at
		// once without being sent.
		short, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := op.call(short, c, f)
		assert.ErrorIs(t, err, kryptos.ErrQuotaWait)
		assert.NotErrorIs(t, err, kryptos.ErrOutcomeUnknown, "nothing was sent")
		assert.Less(t, time.Since(start), 500*time.Millisecond)
		assert.Equal(t, int32(want.sent), sent.Load(), "the held call was not sent")
	}
}

// cellWant is what a cell of the fault matrix must observe.
type cellWant struct {
	sent     int // attempts that reached the transport
	attempts int // Response.Attempts
	ok       bool
	unknown  bool // the error matches ErrOutcomeUnknown
	status   int  // of the *kryptos.Error, or 0 for none
	code     string
	is       error
	effects  int // of a one-shot operation, at the server
}

// expect works out what op must make of fl.
func expect(op matrixOp, fl matrixFault) cellWant {
	retried := fl.retriedIdempotent
	if op.oneShot {
		retried = fl.retriedOneShot
	}
	w := cellWant{sent: 1, ok: slices.Contains(fl.succeeds, op.name), unknown: op.oneShot && fl.ambiguous, status: fl.status, code: fl.code, is: fl.is}
	if w.status == successStatus {
		w.status = http.StatusOK
		if op.success != 0 {
			w.status = op.success
		}
	}
	switch {
	case fl.cancelled || fl.held:
		w.sent = 0
	case retried && fl.gone && op.revokes:
		// The revoke happened; the retry's real answer says the grant is
		// gone, which may be the first attempt's doing.
		w.sent, w.unknown, w.status, w.code, w.is = 2, true, http.StatusNotFound, "GRANT_NOT_FOUND", kryptos.ErrGrantNotFound
	case retried && fl.once && fl.processed && op.reports:
		// The change happened; the retry's real answer says it changed
		// nothing, and the resyncs the first attempt queued are not in it.
		w.sent, w.unknown, w.status, w.code, w.is = 2, true, http.StatusOK, "", nil
	case retried && fl.once:
		w.sent, w.ok = 2, true // the retry gets the real answer
	case retried:
		w.sent = 1 + matrixRetries
	}
	w.attempts = w.sent
	if fl.held {
		w.attempts = 1 // counted, though the Limiter refused it before it left
	}
	if op.effects != nil && (fl.processed || w.ok) {
		w.effects = 1 // by the only attempt that got that far: one-shot operations are not retried after it
	}
	return w
}

// flakyDial sends the first request to a port where nothing listens, so
// that its dial fails for real, and the others through to the server.
type flakyDial struct {
	next   http.RoundTripper
	closed string // host:port that refuses connections
	n      atomic.Int32
}

func (d *flakyDial) RoundTrip(r *http.Request) (*http.Response, error) {
	if d.n.Add(1) == 1 {
		r = r.Clone(r.Context())
		r.URL.Host = d.closed
	}
	return d.next.RoundTrip(r)
}

// TestAnAnswerToARetryIsBlamedOnAnEarlierAttemptOnlyIfItMayHaveActed
// checks the answers that mean "already done" (TOKEN_ALREADY_USED,
// GRANT_NOT_FOUND) when they answer a retry: they make the outcome unknown
// only when an earlier attempt of the same call may have taken effect, not
// after a dial that failed or a 429.
func TestAnAnswerToARetryIsBlamedOnAnEarlierAttemptOnlyIfItMayHaveActed(t *testing.T) {
	t.Parallel()
	used := kryptostest.Fault{Status: 400, Code: "TOKEN_ALREADY_USED", Message: "Token was already consumed"}
	gone := kryptostest.Fault{Status: 404, Code: "GRANT_NOT_FOUND", Message: "No grant found with this ID"}
	tooMany := kryptostest.Fault{Status: 429, Code: "RATE_LIMIT_EXCEEDED", Header: http.Header{"retry_after": {"0.01"}}}
	cases := []struct {
		name string
		op   string // RevokeGrant or ExchangePublicToken
		// dialFails: the first attempt's dial fails; faults: what the
		// sandbox does with the attempts that reach it, in order.
		dialFails bool
		faults    []kryptostest.Fault
		unknown   bool
		is        error // nil: the call succeeds
		effects   int   // exchanges at the server
	}{
		{name: "revoke reset after processing, then not found", op: "RevokeGrant",
			faults: []kryptostest.Fault{{Drop: true, AfterProcessing: true}}, unknown: true, is: kryptos.ErrGrantNotFound},
		{name: "revoke 503 after processing, then not found", op: "RevokeGrant",
			faults: []kryptostest.Fault{{Status: 503, AfterProcessing: true}}, unknown: true, is: kryptos.ErrGrantNotFound},
		{name: "revoke 429, then not found", op: "RevokeGrant", faults: []kryptostest.Fault{tooMany, gone}, is: kryptos.ErrGrantNotFound},
		{name: "revoke dial failed, then not found", op: "RevokeGrant", dialFails: true, faults: []kryptostest.Fault{gone}, is: kryptos.ErrGrantNotFound},
		{name: "revoke 429, then done", op: "RevokeGrant", faults: []kryptostest.Fault{tooMany}},
		{name: "exchange 429, then already used", op: "ExchangePublicToken", faults: []kryptostest.Fault{tooMany, used}, is: kryptos.ErrTokenAlreadyUsed},
		{name: "exchange dial failed, then already used", op: "ExchangePublicToken", dialFails: true, faults: []kryptostest.Fault{used}, is: kryptos.ErrTokenAlreadyUsed},
		{name: "exchange 429, then done", op: "ExchangePublicToken", faults: []kryptostest.Fault{tooMany}, effects: 1},
		{name: "exchange dial failed, then done", op: "ExchangePublicToken", dialFails: true, effects: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			path := map[string]string{"RevokeGrant": "/token/revoke", "ExchangePublicToken": "/token/exchange"}[tc.op]
			for _, fault := range tc.faults {
				f.srv.FailNext(path, 1, fault)
			}
			counter := newCountingTransport()
			var transport http.RoundTripper = counter
			if tc.dialFails {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				require.NoError(t, err)
				require.NoError(t, ln.Close())
				transport = &flakyDial{next: counter, closed: ln.Addr().String()}
			}
			c := f.srv.Client(kryptos.WithHTTPClient(&http.Client{Transport: transport}),
				kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Second}))
			before := f.srv.Stats()
			var err error
			if tc.op == "RevokeGrant" {
				err = c.RevokeGrant(context.Background(), f.grant.GrantID)
			} else {
				_, err = c.ExchangePublicToken(context.Background(), f.publicToken)
			}
			assert.Equal(t, int32(2), counter.n.Load(), "attempts")
			assert.Equal(t, tc.effects, f.srv.Stats().TokensExchanged-before.TokensExchanged, "exchanges at the server")
			if tc.is == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.is)
			assert.Equal(t, tc.unknown, errors.Is(err, kryptos.ErrOutcomeUnknown), "ErrOutcomeUnknown in %v", err)
		})
	}
}
