package kryptostest

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/webhook"
)

// receiver is a webhook endpoint built on webhook.NewHandler that records
// what it handled.
type receiver struct {
	mu     sync.Mutex
	events []*webhook.Event
	calls  atomic.Int32
	failN  atomic.Int32 // fail this many calls first
	srv    *httptest.Server
}

func newReceiver(t *testing.T, secret string, opts ...webhook.Option) *receiver {
	t.Helper()
	rc := &receiver{}
	h, err := webhook.NewHandler([]string{secret}, func(_ context.Context, ev *webhook.Event) error {
		rc.calls.Add(1)
		if rc.failN.Add(-1) >= 0 {
			return errors.New("not now")
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.events = append(rc.events, ev)
		return nil
	}, append([]webhook.Option{webhook.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	require.NoError(t, err)
	rc.srv = httptest.NewServer(h)
	t.Cleanup(rc.srv.Close)
	return rc
}

// registeredReceiver is a receiver that srv's webhooks are registered to.
func registeredReceiver(t *testing.T, srv *Server, secret string) *receiver {
	t.Helper()
	rc := newReceiver(t, secret)
	srv.RegisterWebhook(rc.srv.URL, secret)
	return rc
}

// resyncLatest starts a ResyncLatest of walletID for g's user.
func resyncLatest(t *testing.T, c *kryptos.Client, g *kryptos.AccessGrant, walletID string) {
	t.Helper()
	s, err := c.CheckSession(ctx, g.AccessToken.Reveal())
	require.NoError(t, err)
	_, err = c.ResyncIntegration(ctx, walletID, kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncLatest})
	require.NoError(t, err)
}

func (rc *receiver) handled() []*webhook.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*webhook.Event(nil), rc.events...)
}

func (rc *receiver) names() []webhook.EventType {
	var out []webhook.EventType
	for _, ev := range rc.handled() {
		out = append(out, ev.Type)
	}
	return out
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, time.Millisecond)
}

func TestTheSandboxDeliversSignedWebhooksOfAResync(t *testing.T) {
	t.Parallel()
	// The sandbox's clock moves the sync job along, a step at a time.
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithSyncTimings(time.Minute, time.Minute))
	defer srv.Close()
	rc := registeredReceiver(t, srv, "whsec_e2e")
	c := srv.Client(fast...)

	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	eventually(t, func() bool { return len(rc.names()) == 1 })
	created := rc.handled()[0]
	assert.Equal(t, webhook.EventIntegrationCreated, created.Type)
	assert.Equal(t, g.GrantID, created.GrantID, "the first event of a new connection carries its grant id")
	in := created.Integration
	require.NotNil(t, in)
	assert.Equal(t, EthereumTestAddress, in.PublicAddress)
	assert.Equal(t, webhook.CategoryBlockchain, in.Category)
	assert.Equal(t, webhook.TypeAPI, in.Type)
	assert.Equal(t, epoch, in.AddedOn, "addedOn is read from Unix milliseconds, not left zero")

	s, _ := c.CheckSession(ctx, g.AccessToken.Reveal())
	_, err := c.ResyncIntegration(ctx, in.WalletID, kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncLatest})
	require.NoError(t, err)
	eventually(t, func() bool { return len(rc.names()) == 2 })
	clock.Advance(time.Minute)
	eventually(t, func() bool { return len(rc.names()) == 3 })
	clock.Advance(time.Minute)
	eventually(t, func() bool { return len(rc.names()) == 8 })
	assert.Equal(t, []webhook.EventType{
		webhook.EventIntegrationCreated,
		webhook.EventIntegrationUpdated, webhook.EventIntegrationUpdated, webhook.EventIntegrationUpdated,
		webhook.EventTransferDetectionStarted, webhook.EventTransferDetectionCompleted,
		webhook.EventCostBasisStarted, webhook.EventCostBasisCompleted,
	}, rc.names())
	events := rc.handled()
	var statuses []webhook.IntegrationStatus
	for _, ev := range events[1:4] {
		statuses = append(statuses, ev.Integration.Status)
	}
	assert.Equal(t, []webhook.IntegrationStatus{webhook.StatusQueued, webhook.StatusSyncing, webhook.StatusCompleted}, statuses)
	assert.Equal(t, epoch.Add(2*time.Minute), events[3].Integration.LastSyncedAt, "a completed sync moves lastSyncedAt")
	for _, ev := range events {
		assert.Equal(t, g.GrantID, ev.GrantID)
		assert.Equal(t, g.WorkspaceID, ev.WorkspaceID, "the user's workspace")
		assert.Empty(t, ev.Warnings, "every delivery is in the documented form")
		assert.False(t, ev.Timestamp.IsZero())
		assert.False(t, ev.DeliveredAt.IsZero())
	}
	td, cb := events[5].Process, events[7].Process
	assert.Equal(t, webhook.ActionDetectTransfer, td.Action)
	assert.Equal(t, webhook.ProcessCompleted, td.Status)
	assert.Equal(t, webhook.ActionAccountManager, cb.Action)
	assert.Equal(t, epoch.Add(2*time.Minute), cb.Timestamp)

	for _, d := range srv.WebhookDeliveries() {
		assert.Equal(t, http.StatusOK, d.Status)
		assert.Equal(t, 1, d.Attempts)
		assert.Equal(t, g.GrantID, d.GrantID)
	}
}

