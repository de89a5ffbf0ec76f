package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

var noEnv = func(string) string { return "" }

// txRow is a row of the latest-transactions table: it starts with a date.
var txRow = regexp.MustCompile(`^  \d{4}-\d{2}-\d{2} \d{2}:\d{2}  `)

func TestPortfolioOnTheEmbeddedSandbox(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	path := filepath.Join(t.TempDir(), "export.csv")
	require.NoError(t, run(ctx, &out, path, noEnv))
	text := out.String()
	t.Log("\n" + text)

	assert.Contains(t, text, "Using the embedded Kryptos sandbox")
	integrations := section(t, text, "Integrations (3)")
	for _, want := range []string{"Ethereum", "Solana", "Binance"} {
		assert.Contains(t, strings.Join(integrations, "\n"), want)
	}
	for _, line := range integrations[3:] {
		assert.True(t, strings.HasSuffix(line, "completed"), "synced before anything is read: %q", line)
	}

	holdings := section(t, text, "Holdings (")
	symbols := map[string]bool{}
	for _, line := range holdings[3:] {
		symbols[strings.Fields(line)[0]] = true
	}
	for _, want := range []string{"ETH", "SOL", "BTC", "USDC", "Total"} {
		assert.True(t, symbols[want], "the holdings table names %s:\n%s", want, strings.Join(holdings, "\n"))
	}
	assert.Regexp(t, `^  Total\s+[\d,]+\.\d\d$`, holdings[len(holdings)-1], "the last row is the total value")

	latest := section(t, text, "Latest 20 of ")
	total := totalOf(t, latest[0])
	assert.Greater(t, total, latestCount)
	assert.Len(t, latest, 3+latestCount, "a title, a header, a rule and exactly 20 rows")
	for _, row := range latest[3:] {
		assert.Regexp(t, txRow, row)
	}

	header, rows := readCSV(t, path)
	assert.Equal(t, csvHeader, header)
	assert.Len(t, rows, total, "every transaction the list counts, once")
	assert.Contains(t, text, "Exported "+strconv.Itoa(total)+" transactions to "+path)
	assert.NotContains(t, text, "Note:", "the export matches the API's total")

	defi := section(t, text, "DeFi: ")
	assert.Regexp(t, `^DeFi: [1-9]\d* positions in [1-9]\d* protocols \(values in USD\)$`, defi[0])
	assert.Regexp(t, `Total balance\s+[1-9][\d,]*\.\d\d`, strings.Join(defi, "\n"))
	assert.Regexp(t, `(?m)^  Category\s+Positions$`, text)
	assert.Regexp(t, `(?m)^  lending\s+[1-9]\d*$`, text)

	nfts := section(t, text, "NFTs: ")
	assert.Regexp(t, `^NFTs: [1-9]\d* tokens? in [1-9]\d* collections?, estimated at [1-9][\d,]*\.\d\d USD$`, nfts[0])
	assert.Greater(t, len(nfts), 3, "the collections are listed")

	assert.NotRegexp(t, `cat_[0-9a-f]{8}`, text, "the access token is never printed")
}

