package httpcore

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newCore(t *testing.T, url string, edit ...func(*Config)) *Core {
	t.Helper()
	cfg := Config{
		BaseURL:      url,
		HTTPClient:   &http.Client{Transport: PooledTransport()},
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

// TestConnectionsAreReusedWhateverTheAnswer makes many calls whose answers
// include errors, retries and bodies larger than what is decoded, and counts
// the connections the server saw opened: drained and closed bodies go back
// to the pool.
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

	c := newCore(t, srv.URL)
	for range 100 {
		var out struct{ V int }
		_ = c.Do(context.Background(), &Call{Op: "op", Method: http.MethodGet, Path: "/x"}, &out)
	}
	assert.Equal(t, int32(1), opened.Load(), "sequential calls share one connection")
}

func TestDoDecodesIntoOut(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "id", r.Header.Get("X-Client-Id"))
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		b, _ := io.ReadAll(r.Body)
		assert.JSONEq(t, `{"a":1}`, string(b))
		_, _ = w.Write([]byte(`{"success":true,"data":{"v":42},"message":"ok"}`))
	}))
	defer srv.Close()
	c := newCore(t, srv.URL)
	var out struct{ V int }
	require.NoError(t, c.Do(context.Background(), &Call{Method: http.MethodPost, Path: "/", Body: map[string]int{"a": 1}}, &out))
	assert.Equal(t, 42, out.V)
	require.NoError(t, c.Do(context.Background(), &Call{Method: http.MethodPost, Path: "/", Body: map[string]int{"a": 1}}, nil), "nil out discards data")
}

func TestDoRejectsWhatItCannotSend(t *testing.T) {
	t.Parallel()
	c := newCore(t, "http://127.0.0.1:1")
	err := c.Do(context.Background(), &Call{Method: http.MethodPost, Path: "/", Body: make(chan int)}, nil)
	assert.ErrorContains(t, err, "encoding request")
	err = c.Do(context.Background(), &Call{Method: "BAD METHOD", Path: "/"}, nil)
	assert.ErrorContains(t, err, "building request")
}

func TestABodyCutShortIsAFailure(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = w.Write([]byte(`{"success":true,"data":{`))
		// The handler returns early: the connection is closed mid-body.
	}))
	defer srv.Close()
	c := newCore(t, srv.URL)
	for policy, ambiguous := range map[Policy]bool{Idempotent: false, OneShot: true} {
		var out struct{}
		err := c.Do(context.Background(), &Call{Method: http.MethodPost, Path: "/", Policy: policy}, &out)
		var f *Failure
		require.ErrorAs(t, err, &f)
		assert.Equal(t, 200, f.StatusCode)
		assert.Contains(t, f.Message, "reading response body")
		assert.Equal(t, ambiguous, f.Ambiguous)
	}
}

func TestOneShotCallsReportWhetherTheyMayHaveBeenProcessed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		handler   http.HandlerFunc
		ambiguous bool
	}{
		{"500 envelope", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(500)
			_, _ = w.Write([]byte(`{"success":false,"error":"boom","code":"INTERNAL_ERROR"}`))
		}, true},
		{"502 HTML", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			_, _ = w.Write([]byte(`<html></html>`))
		}, true},
		{"400 envelope", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"success":false,"error":"bad","code":"VALIDATION_ERROR"}`))
		}, false},
		{"400 unlabelled text", func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = nil
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`bad`))
		}, false},
	}
	for _, tc := range cases {
		srv := httptest.NewServer(tc.handler)
		c := newCore(t, srv.URL)
		err := c.Do(context.Background(), &Call{Method: http.MethodPost, Path: "/", Policy: OneShot}, nil)
		var f *Failure
		require.ErrorAs(t, err, &f, tc.name)
		assert.Equal(t, tc.ambiguous, f.Ambiguous, tc.name)
		assert.Equal(t, 1, f.Attempts, tc.name)
		srv.Close()
	}
}

func TestAttemptTimeoutCoversTheBody(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = w.Write([]byte(`{"success":true,`))
		w.(http.Flusher).Flush()
		select { // the rest of the body never comes
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	c := newCore(t, srv.URL, func(cfg *Config) { cfg.AttemptTimeout = 30 * time.Millisecond })
	start := time.Now()
	err := c.Do(context.Background(), &Call{Method: http.MethodGet, Path: "/"}, nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Contains(t, f.Message, "reading response body")
	assert.Less(t, time.Since(start), time.Second)
}

func TestErrorTexts(t *testing.T) {
	t.Parallel()
	f := &Failure{StatusCode: 404, Code: "NOT_FOUND", Message: "gone", Err: ErrMalformed}
	assert.Equal(t, "HTTP 404 NOT_FOUND: gone", f.Error())
	assert.ErrorIs(t, f, ErrMalformed)
	assert.Equal(t, "HTTP 502: Bad Gateway", (&Failure{StatusCode: 502, Message: "Bad Gateway"}).Error())
	te := &TransportError{Err: context.Canceled, Attempts: 2}
	assert.Equal(t, "no answer after 2 attempt(s): context canceled", te.Error())
	assert.ErrorIs(t, te, context.Canceled)
	assert.Equal(t, "unexpected status", statusText(799))
}

func TestAttemptTransportPassesForeignRequestsThrough(t *testing.T) {
	t.Parallel()
	var called bool
	at := &attemptTransport{next: roundTrip(func(*http.Request) (*http.Response, error) {
		called = true
		return nil, errors.New("x")
	})}
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	_, _ = at.RoundTrip(req)
	assert.True(t, called)
}

func TestAFailedThrottleClosesTheBody(t *testing.T) {
	t.Parallel()
	body := &closeRecorder{Reader: strings.NewReader("{}")}
	at := &attemptTransport{
		throttle: func(context.Context, string) error { return errors.New("no slot") },
		log:      slog.New(slog.DiscardHandler),
	}
	st := &attemptState{call: &Call{Op: "op"}}
	req, _ := http.NewRequestWithContext(context.WithValue(context.Background(), stateKey{}, st), http.MethodPost, "http://127.0.0.1/", body)
	_, err := at.RoundTrip(req)
	assert.ErrorContains(t, err, "client-side rate limit")
	assert.True(t, body.closed)
	assert.True(t, st.throttleFailed)
	assert.False(t, st.maybeProcessed)
}

func TestPooledTransportKeepsEnoughIdleConnections(t *testing.T) {
	t.Parallel()
	tr := PooledTransport()
	assert.GreaterOrEqual(t, tr.MaxIdleConnsPerHost, 64)
	assert.NotSame(t, http.DefaultTransport, tr)
	assert.NotNil(t, tr.Proxy, "proxies from the environment are honoured")
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }
