package kryptostest

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

func TestLinkAndPublicTokensExpireAfterThirtyMinutes(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock))
	defer srv.Close()
	c := srv.Client(fast...)

	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	require.NoError(t, err)
	assert.Equal(t, epoch.Add(30*time.Minute), lt.ExpiresAt)
	clock.Advance(30 * time.Minute)
	_, err = srv.CompleteLink(lt.Token, LinkUser{Guest: true})
	require.ErrorIs(t, err, kryptos.ErrTokenExpired)

	lt, _ = c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	public, err := srv.CompleteLink(lt.Token, LinkUser{Guest: true})
	require.NoError(t, err)
	clock.Advance(29*time.Minute + 59*time.Second)
	lt2, _ := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	public2, err := srv.CompleteLink(lt2.Token, LinkUser{Guest: true})
	require.NoError(t, err)
	clock.Advance(time.Second)
	_, err = c.ExchangePublicToken(ctx, public)
	require.ErrorIs(t, err, kryptos.ErrTokenExpired)
	_, err = c.ExchangePublicToken(ctx, public2)
	require.NoError(t, err, "a public token works until its 30 minutes are up")
}

func TestPublicTokensWorkOnceAndLinkTokensToo(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	lt, _ := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	public, err := srv.CompleteLink(lt.Token, LinkUser{Guest: true})
	require.NoError(t, err)
	_, err = srv.CompleteLink(lt.Token, LinkUser{Guest: true})
	require.ErrorIs(t, err, kryptos.ErrTokenAlreadyUsed)

	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	assert.Regexp(t, `^cat_[0-9a-f]+$`, g.AccessToken.Reveal())
	assert.Regexp(t, `^cgrant_[0-9a-f]+$`, g.GrantID)
	assert.Equal(t, 473040000*time.Second, g.ExpiresIn)
	assert.Equal(t, "Bearer", g.TokenType)
	assert.Regexp(t, `^ws_[0-9a-f]{12}$`, g.WorkspaceID, "each user has a workspace of their own")
	assert.Equal(t, kryptos.DefaultScopes(), g.Scopes)

	_, err = c.ExchangePublicToken(ctx, public)
	require.ErrorIs(t, err, kryptos.ErrTokenAlreadyUsed)
	assert.NotErrorIs(t, err, kryptos.ErrOutcomeUnknown, "the first attempt got this answer: nothing is unknown")
	assert.Equal(t, 1, srv.Stats().TokensExchanged)
}

func TestReturningUsersGetAnAuthorizedLinkAndNoPublicToken(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Email: "ada@example.com", Wallets: []Wallet{ethWallet}})
	s, err := c.CheckSession(ctx, g.AccessToken.Reveal())
	require.NoError(t, err)

	again, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: g.AccessToken})
	require.NoError(t, err)
	assert.True(t, again.HasExistingGrant)
	assert.Equal(t, s.UserID, again.UserID)
	assert.Equal(t, g.WorkspaceID, again.WorkspaceID)
	public, err := srv.CompleteLink(again.Token, LinkUser{Wallets: []Wallet{{Provider: "solana", Address: SolanaTestAddress}}})
	require.NoError(t, err)
	assert.Empty(t, public, "onSuccess gets null for a returning user")
	assert.Len(t, integrationsOf(t, c.User(g.Credential())), 2, "the new wallet was added to the existing user")

	// The same email signing in through a new link is the same user.
	g2 := connect(t, srv, c, LinkUser{Email: "ADA@example.com"})
	s2, _ := c.CheckSession(ctx, g2.AccessToken.Reveal())
	assert.Equal(t, s.UserID, s2.UserID)

	// A revoked or unknown token yields a plain link token.
	require.NoError(t, c.RevokeGrant(ctx, g.GrantID))
	plain, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: g.AccessToken})
	require.NoError(t, err)
	assert.False(t, plain.HasExistingGrant)
	assert.Empty(t, plain.UserID)
	plain, _ = c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: kryptos.NewSecret("cat_unknown")})
	assert.False(t, plain.HasExistingGrant)
}

func TestRevocationEndsEveryTokenOfTheGrantAtOnce(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock))
	defer srv.Close()
	c := srv.Client(fast...)
	g1 := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	g2 := connect(t, srv, c, LinkUser{Guest: true})

	grants, err := c.ListGrants(ctx)
	require.NoError(t, err)
	require.Len(t, grants, 2)
	assert.Equal(t, g1.GrantID, grants[0].ID)
	assert.Equal(t, epoch.Add(473040000*time.Second), grants[0].ExpiresAt)

	s, err := c.CheckSession(ctx, g1.AccessToken.Reveal())
	require.NoError(t, err)
	assert.Equal(t, kryptos.Session{Valid: true, UserID: s.UserID, WorkspaceID: g1.WorkspaceID,
		WorkspaceName: "Guest workspace", GrantedScopes: kryptos.DefaultScopes(), GrantID: g1.GrantID}, *s)

	require.NoError(t, c.RevokeGrant(ctx, g1.GrantID))
	s, _ = c.CheckSession(ctx, g1.AccessToken.Reveal())
	assert.Equal(t, kryptos.Session{Valid: false, Reason: "grant_revoked"}, *s)
	_, err = c.User(g1.Credential()).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
	require.ErrorIs(t, err, kryptos.ErrUnauthorized)
	grants, _ = c.ListGrants(ctx)
	require.Len(t, grants, 1)
	assert.Equal(t, g2.GrantID, grants[0].ID)
	require.ErrorIs(t, c.RevokeGrant(ctx, g1.GrantID), kryptos.ErrGrantNotFound, "a grant is revoked once")

	s, _ = c.CheckSession(ctx, "cat_nope")
	assert.Equal(t, "invalid_token", s.Reason)
	clock.Advance(473040000 * time.Second)
	s, _ = c.CheckSession(ctx, g2.AccessToken.Reveal())
	assert.Equal(t, "token_expired", s.Reason)
}

func TestTransactionLimitsFollowTheResolutionOrder(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithWorkspaceTransactionLimit(kryptos.Ptr[int64](5000), nil))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet, {Provider: "solana", Address: SolanaTestAddress, SyncDisabled: true}}})

	// Workspace default 5000 -> an override of 5000 changes nothing.
	tl, err := c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](5000)})
	require.NoError(t, err)
	assert.Nil(t, tl.Resync, "the cap did not move")
	assert.Nil(t, tl.PreviousTransactionLimit)
	assert.Equal(t, int64(5000), *tl.TransactionLimit)
	assert.Nil(t, tl.EnableLimiter, "no override of the limiter: the default applies")

	// Raising it moves the cap: from-start resyncs, the disabled one skipped.
	tl, err = c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](20000)})
	require.NoError(t, err)
	assert.Equal(t, int64(5000), *tl.PreviousTransactionLimit)
	require.NotNil(t, tl.Resync)
	assert.Len(t, tl.Resync.Triggered, 1)
	assert.Equal(t, 1, tl.Resync.Skipped)
	assert.Empty(t, tl.Resync.Failed)
	job, err := c.User(g.Credential()).GetSyncJob(ctx, tl.Resync.Triggered[0].SyncID)
	require.NoError(t, err)
	assert.Equal(t, kryptos.SyncFromStart, job.Mode)

	// Turning the limiter off removes the cap.
	tl, err = c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{EnableLimiter: kryptos.Ptr(false)})
	require.NoError(t, err)
	assert.False(t, *tl.EnableLimiter)
	assert.Nil(t, tl.PreviousEnableLimiter)
	assert.NotNil(t, tl.Resync)
	assert.Equal(t, 3, srv.Stats().LimitUpdates)

	linked := connect(t, srv, c, LinkUser{Email: "lin@example.com"})
	_, err = c.UpdateTransactionLimit(ctx, linked.GrantID, kryptos.TransactionLimitParams{EnableLimiter: kryptos.Ptr(true)})
	require.ErrorIs(t, err, kryptos.ErrNotAnonUser)
}

