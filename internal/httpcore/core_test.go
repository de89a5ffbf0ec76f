package httpcore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testTransport is read once, before any test replaces http.DefaultTransport.
var testTransport = PooledTransport(http.DefaultTransport.(*http.Transport))

// timeoutPaths are the two ways an attempt is bounded: a watch through
// net/http's own Transport, a timeout context of its own through a
// RoundTripper of the user's.
var timeoutPaths = map[string]http.RoundTripper{
	"net/http's transport": testTransport,
	"the user's transport": roundTrip(testTransport.RoundTrip),
}

func newCore(t testing.TB, edit ...func(*Config)) *Core {
	t.Helper()
	cfg := Config{
		Transport:    testTransport,
		Header:       http.Header{"X-Client-Id": {"id"}},
		Logger:       slog.New(slog.DiscardHandler),
		MaxRetries:   2,
		MinWait:      time.Millisecond,
		MaxWait:      5 * time.Millisecond,
		MaxBodyBytes: 1 << 20,
	}
	for _, e := range edit {
		e(&cfg)
	}
	return New(cfg)
}

// serve starts a loopback server whose handler sees the attempt number.
func serve(t *testing.T, h func(w http.ResponseWriter, r *http.Request, attempt int)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(w, r, int(n.Add(1)))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func get(url string, p Policy) *Call {
	return &Call{Op: "Op", Class: "class", Policy: p, Method: http.MethodGet, URL: url + "/x"}
}

func TestDoDecodesIntoOutAndReportsTheAnswer(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		assert.Equal(t, "id", r.Header.Get("X-Client-Id"))
		assert.Equal(t, "tok", r.Header.Get("Authorization"))
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, int64(7), r.ContentLength, "the body is sent with its length, not chunked")
		b, _ := io.ReadAll(r.Body)
		assert.JSONEq(t, `{"a":1}`, string(b))
		w.Header().Set("X-Request-Id", "req_1")
		_, _ = w.Write([]byte(`{"success":true,"data":{"v":42},"message":"ok"}`))
	})
	c := newCore(t)
	call := &Call{Method: http.MethodPost, URL: srv.URL, Header: http.Header{"Authorization": {"tok"}}, Body: []byte(`{"a":1}`)}
	var out struct{ V int }
	meta, err := c.Do(context.Background(), call, &out)
	require.NoError(t, err)
	assert.Equal(t, 42, out.V)
	assert.Equal(t, Meta{StatusCode: 200, RequestID: "req_1", Header: meta.Header, Attempts: 1}, meta)
	_, err = c.Do(context.Background(), call, nil)
	require.NoError(t, err, "nil out discards data")
}

// TestEveryAttemptCarriesTheHeader: the header is given to each attempt's
// request, whether the attempt has a context of its own (a per-attempt
// timeout) or is sent with the caller's.
func TestEveryAttemptCarriesTheHeader(t *testing.T) {
	t.Parallel()
	for _, timeout := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprint(timeout), func(t *testing.T) {
			t.Parallel()
			srv, n := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
				assert.Equal(t, "id", r.Header.Get("X-Client-Id"), "attempt %d", attempt)
				assert.Equal(t, "tok", r.Header.Get("Authorization"), "attempt %d", attempt)
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"), "attempt %d", attempt)
				if attempt < 3 {
					w.WriteHeader(503)
					return
				}
				_, _ = w.Write([]byte(`{"success":true,"data":{}}`))
			})
			c := newCore(t, func(cfg *Config) { cfg.AttemptTimeout = timeout })
			call := &Call{Method: http.MethodPost, URL: srv.URL, Header: http.Header{"Authorization": {"tok"}}, Body: []byte(`{}`)}
			_, err := c.Do(context.Background(), call, nil)
			require.NoError(t, err)
			assert.Equal(t, int32(3), n.Load())
		})
	}
}

