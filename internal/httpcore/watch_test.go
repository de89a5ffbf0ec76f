package httpcore

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOnlyNetHTTPsTransportWithAContextThatCannotEndIsWatched(t *testing.T) {
	t.Parallel()
	mock := roundTrip(func(*http.Request) (*http.Response, error) { return nil, io.EOF })
	ends, cancel := context.WithCancel(context.Background())
	defer cancel()
	type key struct{}
	assert.True(t, canWatch(testTransport, context.Background()))
	assert.True(t, canWatch(testTransport, context.WithValue(context.Background(), key{}, 1)))
	assert.True(t, canWatch(testTransport, context.WithoutCancel(ends)))
	assert.False(t, canWatch(testTransport, ends), "a context that can end needs a watcher of its own")
	assert.False(t, canWatch(mock, context.Background()), "a RoundTripper of the user's may keep the context")
}

func TestAWatchCancelsOnlyAnAttemptThatOutlivesItsTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 40 * time.Millisecond
	w := newWatch()

	w.begin(time.Now(), timeout)
	assert.True(t, w.end(), "an attempt that ends in time")
	time.Sleep(timeout + 20*time.Millisecond) // the timer fires with no attempt under way
	require.NoError(t, w.ctx.Err(), "the timer firing between attempts cancels nothing")

	// An attempt that starts while the timer is armed for an earlier one
	// gets its whole timeout: the timer sleeps again until its deadline.
	w.begin(time.Now(), timeout)
	assert.True(t, w.end())
	time.Sleep(timeout / 2)
	start := time.Now()
	w.begin(start, timeout)
	select {
	case <-w.ctx.Done():
	case <-time.After(10 * timeout):
		t.Fatal("the attempt was never cut off")
	}
	assert.GreaterOrEqual(t, time.Since(start), timeout, "not cut off before its own deadline")
	assert.ErrorIs(t, context.Cause(w.ctx), ErrAttemptTimeout)
	assert.False(t, w.end(), "a watch that fired serves no other attempt")
}

// TestAnAttemptAfterATimeoutGetsAFreshWatch: the attempt after one that
// was cut off is sent with a context that has not ended.
func TestAnAttemptAfterATimeoutGetsAFreshWatch(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		if attempt == 1 {
			<-r.Context().Done()
			return
		}
		_, _ = w.Write([]byte(`{"success":true,"data":{"v":3}}`))
	})
	c := newCore(t, func(cfg *Config) { cfg.AttemptTimeout = 30 * time.Millisecond; cfg.MaxRetries = 0 })
	_, err := c.Do(context.Background(), get(srv.URL, Idempotent), nil)
	require.ErrorIs(t, err, ErrAttemptTimeout)
	for range 3 {
		var out struct{ V int }
		_, err = c.Do(context.Background(), get(srv.URL, Idempotent), &out)
		require.NoError(t, err)
		assert.Equal(t, 3, out.V)
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
	require.True(t, canWatch(testTransport, ctx))
	_, err := c.Do(ctx, get(srv.URL, Idempotent), nil)
	require.NoError(t, err)
	assert.Equal(t, 1, got)
}

// TestAWatchedAttemptAllocatesOnlyItsRequest counts what the per-attempt
// timeout costs through net/http's Transport with context.Background: the
// request copy that carries the watch's context, where a context of the
// attempt's own costs seven allocations more. It is not parallel, so that
// no other test allocates meanwhile.
func TestAWatchedAttemptAllocatesOnlyItsRequest(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		_, _ = w.Write([]byte(`{"success":true}`))
	})
	allocs := func(ctx context.Context, timeout time.Duration) float64 {
		c := newCore(t, func(cfg *Config) { cfg.AttemptTimeout = timeout })
		call := &Call{Method: http.MethodPost, URL: srv.URL + "/x", Body: []byte(`{}`)}
		return testing.AllocsPerRun(500, func() {
			if _, err := c.Do(ctx, call, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	ends, cancel := context.WithCancel(context.Background())
	defer cancel()
	none, watched, own := allocs(ends, 0), allocs(context.Background(), time.Hour), allocs(ends, time.Hour)
	t.Logf("allocations: %v without a timeout, %v watched, %v with a context of its own", none, watched, own)
	assert.LessOrEqual(t, watched, none+1+raceSlack)
	assert.GreaterOrEqual(t, own, watched+6-raceSlack)
}
