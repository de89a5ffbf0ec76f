package kryptos_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// matrixRetries is the retry budget of the fault matrix: a retried fault
// shows as 1+matrixRetries attempts.
const matrixRetries = 2

// matrixBodyCap is the matrix clients' response size cap: small, so that an
// oversized body is quick to send.
const matrixBodyCap = 64 << 10

// successStatus in a matrixFault stands for the operation's own success
// status (200, or 202 for a resync).
const successStatus = -1

// matrixFault is one way the network or the API misbehaves, with what the
// SDK must make of it.
type matrixFault struct {
	name  string
	fault kryptostest.Fault
	// refused: no server listens at all.
	refused bool
	// retriedIdempotent and retriedOneShot: whether each kind of operation
	// sends the request again.
	retriedIdempotent, retriedOneShot bool
	// processed: the request takes effect before the fault.
	processed bool
	// ambiguous: a one-shot operation cannot know whether it took effect.
	ambiguous bool
	// status and code of the *kryptos.Error, or 0 when the failure is not an
	// answer from the API; is: a sentinel the error matches.
	status int
	code   string
	is     error
}

func matrixFaults() []matrixFault {
	html := kryptostest.Fault{Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>", ContentType: "text/html"}
	return []matrixFault{
		{name: "connection refused", refused: true, retriedIdempotent: true, retriedOneShot: true},
		{name: "reset before processing", fault: kryptostest.Fault{Drop: true}, retriedIdempotent: true, ambiguous: true},
		{name: "reset after processing", fault: kryptostest.Fault{Drop: true, AfterProcessing: true}, retriedIdempotent: true, processed: true, ambiguous: true},
		{name: "per-attempt timeout", fault: kryptostest.Fault{Delay: 5 * time.Second}, retriedIdempotent: true, ambiguous: true, is: kryptos.ErrAttemptTimeout},
		{name: "500", fault: kryptostest.Fault{Status: 500, Code: "INTERNAL_ERROR", Message: "boom"}, ambiguous: true, status: 500, code: "INTERNAL_ERROR", is: kryptos.ErrInternal},
		{name: "502", fault: kryptostest.Fault{Status: 502, Code: "EXTERNAL_SERVICE_ERROR", Message: "upstream"}, retriedIdempotent: true, ambiguous: true, status: 502, code: "EXTERNAL_SERVICE_ERROR", is: kryptos.ErrExternalService},
		{name: "503 with Retry-After", fault: kryptostest.Fault{Status: 503, Message: "maintenance", Header: http.Header{"Retry-After": {"0.01"}}}, retriedIdempotent: true, ambiguous: true, status: 503},
		{name: "504", fault: kryptostest.Fault{Status: 504}, retriedIdempotent: true, ambiguous: true, status: 504},
		{name: "429 with retry_after in seconds", fault: kryptostest.Fault{Status: 429, Code: "RATE_LIMIT_EXCEEDED", Message: "slow down", Header: http.Header{"retry_after": {"0.05"}}}, retriedIdempotent: true, retriedOneShot: true, status: 429, code: "RATE_LIMIT_EXCEEDED", is: kryptos.ErrRateLimited},
		{name: "429 with an HTTP date", fault: kryptostest.Fault{Status: 429, Code: "RATE_LIMIT_EXCEEDED", Message: "slow down", Header: http.Header{"retry_after": {time.Now().Add(-time.Second).UTC().Format(http.TimeFormat)}}}, retriedIdempotent: true, retriedOneShot: true, status: 429, code: "RATE_LIMIT_EXCEEDED", is: kryptos.ErrRateLimited},
		{name: "429 asking for longer than MaxWait", fault: kryptostest.Fault{Status: 429, Code: "RATE_LIMIT_EXCEEDED", Message: "come back later", Header: http.Header{"retry_after": {"3600"}}}, status: 429, code: "RATE_LIMIT_EXCEEDED", is: kryptos.ErrRateLimited},
		{name: "success:false on a 200", fault: kryptostest.Fault{Status: 200, Code: "VALIDATION_ERROR", Message: "bad"}, status: 200, code: "VALIDATION_ERROR", is: kryptos.ErrValidation},
		{name: "HTML 502 from a proxy", fault: html, retriedIdempotent: true, ambiguous: true, status: 502},
		{name: "truncated JSON", fault: kryptostest.Fault{Truncate: true}, processed: true, ambiguous: true, status: successStatus, is: kryptos.ErrMalformedResponse},
		{name: "body over the size cap", fault: kryptostest.Fault{Pad: matrixBodyCap + 1}, processed: true, ambiguous: true, status: successStatus, is: kryptos.ErrResponseTooLarge},
		{name: "unknown error code", fault: kryptostest.Fault{Status: 418, Code: "TEAPOT_PROTOCOL", Message: "new"}, status: 418, code: "TEAPOT_PROTOCOL"},
		{name: "401 with an empty body", fault: kryptostest.Fault{Status: 401}, status: 401, is: kryptos.ErrUnauthorized},
	}
}

// fixture is a sandbox with a connected Guest user, and a public token
// still to exchange.
type fixture struct {
	srv         *kryptostest.Server
	grant       *kryptos.AccessGrant
	userID      string
	walletID    string
	publicToken string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := kryptostest.NewServer(kryptostest.WithRateLimits(kryptostest.RateLimits{}))
	t.Cleanup(srv.Close)
	c := srv.Client(kryptos.WithLimiter(nil))
	g := connectGuest(t, srv, c)
	return &fixture{srv: srv, grant: g.grant, userID: g.userID, walletID: g.walletID, publicToken: linkGuest(t, srv, c)}
}

// matrixOp is one of the seven operations, with the route it calls.
type matrixOp struct {
	name    string
	oneShot bool
	// success is the status of a successful answer.
	success int
	method  string
	path    func(*fixture) string
	call    func(context.Context, *kryptos.Client, *fixture) error
	// effects counts what the operation did at the server, for those that
	// must do it at most once.
	effects func(kryptostest.Stats) int
}

func matrixOps() []matrixOp {
	static := func(p string) func(*fixture) string { return func(*fixture) string { return p } }
	return []matrixOp{
		{name: "CreateLinkToken", method: "POST", path: static("/link-token"), call: func(ctx context.Context, c *kryptos.Client, f *fixture) error {
			_, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: f.grant.AccessToken})
			return err
		}},
		{name: "ExchangePublicToken", oneShot: true, method: "POST", path: static("/token/exchange"), call: func(ctx context.Context, c *kryptos.Client, f *fixture) error {
			_, err := c.ExchangePublicToken(ctx, f.publicToken)
			return err
		}, effects: func(s kryptostest.Stats) int { return s.TokensExchanged - 1 }}, // the fixture exchanged one
		{name: "CheckSession", method: "POST", path: static("/link-token/check-session"), call: func(ctx context.Context, c *kryptos.Client, f *fixture) error {
			_, err := c.CheckSession(ctx, f.grant.AccessToken)
			return err
		}},
		{name: "ListGrants", method: "GET", path: static("/token/grants"), call: func(ctx context.Context, c *kryptos.Client, f *fixture) error {
			_, err := c.ListGrants(ctx)
			return err
		}},
		{name: "RevokeGrant", method: "POST", path: static("/token/revoke"), call: func(ctx context.Context, c *kryptos.Client, f *fixture) error {
			return c.RevokeGrant(ctx, f.grant.GrantID)
		}},
		{name: "ResyncIntegration", oneShot: true, success: http.StatusAccepted, method: "POST",
			path: func(f *fixture) string { return "/developer/integrations/" + f.walletID + "/resync" },
			call: func(ctx context.Context, c *kryptos.Client, f *fixture) error {
				_, err := c.ResyncIntegration(ctx, f.walletID, kryptos.ResyncParams{UserID: f.userID, Mode: kryptos.ResyncLatest})
				return err
			}, effects: func(s kryptostest.Stats) int { return s.ResyncsQueued }},
		{name: "UpdateTransactionLimit", method: "PATCH",
			path: func(f *fixture) string { return "/developer/grants/" + f.grant.GrantID + "/transaction-limit" },
			call: func(ctx context.Context, c *kryptos.Client, f *fixture) error {
				_, err := c.UpdateTransactionLimit(ctx, f.grant.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](42)})
				return err
			}},
	}
}