func TestSyncJobsProgressWithTheClock(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithSyncTimings(time.Second, 2*time.Second))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	s, _ := c.CheckSession(ctx, g.AccessToken.Reveal())
	ints := integrationsOf(t, c.User(g.Credential()))
	require.Len(t, ints, 1)
	require.NotNil(t, ints[0].LatestSync)
	assert.Equal(t, kryptos.SyncCompleted, ints[0].LatestSync.Status, "the import of the connection")
	assert.Equal(t, kryptos.CredentialAddress, ints[0].CredentialKind)
	assert.Equal(t, EthereumTestAddress, ints[0].Credentials.Address)

	job, err := c.ResyncIntegration(ctx, ints[0].ID, kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncLatest})
	require.NoError(t, err)
	assert.Equal(t, kryptos.ResyncJob{Mode: kryptos.ResyncLatest, IntegrationType: "wallet", WalletID: ints[0].ID, JobID: job.JobID,
		Status: "queued", Note: "Resync queued; poll GET /v1/sync/" + job.JobID + " with the user's access token for its progress"}, *job)

	for _, step := range []struct {
		advance time.Duration
		job     kryptos.SyncStatus
	}{
		{0, kryptos.SyncQueued},
		{time.Second, kryptos.SyncInProgress},
		{2 * time.Second, kryptos.SyncCompleted},
	} {
		clock.Advance(step.advance)
		st, err := c.User(g.Credential()).GetSyncJob(ctx, job.JobID)
		require.NoError(t, err)
		assert.Equal(t, step.job, st.Status)
		ints = integrationsOf(t, c.User(g.Credential()))
		assert.Equal(t, step.job, ints[0].LatestSync.Status, "latestSync is the live job")
		assert.Equal(t, job.JobID, ints[0].LastSyncID)
	}
	assert.Equal(t, epoch.Add(3*time.Second), ints[0].LatestSync.CompletedAt)
	assert.Equal(t, kryptos.SyncCompleted, ints[0].LastSyncStatus)
	assert.Equal(t, 1, srv.Stats().ResyncsQueued)

	// Another user's token cannot read the job.
	other := connect(t, srv, c, LinkUser{Guest: true})
	_, err = c.User(other.Credential()).GetSyncJob(ctx, job.JobID)
	require.ErrorIs(t, err, kryptos.ErrNotFound)
}

func TestResyncRulesPerIntegrationType(t *testing.T) {
	t.Parallel()
	for _, noCSV := range []bool{false, true} {
		opts := []Option{WithSandboxMode(false)}
		if noCSV {
			opts = append(opts, WithCSVResyncUnsupported())
		}
		srv := NewServer(opts...)
		c := srv.Client(fast...)
		g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{
			{Provider: "binance", Address: "acct-1"},
			{Provider: "csv", Address: "trades.csv"},
			{Provider: "csv", Address: "old.csv", SourceMissing: true},
		}})
		s, _ := c.CheckSession(ctx, g.AccessToken.Reveal())
		ints := integrationsOf(t, c.User(g.Credential()))
		exchange, csv, gone := ints[0], ints[1], ints[2]
		assert.Equal(t, kryptos.CredentialAPIKey, exchange.CredentialKind)
		assert.Equal(t, kryptos.CredentialCSV, csv.CredentialKind)
		resync := func(in kryptos.Integration, mode kryptos.ResyncMode) (*kryptos.ResyncJob, error) {
			return c.ResyncIntegration(ctx, in.ID, kryptos.ResyncParams{UserID: s.UserID, Mode: mode})
		}
		_, err := resync(exchange, kryptos.ResyncLatest)
		require.NoError(t, err)
		if noCSV {
			_, err = resync(csv, kryptos.ResyncFromStart)
			require.ErrorIs(t, err, kryptos.ErrCSVResyncUnsupported)
			_, err = resync(csv, kryptos.ResyncLatest)
			require.ErrorIs(t, err, kryptos.ErrCSVResyncUnsupported)
		} else {
			job, err := resync(csv, kryptos.ResyncFromStart)
			require.NoError(t, err)
			assert.Equal(t, "csv", job.IntegrationType)
			_, err = resync(csv, kryptos.ResyncLatest)
			require.ErrorIs(t, err, kryptos.ErrCSVResyncLatestUnsupported)
			_, err = resync(gone, kryptos.ResyncFromStart)
			require.ErrorIs(t, err, kryptos.ErrCSVSourceMissing)
		}
		srv.Close()
	}
}

