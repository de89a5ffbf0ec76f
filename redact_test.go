package kryptos

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoSecretReachesLogsErrorsOrPrintedValues runs the whole flow, with its
// failures, under debug-level text and JSON handlers, and looks for every
// secret in everything a caller could print.
func TestNoSecretReachesLogsErrorsOrPrintedValues(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	debug := &slog.HandlerOptions{Level: slog.LevelDebug}
	logger := slog.New(fanout{slog.NewTextHandler(&logs, debug), slog.NewJSONHandler(&logs, debug)})
	api := newMockAPI(t, WithLogger(logger))

	echo := func(body string) string { // answers that carry the test's tokens
		r := strings.NewReplacer("link_abc123xyz789", testLinkToken, "cat_abc123xyz789", testAccessToken, "crt_abc123xyz789", testRefreshToken)
		return r.Replace(body)
	}
	api.on(http.MethodPost, "/link-token", fail(429, "RATE_LIMIT_EXCEEDED", "slow", "retry_after", "0").Then(reply(200, echo(seedLinkTokenResumed))))
	api.on(http.MethodPost, "/token/exchange", reply(200, echo(seedExchangeOlder)))
	api.on(http.MethodPost, "/link-token/check-session", fail(400, "INVALID_TOKEN", "token "+testAccessToken+" is not valid"))
	api.on(http.MethodGet, "/token/grants", reply(200, seedGrants))
	api.on(http.MethodPost, "/developer/integrations/w1/resync", httpmock.NewErrorResponder(errReset))
	api.on(http.MethodPatch, "/developer/grants/"+testGrantID+"/transaction-limit", reply(200, seedTransactionLimit))
	api.on(http.MethodPost, "/token/revoke", reply(502, "<html>bad gateway</html>", "Content-Type", "text/html"))

	ctx := context.Background()
	var printable []any
	var errs []error
	keep := func(v any, err error) {
		if rv := reflect.ValueOf(v); v != nil && !(rv.Kind() == reflect.Pointer && rv.IsNil()) {
			printable = append(printable, v)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	params := LinkTokenParams{AccessToken: testAccessToken}
	printable = append(printable, params, &params, api.client)
	keep(api.client.CreateLinkToken(ctx, params))
	keep(api.client.ExchangePublicToken(ctx, testPublicToken))
	keep(api.client.CheckSession(ctx, testAccessToken))
	keep(api.client.ListGrants(ctx))
	keep(api.client.ResyncIntegration(ctx, "w1", ResyncParams{UserID: "u1", Mode: ResyncLatest}))
	keep(api.client.UpdateTransactionLimit(ctx, testGrantID, TransactionLimitParams{EnableLimiter: Ptr(true)}))
	keep(nil, api.client.RevokeGrant(ctx, testGrantID))
	keep(api.client.ExchangePublicToken(ctx, "public_never_printed\r\n"))
	_, err := NewClient(testClientID, testClientSecret+"\n")
	keep(nil, err)
	require.Len(t, errs, 5, "check-session, resync, revoke, the bad token and the bad secret fail")

	// Values a caller might log on purpose.
	for _, v := range printable {
		logger.Info("value", "v", v)
	}
	for _, e := range errs {
		logger.Error("failed", "err", e)
	}

	var outputs []string
	outputs = append(outputs, logs.String())
	for _, v := range printable {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			outputs = append(outputs, fmt.Sprintf(verb, v))
		}
	}
	for _, e := range errs {
		outputs = append(outputs, e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e))
	}
	secrets := []string{testClientSecret, testAccessToken, testPublicToken, testLinkToken, testRefreshToken, "never_printed", "SECRET"}
	for _, out := range outputs {
		for _, s := range secrets {
			require.NotContains(t, out, s)
		}
	}
	// The search covered real output: every attempt was logged, with paths.
	assert.Contains(t, logs.String(), `"msg":"kryptos: attempt"`)
	assert.Contains(t, logs.String(), "path=/developer/integrations/w1/resync")
	assert.Contains(t, logs.String(), "level=WARN msg=\"kryptos: attempt\" op=CreateLinkToken", "a 429 is a warning")
	assert.Contains(t, logs.String(), redactedMark)
	assert.Len(t, printable, 7, "params twice, the client, the link token, the grant, the grants, the limit")
	assert.NotContains(t, logs.String(), "panicked")
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                      "",
		"cat_abc":               "cat_[redacted]",
		"public_abc":            "public_[redacted]",
		"cgrant_x":              "cgrant_[redacted]",
		"nounderscore":          "[redacted]",
		"_leading":              "[redacted]",
		"averylongprefix_value": "[redacted]",
	} {
		assert.Equal(t, want, redact(in), in)
	}
}

// fanout sends each record to several handlers.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range f {
		if err := h.Handle(ctx, r.Clone()); err != nil {
			return err
		}
	}
	return nil
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}
