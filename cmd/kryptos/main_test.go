package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"maps"
	"slices"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
	"github.com/kryptos-connect/kryptos-go/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// world is a sandbox with one Guest user who connected the Ethereum test
// wallet, and the environment the CLI reads.
type world struct {
	srv      *kryptostest.Server
	env      map[string]string
	grant    *kryptos.AccessGrant
	userID   string
	walletID string
}

// connectEthereum runs the widget flow for u with the Ethereum test wallet,
// up to the exchange.
func connectEthereum(t *testing.T, srv *kryptostest.Server, u kryptostest.LinkUser) *kryptos.AccessGrant {
	t.Helper()
	ctx := context.Background()
	client := srv.Client()
	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	require.NoError(t, err)
	u.Wallets = []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}
	public, err := srv.CompleteLink(lt.Token, u)
	require.NoError(t, err)
	grant, err := client.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	return grant
}

func newWorld(t *testing.T, opts ...kryptostest.Option) *world {
	t.Helper()
	srv := kryptostest.NewServer(append([]kryptostest.Option{kryptostest.WithSyncTimings(10*time.Millisecond, 40*time.Millisecond)}, opts...)...)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	client := srv.Client()
	grant := connectEthereum(t, srv, kryptostest.LinkUser{Guest: true})
	session, err := client.CheckSession(ctx, grant.AccessToken.Reveal())
	require.NoError(t, err)
	var walletID string
	for in, err := range client.User(grant.Credential()).ListIntegrations(ctx, kryptos.IntegrationsParams{}) {
		require.NoError(t, err)
		walletID = in.ID
	}
	require.NotEmpty(t, walletID)
	return &world{
		srv: srv,
		env: map[string]string{
			"KRYPTOS_CLIENT_ID":     srv.ClientID,
			"KRYPTOS_CLIENT_SECRET": srv.ClientSecret,
			"KRYPTOS_SANDBOX_URL":   srv.URL,
			"KRYPTOS_ACCESS_TOKEN":  grant.AccessToken.Reveal(),
		},
		grant: grant, userID: session.UserID, walletID: walletID,
	}
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI in-process against the world's sandbox, and checks that
// neither the client secret nor the access token appears in any output.
func (w *world) run(t *testing.T, args ...string) result {
	t.Helper()
	return w.runTTY(t, false, args...)
}

func (w *world) runTTY(t *testing.T, tty bool, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runContext(context.Background(), args, func(k string) string { return w.env[k] }, &stdout, &stderr, tty)
	r := result{code, stdout.String(), stderr.String()}
	for _, secret := range []string{w.srv.ClientSecret, w.grant.AccessToken.Reveal()} {
		assert.NotContains(t, r.stdout, secret, "kryptos %v printed a secret on stdout", args)
		assert.NotContains(t, r.stderr, secret, "kryptos %v printed a secret on stderr", args)
	}
	return r
}

// golden compares got to testdata/name after normalize; -update rewrites
// it.
func golden(t *testing.T, name, got string, normalize func(string) string) {
	t.Helper()
	got = normalize(got)
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), got)
}

// sameLength replaces the ids and times of a table with placeholders of the
// same length, so that the golden file still checks the columns' alignment.
func sameLength(s string) string {
	for _, r := range []struct{ re, fill string }{
		{`cgrant_[0-9a-f]+`, "cgrant_"},
		{`ws_[0-9a-f]+`, "ws_"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllStringFunc(s, func(m string) string {
			return r.fill + strings.Repeat("x", len(m)-len(r.fill))
		})
	}
	return regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`).ReplaceAllString(s, "YYYY-MM-DDThh:mm:ssZ")
}

// amountsHidden replaces the amounts of the holdings table, which the
// sandbox derives from the random wallet id, with N, and sorts the rows,
// whose order follows the values: what is left is the header, the assets and
// their columns.
func amountsHidden(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	num := regexp.MustCompile(`\b\d+(\.\d+)?\b`)
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(num.ReplaceAllString(l, "N")), " ")
	}
	sort.Strings(lines[1:])
	return strings.Join(lines, "\n") + "\n"
}

func TestGrantsListTable(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(t, "grants", "list")
	require.Equal(t, 0, r.code, r.stderr)
	golden(t, "grants-list.txt", r.stdout, sameLength)
	assert.Contains(t, r.stdout, w.grant.GrantID)
}

func TestGrantsListJSON(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(t, "grants", "list", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var grants []struct {
		GrantID     string    `json:"grant_id"`
		WorkspaceID string    `json:"workspace_id"`
		Scopes      string    `json:"scopes"`
		CreatedAt   time.Time `json:"created_at"`
		ExpiresAt   time.Time `json:"expires_at"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &grants), r.stdout)
	require.Len(t, grants, 1)
	g := grants[0]
	assert.Equal(t, w.grant.GrantID, g.GrantID)
	assert.Equal(t, w.grant.WorkspaceID, g.WorkspaceID)
	assert.Equal(t, w.grant.Scopes.String(), g.Scopes)
	assert.False(t, g.CreatedAt.IsZero())
	assert.True(t, g.ExpiresAt.After(g.CreatedAt))
}

