package kryptos_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// TestEveryMethodEndToEnd drives every Client method against the sandbox
// over loopback HTTP.
func TestEveryMethodEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := kryptostest.NewServer(kryptostest.WithSyncTimings(time.Millisecond, time.Millisecond))
	defer srv.Close()
	c := srv.Client()

	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.DefaultScopes()})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true,
		Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
	require.NoError(t, err)
	grant, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	session, err := c.CheckSession(ctx, grant.AccessToken)
	require.NoError(t, err)
	require.True(t, session.Valid)
	grants, err := c.ListGrants(ctx)
	require.NoError(t, err)
	assert.Equal(t, grant.GrantID, grants[0].ID)
	integrations, err := c.ListIntegrations(ctx, grant.AccessToken)
	require.NoError(t, err)
	job, err := c.ResyncIntegration(ctx, integrations[0].WalletID, kryptos.ResyncParams{UserID: session.UserID, Mode: kryptos.ResyncFromStart})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		st, err := c.GetSyncJob(ctx, grant.AccessToken, job.JobID)
		return err == nil && st.Status.Succeeded()
	}, 5*time.Second, time.Millisecond)
	limit, err := c.UpdateTransactionLimit(ctx, grant.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](250)})
	require.NoError(t, err)
	assert.Equal(t, int64(250), *limit.TransactionLimit)
	require.NoError(t, c.RevokeGrant(ctx, grant.GrantID))
	session, err = c.CheckSession(ctx, grant.AccessToken)
	require.NoError(t, err)
	assert.False(t, session.Valid)
}

// TestServer429sAreWaitedOutAndTheThrottleAvoidsThem runs the same burst
// twice against a sandbox with a small quota: without the client-side
// throttle the server answers 429 and the SDK waits out its retry_after;
// with it, the server never has to.
func TestServer429sAreWaitedOutAndTheThrottleAvoidsThem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	quota := kryptos.Quota{Requests: 2, Per: 500 * time.Millisecond}
	burst := func(c *kryptos.Client) {
		for range 3 {
			_, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
			require.NoError(t, err)
		}
	}

	srv := kryptostest.NewServer(kryptostest.WithRateLimits(kryptostest.RateLimits{LinkToken: quota}))
	defer srv.Close()
	start := time.Now()
	burst(srv.Client(kryptos.WithLimiter(nil)))
	assert.Equal(t, 1, srv.Stats().RateLimited, "the third request was refused once")
	assert.GreaterOrEqual(t, time.Since(start), time.Second, "and retried after the whole seconds of retry_after")

	throttled := kryptostest.NewServer(kryptostest.WithRateLimits(kryptostest.RateLimits{LinkToken: quota}))
	defer throttled.Close()
	limiter, err := kryptos.NewQuotaLimiter(map[kryptos.Operation]kryptos.Quota{kryptos.OpCreateLinkToken: quota})
	require.NoError(t, err)
	start = time.Now()
	// The first request also opens the connection; the limiter's margin
	// covers its being slower than the third.
	burst(throttled.Client(kryptos.WithLimiter(limiter)))
	assert.Equal(t, 0, throttled.Stats().RateLimited)
	assert.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond, "the client waited for its own window")
}