func TestRateLimitsAnswer429WithRetryAfter(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithRateLimits(LegacyRateLimits()))
	defer srv.Close()
	h := creds(srv)
	for i := range 10 {
		status, _, _ := raw(t, srv, http.MethodPost, "/link-token", h, `{"scopes":"openid"}`)
		require.Equal(t, http.StatusOK, status, "request %d", i)
		clock.Advance(time.Second)
	}
	status, header, body := raw(t, srv, http.MethodPost, "/link-token", h, `{"scopes":"openid"}`)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, "RATE_LIMIT_EXCEEDED", body["code"])
	assert.Equal(t, "50", header.Get("retry_after"), "the first request leaves the window 60 s after it was sent")
	assert.Equal(t, "50", header.Get("Retry-After"))
	clock.Advance(50 * time.Second)
	status, _, _ = raw(t, srv, http.MethodPost, "/link-token", h, `{"scopes":"openid"}`)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, 1, srv.Stats().RateLimited)

	// Another client has its own quota.
	srv.AddClient("other", "other-secret")
	status, _, _ = raw(t, srv, http.MethodPost, "/link-token", map[string]string{"X-Client-Id": "other", "X-Client-Secret": "other-secret"}, `{"scopes":"openid"}`)
	assert.Equal(t, http.StatusOK, status)
}

func TestTheConnectAndDataAPIsAreNotLimitedByDefault(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	h := creds(srv)
	for i := range 30 {
		status, _, _ := raw(t, srv, http.MethodPost, "/link-token", h, `{"scopes":"openid"}`)
		require.Equal(t, http.StatusOK, status, "request %d", i)
	}
	assert.Equal(t, RateLimits(kryptos.DefaultQuotas()), DefaultRateLimits(), "only the OIDC limits are still published")
}

func TestTheSDKKeepsWithinTheSandboxQuotasItIsGiven(t *testing.T) {
	t.Parallel()
	// A client told the server's quota keeps to it: 5 exchanges go through,
	// and the client refuses the 6th (its context ends long before the
	// slot) instead of collecting a 429.
	srv := NewServer(WithRateLimits(LegacyRateLimits()))
	defer srv.Close()
	limiter, err := kryptos.NewLimiter(kryptos.LimiterConfig{Quotas: map[kryptos.QuotaClass]kryptos.Quota(LegacyRateLimits())})
	require.NoError(t, err)
	c := srv.Client(kryptos.WithLimiter(limiter), kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 0}))
	for range 5 {
		_, err := c.ExchangePublicToken(ctx, "public_unknown")
		require.ErrorIs(t, err, kryptos.ErrInvalidToken)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = c.ExchangePublicToken(short, "public_unknown")
	require.ErrorIs(t, err, kryptos.ErrQuotaWait)
	assert.NotErrorIs(t, err, kryptos.ErrOutcomeUnknown)
	assert.Equal(t, 0, srv.Stats().RateLimited)
	assert.Equal(t, 5, srv.Stats().ByRoute["POST /token/exchange"])
}