// TestConnectionsAreReusedWhateverTheAnswer makes many calls whose answers
// include errors, retries and bodies larger than what is decoded, and counts
// the connections the server saw opened: read and closed bodies go back to
// the pool.
func TestConnectionsAreReusedWhateverTheAnswer(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch i := n.Add(1); i % 4 {
		case 0:
			_, _ = w.Write([]byte(`{"success":true,"data":{"v":1}}` + strings.Repeat(" ", 8<<10)))
		case 1:
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"success":false,"error":"nope","code":"NOT_FOUND"}`))
		case 2:
			w.WriteHeader(503) // retried
			_, _ = w.Write([]byte(strings.Repeat("x", 4<<10)))
		case 3:
			_, _ = w.Write([]byte(`{"success":true,"data":{"v":2}}`))
		}
	}))
	var opened atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	c := newCore(t)
	for range 100 {
		var out struct{ V int }
		_, _ = c.Do(context.Background(), get(srv.URL, Idempotent), &out)
	}
	assert.Equal(t, int32(1), opened.Load(), "sequential calls share one connection")
}

// TestARetryDoesNotRewindABodyStillBeingWritten: a server that answers
// before it has read a large request body leaves net/http writing that body
// after the answer came, while the call is already repeated or over. Each
// attempt must send a body of its own, or the race detector sees the next
// attempt rewind the one still being written, and attempts could send each
// other's bytes.
func TestARetryDoesNotRewindABodyStillBeingWritten(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		if attempt%3 != 0 {
			w.WriteHeader(503) // before reading the body
			return
		}
		b, err := io.ReadAll(r.Body)
		assert.NoError(t, err)
		assert.True(t, json.Valid(b), "the body arrived whole")
		_, _ = w.Write([]byte(`{"success":true,"data":{}}`))
	})
	c := newCore(t)
	body := []byte(`{"x":"` + strings.Repeat("a", 2<<20) + `"}`)
	for range 3 {
		_, err := c.Do(context.Background(), &Call{Method: http.MethodPost, URL: srv.URL, Body: body}, nil)
		require.NoError(t, err)
	}
}

// TestAFailedCallLeavesOtherCallsConnectionsOpen: retryablehttp closes the
// idle connections of its HTTP client after a call that fails; it must not
// reach the shared pool.
func TestAFailedCallLeavesOtherCallsConnectionsOpen(t *testing.T) {
	t.Parallel()
	var opened atomic.Int32
	arrived := make(chan struct{})
	var release atomic.Pointer[chan struct{}]
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(503)
			return
		}
		gate := *release.Load()
		arrived <- struct{}{}
		<-gate
		_, _ = w.Write([]byte(`{"success":true,"data":{}}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := newCore(t, func(cfg *Config) { cfg.MaxRetries = 0 })
	ok := &Call{Method: http.MethodGet, URL: srv.URL + "/ok"}
	failing := &Call{Method: http.MethodGet, URL: srv.URL + "/fail"}
	// Four calls in flight at once need four connections; they stay idle
	// in the pool afterwards.
	fourAtOnce := func() {
		gate := make(chan struct{})
		release.Store(&gate)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { _, err := c.Do(context.Background(), ok, nil); assert.NoError(t, err) })
		}
		for range 4 {
			<-arrived
		}
		close(gate)
		wg.Wait()
	}
	fourAtOnce()
	require.Equal(t, int32(4), opened.Load())
	for range 5 {
		_, err := c.Do(context.Background(), failing, nil)
		require.Error(t, err)
	}
	fourAtOnce()
	assert.Equal(t, int32(4), opened.Load(), "failed calls closed pooled connections")
}

func TestAnEndedContextSendsNothing(t *testing.T) {
	t.Parallel()
	srv, n := serve(t, func(w http.ResponseWriter, _ *http.Request, _ int) {})
	c := newCore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, p := range []Policy{Idempotent, OneShot} {
		_, err := c.Do(ctx, get(srv.URL, p), nil)
		var te *TransportError
		require.ErrorAs(t, err, &te)
		assert.True(t, te.NotSent)
		assert.False(t, te.Ambiguous)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, "not sent: context canceled", err.Error())
	}
	assert.Zero(t, n.Load())
}

