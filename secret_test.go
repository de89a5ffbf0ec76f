package kryptos

import (
	"bytes"
	"context"
	"encoding/json"
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
	api.on(http.MethodPost, "/link-token", fail(429, "RATE_LIMIT_EXCEEDED", "slow", "retry_after", "0").Then(reply(200, echo(golden(t, "connect.link_token.resumed.json")))))
	api.on(http.MethodPost, "/token/exchange", reply(200, echo(golden(t, "connect.exchange.older.json"))))
	api.on(http.MethodPost, "/link-token/check-session", fail(400, "INVALID_TOKEN", "token "+testAccessToken+" is not valid"))
	api.on(http.MethodGet, "/token/grants", reply(200, golden(t, "connect.grants.json")))
	api.on(http.MethodPost, "/developer/integrations/w1/resync", httpmock.NewErrorResponder(errReset))
	api.on(http.MethodPatch, "/developer/grants/"+testGrantID+"/transaction-limit", reply(200, golden(t, "connect.transaction_limit.json")))
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
	params := LinkTokenParams{AccessToken: NewSecret(testAccessToken)}
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
		assert.Equal(t, want, masked(in), in)
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

// TestSecretsStayRedactedWhereverTheyNest logs and encodes values that hold
// tokens inside structs, slices, maps and pointers, through slog's text and
// JSON handlers, encoding/json and every fmt verb.
func TestSecretsStayRedactedWhereverTheyNest(t *testing.T) {
	t.Parallel()
	grant := AccessGrant{AccessToken: NewSecret(testAccessToken), RefreshToken: NewSecret(testRefreshToken), GrantID: testGrantID}
	lt := LinkToken{Token: NewSecret(testLinkToken), UserID: "u1"}
	type account struct {
		User   string
		Grant  AccessGrant
		Tokens []LinkToken
		ByUser map[string]*AccessGrant
		Params LinkTokenParams
		Cred   Credential
	}
	nested := account{User: "alice", Grant: grant, Tokens: []LinkToken{lt}, ByUser: map[string]*AccessGrant{"alice": &grant},
		Params: LinkTokenParams{AccessToken: NewSecret(testAccessToken)}, Cred: AccessToken(testAccessToken)}

	// fmt cannot call methods on unexported fields, and prints pointers
	// nested in slices and maps with %s through an error path that calls
	// none: a Secret must hold up there too.
	type private struct {
		grant  AccessGrant
		grants []*AccessGrant
		token  Secret
	}
	hidden := private{grant: grant, grants: []*AccessGrant{&grant}, token: grant.AccessToken}

	var logs bytes.Buffer
	logger := slog.New(fanout{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)})
	logger.Info("nested", "account", nested, "ptr", &nested, "list", []account{nested}, "grant", grant,
		"token", grant.AccessToken, "private", hidden)
	outputs := []string{logs.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for _, v := range []any{nested, &nested, grant.AccessToken, hidden, &hidden, []*AccessGrant{&grant}} {
			outputs = append(outputs, fmt.Sprintf(verb, v))
		}
	}
	b, err := json.Marshal(nested)
	require.NoError(t, err)
	outputs = append(outputs, string(b))
	for _, out := range outputs {
		for _, s := range []string{testAccessToken, testRefreshToken, testLinkToken, "never_printed"} {
			require.NotContains(t, out, s)
		}
	}
	assert.Contains(t, logs.String(), `"AccessToken":"cat_[redacted]"`, "the JSON handler shows where the token was")
	assert.Contains(t, string(b), `"Token":"link_[redacted]"`)
	assert.Equal(t, testAccessToken, grant.AccessToken.Reveal())
}

// TestARedactedSecretCannotBeReadBack: storing a grant with json.Marshal
// writes no token, and reading it back fails instead of yielding a token
// that does not work.
func TestARedactedSecretCannotBeReadBack(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(AccessGrant{AccessToken: NewSecret(testAccessToken)})
	require.NoError(t, err)
	var back AccessGrant
	err = json.Unmarshal(b, &back)
	require.ErrorContains(t, err, "store Secret.Reveal() instead")

	var s Secret
	require.NoError(t, json.Unmarshal([]byte(`"cat_plain"`), &s), "a real token decodes")
	assert.Equal(t, "cat_plain", s.Reveal())
	require.NoError(t, json.Unmarshal([]byte(`null`), &s))
	assert.Equal(t, "cat_plain", s.Reveal(), "null leaves it as it was")
	assert.Error(t, json.Unmarshal([]byte(`42`), &s))
	text, err := s.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "cat_[redacted]", string(text))
	assert.Error(t, s.UnmarshalText(text))
}