func TestGrantsRevoke(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(t, "grants", "revoke", w.grant.GrantID)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Revoked grant "+w.grant.GrantID)

	r = w.run(t, "session", "check", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var s struct{ Valid bool }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	assert.False(t, s.Valid, "the revoked grant's token still works")
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		msg  string
	}{
		{"unknown grant", []string{"grants", "revoke", "cgrant_000000000000000000000000"}, nil, exitAPI, "GRANT_NOT_FOUND"},
		{"malformed grant id", []string{"grants", "revoke", "nope"}, nil, exitUsage, "grantID"},
		{"missing argument", []string{"grants", "revoke"}, nil, exitUsage, "<grant-id>"},
		{"unknown flag", []string{"grants", "list", "--nope"}, nil, exitUsage, "unknown flag"},
		{"unknown command", []string{"nope"}, nil, exitUsage, "unknown command"},
		{"unknown subcommand", []string{"grants", "nope"}, nil, exitUsage, "unknown command"},
		{"bad mode", []string{"resync", "w", "--user-id", "u", "--mode", "all"}, nil, exitUsage, "--mode"},
		{"bad format", []string{"data", "holdings", "--format", "xml"}, nil, exitUsage, "--format"},
		{"nothing to set", []string{"limit", "set", "cgrant_000000000000000000000000"}, nil, exitUsage, "--limit"},
		{"no secret", []string{"grants", "list"}, map[string]string{"KRYPTOS_CLIENT_SECRET": ""}, exitUsage, "KRYPTOS_CLIENT_SECRET"},
		{"no token", []string{"session", "check"}, map[string]string{"KRYPTOS_ACCESS_TOKEN": ""}, exitUsage, "KRYPTOS_ACCESS_TOKEN"},
		{"wrong secret", []string{"grants", "list"}, map[string]string{"KRYPTOS_CLIENT_SECRET": "wrong_secret"}, exitAPI, "client secret"},
		{"malformed scope", []string{"link", "create", "--scopes", `openid "quoted"`}, nil, exitUsage, "malformed scope"},
		{"scope not allowed", []string{"link", "create", "--scopes", "openid made:up"}, nil, exitAPI, "INVALID_SCOPE"},
		{"unknown help topic", []string{"help", "nope"}, nil, exitUsage, "unknown help topic"},
		{"unknown shell", []string{"completion", "fsh"}, nil, exitUsage, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ww := *w
			ww.env = map[string]string{}
			for k, v := range w.env {
				ww.env[k] = v
			}
			for k, v := range tc.env {
				ww.env[k] = v
			}
			r := ww.run(t, tc.args...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.msg)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "the error is one line: %q", r.stderr)
			assert.True(t, strings.HasPrefix(r.stderr, "kryptos: "), r.stderr)
		})
	}
}

func TestOutcomeUnknownExitsWith4(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.srv.FailNext("/developer/integrations/"+w.walletID+"/resync", 1, kryptostest.Fault{Status: 502, AfterProcessing: true})
	r := w.run(t, "resync", w.walletID, "--user-id", w.userID, "--mode", "latest")
	assert.Equal(t, exitUnknown, r.code, r.stderr)
	assert.Contains(t, r.stderr, "before repeating")
}