func TestARefusedWaitSendsNothingAndClosesTheBody(t *testing.T) {
	t.Parallel()
	srv, n := serve(t, func(w http.ResponseWriter, _ *http.Request, _ int) {})
	refused := errors.New("no slot")
	var classes []string
	c := newCore(t, func(cfg *Config) {
		cfg.Wait = func(_ context.Context, class string) error { classes = append(classes, class); return refused }
	})
	call := &Call{Class: "exchange", Policy: OneShot, Method: http.MethodPost, URL: srv.URL, Body: []byte(`{}`)}
	meta, err := c.Do(context.Background(), call, nil)
	var te *TransportError
	require.ErrorAs(t, err, &te)
	assert.ErrorIs(t, err, refused)
	assert.True(t, te.NotSent)
	assert.False(t, te.Ambiguous, "nothing left the client")
	assert.Equal(t, 1, meta.Attempts)
	assert.Equal(t, []string{"exchange"}, classes)
	assert.Zero(t, n.Load())
}

func TestA429PausesTheClassAndIsRetried(t *testing.T) {
	t.Parallel()
	srv, n := serve(t, func(w http.ResponseWriter, _ *http.Request, attempt int) {
		if attempt == 1 {
			w.Header().Set("retry_after", "0.002")
			w.WriteHeader(429)
			return
		}
		_, _ = w.Write([]byte(`{"success":true,"data":{}}`))
	})
	type pause struct {
		class string
		wait  time.Duration
	}
	var pauses []pause
	c := newCore(t, func(cfg *Config) {
		cfg.Backoff = func(_ context.Context, class string, wait time.Duration) { pauses = append(pauses, pause{class, wait}) }
	})
	meta, err := c.Do(context.Background(), &Call{Class: "exchange", Policy: OneShot, Method: http.MethodPost, URL: srv.URL}, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, meta.Attempts)
	assert.Equal(t, int32(2), n.Load())
	assert.Equal(t, []pause{{"exchange", 2 * time.Millisecond}}, pauses)
}

func TestA429WithoutAWaitPausesForTheBackoff(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(429) })
	var waits []time.Duration
	c := newCore(t, func(cfg *Config) {
		cfg.MaxRetries = 0
		cfg.Backoff = func(_ context.Context, _ string, wait time.Duration) { waits = append(waits, wait) }
	})
	_, err := c.Do(context.Background(), get(srv.URL, Idempotent), nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, 429, f.StatusCode)
	require.Len(t, waits, 1)
	assert.GreaterOrEqual(t, waits[0], time.Millisecond)
	assert.LessOrEqual(t, waits[0], 5*time.Millisecond)
}

// TestBodiesThatBreakOffAreRetriedWhenSafe: a 2xx whose body is cut by a
// reset, or stalls past the per-attempt timeout, is a transient failure of
// that attempt. An idempotent call is repeated and succeeds; a one-shot
// call is not repeated and says its effect may have happened.
func TestBodiesThatBreakOffAreRetriedWhenSafe(t *testing.T) {
	t.Parallel()
	cut := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = w.Write([]byte(`{"success":true,"data":{`))
		// The handler returns early: the connection is closed mid-body.
	}
	stall := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = w.Write([]byte(`{"success":true,`))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the rest of the body never comes
	}
	for kind, broken := range map[string]http.HandlerFunc{"cut": cut, "stalled": stall} {
		for path, rt := range timeoutPaths {
			for _, p := range []Policy{Idempotent, OneShot} {
				name := kind + ", " + path
				srv, n := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
					if attempt == 1 {
						broken(w, r)
						return
					}
					_, _ = w.Write([]byte(`{"success":true,"data":{"v":7}}`))
				})
				c := newCore(t, func(cfg *Config) { cfg.AttemptTimeout = 50 * time.Millisecond; cfg.Transport = rt })
				var out struct{ V int }
				_, err := c.Do(context.Background(), get(srv.URL, p), &out)
				if p == Idempotent {
					require.NoError(t, err, name)
					assert.Equal(t, 7, out.V, name)
					assert.Equal(t, int32(2), n.Load(), name)
					continue
				}
				var f *Failure
				require.ErrorAs(t, err, &f, name)
				assert.Equal(t, 200, f.StatusCode, name)
				assert.True(t, f.Ambiguous, name)
				assert.Equal(t, int32(1), n.Load(), name)
				if kind == "cut" {
					assert.ErrorIs(t, err, ErrBodyCut)
				} else {
					assert.ErrorIs(t, err, ErrAttemptTimeout)
				}
			}
		}
	}
}

