package httpcore

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOnlyNetHTTPsTransportIsWatched(t *testing.T) {
	t.Parallel()
	assert.True(t, canWatch(testTransport))
	assert.False(t, canWatch(roundTrip(testTransport.RoundTrip)), "a RoundTripper of the user's may keep the context")
}

func TestAWatchCancelsOnlyAnAttemptThatOutlivesItsTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 40 * time.Millisecond
	w := newWatch()

	w.begin(context.Background(), time.Now(), timeout)
	assert.True(t, w.end(), "an attempt that ends in time")
	time.Sleep(timeout + 20*time.Millisecond) // the timer fires with no attempt under way
	require.NoError(t, w.ctx.Err(), "the timer firing between attempts cancels nothing")

	// An attempt that starts while the timer is armed for an earlier one
	// gets its whole timeout: the timer sleeps again until its deadline.
	w.begin(context.Background(), time.Now(), timeout)
	assert.True(t, w.end())
	time.Sleep(timeout / 2)
	start := time.Now()
	ctx := w.begin(context.Background(), start, timeout)
	select {
	case <-ctx.Done():
	case <-time.After(10 * timeout):
		t.Fatal("the attempt was never cut off")
	}
	assert.GreaterOrEqual(t, time.Since(start), timeout, "not cut off before its own deadline")
	assert.ErrorIs(t, context.Cause(ctx), ErrAttemptTimeout)
	assert.False(t, w.end(), "a watch that fired serves no other attempt")
}

func TestAWatchFollowsTheCallersContextOnlyDuringTheAttempt(t *testing.T) {
	t.Parallel()
	type key struct{}
	w := newWatch()
	caller, cancel := context.WithCancelCause(context.WithValue(context.Background(), key{}, "v"))
	ctx := w.begin(caller, time.Now(), time.Hour)
	assert.Equal(t, "v", ctx.Value(key{}), "the caller's values")
	assert.True(t, w.end())
	cancel(errors.New("gone"))
	time.Sleep(20 * time.Millisecond) // context.AfterFunc would run its function on a goroutine of its own
	require.NoError(t, w.ctx.Err(), "a caller's context that ends after the attempt cancels nothing")

	caller, cancel = context.WithCancelCause(context.Background())
	ctx = w.begin(caller, time.Now(), time.Hour)
	gone := errors.New("gone")
	cancel(gone)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the caller's end did not reach the attempt")
	}
	assert.ErrorIs(t, context.Cause(ctx), gone, "the attempt ends with the caller's cause")
	assert.False(t, w.end(), "a watch that ended serves no other attempt")
}

// TestACallCutOffLeavesNoWatchBehind cuts calls off in the middle of
// their attempts, through net/http's Transport, by the attempt timeout and
// by the caller: each ends with its own error, and the next call is sent
// with a context that has not ended.
func TestACallCutOffLeavesNoWatchBehind(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Query().Has("stall") {
			<-r.Context().Done()
			return
		}
		_, _ = w.Write([]byte(`{"success":true,"data":{"v":3}}`))
	})
	stalled := &Call{Method: http.MethodGet, URL: srv.URL + "/x?stall"}
	for name, c := range map[string]struct {
		timeout time.Duration
		ctx     func() context.Context
		is, not error
	}{
		"attempt timeout": {30 * time.Millisecond, context.Background, ErrAttemptTimeout, context.Canceled},
		"caller cancels": {time.Minute, func() context.Context {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			time.AfterFunc(20*time.Millisecond, cancel)
			return ctx
		}, context.Canceled, ErrAttemptTimeout},
	} {
		core := newCore(t, func(cfg *Config) { cfg.AttemptTimeout = c.timeout; cfg.MaxRetries = 0 })
		for range 3 {
			_, err := core.Do(c.ctx(), stalled, nil)
			require.ErrorIs(t, err, c.is, name)
			assert.NotErrorIs(t, err, c.not, name)

			var out struct{ V int }
			_, err = core.Do(context.Background(), get(srv.URL, Idempotent), &out)
			require.NoError(t, err, name)
			assert.Equal(t, 3, out.V, name)
		}
	}
}