// TestPortfolioOfAStoredAccessToken runs the mode that reads a real user's
// data, against a sandbox reached only over HTTP, and checks each figure
// against the API.
func TestPortfolioOfAStoredAccessToken(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := kryptostest.NewServer()
	defer srv.Close()
	user, token := connectUser(ctx, t, srv)
	env := map[string]string{
		"KRYPTOS_CLIENT_ID": srv.ClientID, "KRYPTOS_CLIENT_SECRET": srv.ClientSecret,
		"KRYPTOS_ACCESS_TOKEN": token, "KRYPTOS_SANDBOX_URL": srv.URL,
	}

	var out bytes.Buffer
	path := filepath.Join(t.TempDir(), "export.csv")
	require.NoError(t, run(ctx, &out, path, func(k string) string { return env[k] }))
	text := out.String()
	assert.Contains(t, text, "Reading the portfolio from the Kryptos data API at "+srv.URL+" as client "+srv.ClientID)
	assert.NotContains(t, text, "embedded")

	// Every asset the API lists is in the table, in the API's order of
	// value.
	var want []string
	for h, err := range user.ListHoldings(ctx, kryptos.HoldingsParams{}) {
		require.NoError(t, err)
		want = append(want, h.Asset.Symbol)
	}
	require.NotEmpty(t, want)
	var got []string
	for _, line := range section(t, text, "Holdings (")[3:] {
		got = append(got, strings.Fields(line)[0])
	}
	assert.Equal(t, append(want, "Total"), got)

	// The 20 rows are the 20 newest transactions.
	page, err := user.ListTransactionsPage(ctx, kryptos.TransactionsParams{Limit: latestCount})
	require.NoError(t, err)
	latest := section(t, text, "Latest 20 of ")
	assert.Equal(t, page.Total, totalOf(t, latest[0]))
	require.Len(t, latest, 3+latestCount)
	for i, tx := range page.Items {
		assert.True(t, strings.HasPrefix(latest[3+i], "  "+tx.Timestamp.UTC().Format("2006-01-02 15:04")+"  "+tx.Label), "row %d: %q", i, latest[3+i])
	}

	// The CSV holds every transaction of the list, once, with the API's
	// exact quantities.
	header, rows := readCSV(t, path)
	assert.Equal(t, csvHeader, header)
	require.Len(t, rows, page.Total)
	exported := map[string][]string{}
	for _, r := range rows {
		exported[r[0]] = r
	}
	assert.Len(t, exported, page.Total, "no transaction twice")
	n := 0
	for tx, err := range user.ListTransactions(ctx, kryptos.TransactionsParams{}) {
		require.NoError(t, err)
		n++
		r, ok := exported[tx.ID]
		if !assert.True(t, ok, "transaction %s exported", tx.ID) {
			continue
		}
		assert.Equal(t, tx.Timestamp.UTC().Format(time.RFC3339), r[1])
		if len(tx.Incoming) == 1 {
			assert.Equal(t, tx.Incoming[0].Quantity.String()+" "+tx.Incoming[0].Asset.Symbol, r[6], "exact decimals")
		}
	}
	assert.Equal(t, page.Total, n)

	// The summaries count what the API lists.
	positions, err := user.ListDeFiPage(ctx, kryptos.DeFiParams{Limit: 1})
	require.NoError(t, err)
	require.Positive(t, positions.Total)
	assert.Contains(t, text, "DeFi: "+strconv.Itoa(positions.Total)+" positions in ")
	nfts, err := user.ListNFTsPage(ctx, kryptos.NFTParams{Limit: 1})
	require.NoError(t, err)
	require.Positive(t, nfts.Total)
	assert.Contains(t, text, "NFTs: "+plural(nfts.Total, "token")+" in ")
	assert.Contains(t, text, "estimated at "+money(nfts.Summary.TotalEstimatedValueUSD)+" USD")
}

func TestPortfolioFailsClearly(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := kryptostest.NewServer()
	defer srv.Close()
	env := map[string]string{"KRYPTOS_CLIENT_ID": srv.ClientID, "KRYPTOS_CLIENT_SECRET": srv.ClientSecret, "KRYPTOS_SANDBOX_URL": srv.URL}
	getenv := func(k string) string { return env[k] }
	dir := t.TempDir()

	err := run(ctx, io.Discard, "", getenv)
	require.ErrorContains(t, err, "KRYPTOS_ACCESS_TOKEN is not set")

	env["KRYPTOS_ACCESS_TOKEN"] = "cat_0123456789abcdef0123456789abcdef"
	err = run(ctx, io.Discard, "", getenv)
	require.ErrorIs(t, err, kryptos.ErrUnauthorized)
	require.ErrorContains(t, err, "list the integrations")

	_, env["KRYPTOS_ACCESS_TOKEN"] = connectUser(ctx, t, srv)
	err = run(ctx, io.Discard, filepath.Join(dir, "missing", "export.csv"), getenv)
	require.ErrorContains(t, err, "create the CSV export")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// TestAFailedExportLeavesNothingBehind: an export that fails removes its
// partial file and leaves the file it would have replaced as it was.
func TestAFailedExportLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := kryptostest.NewServer()
	defer srv.Close()
	user, _ := connectUser(ctx, t, srv)
	dir := t.TempDir()
	path := filepath.Join(dir, "export.csv")
	require.NoError(t, os.WriteFile(path, []byte("last week's export\n"), 0o600))

	srv.FailNext("/v1/transactions", 1, kryptostest.Fault{Status: 400, Code: "VALIDATION_ERROR", Message: "no"})
	err := exportTransactions(ctx, io.Discard, user, path, 0)
	require.ErrorIs(t, err, kryptos.ErrValidation)
	require.ErrorContains(t, err, "list the transactions after 0 of them")
	old, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "last week's export\n", string(old))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")

	var out bytes.Buffer
	require.NoError(t, exportTransactions(ctx, &out, user, path, 0))
	_, rows := readCSV(t, path)
	assert.Len(t, rows, 2*kryptostest.DefaultTransactionsPerIntegration-spamCount(ctx, t, user))
	assert.Contains(t, out.String(), "Note: the API counted 0 transactions a moment earlier", "a count that moved is reported")
}