func TestABodyOverTheCapIsNotRetried(t *testing.T) {
	t.Parallel()
	for _, chunked := range []bool{false, true} {
		srv, n := serve(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
			if chunked {
				w.(http.Flusher).Flush() // no Content-Length
			}
			_, _ = w.Write([]byte(`{"success":true,"data":"` + strings.Repeat("x", 2000) + `"}`))
		})
		c := newCore(t, func(cfg *Config) { cfg.MaxBodyBytes = 1000 })
		_, err := c.Do(context.Background(), get(srv.URL, OneShot), nil)
		var f *Failure
		require.ErrorAs(t, err, &f)
		assert.ErrorIs(t, err, ErrBodyTooLarge)
		assert.True(t, f.Ambiguous, "a success we could not read may have had its effect")
		_, err = c.Do(context.Background(), get(srv.URL, Idempotent), nil)
		assert.ErrorIs(t, err, ErrBodyTooLarge)
		assert.Equal(t, int32(2), n.Load(), "one attempt each: a larger body would come again")
	}
}

func TestOneShotCallsReportWhetherTheyMayHaveBeenProcessed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		handler   func(w http.ResponseWriter)
		ambiguous bool
	}{
		{"500 envelope", func(w http.ResponseWriter) {
			w.WriteHeader(500)
			_, _ = w.Write([]byte(`{"success":false,"error":"boom","code":"INTERNAL_ERROR"}`))
		}, true},
		{"502 HTML", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			_, _ = w.Write([]byte(`<html></html>`))
		}, true},
		{"200 that is not JSON", func(w http.ResponseWriter) { _, _ = w.Write([]byte(`<html>`)) }, true},
		{"200 success false", func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"success":false,"error":"x","code":"C"}`)) }, false},
		{"400 envelope", func(w http.ResponseWriter) {
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"success":false,"error":"bad","code":"VALIDATION_ERROR"}`))
		}, false},
		{"400 unlabelled text", func(w http.ResponseWriter) {
			w.Header()["Content-Type"] = nil
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`bad`))
		}, false},
	}
	for _, tc := range cases {
		srv, _ := serve(t, func(w http.ResponseWriter, _ *http.Request, _ int) { tc.handler(w) })
		_, err := newCore(t).Do(context.Background(), &Call{Method: http.MethodPost, URL: srv.URL, Policy: OneShot}, nil)
		var f *Failure
		require.ErrorAs(t, err, &f, tc.name)
		assert.Equal(t, tc.ambiguous, f.Ambiguous, tc.name)
		assert.Equal(t, 1, f.Attempts, tc.name)
	}
}

// TestAConsumedCodeIsAmbiguousOnlyAfterAnEffect: GRANT_NOT_FOUND answering a
// revoke means the grant may have been revoked by us only if an earlier
// attempt may have reached the server; after a refused connection or a 429 it
// is a plain answer.
func TestAConsumedCodeIsAmbiguousOnlyAfterAnEffect(t *testing.T) {
	t.Parallel()
	for first, ambiguous := range map[int]bool{429: false, 503: true} {
		srv, _ := serve(t, func(w http.ResponseWriter, _ *http.Request, attempt int) {
			if attempt == 1 {
				w.WriteHeader(first)
				return
			}
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"success":false,"error":"gone","code":"GRANT_NOT_FOUND"}`))
		})
		call := &Call{Method: http.MethodPost, URL: srv.URL, ConsumedCode: "GRANT_NOT_FOUND"}
		_, err := newCore(t).Do(context.Background(), call, nil)
		var f *Failure
		require.ErrorAs(t, err, &f)
		assert.Equal(t, "GRANT_NOT_FOUND", f.Code)
		assert.Equal(t, ambiguous, f.Ambiguous, "after a %d", first)
	}
}

func TestNoDataOperationsAcceptAnEmptySuccess(t *testing.T) {
	t.Parallel()
	for _, status := range []int{200, 204} {
		srv, _ := serve(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(status) })
		c := newCore(t)
		_, err := c.Do(context.Background(), &Call{Method: http.MethodPost, URL: srv.URL, NoData: true}, nil)
		require.NoError(t, err, "%d with no body, on an operation without data", status)
		var out struct{ V int }
		_, err = c.Do(context.Background(), &Call{Method: http.MethodPost, URL: srv.URL}, &out)
		require.ErrorIs(t, err, ErrMalformed, "%d with no body, on an operation that returns data", status)
	}
}

type page struct {
	Envelope
	Data  []int `json:"data"`
	Total int   `json:"total"`
}

func (p *page) WholeEnvelope() *Envelope { return &p.Envelope }

func TestWholeAnswersKeepTheirFieldsBesideData(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"error":{"code":"NOT_FOUND","message":"no such page"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"data":[1,2],"total":9}`))
	})
	c := newCore(t)
	var p page
	_, err := c.Do(context.Background(), get(srv.URL, Idempotent), &p)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, p.Data)
	assert.Equal(t, 9, p.Total)

	_, err = c.Do(context.Background(), &Call{Method: http.MethodGet, URL: srv.URL + "/fail"}, &page{})
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, "NOT_FOUND", f.Code)
	assert.Equal(t, "no such page", f.Message)
}

