package kryptostest

import (
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sinkGoroutines counts the running goroutines of webhook sinks of srv's
// package (the delivery loop and the job watcher, whose ticker wakes every
// 10 ms and takes the server's lock).
func sinkGoroutines() int {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	return strings.Count(string(buf[:n]), "kryptostest.(*Server).watchJobs")
}

// TestRegisterWebhookAfterCloseLeavesNothingRunning: Close promises
// to stop the webhook deliveries; a RegisterWebhook that comes after it (a
// t.Cleanup order, a receiver that registers from its own goroutine) starts
// a delivery loop and a 10 ms ticker that nothing ever stops.
func TestRegisterWebhookAfterCloseLeavesNothingRunning(t *testing.T) {
	srv := NewServer()
	before := sinkGoroutines()
	srv.Close()
	srv.RegisterWebhook("http://127.0.0.1:1/hooks", "whsec_test")
	time.Sleep(50 * time.Millisecond)
	assert.LessOrEqual(t, sinkGoroutines(), before, "a sink started after Close runs for ever")
}

// TestAbandonedSignInsAreForgotten: every GET of the authorization
// endpoint (no client secret needed, only the public client_id) stores a
// pending sign-in; one the user never answers expires after OIDCCodeTTL
// but stays in memory for good, so a long-running sandbox (kryptos
// sandbox) grows with every page load.
func TestAbandonedSignInsAreForgotten(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock))
	defer srv.Close()
	q := url.Values{"client_id": {srv.ClientID}, "redirect_uri": {"http://127.0.0.1:9/cb"}, "response_type": {"code"}}
	load := func() {
		resp, err := http.Get(srv.URL + "/kyber/oauth/authorize?" + q.Encode())
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	for range 200 {
		load()
	}
	clock.Advance(OIDCCodeTTL + time.Second)
	load()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	assert.LessOrEqual(t, len(srv.oidc.requests), 1, "expired sign-ins are kept")
}