// countingTransport counts the attempts the SDK makes. Keep-alives are off,
// so that net/http never replays a request on a reused connection behind
// the SDK's back and every attempt is one request at the server.
type countingTransport struct {
	n    atomic.Int32
	next http.RoundTripper
}

func newCountingTransport() *countingTransport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = true
	return &countingTransport{next: t}
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// TestFaultMatrix runs every operation against every fault, each cell on a
// sandbox of its own, and checks the attempts made, the error returned and
// what happened at the server.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	var cells, effectsChecked atomic.Int32
	var mu sync.Mutex
	worst := map[string]int{} // most effects of a one-shot operation in any cell
	t.Cleanup(func() {
		t.Logf("fault matrix: %d cells (%d operations x %d faults), %d with server-side effect counts; most effects of a one-shot operation in one cell: %v",
			cells.Load(), len(matrixOps()), len(matrixFaults()), effectsChecked.Load(), worst)
	})
	for _, op := range matrixOps() {
		for _, fl := range matrixFaults() {
			t.Run(op.name+"/"+fl.name, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t)
				counter := newCountingTransport()
				base := f.srv.URL
				if fl.refused {
					ln, err := net.Listen("tcp", "127.0.0.1:0")
					require.NoError(t, err)
					base = "http://" + ln.Addr().String()
					require.NoError(t, ln.Close())
				}
				c, err := kryptos.NewClient(f.srv.ClientID, f.srv.ClientSecret,
					kryptos.WithBaseURL(base), kryptos.WithDataAPIBaseURL(base),
					kryptos.WithHTTPClient(&http.Client{Transport: counter}), kryptos.WithLimiter(nil),
					kryptos.WithTimeout(300*time.Millisecond), kryptos.WithMaxResponseBytes(matrixBodyCap),
					kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: matrixRetries, MinWait: time.Millisecond, MaxWait: 2 * time.Second}))
				require.NoError(t, err)
				if !fl.refused {
					f.srv.FailNext(op.path(f), 1+matrixRetries, fl.fault) // every attempt meets the fault
				}

				err = op.call(context.Background(), c, f)
				cells.Add(1)

				require.Error(t, err)
				retried := fl.retriedIdempotent
				if op.oneShot {
					retried = fl.retriedOneShot
				}
				want := 1
				if retried {
					want = 1 + matrixRetries
				}
				assert.Equal(t, int32(want), counter.n.Load(), "attempts")
				assert.Equal(t, op.oneShot && fl.ambiguous, errors.Is(err, kryptos.ErrOutcomeUnknown), "ErrOutcomeUnknown in %v", err)
				if fl.is != nil {
					assert.ErrorIs(t, err, fl.is)
				}
				status := fl.status
				if status == successStatus {
					status = http.StatusOK
					if op.success != 0 {
						status = op.success
					}
				}
				var apiErr *kryptos.Error
				if status == 0 {
					assert.False(t, errors.As(err, &apiErr), "no answer from the API, yet an *Error: %v", err)
				} else if assert.ErrorAs(t, err, &apiErr) {
					assert.Equal(t, status, apiErr.StatusCode)
					assert.Equal(t, fl.code, apiErr.Code)
				}
				if fl.name == "429 asking for longer than MaxWait" {
					assert.Equal(t, time.Hour, apiErr.RetryAfter)
				}
				if op.effects != nil {
					effects := op.effects(f.srv.Stats())
					wantEffects := 0
					if fl.processed {
						wantEffects = 1 // processed by the only attempt: one-shot faults after processing are not retried
					}
					assert.Equal(t, wantEffects, effects, "server-side effects")
					assert.LessOrEqual(t, effects, 1, "a one-time operation happened twice")
					effectsChecked.Add(1)
					mu.Lock()
					worst[op.name] = max(worst[op.name], effects)
					mu.Unlock()
				}
			})
		}
	}
}
