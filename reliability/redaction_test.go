package kryptos_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// TestTheWholeFlowLeaksNoSecret runs the quickstart's flow against the
// sandbox, with faults, under debug-level text and JSON logging, and looks
// for the run's real secrets in every log line, every error and every
// formatting of every value the SDK returned.
func TestTheWholeFlowLeaksNoSecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var logs bytes.Buffer
	debug := &slog.HandlerOptions{Level: slog.LevelDebug}
	text, json := slog.NewTextHandler(&logs, debug), slog.NewJSONHandler(&logs, debug)
	srv := kryptostest.NewServer(kryptostest.WithSyncTimings(time.Millisecond, time.Millisecond))
	defer srv.Close()
	var clients []*kryptos.Client
	for _, h := range []slog.Handler{text, json} {
		clients = append(clients, srv.Client(kryptos.WithLogger(slog.New(h)),
			kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond})))
	}

	var values []any
	var errs []error
	secrets := []string{srv.ClientSecret}
	keep := func(v any, err error) {
		if rv := reflect.ValueOf(v); v != nil && !(rv.Kind() == reflect.Pointer && rv.IsNil()) {
			values = append(values, v)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	for _, c := range clients {
		values = append(values, c)
		lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
		require.NoError(t, err)
		keep(lt, nil)
		public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true,
			Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
		require.NoError(t, err)
		grant, err := c.ExchangePublicToken(ctx, public)
		require.NoError(t, err)
		keep(grant, nil)
		secrets = append(secrets, lt.Token, public, grant.AccessToken)

		params := kryptos.LinkTokenParams{AccessToken: grant.AccessToken}
		values = append(values, params, &params)
		keep(c.CreateLinkToken(ctx, params))
		session, err := c.CheckSession(ctx, grant.AccessToken)
		keep(session, err)
		keep(c.ListGrants(ctx))
		ints, err := c.ListIntegrations(ctx, grant.AccessToken)
		keep(ints, err)
		srv.FailNext("/developer/integrations/"+ints[0].WalletID+"/resync", 1, kryptostest.Fault{Drop: true, AfterProcessing: true})
		keep(c.ResyncIntegration(ctx, ints[0].WalletID, kryptos.ResyncParams{UserID: session.UserID, Mode: kryptos.ResyncLatest}))
		job, err := c.ResyncIntegration(ctx, ints[0].WalletID, kryptos.ResyncParams{UserID: session.UserID, Mode: kryptos.ResyncLatest})
		keep(job, err)
		keep(c.GetSyncJob(ctx, grant.AccessToken, job.JobID))
		srv.FailNext("/developer/grants/"+grant.GrantID+"/transaction-limit", 1, kryptostest.Fault{Status: 503})
		keep(c.UpdateTransactionLimit(ctx, grant.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](5)}))
		srv.FailNext("/token/exchange", 1, kryptostest.Fault{Truncate: true})
		lt2, _ := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
		public2, _ := srv.CompleteLink(lt2.Token, kryptostest.LinkUser{Guest: true})
		secrets = append(secrets, lt2.Token, public2)
		keep(c.ExchangePublicToken(ctx, public2)) // truncated answer: an unknown outcome
		keep(c.ExchangePublicToken(ctx, public2)) // TOKEN_ALREADY_USED
		keep(nil, c.RevokeGrant(ctx, grant.GrantID))
		keep(c.CheckSession(ctx, grant.AccessToken))
		keep(c.ListIntegrations(ctx, grant.AccessToken)) // revoked: INVALID_GRANT
	}
	for _, v := range values {
		slog.New(text).Info("value", "v", v)
		slog.New(json).Info("value", "v", v)
	}
	for _, err := range errs {
		slog.New(json).Error("failed", "err", err)
	}

	outputs := []string{logs.String()}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			outputs = append(outputs, fmt.Sprintf(verb, v))
		}
	}
	for _, err := range errs {
		outputs = append(outputs, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
	}
	leaks := 0
	for _, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				leaks++
				t.Errorf("a secret leaked: %.80q...", out)
			}
		}
	}
	lines := strings.Count(logs.String(), "\n")
	assert.Greater(t, lines, 50, "the flow was logged")
	assert.Contains(t, logs.String(), `"msg":"kryptos: attempt"`)
	assert.GreaterOrEqual(t, len(errs), 8, "the failures were exercised")
	t.Logf("redaction: %d secrets searched in %d log lines, %d errors and %d formatted values: %d leaks",
		len(secrets), lines, len(errs), 4*len(values), leaks)
}