func TestTheSandboxAnnouncesFailedSyncs(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSyncTimings(time.Millisecond, time.Millisecond))
	defer srv.Close()
	rc := registeredReceiver(t, srv, "whsec_e2e")
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "solana", Address: SolanaTestAddress, FailSync: true}}})
	s, _ := c.CheckSession(ctx, g.AccessToken.Reveal())
	var walletID string
	for in, err := range c.User(g.Credential()).ListIntegrations(ctx, kryptos.IntegrationsParams{}) {
		require.NoError(t, err)
		walletID = in.ID
		break
	}
	job, err := c.ResyncIntegration(ctx, walletID, kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncFromStart})
	require.NoError(t, err)
	eventually(t, func() bool {
		n := rc.names()
		return len(n) > 0 && n[len(n)-1] == webhook.EventIntegrationFailed
	})
	events := rc.handled()
	in := events[len(events)-1].Integration
	assert.Equal(t, webhook.StatusFailed, in.Status)
	assert.True(t, in.Status.Terminal())
	assert.NotEmpty(t, in.ErrorMessage)
	for _, ev := range events[:len(events)-1] {
		assert.Empty(t, ev.Integration.ErrorMessage, "errorMessage only when FAILED")
	}
	st, err := c.User(g.Credential()).GetSyncJob(ctx, job.JobID)
	require.NoError(t, err)
	assert.Equal(t, kryptos.SyncFailed, st.Status)
}

func TestTheFirstIntegrationCreatedWaitsForItsGrant(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	rc := registeredReceiver(t, srv, "whsec_e2e")
	c := srv.Client(fast...)

	// A link whose public token is never exchanged gives no grant: nothing
	// is delivered.
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	require.NoError(t, err)
	_, err = srv.CompleteLink(lt.Token, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	require.NoError(t, err)

	lt, err = c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, LinkUser{Email: "ada@example.com", Wallets: []Wallet{ethWallet}})
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond)
	assert.Empty(t, srv.WebhookDeliveries(), "held until the exchange creates the grant")
	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	eventually(t, func() bool { return len(rc.names()) == 1 })
	assert.Equal(t, g.GrantID, rc.handled()[0].GrantID)

	// A returning user's new integration is delivered at once to the grant
	// they have.
	lt, err = c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: g.AccessToken})
	require.NoError(t, err)
	public, err = srv.CompleteLink(lt.Token, LinkUser{Wallets: []Wallet{{Provider: "solana", Address: SolanaTestAddress}}})
	require.NoError(t, err)
	assert.Empty(t, public)
	eventually(t, func() bool { return len(rc.names()) == 2 })
	assert.Equal(t, g.GrantID, rc.handled()[1].GrantID)
	assert.Equal(t, SolanaTestAddress, rc.handled()[1].Integration.PublicAddress)
	time.Sleep(30 * time.Millisecond)
	assert.Len(t, srv.WebhookDeliveries(), 2, "the unexchanged link's event was never sent")
}

