package kryptostest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

// receiver is a webhook endpoint built on kryptos.NewWebhookHandler that
// records what it handled.
type receiver struct {
	mu     sync.Mutex
	events []*kryptos.WebhookEvent
	failN  atomic.Int32 // answer 500 to this many deliveries first
	srv    *httptest.Server
}

func newReceiver(t *testing.T, secret string, opts ...kryptos.WebhookOption) *receiver {
	t.Helper()
	rc := &receiver{}
	h := kryptos.NewWebhookHandler([]string{secret}, func(_ context.Context, ev *kryptos.WebhookEvent) error {
		if rc.failN.Add(-1) >= 0 {
			return errors.New("not now")
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.events = append(rc.events, ev)
		return nil
	}, opts...)
	rc.srv = httptest.NewServer(h)
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) names() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, ev := range rc.events {
		out = append(out, ev.Event)
	}
	return out
}

func (rc *receiver) last() *kryptos.WebhookEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.events[len(rc.events)-1]
}

func TestTheSandboxDeliversSignedWebhooksOfAResync(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSyncTimings(30*time.Millisecond, 30*time.Millisecond))
	defer srv.Close()
	rc := newReceiver(t, "whsec_e2e")
	srv.RegisterWebhook(rc.srv.URL, "whsec_e2e")
	c := srv.Client(fast...)

	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	require.Eventually(t, func() bool { return len(rc.names()) == 1 }, 5*time.Second, time.Millisecond)
	created := rc.last()
	assert.Equal(t, kryptos.EventIntegrationCreated, created.Event)
	in, err := created.Integration()
	require.NoError(t, err)
	assert.Equal(t, EthereumTestAddress, in.PublicAddress)

	s, _ := c.CheckSession(ctx, g.AccessToken.Reveal())
	_, err = c.ResyncIntegration(ctx, in.WalletID, kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncLatest})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rc.names()) == 6 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, []string{
		kryptos.EventIntegrationCreated,
		kryptos.EventIntegrationUpdated, kryptos.EventIntegrationUpdated, kryptos.EventIntegrationUpdated,
		kryptos.EventTransferDetectionComplete, kryptos.EventCostBasisCompleted,
	}, rc.names())
	var statuses []kryptos.IntegrationStatus
	for _, ev := range rc.events[1:4] {
		in, err := ev.Integration()
		require.NoError(t, err)
		statuses = append(statuses, in.Status)
		assert.Equal(t, g.GrantID, ev.GrantID)
		assert.Regexp(t, `^ws_`, ev.WorkspaceID)
	}
	assert.Equal(t, []kryptos.IntegrationStatus{kryptos.IntegrationQueued, kryptos.IntegrationSyncing, kryptos.IntegrationCompleted}, statuses)
	cb, err := rc.last().CostBasis()
	require.NoError(t, err)
	assert.Equal(t, "completed", cb.Status)

	for _, d := range srv.WebhookDeliveries() {
		assert.Equal(t, http.StatusOK, d.Status)
		assert.Equal(t, 1, d.Attempts)
	}
}

func TestTheSandboxAnnouncesFailedSyncs(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSyncTimings(time.Millisecond, time.Millisecond))
	defer srv.Close()
	rc := newReceiver(t, "whsec_e2e")
	srv.RegisterWebhook(rc.srv.URL, "whsec_e2e")
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "solana", Address: SolanaTestAddress, FailSync: true}}})
	s, _ := c.CheckSession(ctx, g.AccessToken.Reveal())
	ints := integrationsOf(t, c.User(g.Credential()))
	job, err := c.ResyncIntegration(ctx, ints[0].ID, kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncFromStart})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		n := rc.names()
		return len(n) > 0 && n[len(n)-1] == kryptos.EventIntegrationFailed
	}, 5*time.Second, time.Millisecond)
	in, err := rc.last().Integration()
	require.NoError(t, err)
	assert.Equal(t, kryptos.IntegrationFailed, in.Status)
	assert.NotEmpty(t, in.ErrorMessage)
	st, err := c.User(g.Credential()).GetSyncJob(ctx, job.JobID)
	require.NoError(t, err)
	assert.Equal(t, kryptos.SyncFailed, st.Status)
}

func TestWebhookRetriesDuplicatesAndStaleDeliveries(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	rc := newReceiver(t, "whsec_e2e", kryptos.WithWebhookMaxAge(time.Minute))
	rc.failN.Store(2) // the first delivery fails twice: Kryptos retries it twice
	srv.RegisterWebhook(rc.srv.URL, "whsec_e2e")
	c := srv.Client(fast...)
	connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})

	require.Eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 1 }, 5*time.Second, time.Millisecond)
	d := srv.WebhookDeliveries()[0]
	assert.Equal(t, 3, d.Attempts)
	assert.Equal(t, http.StatusOK, d.Status)
	assert.Len(t, rc.names(), 1, "handled once, on the last retry")

	require.NoError(t, srv.ReplayWebhook(d.ID, 0))
	require.NoError(t, srv.ReplayWebhook(d.ID, time.Hour))
	require.Eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 3 }, 5*time.Second, time.Millisecond)
	all := srv.WebhookDeliveries()
	assert.Equal(t, http.StatusOK, all[1].Status, "the duplicate is acknowledged")
	assert.Equal(t, http.StatusBadRequest, all[2].Status, "the stale one is refused")
	assert.Len(t, rc.names(), 1, "neither reached the handler")

	require.Error(t, srv.ReplayWebhook("whd_unknown", 0))
	other := NewServer()
	defer other.Close()
	require.Error(t, other.ReplayWebhook("whd_x", 0), "no webhook registered")
	assert.Nil(t, other.WebhookDeliveries())
}

func TestWebhookDeliveryGivesUpAfterTwoRetries(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	srv := NewServer()
	defer srv.Close()
	srv.RegisterWebhook(down.URL, "s")
	c := srv.Client(fast...)
	connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	require.Eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 1 }, 5*time.Second, time.Millisecond)
	d := srv.WebhookDeliveries()[0]
	assert.Equal(t, 3, d.Attempts)
	assert.Equal(t, http.StatusServiceUnavailable, d.Status)

	// A receiver that is not there at all.
	srv.RegisterWebhook("http://127.0.0.1:1/hooks", "s")
	connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	require.Eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 1 }, 5*time.Second, time.Millisecond)
	assert.Error(t, srv.WebhookDeliveries()[0].Err)
}