// TestAWatchedAttemptCarriesTheCallersValues traces the connection through
// a context that only carries values: net/http finds the trace in the
// watched attempt's context.
func TestAWatchedAttemptCarriesTheCallersValues(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		_, _ = w.Write([]byte(`{"success":true,"data":{}}`))
	})
	c := newCore(t, func(cfg *Config) { cfg.AttemptTimeout = time.Minute })
	got := 0
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { got++ }})
	_, err := c.Do(ctx, get(srv.URL, Idempotent), nil)
	require.NoError(t, err)
	assert.Equal(t, 1, got)
}

// TestAWatchedAttemptAllocatesOnlyItsRequest counts what the per-attempt
// timeout costs through net/http's Transport: with context.Background, the
// request copy that carries the watch's context; with a context that can
// end, a few more to follow it. A context of the attempt's own, as through
// a RoundTripper of the user's, costs more. It is not parallel, so that no
// other test allocates meanwhile.
func TestAWatchedAttemptAllocatesOnlyItsRequest(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		_, _ = w.Write([]byte(`{"success":true}`))
	})
	allocs := func(ctx context.Context, rt http.RoundTripper, timeout time.Duration) float64 {
		c := newCore(t, func(cfg *Config) { cfg.AttemptTimeout = timeout; cfg.Transport = rt })
		call := &Call{Method: http.MethodPost, URL: srv.URL + "/x", Body: []byte(`{}`)}
		return testing.AllocsPerRun(500, func() {
			if _, err := c.Do(ctx, call, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	ends, cancel := context.WithCancel(context.Background())
	defer cancel()
	users := roundTrip(testTransport.RoundTrip)
	for _, c := range []struct {
		name  string
		ctx   context.Context
		extra float64
	}{{"background", context.Background(), 1}, {"can end", ends, 4}} {
		none, watched, own := allocs(c.ctx, testTransport, 0), allocs(c.ctx, testTransport, time.Hour), allocs(c.ctx, users, time.Hour)
		t.Logf("%s: %v allocations without a timeout, %v watched, %v with a context of its own", c.name, none, watched, own)
		assert.LessOrEqual(t, watched, none+c.extra+raceSlack, c.name)
		assert.Greater(t, own, watched, c.name)
	}
}

// TestAWatchBoundsHTTP2Attempts runs the watch over HTTP/2, as the API is
// reached over TLS: net/http hands the request to its HTTP/2 transport,
// which watches the request's context for the whole stream, body included.
// A stalled header and a stalled body are cut off by the timeout; answers
// that come in time are read whole, call after call on one connection.
func TestAWatchBoundsHTTP2Attempts(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("stall") {
		case "header":
			<-r.Context().Done()
			return
		case "body":
			w.Header().Set("Content-Length", "100")
			_, _ = w.Write([]byte(`{"success":true,`))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		assert.Equal(t, 2, r.ProtoMajor, "HTTP/2")
		_, _ = w.Write([]byte(`{"success":true,"data":{"v":3}}`))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	rt := srv.Client().Transport.(*http.Transport)
	require.True(t, canWatch(rt))
	c := newCore(t, func(cfg *Config) { cfg.AttemptTimeout = 50 * time.Millisecond; cfg.MaxRetries = 0; cfg.Transport = rt })
	for range 3 {
		for _, stall := range []string{"header", "body"} {
			_, err := c.Do(context.Background(), &Call{Method: http.MethodGet, URL: srv.URL + "/x?stall=" + stall}, nil)
			require.ErrorIs(t, err, ErrAttemptTimeout, stall)
		}
		for range 3 {
			var out struct{ V int }
			_, err := c.Do(context.Background(), get(srv.URL, Idempotent), &out)
			require.NoError(t, err)
			assert.Equal(t, 3, out.V)
		}
	}
}