func TestWebhooksFanOutPerGrant(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithSyncTimings(time.Minute, time.Minute))
	defer srv.Close()
	rc := registeredReceiver(t, srv, "whsec_e2e")
	c := srv.Client(fast...)
	// syncs steps a resync through its three statuses; each change is
	// delivered to each of the user's grants.
	syncs := func(walletID, userID string, grants int) {
		t.Helper()
		base := len(rc.names())
		_, err := c.ResyncIntegration(ctx, walletID, kryptos.ResyncParams{UserID: userID, Mode: kryptos.ResyncLatest})
		require.NoError(t, err)
		for _, n := range []int{base + grants, base + 2*grants, base + 7*grants} {
			eventually(t, func() bool { return len(rc.names()) >= n })
			clock.Advance(time.Minute)
		}
		time.Sleep(30 * time.Millisecond)
		require.Len(t, rc.names(), base+7*grants)
	}
	// The same Linked user connects twice, and has two grants.
	first := connect(t, srv, c, LinkUser{Email: "ada@example.com", Wallets: []Wallet{ethWallet}})
	second := connect(t, srv, c, LinkUser{Email: "ada@example.com", Wallets: []Wallet{{Provider: "solana", Address: SolanaTestAddress}}})
	require.NotEqual(t, first.GrantID, second.GrantID)
	// The second link's wallet: once for the grant the user had, once for
	// the new one.
	eventually(t, func() bool { return len(rc.names()) == 3 })

	s, _ := c.CheckSession(ctx, first.AccessToken.Reveal())
	var walletID string
	for in, err := range c.User(first.Credential()).ListIntegrations(ctx, kryptos.IntegrationsParams{}) {
		require.NoError(t, err)
		walletID = in.ID
		break
	}
	syncs(walletID, s.UserID, 2)

	byGrant := map[string]int{}
	ids := map[string]bool{}
	for _, ev := range rc.handled() {
		byGrant[ev.GrantID]++
		assert.False(t, ids[ev.ID], "each grant's delivery has its own id")
		ids[ev.ID] = true
	}
	assert.Equal(t, map[string]int{first.GrantID: 1 + 1 + 7, second.GrantID: 1 + 7}, byGrant)

	require.NoError(t, c.RevokeGrant(ctx, first.GrantID))
	syncs(walletID, s.UserID, 1)
	for _, ev := range rc.handled()[3+2*7:] {
		assert.Equal(t, second.GrantID, ev.GrantID, "a revoked grant gets nothing more")
	}
}

func TestWebhookRetriesAndDuplicatesAreHandledOnce(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	rc := newReceiver(t, "whsec_e2e")
	rc.failN.Store(2) // the first delivery fails twice: Kryptos retries it twice
	srv.RegisterWebhook(rc.srv.URL, "whsec_e2e")
	c := srv.Client(fast...)
	connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})

	eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 1 })
	d := srv.WebhookDeliveries()[0]
	assert.Equal(t, 3, d.Attempts)
	assert.Equal(t, http.StatusOK, d.Status)
	assert.Len(t, rc.names(), 1, "handled once, on the last retry")

	require.NoError(t, srv.ReplayWebhook(d.ID, 0))
	require.NoError(t, srv.ReplayWebhook(d.ID, time.Hour))
	eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 3 })
	for _, dup := range srv.WebhookDeliveries()[1:] {
		assert.Equal(t, http.StatusOK, dup.Status, "a duplicate is acknowledged")
		assert.Equal(t, d.ID, dup.ID)
	}
	assert.Len(t, rc.names(), 1, "no duplicate reached the function")
	assert.Equal(t, int32(3), rc.calls.Load())

	require.Error(t, srv.ReplayWebhook("whd_unknown", 0))
	other := NewServer()
	defer other.Close()
	require.Error(t, other.ReplayWebhook("whd_x", 0), "no webhook registered")
	assert.Nil(t, other.WebhookDeliveries())
}

