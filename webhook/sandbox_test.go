package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
	"github.com/kryptos-connect/kryptos-go/webhook"
)

// shape replaces every value of a decoded JSON document by its JSON type,
// keeping the keys: two documents of the same shape have the same keys and
// the same types everywhere.
func shape(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[k] = shape(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = shape(x)
		}
		return out
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	panic("not decoded JSON")
}

func shapeOf(t *testing.T, body []byte) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(body, &v))
	return shape(v)
}

// TestTheSandboxDeliversTheGoldenShapes checks the sandbox against the docs:
// its delivery of each event has the keys and JSON types of the docs'
// sample of that event (webhook/testdata), so that the sandbox cannot drift
// into a shape of its own that the SDK alone understands.
func TestTheSandboxDeliversTheGoldenShapes(t *testing.T) {
	t.Parallel()
	const secret = "whsec_golden"
	var mu sync.Mutex
	bodies := map[string][]byte{} // by event name, the last one
	headers := map[string]http.Header{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if webhook.Verify(b, r.Header.Get(webhook.HeaderSignature), secret) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		bodies[r.Header.Get(webhook.HeaderEvent)] = b
		headers[r.Header.Get(webhook.HeaderEvent)] = r.Header.Clone()
		mu.Unlock()
	}))
	defer recv.Close()
	received := func(name string) bool {
		mu.Lock()
		defer mu.Unlock()
		return bodies[name] != nil
	}

	clock := kryptostest.NewFakeClock(time.Date(2026, 2, 19, 12, 0, 0, 0, time.UTC))
	srv := kryptostest.NewServer(kryptostest.WithClock(clock), kryptostest.WithSyncTimings(time.Minute, time.Minute))
	defer srv.Close()
	srv.RegisterWebhook(recv.URL, secret)
	c := srv.Client()
	ctx := context.Background()
	connect := func(w kryptostest.Wallet) *kryptos.AccessGrant {
		lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
		require.NoError(t, err)
		public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true, Wallets: []kryptostest.Wallet{w}})
		require.NoError(t, err)
		g, err := c.ExchangePublicToken(ctx, public)
		require.NoError(t, err)
		return g
	}
	resync := func(g *kryptos.AccessGrant) {
		s, err := c.CheckSession(ctx, g.AccessToken.Reveal())
		require.NoError(t, err)
		var walletID string
		for in, err := range c.User(g.Credential()).ListIntegrations(ctx, kryptos.IntegrationsParams{}) {
			require.NoError(t, err)
			walletID = in.ID
			break
		}
		_, err = c.ResyncIntegration(ctx, walletID, kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncFromStart})
		require.NoError(t, err)
	}
	resync(connect(kryptostest.Wallet{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}))
	resync(connect(kryptostest.Wallet{Provider: "solana", Address: kryptostest.SolanaTestAddress, FailSync: true}))
	require.Eventually(t, func() bool { return received("integration.updated") }, 5*time.Second, time.Millisecond)
	clock.Advance(2 * time.Minute)
	for _, name := range []string{"integration.failed", "costbasis.completed"} {
		require.Eventually(t, func() bool { return received(name) }, 5*time.Second, time.Millisecond, name)
	}
	time.Sleep(50 * time.Millisecond) // the deliveries after the last one waited for

	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	var compared []string
	mu.Lock()
	defer mu.Unlock()
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		got := bodies[name]
		if got == nil {
			continue // an event the sandbox never sends: decoded by TestGoldenSamplesDecode only
		}
		want, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.Equal(t, shapeOf(t, want), shapeOf(t, got), "%s: the sandbox's delivery has the docs' keys and types", name)
		compared = append(compared, name)
	}
	sort.Strings(compared)
	assert.Equal(t, []string{"costbasis.completed", "costbasis.started", "integration.created", "integration.failed",
		"transfer_detection.completed", "transfer_detection.started"}, compared, "every sample the sandbox can send was compared")

	// integration.updated has the data of integration.created, the docs' own
	// sample.
	sample, err := os.ReadFile("testdata/integration.created.json")
	require.NoError(t, err)
	assert.Equal(t, shapeOf(t, sample), shapeOf(t, bodies["integration.updated"]))

	// The headers, as documented: a hex signature, the event, the id of the
	// body, and an ISO 8601 time.
	for name, h := range headers {
		var env struct{ ID string }
		require.NoError(t, json.Unmarshal(bodies[name], &env))
		assert.Len(t, h.Get(webhook.HeaderSignature), 64, name)
		assert.Equal(t, env.ID, h.Get(webhook.HeaderID), name)
		assert.True(t, strings.HasPrefix(env.ID, "whd_"), name)
		_, err := time.Parse(time.RFC3339Nano, h.Get(webhook.HeaderTimestamp))
		assert.NoError(t, err, name)
	}
}
