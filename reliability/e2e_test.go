package reliability

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// TestEveryMethodEndToEnd drives every Client and UserClient method against
// the sandbox over loopback HTTP, with the sandbox on a FakeClock so that
// sync jobs progress, and tokens expire, without waiting.
func TestEveryMethodEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := kryptostest.NewFakeClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	srv := kryptostest.NewServer(kryptostest.WithClock(clock), kryptostest.WithSyncTimings(time.Minute, time.Minute))
	defer srv.Close()
	c := srv.Client()

	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.DefaultScopes()})
	require.NoError(t, err)
	assert.False(t, lt.HasExistingGrant)
	assert.Equal(t, clock.Now().Add(kryptostest.LinkTokenTTL), lt.ExpiresAt)
	public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true,
		Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
	require.NoError(t, err)
	grant, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	assert.Equal(t, "cat_[redacted]", grant.AccessToken.String())
	session, err := c.CheckSession(ctx, grant.AccessToken.Reveal())
	require.NoError(t, err)
	require.True(t, session.Valid)
	assert.Equal(t, grant.GrantID, session.GrantID)

	var resp kryptos.Response
	grants, err := c.ListGrants(ctx, kryptos.CaptureResponse(&resp))
	require.NoError(t, err)
	require.Len(t, grants, 1)
	assert.Equal(t, grant.GrantID, grants[0].ID)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 1, resp.Attempts)

	// A returning user: the stored token resumes the grant.
	again, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: grant.AccessToken})
	require.NoError(t, err)
	assert.True(t, again.HasExistingGrant)
	assert.Equal(t, session.UserID, again.UserID)

	user := c.User(grant.Credential())
	integrations, err := user.ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
	require.NoError(t, err)
	require.Len(t, integrations.Items, 1)
	job, err := c.ResyncIntegration(ctx, integrations.Items[0].ID, kryptos.ResyncParams{UserID: session.UserID, Mode: kryptos.ResyncFromStart})
	require.NoError(t, err)
	for _, want := range []kryptos.SyncStatus{kryptos.SyncQueued, kryptos.SyncInProgress} {
		st, err := user.GetSyncJob(ctx, job.JobID)
		require.NoError(t, err)
		assert.Equal(t, want, st.Status)
		assert.False(t, st.Status.Done())
		clock.Advance(time.Minute)
	}
	// The same user through a Credential built from the stored string.
	st, err := c.User(kryptos.AccessToken(grant.AccessToken.Reveal())).GetSyncJob(ctx, job.JobID)
	require.NoError(t, err)
	assert.True(t, st.Status.Done())
	assert.True(t, st.Status.Succeeded(), "status %s", st.Status)

	limit, err := c.UpdateTransactionLimit(ctx, grant.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](250)})
	require.NoError(t, err)
	assert.Equal(t, int64(250), *limit.TransactionLimit)

	// A public token not exchanged within its 30 minutes is refused, and
	// nothing is exchanged.
	stale := linkGuest(t, srv, c)
	clock.Advance(kryptostest.PublicTokenTTL)
	exchanged := srv.Stats().TokensExchanged
	_, err = c.ExchangePublicToken(ctx, stale)
	assert.ErrorIs(t, err, kryptos.ErrTokenExpired)
	assert.NotErrorIs(t, err, kryptos.ErrOutcomeUnknown)
	assert.Equal(t, exchanged, srv.Stats().TokensExchanged)

	require.NoError(t, c.RevokeGrant(ctx, grant.GrantID))
	session, err = c.CheckSession(ctx, grant.AccessToken.Reveal())
	require.NoError(t, err)
	assert.False(t, session.Valid)
	assert.NotEmpty(t, session.Reason)
	_, err = user.ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
	assert.ErrorIs(t, err, kryptos.ErrUnauthorized, "a revoked grant's token no longer reads data")
	again, err = c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: grant.AccessToken})
	require.NoError(t, err)
	assert.False(t, again.HasExistingGrant, "a revoked token yields a plain link token")
}

// signallingLimiter is a Limiter that says when the server's 429 has
// reached it, so that a test can act while the class is held.
type signallingLimiter struct {
	kryptos.Limiter
	once  sync.Once
	held  chan struct{}
	class kryptos.QuotaClass
}

func (l *signallingLimiter) Backoff(ctx context.Context, class kryptos.QuotaClass, wait time.Duration) {
	l.Limiter.Backoff(ctx, class, wait)
	l.once.Do(func() {
		l.class = class
		close(l.held)
	})
}