func TestConcurrentFlowsAreSafe(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
			if err != nil {
				errs <- err
				return
			}
			public, err := srv.CompleteLink(lt.Token, LinkUser{Guest: i%2 == 0, Email: "u@example.com", Wallets: []Wallet{ethWallet}})
			if err != nil {
				errs <- err
				return
			}
			g, err := c.ExchangePublicToken(ctx, public)
			if err != nil {
				errs <- err
				return
			}
			if _, err := c.ListGrants(ctx); err != nil {
				errs <- err
			}
			errs <- c.RevokeGrant(ctx, g.GrantID)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 32, srv.Stats().TokensExchanged)
	grants, _ := c.ListGrants(ctx)
	assert.Empty(t, grants)
}

// TestACapHoldsAcrossTheWalletsOfOneLink: a Guest who connects two wallets
// in one link holds no more than their cap over both; the second wallet's
// import has only the room the first one's leaves, although both were
// still syncing when each was queued.
func TestACapHoldsAcrossTheWalletsOfOneLink(t *testing.T) {
	t.Parallel()
	limit := int64(30)
	srv := NewServer(WithWorkspaceTransactionLimit(&limit, nil))
	t.Cleanup(srv.Close)
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet, {Provider: "solana", Address: SolanaTestAddress}}})
	user := c.User(g.Credential())
	ws, err := user.GetWorkspace(ctx, g.WorkspaceID)
	require.NoError(t, err)
	require.NotNil(t, ws.Limits)
	assert.Equal(t, limit, ws.Limits.CurrentTransactionCount, "both wallets together fill the cap, no more")
	page, err := user.ListTransactionsPage(ctx, kryptos.TransactionsParams{Limit: 1})
	require.NoError(t, err)
	assert.LessOrEqual(t, page.Total, int(limit))
}

// TestWebhookReceiversMayBeRegisteredConcurrently: parallel tests sharing a
// sandbox each register a receiver.
func TestWebhookReceiversMayBeRegisteredConcurrently(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				srv.RegisterWebhook("http://127.0.0.1:9/hook", "whsec_test")
			}
		})
	}
	wg.Wait()
}

// TestDiscoveryAndKeysAreNotCounted: the OIDC limits are per client ID,
// and discovery and the JWKS carry none: fetching them often does not
// stall anyone's sign-in.
func TestDiscoveryAndKeysAreNotCounted(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithRateLimits(RateLimits{kryptos.ClassOIDCOther: {Requests: 2, Per: time.Hour}}))
	t.Cleanup(srv.Close)
	for range 5 {
		for _, path := range []string{"/oidc/jwks", "/oidc/.well-known/openid-configuration"} {
			status, _, _ := raw(t, srv, http.MethodGet, path, nil, "")
			require.Equal(t, http.StatusOK, status, path)
		}
	}
}

// DATA-API.md §1.1: API keys "are bound to one workspace at creation;
// passing a different workspace id → 403 forbidden", and §1.2: "API key
// (newest docs): Bound to one workspace; do not pass ?wid=; a different id →
// 403 forbidden". The Aug API-key page also accepted ?workspaceId=.
func TestAPIKeyIsBoundToItsWorkspace(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Email: "alex.smith@example.com"})
	me, err := c.User(g.Credential()).Me(ctx)
	require.NoError(t, err)
	key, err := srv.IssueAPIKey(me.UID)
	require.NoError(t, err)

	for _, param := range []string{"wid", "workspaceId"} {
		status, _, body := raw(t, srv, http.MethodGet, "/v1/users/me?"+param+"=ws_someone_else", map[string]string{"x-api-key": key}, "")
		assert.Equal(t, http.StatusForbidden, status, "?%s= of another workspace: %v", param, body)
		assert.Equal(t, "forbidden", body["error"], param)
		assert.NotContains(t, body, "success", "an authorization error is OAuth style (§3.1)")

		// Its own workspace is fine (though needless).
		status, _, body = raw(t, srv, http.MethodGet, "/v1/users/me?"+param+"="+g.WorkspaceID, map[string]string{"x-api-key": key}, "")
		assert.Equal(t, http.StatusOK, status, "%v", body)
	}
}