func TestWebhookDeliveryRetriesOnlyWhatKryptosRetries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status   int
		attempts int
	}{
		{http.StatusTooManyRequests, 3}, {http.StatusInternalServerError, 3}, {http.StatusBadGateway, 3},
		{http.StatusServiceUnavailable, 3}, {http.StatusGatewayTimeout, 3},
		{http.StatusNotImplemented, 1}, {http.StatusConflict, 1}, {http.StatusUnauthorized, 1}, {http.StatusBadRequest, 1},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			t.Parallel()
			down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tc.status) }))
			defer down.Close()
			srv := NewServer()
			defer srv.Close()
			srv.RegisterWebhook(down.URL, "s", WithWebhookRetryWait(time.Millisecond))
			connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
			eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 1 })
			d := srv.WebhookDeliveries()[0]
			assert.Equal(t, tc.attempts, d.Attempts)
			assert.Equal(t, tc.status, d.Status)
		})
	}

	t.Run("no receiver", func(t *testing.T) {
		t.Parallel()
		srv := NewServer()
		defer srv.Close()
		srv.RegisterWebhook("http://127.0.0.1:1/hooks", "s", WithWebhookRetryWait(time.Millisecond))
		connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
		eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 1 })
		d := srv.WebhookDeliveries()[0]
		assert.Equal(t, 3, d.Attempts)
		assert.Error(t, d.Err)
	})
}

// slowReceiver handles deliveries with fn, counting its calls.
func slowReceiver(t *testing.T, fn func(call int32) error, opts ...webhook.Option) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	h, err := webhook.NewHandler([]string{"whsec_e2e"}, func(context.Context, *webhook.Event) error {
		return fn(calls.Add(1))
	}, append([]webhook.Option{webhook.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestARetryArrivesWhileTheFirstAttemptIsInFlight(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	recv, calls := slowReceiver(t, func(int32) error {
		<-release // slower than the sender's timeout
		return nil
	}, webhook.WithInFlightWait(0))
	srv := NewServer()
	defer srv.Close()
	srv.RegisterWebhook(recv.URL, "whsec_e2e", WithWebhookTimeout(50*time.Millisecond), WithWebhookRetryWait(10*time.Millisecond))
	connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})

	eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 1 })
	d := srv.WebhookDeliveries()[0]
	assert.Equal(t, 3, d.Attempts)
	assert.Equal(t, http.StatusServiceUnavailable, d.Status, "the retries found the first attempt in flight, and were told to come back")
	close(release)
	require.NoError(t, srv.ReplayWebhook(d.ID, 0))
	eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 2 })
	assert.Equal(t, http.StatusOK, srv.WebhookDeliveries()[1].Status, "the first attempt finished and was recorded")
	assert.Equal(t, int32(1), calls.Load(), "one call for the id, however many attempts")
}

func TestARetryWaitingOnAFailedFirstAttemptHandlesTheEvent(t *testing.T) {
	t.Parallel()
	recv, calls := slowReceiver(t, func(call int32) error {
		if call == 1 {
			time.Sleep(1200 * time.Millisecond) // past the sender's timeout
			return errors.New("failed after the sender gave up")
		}
		return nil
	})
	srv := NewServer()
	defer srv.Close()
	srv.RegisterWebhook(recv.URL, "whsec_e2e", WithWebhookTimeout(time.Second), WithWebhookRetryWait(10*time.Millisecond))
	connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})

	eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 1 })
	d := srv.WebhookDeliveries()[0]
	assert.Equal(t, 2, d.Attempts)
	assert.Equal(t, http.StatusOK, d.Status, "the retry waited, saw the failure, and handled the event itself")
	assert.Equal(t, int32(2), calls.Load())
}

// API.md §7: integration events carry the integration's state, with
// totalTransactions (the webhook package: "the number of transactions synced
// so far"). The sandbox sent 0 for an integration whose import had saved its
// whole history, which its own data API counts at the same moment.
func TestWebhookTotalTransactionsCountsTheSyncedHistory(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	rc := registeredReceiver(t, srv, "whsec_total")
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	eventually(t, func() bool { return len(rc.names()) == 1 })
	created := rc.handled()[0]
	require.Equal(t, webhook.EventIntegrationCreated, created.Type)
	require.Equal(t, webhook.StatusCompleted, created.Integration.Status, "the import finished when the user connected")

	page, err := c.User(g.Credential()).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	require.Positive(t, page.Items[0].TxnCount, "the data API counts the imported transactions")
	assert.Equal(t, int64(page.Items[0].TxnCount), created.Integration.TotalTransactions,
		"integration.created says the COMPLETED integration holds no transaction")
}