// TestA429HoldsItsWholeClass runs a burst into a sandbox quota with the
// default Limiter, which keeps no quota of its own: the server answers the
// third request 429, and from then on every caller of that quota class
// waits out its retry_after together, instead of each drawing a 429 of its
// own; other classes go on at once.
func TestA429HoldsItsWholeClass(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := kryptostest.NewServer(kryptostest.WithRateLimits(kryptostest.RateLimits{
		kryptos.ClassLinkToken: {Requests: 2, Per: 500 * time.Millisecond},
	}))
	defer srv.Close()
	inner, err := kryptos.NewLimiter(kryptos.LimiterConfig{})
	require.NoError(t, err)
	limiter := &signallingLimiter{Limiter: inner, held: make(chan struct{})}
	c := srv.Client(kryptos.WithLimiter(limiter))
	impatient := srv.Client(kryptos.WithLimiter(limiter), kryptos.WithMaxQuotaWait(100*time.Millisecond))

	start := time.Now()
	for range 2 {
		_, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
		require.NoError(t, err)
	}
	third := make(chan error, 1)
	go func() {
		_, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
		third <- err
	}()
	select {
	case <-limiter.held:
	case <-time.After(5 * time.Second):
		t.Fatal("the server's 429 never reached the Limiter")
	}
	assert.Equal(t, kryptos.ClassLinkToken, limiter.class)
	heldAt := time.Since(start)

	// While the class is held: another caller of it waits, and one that
	// may not wait that long is refused without sending; other classes go.
	var wg sync.WaitGroup
	var waiterErr error
	var waited time.Duration
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := time.Now()
		_, waiterErr = c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
		waited = time.Since(s)
	}()
	sent := srv.Stats().ByRoute["POST /link-token"]
	_, err = impatient.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	assert.ErrorIs(t, err, kryptos.ErrQuotaWait)
	var qe *kryptos.QuotaWaitError
	if assert.ErrorAs(t, err, &qe) {
		assert.Equal(t, kryptos.ClassLinkToken, qe.Class)
	}
	s := time.Now()
	_, err = c.ListGrants(ctx)
	require.NoError(t, err)
	assert.Less(t, time.Since(s), 300*time.Millisecond, "another class is not held")

	require.NoError(t, <-third, "the refused request was retried after retry_after")
	wg.Wait()
	require.NoError(t, waiterErr)
	assert.Greater(t, waited, 500*time.Millisecond, "the other caller of the class waited with it")
	assert.Equal(t, sent+2, srv.Stats().ByRoute["POST /link-token"], "the impatient call was not sent; the waiter and the retry were")
	assert.Equal(t, 1, srv.Stats().RateLimited, "one 429 for the whole class, not one per caller")
	assert.GreaterOrEqual(t, time.Since(start)-heldAt, 900*time.Millisecond, "retry_after (1 s) was waited out")
}

// TestAClientSideQuotaSparesTheServer429s runs the burst of
// TestA429HoldsItsWholeClass through two Clients that share a Limiter with
// the server's quota: the client waits for its own window, and the server
// never has to refuse anything.
func TestAClientSideQuotaSparesTheServer429s(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	quota := kryptos.Quota{Requests: 2, Per: 500 * time.Millisecond}
	srv := kryptostest.NewServer(kryptostest.WithRateLimits(kryptostest.RateLimits{kryptos.ClassLinkToken: quota}))
	defer srv.Close()
	limiter, err := kryptos.NewLimiter(kryptos.LimiterConfig{Quotas: map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassLinkToken: quota}})
	require.NoError(t, err)
	// Two replicas of one backend: one client ID, so one Limiter.
	replicas := []*kryptos.Client{srv.Client(kryptos.WithLimiter(limiter)), srv.Client(kryptos.WithLimiter(limiter))}
	start := time.Now()
	for i := range 4 {
		_, err := replicas[i%2].CreateLinkToken(ctx, kryptos.LinkTokenParams{})
		require.NoError(t, err)
	}
	assert.Equal(t, 0, srv.Stats().RateLimited)
	assert.GreaterOrEqual(t, time.Since(start), quota.Per, "the clients waited for their own window")

	// The window is full again: a caller that may not wait for the next
	// one is refused at once, unsent.
	impatient := srv.Client(kryptos.WithLimiter(limiter), kryptos.WithMaxQuotaWait(10*time.Millisecond))
	sent := srv.Stats().ByRoute["POST /link-token"]
	_, err = impatient.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	var qe *kryptos.QuotaWaitError
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, kryptos.ClassLinkToken, qe.Class)
	assert.Equal(t, sent, srv.Stats().ByRoute["POST /link-token"], "the impatient call was not sent")
}