func TestTheAttemptTimeoutCostsNothingWhenTheCallersDeadlineIsSooner(t *testing.T) {
	t.Parallel()
	type key struct{}
	var seen []context.Context
	c := newCore(t, func(cfg *Config) {
		cfg.AttemptTimeout = time.Minute
		cfg.Transport = roundTrip(func(r *http.Request) (*http.Response, error) {
			seen = append(seen, r.Context())
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{}`)), Request: r}, nil
		})
	})
	soon, cancel := context.WithTimeout(context.WithValue(context.Background(), key{}, 1), time.Second)
	defer cancel()
	_, err := c.Do(soon, get("http://127.0.0.1", Idempotent), nil)
	require.NoError(t, err)
	_, err = c.Do(context.Background(), get("http://127.0.0.1", Idempotent), nil)
	require.NoError(t, err)
	require.Len(t, seen, 2)
	assert.True(t, soon.Done() == seen[0].Done(), "the caller's context is used as it is")
	d, ok := seen[1].Deadline()
	require.True(t, ok, "an attempt without a deadline gets the per-attempt one")
	assert.InDelta(t, time.Minute, time.Until(d), float64(time.Second))
}

// TestASoonerDeadlineAllocatesAsIfThereWereNoAttemptTimeout counts what
// the per-attempt context costs: nothing when the caller's deadline comes
// sooner. It is not parallel, so that no other test allocates meanwhile.
func TestASoonerDeadlineAllocatesAsIfThereWereNoAttemptTimeout(t *testing.T) {
	transport := roundTrip(func(r *http.Request) (*http.Response, error) {
		ctx, cancel := context.WithCancelCause(r.Context()) // as net/http's Transport does
		defer cancel(nil)
		_ = ctx.Done()
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"success":true}`)), Request: r}, nil
	})
	allocs := func(timeout time.Duration, ctx context.Context) float64 {
		c := newCore(t, func(cfg *Config) { cfg.AttemptTimeout = timeout; cfg.Transport = transport })
		call := &Call{Method: http.MethodPost, URL: "http://127.0.0.1/x", Body: []byte(`{}`)}
		return testing.AllocsPerRun(1000, func() {
			if _, err := c.Do(ctx, call, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	sooner, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	none := allocs(0, sooner)
	assert.InDelta(t, none, allocs(time.Hour, sooner), raceSlack, "a sooner deadline: no attempt context")
	assert.Greater(t, allocs(time.Hour, context.Background()), none, "no deadline: the attempt's own context")
}

func TestATransportErrorNamesTheAttemptTimeout(t *testing.T) {
	t.Parallel()
	for path, rt := range timeoutPaths {
		srv, _ := serve(t, func(_ http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() })
		c := newCore(t, func(cfg *Config) { cfg.AttemptTimeout = 20 * time.Millisecond; cfg.MaxRetries = 1; cfg.Transport = rt })
		start := time.Now()
		meta, err := c.Do(context.Background(), get(srv.URL, Idempotent), nil)
		require.ErrorIs(t, err, ErrAttemptTimeout, path)
		assert.Equal(t, 2, meta.Attempts, "%s: a timed-out idempotent attempt is repeated", path)
		assert.Contains(t, err.Error(), "no answer after 2 attempt(s): attempt timed out after 20ms", path)
		assert.Less(t, time.Since(start), 2*time.Second, path)

		meta, err = c.Do(context.Background(), get(srv.URL, OneShot), nil)
		var te *TransportError
		require.ErrorAs(t, err, &te, path)
		assert.True(t, te.Ambiguous, "%s: a one-shot request that was sent may have been processed", path)
		assert.False(t, te.Unreached, path)
		assert.Equal(t, 1, meta.Attempts, path)
	}
}

// TestAOneShotCallThatNeverConnectedIsNotAmbiguous: a connection that is
// never made (a firewall drops the SYN) fails the attempt with a context
// error, not a dial error; through net/http's Transport, which reports the
// connection, the attempt provably sent nothing, so a one-shot call is
// repeated after the per-attempt timeout and never reported as ambiguous.
func TestAOneShotCallThatNeverConnectedIsNotAmbiguous(t *testing.T) {
	t.Parallel()
	var dials atomic.Int32
	black := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		dials.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	c := newCore(t, func(cfg *Config) { cfg.AttemptTimeout = 20 * time.Millisecond; cfg.Transport = black })
	meta, err := c.Do(context.Background(), get("http://192.0.2.1", OneShot), nil)
	var te *TransportError
	require.ErrorAs(t, err, &te)
	assert.ErrorIs(t, err, ErrAttemptTimeout)
	assert.False(t, te.Ambiguous, "nothing was sent")
	assert.True(t, te.Unreached)
	assert.Equal(t, 3, meta.Attempts, "repeated, as after a failed dial")
	assert.Equal(t, int32(3), dials.Load())

	// The caller's deadline, while dialing: not repeated, not ambiguous.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = newCore(t, func(cfg *Config) { cfg.Transport = black }).Do(ctx, get("http://192.0.2.1", OneShot), nil)
	require.ErrorAs(t, err, &te)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, te.Ambiguous, "nothing was sent")
}

func TestARetryThatWouldComeAfterTheDeadlineIsNotWaitedFor(t *testing.T) {
	t.Parallel()
	srv, n := serve(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(503) })
	c := newCore(t, func(cfg *Config) { cfg.MinWait, cfg.MaxWait, cfg.MaxRetries = time.Hour, time.Hour, 5 })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	meta, err := c.Do(ctx, get(srv.URL, Idempotent), nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, 503, f.StatusCode, "the answer is returned at once")
	assert.Equal(t, 1, meta.Attempts)
	assert.Equal(t, int32(1), n.Load())
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestACallerWhoCancelsWhileARetryWaitsKeepsTheLastAnswer(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(503) })
	c := newCore(t, func(cfg *Config) { cfg.MinWait, cfg.MaxWait, cfg.MaxRetries = time.Hour, time.Hour, 5 })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	_, err := c.Do(ctx, get(srv.URL, Idempotent), nil)
	require.ErrorIs(t, err, context.Canceled)
	var f *Failure
	require.ErrorAs(t, err, &f, "the last answer is not thrown away")
	assert.Equal(t, 503, f.StatusCode)
	assert.False(t, f.Ambiguous)
}

func TestARedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	var followed atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Store(true) }))
	defer elsewhere.Close()
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
	})
	_, err := newCore(t).Do(context.Background(), get(srv.URL, Idempotent), nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, 307, f.StatusCode)
	assert.False(t, followed.Load())
}

func TestErrorTexts(t *testing.T) {
	t.Parallel()
	f := &Failure{Meta: Meta{StatusCode: 404}, Code: "NOT_FOUND", Message: "gone", Err: ErrMalformed}
	assert.Equal(t, "HTTP 404 NOT_FOUND: gone", f.Error())
	assert.ErrorIs(t, f, ErrMalformed)
	assert.Equal(t, "HTTP 502: Bad Gateway", (&Failure{Meta: Meta{StatusCode: 502}, Message: "Bad Gateway"}).Error())
	te := &TransportError{Err: context.Canceled, Attempts: 2}
	assert.Equal(t, "no answer after 2 attempt(s): context canceled", te.Error())
	assert.ErrorIs(t, te, context.Canceled)
	assert.Equal(t, "unexpected status", statusText(799))
}

func TestBuildingABadRequestFails(t *testing.T) {
	t.Parallel()
	_, err := newCore(t).Do(context.Background(), &Call{Method: "BAD METHOD", URL: "http://127.0.0.1/"}, nil)
	assert.ErrorContains(t, err, "building request")
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