// The same data's lastSyncedAt ("when it last synced; zero when never"):
// while a second resync is queued, the integration last synced when the
// first resync finished, not when it was added.
func TestWebhookLastSyncedAtIsTheLastFinishedSync(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithSyncTimings(time.Minute, time.Minute))
	defer srv.Close()
	rc := registeredReceiver(t, srv, "whsec_last")
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	eventually(t, func() bool { return len(rc.names()) == 1 })
	walletID := rc.handled()[0].Integration.WalletID

	resyncLatest(t, c, g, walletID)
	clock.Advance(2 * time.Minute) // queued a minute, syncing a minute: finished at epoch+2m
	eventually(t, func() bool {
		evs := rc.handled()
		last := evs[len(evs)-1]
		return len(evs) > 2 && last.Type == webhook.EventCostBasisCompleted
	})
	n := len(rc.names())
	resyncLatest(t, c, g, walletID)
	eventually(t, func() bool { return len(rc.names()) == n+1 })
	queued := rc.handled()[n].Integration
	require.Equal(t, webhook.StatusQueued, queued.Status)
	assert.Equal(t, epoch.Add(2*time.Minute), queued.LastSyncedAt, "lastSyncedAt of a queued resync")
}

// API.md §7: a delivery is attributed "by the envelope's grant_id", the
// Connect grant (prefix cgrant_, §3) that ListGrants lists and RevokeGrant
// takes. A user who also signed in to the same client with "Sign in with
// Kryptos" holds an OAuth grant, which the sandbox itself keeps out of the
// client's Connect grants; it must not be sent Connect webhooks under it.
func TestWebhooksGoToConnectGrantsOnly(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	rc := registeredReceiver(t, srv, "whsec_grants")
	c := srv.Client(fast...)
	const email = "ada@example.com"
	g := connect(t, srv, c, LinkUser{Email: email, Wallets: []Wallet{ethWallet}})
	_, err := srv.Consent(authorizeURL(srv, "/oidc/auth", kryptosParams(srv)), email, true)
	require.NoError(t, err)
	eventually(t, func() bool { return len(rc.names()) == 1 })

	resyncLatest(t, c, g, rc.handled()[0].Integration.WalletID)
	eventually(t, func() bool {
		evs := rc.handled()
		return evs[len(evs)-1].Type == webhook.EventCostBasisCompleted
	})
	grants, err := c.ListGrants(ctx)
	require.NoError(t, err)
	connectGrants := map[string]bool{}
	for _, gr := range grants {
		connectGrants[gr.ID] = true
	}
	for _, ev := range rc.handled() {
		assert.True(t, connectGrants[ev.GrantID], "%s delivered for grant %q, which is not one of the client's Connect grants", ev.Type, ev.GrantID)
	}
}

// API.md §7 lists events that tell what happens: an integration changes,
// a process starts or ends. RegisterWebhook: "integration.updated as a
// sync job goes from queued to syncing to completed". An endpoint
// registered after a sync finished must not be sent that finished sync's
// integration.updated, transfer_detection.* and costbasis.* as if they
// happened now: a receiver would record a second completion of a sync it
// never saw start, dated at registration.
func TestAnEndpointRegisteredLaterIsNotSentPastSyncs(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithSyncTimings(time.Minute, time.Minute))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	page, err := c.User(g.Credential()).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
	require.NoError(t, err)
	require.NotEmpty(t, page.Items)
	resyncLatest(t, c, g, page.Items[0].ID)
	clock.Advance(time.Hour) // the resync finished long ago

	rc := registeredReceiver(t, srv, "whsec_late")
	time.Sleep(300 * time.Millisecond) // 30 turns of the sandbox's job watcher
	assert.Empty(t, rc.names(), "events of a sync that finished before the endpoint was registered")
}

// RegisterWebhook: "Registering again replaces the endpoint", and the
// integration.created of a link "waits for that exchange" to be delivered.
// An event held (or queued) when the endpoint is replaced must go to the
// new endpoint, not vanish: Kryptos has not sent it yet.
func TestReplacingTheEndpointKeepsTheHeldEvents(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	first := registeredReceiver(t, srv, "whsec_one")
	c := srv.Client(fast...)
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	require.NoError(t, err)

	second := registeredReceiver(t, srv, "whsec_two") // the endpoint moves before the exchange
	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(second.names()) == 1 }, 2*time.Second, time.Millisecond,
		"the integration.created held for the exchange was never delivered")
	assert.Equal(t, g.GrantID, second.handled()[0].GrantID)
	assert.Empty(t, first.names())
}