// TestCancelEndsEveryWait cancels a call during each kind of wait, and
// checks that it returns the context's error at once; a call that was
// never sent never reports an unknown outcome, even a one-shot one.
func TestCancelEndsEveryWait(t *testing.T) {
	t.Parallel()
	const cancelAfter = 30 * time.Millisecond
	cases := []struct {
		name string
		// prepare sets the wait up, and returns the call to cancel.
		prepare func(t *testing.T, srv *kryptostest.Server, f *fixture) func(context.Context) error
		sent    int // requests the cancelled call sent
		unknown bool
	}{
		{name: "back-off before a retry", sent: 1, prepare: func(t *testing.T, srv *kryptostest.Server, _ *fixture) func(context.Context) error {
			srv.FailNext("/token/grants", 1, kryptostest.Fault{Status: 503, Header: http.Header{"Retry-After": {"10"}}})
			c := srv.Client(kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: time.Minute}))
			return func(ctx context.Context) error { _, err := c.ListGrants(ctx); return err }
		}},
		{name: "slow answer", sent: 1, prepare: func(t *testing.T, srv *kryptostest.Server, _ *fixture) func(context.Context) error {
			srv.FailNext("/token/grants", 1, kryptostest.Fault{Delay: 5 * time.Second})
			c := srv.Client()
			return func(ctx context.Context) error { _, err := c.ListGrants(ctx); return err }
		}},
		{name: "slow answer to a one-shot call", sent: 1, unknown: true, prepare: func(t *testing.T, srv *kryptostest.Server, f *fixture) func(context.Context) error {
			srv.FailNext("/token/exchange", 1, kryptostest.Fault{Delay: 5 * time.Second})
			c := srv.Client()
			return func(ctx context.Context) error { _, err := c.ExchangePublicToken(ctx, f.publicToken); return err }
		}},
		{name: "client-side quota, one-shot call", prepare: func(t *testing.T, srv *kryptostest.Server, f *fixture) func(context.Context) error {
			limiter, err := kryptos.NewLimiter(kryptos.LimiterConfig{Quotas: map[kryptos.QuotaClass]kryptos.Quota{kryptos.ClassConnect: {Requests: 1, Per: time.Hour}}})
			require.NoError(t, err)
			c := srv.Client(kryptos.WithLimiter(limiter))
			_, err = c.ListGrants(context.Background()) // takes the hour's only slot of ClassConnect
			require.NoError(t, err)
			return func(ctx context.Context) error {
				_, err := c.ResyncIntegration(ctx, f.walletID, kryptos.ResyncParams{UserID: f.userID, Mode: kryptos.ResyncLatest})
				return err
			}
		}},
		{name: "class held after a 429, one-shot call", prepare: func(t *testing.T, srv *kryptostest.Server, f *fixture) func(context.Context) error {
			srv.FailNext("/token/exchange", 1, kryptostest.Fault{Status: 429, Header: http.Header{"retry_after": {"3600"}}})
			c := srv.Client()
			_, err := c.ExchangePublicToken(context.Background(), f.publicToken)
			require.ErrorIs(t, err, kryptos.ErrRateLimited)
			return func(ctx context.Context) error { _, err := c.ExchangePublicToken(ctx, f.publicToken); return err }
		}},
	}
	var mu sync.Mutex
	var slowest time.Duration // from the cancel to the return
	t.Cleanup(func() {
		t.Logf("cancellation: %d waits cancelled after %s; the slowest returned %s after the cancel",
			len(cases), cancelAfter, slowest.Round(time.Millisecond))
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			call := tc.prepare(t, f.srv, f)
			before := f.srv.Stats()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			time.AfterFunc(cancelAfter, cancel)
			start := time.Now()
			err := call(ctx)
			took := time.Since(start)
			mu.Lock()
			slowest = max(slowest, took-cancelAfter)
			mu.Unlock()
			require.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, tc.unknown, errors.Is(err, kryptos.ErrOutcomeUnknown), "ErrOutcomeUnknown in %v", err)
			assert.NotErrorIs(t, err, kryptos.ErrQuotaWait, "the caller cancelled; the quota did not refuse")
			assert.Less(t, took, cancelAfter+150*time.Millisecond, "returned at once when cancelled")
			assert.Equal(t, tc.sent, f.srv.Stats().Requests-before.Requests, "requests sent")
			assert.Zero(t, f.srv.Stats().TokensExchanged-before.TokensExchanged+f.srv.Stats().ResyncsQueued-before.ResyncsQueued, "nothing took effect")
		})
	}
}