// TestARevokeWithoutAnAnswerIsAnUnknownOutcome: the revoke was sent and
// may have been done, but its answer was lost: exit 4 and "check before
// repeating", not 1.
func TestARevokeWithoutAnAnswerIsAnUnknownOutcome(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.srv.FailNext("/token/revoke", 10, kryptostest.Fault{Drop: true, AfterProcessing: true})
	r := w.run(t, "grants", "revoke", w.grant.GrantID)
	assert.Equal(t, exitUnknown, r.code, r.stderr)
	assert.Contains(t, r.stderr, "before repeating")
}

// TestResyncChecksWhatWaitingNeedsBeforeQueueing: a bad --poll or a
// malformed access token is bad input found before the resync is queued,
// so that fixing it and running again queues one resync, not two.
func TestResyncChecksWhatWaitingNeedsBeforeQueueing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	before := w.srv.Stats().ByRoute["POST /developer/integrations/{walletId}/resync"]
	for _, tc := range []struct {
		args []string
		env  string
	}{
		{[]string{"--poll", "-1s"}, w.env["KRYPTOS_ACCESS_TOKEN"]},
		{[]string{"--poll", "0s"}, w.env["KRYPTOS_ACCESS_TOKEN"]},
		{[]string{"--poll", "1000h"}, w.env["KRYPTOS_ACCESS_TOKEN"]},
		{nil, "bad token"},
	} {
		ww := *w
		ww.env = map[string]string{}
		for k, v := range w.env {
			ww.env[k] = v
		}
		ww.env["KRYPTOS_ACCESS_TOKEN"] = tc.env
		r := ww.run(t, append([]string{"resync", w.walletID, "--user-id", w.userID, "--mode", "from-start", "--wait"}, tc.args...)...)
		assert.Equal(t, exitUsage, r.code, r.stderr)
	}
	assert.Equal(t, before, w.srv.Stats().ByRoute["POST /developer/integrations/{walletId}/resync"], "no resync was queued")

	// A failure once it is queued names the job.
	ww := *w
	ww.env = map[string]string{}
	for k, v := range w.env {
		ww.env[k] = v
	}
	ww.env["KRYPTOS_ACCESS_TOKEN"] = "cat_well_formed_but_unknown"
	r := ww.run(t, "resync", w.walletID, "--user-id", w.userID, "--mode", "latest", "--wait", "--poll", "10ms", "--json")
	assert.Equal(t, exitAPI, r.code, r.stderr)
	assert.Regexp(t, `the resync is queued as job sync_\w+`, r.stderr)
	var job kryptos.ResyncJob
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &job), "the queued job, in JSON: %q", r.stdout)
	assert.NotEmpty(t, job.JobID)
}

// TestAnOutputThatCannotBeWrittenFails: a token that could not be written
// (a full disk) is a failure, not exit 0 with an empty file.
func TestAnOutputThatCannotBeWrittenFails(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var stderr bytes.Buffer
	code := run([]string{"link", "create"}, func(k string) string { return w.env[k] }, failingWriter{}, &stderr)
	assert.Equal(t, exitOther, code, stderr.String())
	assert.Contains(t, stderr.String(), "disk full")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestSessionCheckNeverEchoesTheToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.env["MY_TOKEN"] = w.env["KRYPTOS_ACCESS_TOKEN"]
	delete(w.env, "KRYPTOS_ACCESS_TOKEN")
	r := w.run(t, "session", "check", "--access-token-env", "MY_TOKEN", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var s map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	assert.Equal(t, true, s["valid"])
	assert.Equal(t, w.userID, s["user_id"])
	assert.Equal(t, w.grant.GrantID, s["grant_id"])
	assert.Equal(t, w.grant.WorkspaceID, s["workspace_id"])

	r = w.run(t, "session", "check", "--access-token-env", "MY_TOKEN")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "valid")
}

func TestLinkCreatePrintsOnlyTheToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(t, "link", "create", "--scopes", "openid profile portfolios:read")
	require.Equal(t, 0, r.code, r.stderr)
	tok := strings.TrimSpace(r.stdout)
	assert.Regexp(t, `^link_[0-9a-f]+$`, tok)
	assert.Contains(t, r.stderr, "widget")
	// The printed token is a real one: the widget accepts it.
	_, err := w.srv.CompleteLink(kryptos.NewSecret(tok), kryptostest.LinkUser{Guest: true})
	require.NoError(t, err)

	r = w.run(t, "link", "create", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var lt struct {
		LinkToken string    `json:"link_token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &lt))
	assert.Regexp(t, `^link_`, lt.LinkToken)
	assert.WithinDuration(t, time.Now().Add(kryptostest.LinkTokenTTL), lt.ExpiresAt, time.Minute)
}

func TestLimitSet(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(t, "limit", "set", w.grant.GrantID, "--limit", "50", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var tl kryptos.TransactionLimit
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &tl))
	assert.Equal(t, w.grant.GrantID, tl.GrantID)
	require.NotNil(t, tl.TransactionLimit)
	assert.EqualValues(t, 50, *tl.TransactionLimit)
	require.NotNil(t, tl.Resync)
	assert.Len(t, tl.Resync.Triggered, 1)

	r = w.run(t, "limit", "set", w.grant.GrantID, "--limiter", "off")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "limiter off")
}

func TestResyncWaitsToCompletion(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(t, "resync", w.walletID, "--user-id", w.userID, "--mode", "from-start", "--wait", "--poll", "10ms")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `Sync sync_\w+ completed: \d+ records processed, 0 failed`, r.stdout)
	// Not a terminal: one line per status, in order, ending with the final one.
	assert.Regexp(t, `(?s)queued.*in_progress.*completed, 100%`, r.stderr)
	assert.NotContains(t, r.stderr, "\r")

	// On a terminal: a bar redrawn in place.
	r = w.runTTY(t, true, "resync", w.walletID, "--user-id", w.userID, "--mode", "latest", "--wait", "--poll", "10ms", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "\r[##############################] 100%")
	var job kryptos.SyncJob
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &job), "stdout holds the JSON only: %q", r.stdout)
	assert.Equal(t, kryptos.SyncCompleted, job.Status)
}

func TestResyncExplainsLimitReached(t *testing.T) {
	t.Parallel()
	w := newWorld(t, kryptostest.WithWorkspaceTransactionLimit(kryptos.Ptr[int64](30), kryptos.Ptr(true)))
	r := w.run(t, "resync", w.walletID, "--user-id", w.userID, "--mode", "from-start", "--wait", "--poll", "10ms")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "partially_synced")
	assert.Contains(t, r.stdout, "limitReached")
	assert.Contains(t, r.stdout, "kryptos limit set")
}

func TestIntegrationsListsTheWalletIDsResyncTakes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(t, "data", "integrations")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, w.walletID)
	golden(t, "integrations.txt", strings.ReplaceAll(r.stdout, w.walletID, "wallet_id"), integrationFigures)
	lines := strings.Split(r.stdout, "\n")
	for _, header := range []string{"PROVIDER", "STATUS", "TXNS", "VALUE", "CURRENCY"} {
		at := strings.Index(lines[0], header)
		assert.NotEqual(t, byte(' '), lines[1][at], "a cell starts under %s: %q", header, lines[1])
		assert.Equal(t, byte(' '), lines[1][at-1], lines[1])
	}

	r = w.run(t, "data", "integrations", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var got []kryptos.Integration
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	require.Len(t, got, 1)
	assert.Equal(t, w.walletID, got[0].ID)
	assert.Equal(t, "ethereum", got[0].ProviderID)
}

// integrationFigures replaces the times and figures of the integrations
// table, which the sandbox derives from the clock and the random wallet id,
// with placeholders. Their widths vary, so the test checks the alignment
// itself.
func integrationFigures(s string) string {
	figure := regexp.MustCompile(`^\d+(\.\d+)?$`)
	lines := strings.Split(strings.TrimSpace(sameLength(s)), "\n")
	for i, l := range lines {
		cells := strings.Fields(l)
		for j, c := range cells {
			if figure.MatchString(c) {
				cells[j] = "N"
			}
		}
		lines[i] = strings.Join(cells, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestHoldingsTable(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(t, "data", "holdings")
	require.Equal(t, 0, r.code, r.stderr)
	golden(t, "holdings.txt", r.stdout, amountsHidden)
	// The table's columns line up under their headers.
	lines := strings.Split(r.stdout, "\n")
	at := strings.Index(lines[0], "VALUE")
	for _, l := range lines[1 : len(lines)-1] {
		assert.NotEqual(t, ' ', l[at], "a value starts under VALUE: %q", l)
		assert.Equal(t, byte(' '), l[at-1], l)
	}
}

func TestHoldingsJSON(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// The data API needs the user's token only: no client credentials.
	delete(w.env, "KRYPTOS_CLIENT_ID")
	delete(w.env, "KRYPTOS_CLIENT_SECRET")
	r := w.run(t, "--json", "data", "holdings")
	require.Equal(t, 0, r.code, r.stderr)
	var got []kryptos.Holding
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	user := w.srv.Client().User(w.grant.Credential())
	var want []kryptos.Holding
	for h, err := range user.ListHoldings(context.Background(), kryptos.HoldingsParams{}) {
		require.NoError(t, err)
		want = append(want, h)
	}
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i].AssetID, got[i].AssetID)
		assert.Equal(t, want[i].Asset.Symbol, got[i].Asset.Symbol)
		assert.Equal(t, want[i].TotalQuantity, got[i].TotalQuantity)
		assert.Equal(t, want[i].BaseCurrency, got[i].BaseCurrency)
	}
}

func TestTransactionsCSVHasEveryRow(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	page, err := w.srv.Client().User(w.grant.Credential()).ListTransactionsPage(context.Background(), kryptos.TransactionsParams{Limit: 1})
	require.NoError(t, err)
	require.Greater(t, page.Total, 100, "more than one page of the CLI's")

	r := w.run(t, "data", "transactions", "--format", "csv")
	require.Equal(t, 0, r.code, r.stderr)
	records, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"id", "time", "type", "label", "in", "out", "fee", "value", "currency"}, records[0])
	assert.Len(t, records, page.Total+1)
	ids := map[string]bool{}
	for _, rec := range records[1:] {
		ids[rec[0]] = true
	}
	assert.Len(t, ids, page.Total, "every transaction once")
	assert.Empty(t, r.stderr, "no counter when stderr is not a terminal")

	// On a terminal, a row counter on stderr; stdout is the same CSV.
	tty := w.runTTY(t, true, "data", "transactions", "--format", "csv")
	require.Equal(t, 0, tty.code, tty.stderr)
	assert.Equal(t, r.stdout, tty.stdout)
	assert.Contains(t, tty.stderr, "\r"+itoa(page.Total)+" rows")
}

func TestLedgersJSONAndLimit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run(t, "data", "ledgers", "--format", "json", "--limit", "7")
	require.Equal(t, 0, r.code, r.stderr)
	var ledgers []kryptos.Ledger
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ledgers))
	require.Len(t, ledgers, 7)
	for _, l := range ledgers {
		assert.NotEmpty(t, l.ID)
		assert.NotEmpty(t, l.TransactionID)
		assert.Equal(t, w.walletID, l.WalletID)
		assert.True(t, l.Quantity.Valid())
	}
	r = w.run(t, "data", "ledgers", "--limit", "3")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 4, "a header and 3 rows")
}

// syncBuffer is a bytes.Buffer safe to read while the sandbox writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// servedSandbox is `kryptos sandbox` run in-process until stop.
type servedSandbox struct {
	addr        string
	out, errOut syncBuffer
	cancel      context.CancelFunc
	done        chan int
}

// serveSandbox runs `kryptos sandbox` on a free loopback address with the
// given flags and environment, and waits for its banner.
func serveSandbox(t *testing.T, env map[string]string, flags ...string) *servedSandbox {
	t.Helper()
	ln, err := (&netListen{}).free()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // a test that fails before stop
	s := &servedSandbox{addr: ln, cancel: cancel, done: make(chan int, 1)}
	go func() {
		s.done <- runContext(ctx, append([]string{"sandbox", "--addr", ln}, flags...),
			func(k string) string { return env[k] }, &s.out, &s.errOut, false)
	}()
	require.Eventually(t, func() bool { return strings.Contains(s.out.String(), "Press Ctrl+C") }, 5*time.Second, 5*time.Millisecond,
		"the sandbox did not start: %s", &s.errOut)
	return s
}

// stop interrupts the sandbox and returns its exit code.
func (s *servedSandbox) stop() int {
	s.cancel()
	return <-s.done
}

func TestSandboxServesUntilStopped(t *testing.T) {
	t.Parallel()
	s := serveSandbox(t, nil, "--client-id", "cid", "--client-secret", "csecret",
		"--webhook-url", "http://127.0.0.1:1/hooks", "--live-mode", "--no-rate-limits")
	assert.Contains(t, s.out.String(), "KRYPTOS_CLIENT_ID=cid")
	assert.Contains(t, s.out.String(), "KRYPTOS_SANDBOX_URL=http://"+s.addr)
	assert.Contains(t, s.out.String(), "Delivering webhooks to http://127.0.0.1:1/hooks, signed with the sandbox's own secret whsec_sandbox ($KRYPTOS_WEBHOOK_SECRET is not set)\n")

	// The CLI itself talks to it.
	env := map[string]string{"KRYPTOS_CLIENT_ID": "cid", "KRYPTOS_CLIENT_SECRET": "csecret", "KRYPTOS_SANDBOX_URL": "http://" + s.addr}
	var stdout, stderr bytes.Buffer
	code := run([]string{"link", "create"}, func(k string) string { return env[k] }, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.Regexp(t, `^link_[0-9a-f]+\n$`, stdout.String())
	assert.Equal(t, 0, s.stop(), s.errOut.String())
}

// TestTheSandboxSignsWithTheSecretInItsEnvironment runs the sandbox with a
// signing secret in KRYPTOS_WEBHOOK_SECRET, as webhooks listen reads it: a
// receiver verifying with that secret accepts its deliveries, and the
// secret shows nowhere in the output.
func TestTheSandboxSignsWithTheSecretInItsEnvironment(t *testing.T) {
	t.Parallel()
	const secret = "whsec_from_the_environment_8c1d"
	events := make(chan webhook.EventType, 64)
	h, err := webhook.NewHandler([]string{secret}, func(_ context.Context, ev *webhook.Event) error {
		events <- ev.Type
		return nil
	})
	require.NoError(t, err)
	receiver := httptest.NewServer(h)
	defer receiver.Close()
	s := serveSandbox(t, map[string]string{"KRYPTOS_WEBHOOK_SECRET": secret}, "--webhook-url", receiver.URL)
	assert.Contains(t, s.out.String(), "Delivering webhooks to "+receiver.URL+", signed with the secret in $KRYPTOS_WEBHOOK_SECRET\n")

	guest(t, "http://"+s.addr)
	select {
	case ev := <-events:
		assert.Equal(t, webhook.EventIntegrationCreated, ev)
	case <-time.After(10 * time.Second):
		t.Fatal("no verified delivery")
	}
	assert.Equal(t, 0, s.stop(), s.errOut.String())
	assert.NotContains(t, s.out.String()+s.errOut.String(), secret)
}

func TestTheSandboxRefusesABadWebhookSecret(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"a newline from a file", nil, map[string]string{"KRYPTOS_WEBHOOK_SECRET": "whsec_x\n"}, "KRYPTOS_WEBHOOK_SECRET starts or ends with white space"},
		{"a blank variable name", []string{"--webhook-secret-env", ""}, nil, "--webhook-secret-env must name"},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"sandbox", "--addr", "127.0.0.1:0", "--webhook-url", "http://127.0.0.1:1/hooks"}, tc.args...)
		code := run(args, func(k string) string { return tc.env[k] }, &stdout, &stderr)
		assert.Equal(t, 2, code, tc.name)
		assert.Contains(t, stderr.String(), tc.want, tc.name)
		assert.NotContains(t, stdout.String()+stderr.String(), "whsec_x", tc.name)
	}
}

func TestCompletionComesFromCobra(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"completion", shell}, func(string) string { return "" }, &stdout, &stderr)
		require.Equal(t, 0, code, stderr.String())
		assert.Contains(t, stdout.String(), "kryptos", shell)
	}
}

// TestTableCellsKeepTheirColumns: a cell is cut between characters, never
// inside one, wide characters count two columns, and a line break or a tab
// in a value is escaped instead of breaking the row.
func TestTableCellsKeepTheirColumns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"short", "short     "},
		{"Auszahlung → Börse", "Auszahlun…"},
		{"入金入金入金", "入金入金… "},
		{"Tra\nfer", `Tra\nfer  `},
	} {
		got := fit(printable(tc.in), 10)
		assert.Equal(t, tc.want, got, tc.in)
		assert.True(t, utf8.ValidString(got), tc.in)
		assert.Equal(t, 10, columns(got), "%q is 10 columns wide", got)
	}
}

func TestQuantityDropsTheTrailingZerosOnly(t *testing.T) {
	for in, want := range map[string]string{
		"281.732911890000000000": "281.73291189", "6.000000000000000000": "6", "100": "100",
		"0.000816560000000000": "0.00081656", "1e3": "1e3", "-2.50": "-2.5", "": "",
	} {
		d := kryptos.Decimal{}
		if in != "" {
			d = kryptos.MustDecimal(in)
		}
		assert.Equal(t, want, quantity(d), in)
	}
}

// --json is a global flag: "print machine-readable JSON instead of
// tables", and the package doc says "--json ... is for programs". A
// command given --json prints JSON on stdout, or nothing: logout and
// sandbox printed their sentences as if it had not been given.
func TestLogoutJSONIsJSON(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	require.Equal(t, exitOK, w.login(t, newBrowser(t, true)).code)
	for _, what := range []string{"signed in", "not signed in"} {
		r := w.data(t, "--json", "logout")
		require.Equal(t, exitOK, r.code, r.stderr)
		var m map[string]any
		assert.NoError(t, json.Unmarshal([]byte(r.stdout), &m), "%s: %q", what, r.stdout)
	}
	assert.NoFileExists(t, w.tokenFile())
}

func TestSandboxJSONIsJSON(t *testing.T) {
	t.Parallel()
	addr, err := (&netListen{}).free()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, []string{"--json", "sandbox", "--addr", addr}, func(string) string { return "" }, &out, &errOut, false)
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String()+errOut.String(), "Press Ctrl+C") }, 5*time.Second, 5*time.Millisecond)
	cancel()
	require.Equal(t, exitOK, <-done, errOut.String())
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(out.String()), &m), out.String())
	assert.Equal(t, "http://"+addr, m["url"])
	assert.Equal(t, "sandbox_client", m["client_id"])
	assert.Equal(t, "sandbox_secret", m["client_secret"], "the sandbox's own made-up secret, as the table shows it")
}

// API.md §2, PATCH /developer/grants/{grantId}/transaction-limit: data is
// grant_id, user_id, transaction_limit (int or null), enable_limiter (bool or
// null), and newer docs add previous_transaction_limit,
// previous_enable_limiter and resync ("null when nothing changed"). A
// program reading kryptos limit set --json must find the same keys whether
// or not the change queued a resync, and whether or not the previous
// values were set: a null is printed as null, not dropped.
func TestLimitSetJSONKeepsItsKeys(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	want := []string{"enable_limiter", "grant_id", "previous_enable_limiter", "previous_transaction_limit",
		"resync", "transaction_limit", "user_id"}
	keys := func(args ...string) []string {
		t.Helper()
		r := w.run(t, append([]string{"--json", "limit", "set", w.grant.GrantID}, args...)...)
		require.Equal(t, exitOK, r.code, r.stderr)
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &m), r.stdout)
		return slices.Sorted(maps.Keys(m))
	}
	// A change: a resync is queued; the previous limiter was never set.
	assert.Equal(t, want, keys("--limit", "50"))
	// The same again: nothing changed, resync is null.
	assert.Equal(t, want, keys("--limit", "50"))
}

// TestTheSandboxRefusesEmptyCredentials: `kryptos sandbox
// --client-id ""` started and printed "export KRYPTOS_CLIENT_ID=", then
// answered INVALID_CLIENT to every request (the sandbox refuses an empty
// client ID), until interrupted. It is a usage error, like a bad
// --transactions-per-wallet.
func TestTheSandboxRefusesEmptyCredentials(t *testing.T) {
	t.Parallel()
	for _, flag := range []string{"--client-id", "--client-secret"} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		var stdout, stderr bytes.Buffer
		code := runContext(ctx, []string{"sandbox", "--addr", "127.0.0.1:0", flag, ""}, func(string) string { return "" }, &stdout, &stderr, false)
		cancel()
		assert.Equal(t, 2, code, "%s: served until interrupted: %s", flag, stdout.String())
		assert.Contains(t, stderr.String(), "must not be empty", flag)
	}
}