// RegisterWebhook: "integration.updated as a sync job goes from queued to
// syncing to completed"; API.md §7: a process's data "timestamp" is when it
// reached its status (Unix ms). When the sandbox's clock passes several
// steps of a job at once, each step is still announced, dated when it
// happened, not when the sandbox noticed.
func TestEachStepOfASyncIsAnnouncedAtItsTime(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithSyncTimings(time.Minute, time.Minute))
	defer srv.Close()
	rc := registeredReceiver(t, srv, "whsec_steps")
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	eventually(t, func() bool { return len(rc.names()) == 1 })
	resyncLatest(t, c, g, rc.handled()[0].Integration.WalletID)
	eventually(t, func() bool { return len(rc.names()) == 2 }) // QUEUED
	clock.Advance(time.Hour)                                   // the sync started after 1 min, ended after 2
	require.Eventually(t, func() bool { return len(rc.names()) >= 7 }, 2*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	evs := rc.handled()
	var statuses []string
	for _, ev := range evs[1:] {
		if ev.Integration != nil {
			statuses = append(statuses, string(ev.Integration.Status))
		}
	}
	assert.Equal(t, []string{"QUEUED", "SYNCING", "COMPLETED"}, statuses)
	last := evs[len(evs)-1]
	require.NotNil(t, last.Process)
	assert.Equal(t, epoch.Add(2*time.Minute), last.Process.Timestamp, "costbasis.completed dated when the sync ended")
	assert.Equal(t, epoch.Add(2*time.Minute), last.Timestamp)
}

// TestReplacingTheEndpointKeepsADeliveryBeingRetried: RegisterWebhook
// says "Registering again replaces the endpoint: the events not sent yet go
// to the new one." An event the old endpoint answered 503 to, waiting for
// its retry, had not been sent: it was dropped with the old endpoint's
// loop, and the new endpoint never saw it. WebhookDeliveries ("the
// deliveries finished so far") also forgot everything the old endpoint had
// been sent, so ReplayWebhook could no longer replay it.
func TestReplacingTheEndpointKeepsADeliveryBeingRetried(t *testing.T) {
	t.Parallel()
	var firstCalls atomic.Int32
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		firstCalls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable) // retried, after the wait
	}))
	t.Cleanup(first.Close)
	srv := NewServer(WithSyncTimings(time.Hour, time.Hour)) // only integration.created for now
	defer srv.Close()
	srv.RegisterWebhook(first.URL, "whsec_two", WithWebhookRetryWait(10*time.Second))
	g := connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	eventually(t, func() bool { return firstCalls.Load() == 1 })

	second := registeredReceiver(t, srv, "whsec_two")
	require.Eventually(t, func() bool { return len(second.names()) == 1 }, 2*time.Second, time.Millisecond,
		"the integration.created the first endpoint had not taken was lost")
	assert.Equal(t, webhook.EventType("integration.created"), second.names()[0])
	assert.Equal(t, g.GrantID, second.handled()[0].GrantID)
	eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 1 })
	assert.Equal(t, http.StatusOK, srv.WebhookDeliveries()[0].Status)
}

// TestDeliveriesOutliveAnEndpointChange: what an endpoint was sent
// stays in WebhookDeliveries, and can be replayed, after another
// RegisterWebhook.
func TestDeliveriesOutliveAnEndpointChange(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSyncTimings(time.Hour, time.Hour))
	defer srv.Close()
	registeredReceiver(t, srv, "whsec_one")
	connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 1 })
	id := srv.WebhookDeliveries()[0].ID

	registeredReceiver(t, srv, "whsec_two")
	require.Len(t, srv.WebhookDeliveries(), 1, "the deliveries finished so far")
	require.NoError(t, srv.ReplayWebhook(id, 0))
	eventually(t, func() bool { return len(srv.WebhookDeliveries()) == 2 })
	assert.Equal(t, id, srv.WebhookDeliveries()[1].ID)
}
