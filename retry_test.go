package kryptos

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sequenceServer answers the i-th request with handlers[i], repeating the
// last one, over real loopback HTTP.
func sequenceServer(t *testing.T, handlers ...http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		handlers[min(i, len(handlers)-1)](w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func status(code int, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header()[header[i]] = []string{header[i+1]}
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"success":false,"error":"x","code":"X"}`))
	}
}

// grantsOK answers with the docs' ListGrants sample.
func grantsOK(t *testing.T) http.HandlerFunc {
	body := golden(t, "connect.grants.json")
	return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) }
}

func loopbackClient(t *testing.T, srv *httptest.Server, p RetryPolicy) *Client {
	t.Helper()
	c, err := NewClient("id", "secret", WithSandbox(srv.URL), WithRetryPolicy(p))
	require.NoError(t, err)
	return c
}

func TestServerRequestedWaitsAreHonoured(t *testing.T) {
	t.Parallel()
	policy := RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Second}
	cases := []struct {
		name    string
		first   http.HandlerFunc
		atLeast time.Duration
	}{
		{"Retry-After in seconds", status(503, "Retry-After", "0.15"), 150 * time.Millisecond},
		{"retry_after in seconds", status(429, "retry_after", "0.15"), 150 * time.Millisecond},
		// The date is made when the server answers; it has whole seconds, so
		// 1.6 s ahead is at least 0.6 s ahead.
		{"retry_after as an HTTP date", func(w http.ResponseWriter, r *http.Request) {
			status(429, "retry_after", time.Now().Add(1600*time.Millisecond).UTC().Format(http.TimeFormat))(w, r)
		}, 500 * time.Millisecond},
		{"both: the longer wins", status(429, "Retry-After", "0.01", "retry_after", "0.2"), 200 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, n := sequenceServer(t, tc.first, grantsOK(t))
			start := time.Now()
			_, err := loopbackClient(t, srv, policy).ListGrants(context.Background())
			require.NoError(t, err)
			assert.GreaterOrEqual(t, time.Since(start), tc.atLeast)
			assert.Equal(t, int32(2), n.Load())
		})
	}
}

func TestAWaitLongerThanMaxWaitIsReturnedNotSlept(t *testing.T) {
	t.Parallel()
	srv, n := sequenceServer(t, status(429, "retry_after", "3600"))
	start := time.Now()
	_, err := loopbackClient(t, srv, RetryPolicy{MaxRetries: 3, MaxWait: time.Second}).ListGrants(context.Background())
	require.ErrorIs(t, err, ErrRateLimited)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, time.Hour, apiErr.RetryAfter)
	assert.Equal(t, int32(1), n.Load())
	assert.Less(t, time.Since(start), 500*time.Millisecond)
}

// TestA5xxAskingForLongerThanMaxWaitIsReturnedNotSlept: MaxWait bounds the
// wait a 502, 503 or 504 asks for, as a 429's.
func TestA5xxAskingForLongerThanMaxWaitIsReturnedNotSlept(t *testing.T) {
	t.Parallel()
	srv, n := sequenceServer(t, status(503, "Retry-After", "3600"))
	start := time.Now()
	_, err := loopbackClient(t, srv, RetryPolicy{MaxRetries: 3, MaxWait: time.Second}).ListGrants(context.Background())
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, time.Hour, apiErr.RetryAfter)
	assert.Equal(t, int32(1), n.Load())
	assert.Less(t, time.Since(start), 500*time.Millisecond)
}

func TestRetriesStopAtMaxRetriesWithTheLastAnswer(t *testing.T) {
	t.Parallel()
	srv, n := sequenceServer(t, status(502), status(503), status(504))
	_, err := loopbackClient(t, srv, RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}).ListGrants(context.Background())
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr, "the final answer reaches the caller, not 'giving up'")
	assert.Equal(t, 504, apiErr.StatusCode)
	assert.Equal(t, "X", apiErr.Code)
	assert.Equal(t, int32(3), n.Load())
}

func TestA500IsNotRetried(t *testing.T) {
	t.Parallel()
	srv, n := sequenceServer(t, status(500), grantsOK(t))
	_, err := loopbackClient(t, srv, fastRetries).ListGrants(context.Background())
	require.Error(t, err)
	assert.Equal(t, int32(1), n.Load(), "a 500 is a bug at the server, not a transient state")
}

func TestCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	srv, n := sequenceServer(t, status(503, "Retry-After", "10"))
	c := loopbackClient(t, srv, RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.ListGrants(ctx)
	elapsed := time.Since(start)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, elapsed, 30*time.Millisecond+50*time.Millisecond)
	assert.Equal(t, int32(1), n.Load())
}

func TestCancelDuringASlowResponse(t *testing.T) {
	t.Parallel()
	srv, _ := sequenceServer(t, func(w http.ResponseWriter, r *http.Request) {
		// The server notices the client going away only once it has read
		// the request body.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	c := loopbackClient(t, srv, fastRetries)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.CheckSession(ctx, testAccessToken)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 30*time.Millisecond+50*time.Millisecond)
}

func TestRefusedConnectionsAreRetriedForEveryOperation(t *testing.T) {
	t.Parallel()
	// A listener that is closed again: its port refuses connections.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := NewClient("id", "secret", WithSandbox(url), WithRetryPolicy(RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
	require.NoError(t, err)
	_, err = c.ExchangePublicToken(context.Background(), testPublicToken)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no answer after 3 attempt(s)")
	assert.NotErrorIs(t, err, ErrOutcomeUnknown, "a refused connection never reached the server")
	assert.ErrorIs(t, err, ErrNotSent, "a refused connection never reached the server")
}

// TestACallThatMayHaveBeenSentIsNotErrNotSent: a connection that broke after
// the request was written may have reached the server, whatever the
// operation.
func TestACallThatMayHaveBeenSentIsNotErrNotSent(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close() // read, then hang up without an answer
		}
	}))
	t.Cleanup(srv.Close)
	c := loopbackClient(t, srv, RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond})
	_, err := c.ListGrants(context.Background())
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrNotSent, "idempotent, repeated, yet each attempt may have been processed")
	_, err = c.ExchangePublicToken(context.Background(), testPublicToken)
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.NotErrorIs(t, err, ErrNotSent)
}