func TestMoneyAndQuantities(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{0: "0.00", 0.005: "0.01", 999.999: "1,000.00", 1234567.891: "1,234,567.89", -12345.6: "-12,345.60"} {
		assert.Equal(t, want, money(v), "%v", v)
	}
	for s, want := range map[string]string{
		"0.386378230000000000": "0.38637823", "174.000000000000000000": "174", "1500": "1500", "0": "0", "1e3": "1e3", "-0.50": "-0.5",
	} {
		assert.Equal(t, want, short(kryptos.MustDecimal(s)), s)
	}
	assert.Equal(t, "0.1", quantity(0.1))
}

// connectUser links a Guest with the two test wallets, and returns their
// data API handle and access token.
func connectUser(ctx context.Context, t *testing.T, srv *kryptostest.Server) (*kryptos.UserClient, string) {
	t.Helper()
	c := srv.Client()
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true, Wallets: []kryptostest.Wallet{
		{Provider: "ethereum", Address: kryptostest.EthereumTestAddress},
		{Provider: "solana", Address: kryptostest.SolanaTestAddress},
	}})
	require.NoError(t, err)
	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	return c.User(g.Credential()), g.AccessToken.Reveal()
}

// spamCount counts the transactions the default list leaves out.
func spamCount(ctx context.Context, t *testing.T, user *kryptos.UserClient) int {
	t.Helper()
	counts, err := user.TransactionCounts(ctx)
	require.NoError(t, err)
	return counts.ByLabel["Spam"] + counts.ByLabel["Ignore"]
}

// section returns the lines of the block of text that starts with a line
// beginning with title, up to the next blank line.
func section(t *testing.T, text, title string) []string {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, title) {
			end := i
			for end < len(lines) && lines[end] != "" {
				end++
			}
			return lines[i:end]
		}
	}
	require.Failf(t, "no such section", "%q in:\n%s", title, text)
	return nil
}

// totalOf reads N from the title "Latest 20 of N transactions ...".
func totalOf(t *testing.T, title string) int {
	t.Helper()
	m := regexp.MustCompile(`^Latest \d+ of (\d+) transactions`).FindStringSubmatch(title)
	require.NotNil(t, m, title)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

func readCSV(t *testing.T, path string) (header []string, rows [][]string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, records, "a header at least")
	return records[0], records[1:]
}

// TestAnAccessTokenAloneReadsThatUsersPortfolio: reading a user's data
// needs only their access token (README, Credentials: "A program that has a
// user's credential and no client credentials (a script, a command line
// tool, ...) builds the handle directly with kryptos.NewUserClient"; the
// data API takes "Authorization: Bearer <access_token> only", API.md §8).
// With KRYPTOS_ACCESS_TOKEN set and no client credentials, the example must
// read that user's portfolio, not silently show a made-up sandbox user's.
func TestAnAccessTokenAloneReadsThatUsersPortfolio(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := kryptostest.NewServer()
	defer srv.Close()
	user, token := connectUser(ctx, t, srv)
	env := map[string]string{"KRYPTOS_ACCESS_TOKEN": token, "KRYPTOS_SANDBOX_URL": srv.URL}

	var out bytes.Buffer
	err := run(ctx, &out, filepath.Join(t.TempDir(), "export.csv"), func(k string) string { return env[k] })
	require.NoError(t, err)
	text := out.String()
	assert.NotContains(t, text, "embedded", "KRYPTOS_ACCESS_TOKEN was ignored")
	page, err := user.ListTransactionsPage(ctx, kryptos.TransactionsParams{Limit: latestCount})
	require.NoError(t, err)
	latest := section(t, text, "Latest ")
	assert.Equal(t, page.Total, totalOf(t, latest[0]), "the transactions shown are not the token's user's")
}
