package kryptos_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// API.md §2: "A change that actually changes the cap queues a from-start
// resync of the user's integrations", reported in resync ("null when nothing
// changed"). When the answer to the change is lost (a 502 from a gateway
// after the API processed it), a repeated PATCH changes nothing: it is
// answered resync null. The SDK must not hand that answer over as the
// outcome of the change: the caller (and WaitForLimitResyncs) would believe
// no from-start resync, which wipes the user's data, is running.
func TestARetriedLimitChangeDoesNotHideItsResyncs(t *testing.T) {
	srv, c, g := connectGuestRetrying(t)
	ctx := context.Background()
	user := c.User(g.Credential())
	before, err := user.ListSyncJobsPage(ctx, kryptos.SyncJobsParams{})
	require.NoError(t, err)

	srv.FailNext("/developer/grants/"+g.GrantID+"/transaction-limit", 1, kryptostest.Fault{Status: 502, AfterProcessing: true})
	limit, err := c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](10)})

	after, lerr := user.ListSyncJobsPage(ctx, kryptos.SyncJobsParams{})
	require.NoError(t, lerr)
	require.Greater(t, len(after.Items), len(before.Items), "the first PATCH moved the cap from 100,000 to 10: the server queued a from-start resync")
	if err != nil {
		require.True(t, errors.Is(err, kryptos.ErrOutcomeUnknown), "a change whose answer was lost: %v", err)
		return
	}
	require.NotNil(t, limit.Resync, "UpdateTransactionLimit reported no resync (previous limit %v, limit %v), though its change queued one: "+
		"WaitForLimitResyncs returns at once while the user's data is wiped and re-imported", deref(limit.PreviousTransactionLimit), deref(limit.TransactionLimit))
	jobs, err := user.WaitForLimitResyncs(ctx, limit, kryptos.WaitOptions{FirstInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	require.NotEmpty(t, jobs)
}

// connectGuestRetrying connects a guest with an Ethereum test wallet through
// a sandbox whose client retries quickly.
func connectGuestRetrying(t *testing.T) (*kryptostest.Server, *kryptos.Client, *kryptos.AccessGrant) {
	t.Helper()
	srv := kryptostest.NewServer()
	t.Cleanup(srv.Close)
	c := srv.Client(kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}))
	return srv, c, connectUser(t, srv, c, kryptostest.LinkUser{Guest: true})
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// The fix must not turn a repeat whose first attempt provably did nothing
// into an unknown outcome: a 502 before processing, then the change.
func TestARetriedLimitChangeBeforeProcessingSucceeds(t *testing.T) {
	srv, c, g := connectGuestRetrying(t)
	ctx := context.Background()
	path := "/developer/grants/" + g.GrantID + "/transaction-limit"
	srv.FailNext(path, 1, kryptostest.Fault{Status: 502})
	limit, err := c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](10)})
	require.NoError(t, err)
	require.NotNil(t, limit.Resync, "the repeat made the change, and reports it")

	srv.FailNext(path, 1, kryptostest.Fault{Status: 429, Code: "RATE_LIMIT_EXCEEDED", Message: "slow"})
	limit, err = c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](10)})
	require.NoError(t, err, "a 429 was refused before processing: the repeat's answer is the whole story")
	require.Nil(t, limit.Resync, "nothing changed")
}
