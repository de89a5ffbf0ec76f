package kryptostest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

// The wallets of the transactions tests: two chains and a CSV import, all
// allowed in sandbox mode.
var (
	txSolanaWallet = Wallet{Provider: "solana", Address: SolanaTestAddress}
	txCSVWallet    = Wallet{Provider: "csv", Address: "ledger-export.csv"}
)

// txHistoryUser connects a user with an Ethereum wallet, a Solana wallet and
// a CSV import, and returns their data API handle.
func txHistoryUser(t *testing.T, srv *Server) *kryptos.UserClient {
	t.Helper()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet, txSolanaWallet, txCSVWallet}})
	return c.User(g.Credential())
}

// everyTransaction lists every transaction of the user, spam included, in
// the default order.
func everyTransaction(t *testing.T, user *kryptos.UserClient) []kryptos.Transaction {
	t.Helper()
	yes := true
	var all []kryptos.Transaction
	for tx, err := range user.ListTransactions(ctx, kryptos.TransactionsParams{IncludeSpam: &yes}) {
		require.NoError(t, err)
		all = append(all, tx)
	}
	require.NotEmpty(t, all)
	return all
}

func txIDs(txs []kryptos.Transaction) []string {
	out := make([]string, len(txs))
	for i, tx := range txs {
		out[i] = tx.ID
	}
	return out
}

// txProviderOf returns the provider of a transaction's account: every leg
// names it.
func txProviderOf(tx kryptos.Transaction) string {
	l := tx.Legs()[0]
	if l.ToAccount != nil {
		return l.ToAccount.Provider
	}
	return l.FromAccount.Provider
}

func TestTransactionAnswersHaveTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSandboxMode(false))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	token := g.AccessToken.Reveal()
	// §5.7's field tables name keys the abbreviated sample leaves out:
	// importSource's csvLink, and each leg's description and internalLabel.
	documented := []string{"data[].importSource.csvLink", "data[].incomingAssets[].description", "data[].incomingAssets[].internalLabel"}
	sameShapeAsSample(t, "transactions.list.json", get(t, srv, token, "/v1/transactions?limit=200"), golden.Options{Documented: documented})

	// An exchange's transactions have no explorer link (§5.7: "null for
	// exchange txns / unknown chains"), nor a side it was built from.
	g = connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "binance", Address: "main account"}}})
	sameShapeAsSample(t, "transactions.list.json", get(t, srv, g.AccessToken.Reveal(), "/v1/transactions?limit=200"), golden.Options{
		Documented: documented, Nullable: []string{"data[].explorerLink", "data[].explorerLinkSrc"}})

	// A transaction that is not there: the nested error of §3.3.
	for _, path := range []string{"/v1/transactions/8f14e45f-0000-0000-0000-000000000000", "/v1/transactions/nope/ledgers"} {
		resp := get(t, srv, token, path)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		sameShapeAsSample(t, "error.nested.json", resp, golden.Options{})
	}
}

func TestTransactionsThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	user := txHistoryUser(t, srv)
	all := everyTransaction(t, user)
	require.Len(t, all, 3*DefaultTransactionsPerIntegration, "every transaction of the three integrations")
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(txIDs(all)))), len(all), "no transaction twice")
	for i := 1; i < len(all); i++ {
		require.False(t, all[i].Timestamp.After(all[i-1].Timestamp), "newest first")
	}

	wallets := map[string]string{} // provider -> wallet id
	for _, tx := range all {
		wallets[txProviderOf(tx)] = tx.ImportSource.WalletID
		assert.True(t, strings.HasPrefix(tx.ImportSource.SyncID, "sync_"), "saved by a sync")
		assert.False(t, tx.ImportSource.ImportedAt.Before(tx.Timestamp), "imported after it happened")
		assert.NotEmpty(t, tx.WorkspaceID)
		switch txProviderOf(tx) {
		case "ethereum":
			assert.Equal(t, "https://etherscan.io/tx/"+tx.TransactionPlatformID, tx.ExplorerLink)
			assert.Equal(t, kryptos.SourceAPI, tx.ImportSource.Type)
		case "solana":
			assert.Equal(t, "https://solscan.io/tx/"+tx.TransactionPlatformID, tx.ExplorerLink)
		case "csv":
			assert.Empty(t, tx.ExplorerLink)
			assert.Equal(t, kryptos.SourceCSV, tx.ImportSource.Type)
			assert.NotEmpty(t, tx.ImportSource.CSVLink)
		}
		if tx.ExplorerLink != "" {
			want := "receiver"
			if len(tx.Outgoing)+len(tx.Fees) > 0 {
				want = "sender"
			}
			assert.Equal(t, want, tx.ExplorerLinkSrc)
		}
		for _, l := range tx.Incoming {
			assert.NotNil(t, l.ToAccount)
			assert.Nil(t, l.FromAccount)
		}
		for _, l := range append(slices.Clone(tx.Outgoing), tx.Fees...) {
			assert.NotNil(t, l.FromAccount)
			assert.Nil(t, l.ToAccount)
		}
		var in float64
		for _, l := range tx.Legs() {
			q, _ := l.Quantity.Float(64)
			qf, _ := q.Float64()
			require.NotNil(t, l.Value)
			assert.InDelta(t, qf*l.Price.Price, *l.Value, 0.006, "value is quantity × price")
			assert.Equal(t, l.Asset.Symbol, l.AssetRaw["symbol"])
		}
		for _, l := range tx.Incoming {
			in += *l.Value
		}
		if len(tx.Incoming) > 0 {
			require.NotNil(t, tx.NetValue.FiatValue)
			assert.InDelta(t, in, *tx.NetValue.FiatValue, 0.01*float64(len(tx.Incoming)))
		}
	}
	require.Len(t, wallets, 3)

	// The default list leaves the spam out, and pages by 50.
	var spam int
	for _, tx := range all {
		if tx.Label == "Spam" {
			spam++
		}
	}
	require.Positive(t, spam, "the chain wallets received spam airdrops")
	before := srv.Stats().ByRoute["GET /v1/transactions"]
	var listed []kryptos.Transaction
	for tx, err := range user.ListTransactions(ctx, kryptos.TransactionsParams{Limit: 50}) {
		require.NoError(t, err)
		listed = append(listed, tx)
	}
	assert.Len(t, listed, len(all)-spam)
	pages := (len(all) - spam + 49) / 50
	assert.Equal(t, pages, srv.Stats().ByRoute["GET /v1/transactions"]-before, "one call per page, none after the last")
	page, err := user.ListTransactionsPage(ctx, kryptos.TransactionsParams{Offset: 60, Limit: 20})
	require.NoError(t, err)
	assert.Equal(t, len(all)-spam, page.Total)
	assert.Equal(t, txIDs(listed[60:80]), txIDs(page.Items), "an offset page is a window of the whole list")
	next, err := page.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, txIDs(listed[80:100]), txIDs(next.Items))

	// Single reads return what the list did.
	for _, tx := range []kryptos.Transaction{all[0], all[len(all)/2], all[len(all)-1]} {
		one, err := user.GetTransaction(ctx, tx.ID)
		require.NoError(t, err)
		assert.Equal(t, tx, *one)
		legs, err := user.GetTransactionLedgers(ctx, tx.ID)
		require.NoError(t, err)
		assert.Equal(t, tx.Legs(), legs, "the three arrays, flattened in order")
	}
	for _, call := range []func() error{
		func() error { _, err := user.GetTransaction(ctx, "8f14e45f-0000-0000-0000-000000000000"); return err },
		func() error { _, err := user.GetTransactionLedgers(ctx, "unknown"); return err },
	} {
		err := call()
		require.ErrorIs(t, err, kryptos.ErrNotFound)
		var apiErr *kryptos.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "NOT_FOUND", apiErr.Code)
		assert.Equal(t, "Transaction not found", apiErr.Message)
	}

	counts, err := user.TransactionCounts(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(all), counts.Total)
	assert.Equal(t, spam, counts.ByLabel["Spam"])
	byLabel, byType := map[string]int{}, map[kryptos.TransactionType]int{}
	for _, tx := range all {
		byLabel[tx.Label]++
		if tx.Type != "" { // a common label's transaction has no type
			byType[tx.Type]++
		}
	}
	assert.Equal(t, byLabel, counts.ByLabel)
	assert.Equal(t, byType, counts.ByType)
	assert.Nil(t, counts.Extra)
}

// TestTransactionFiltersReallyFilter compares each filter's answer with the
// same filter applied here to the whole list.
func TestTransactionFiltersReallyFilter(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close) // after the parallel subtests
	user := txHistoryUser(t, srv)
	all := everyTransaction(t, user)
	wallets := map[string]string{}
	for _, tx := range all {
		wallets[txProviderOf(tx)] = tx.ImportSource.WalletID
	}
	eth, sol, usdc := assetBySymbol("ETH").id, assetBySymbol("SOL").id, assetBySymbol("USDC").id
	yes, no := true, false
	start, end := all[len(all)*2/3].Timestamp, all[len(all)/3].Timestamp
	lo, hi, gains := 100.0, 1000.0, 5.0
	notSpam := func(tx kryptos.Transaction) bool { return tx.Label != "Spam" }
	hasAsset := func(tx kryptos.Transaction, id string) bool {
		return slices.ContainsFunc(tx.Legs(), func(l kryptos.Leg) bool { return l.AssetID == id })
	}
	chainSide := func(tx kryptos.Transaction, provider string, sent bool) bool {
		if txProviderOf(tx) != provider {
			return false
		}
		if sent {
			return len(tx.Outgoing)+len(tx.Fees) > 0
		}
		return len(tx.Incoming) > 0
	}
	text := func(tx kryptos.Transaction) string {
		s := []string{tx.ID, tx.TransactionPlatformID, tx.Label, tx.Description, string(tx.Type)}
		for _, l := range tx.Legs() {
			s = append(s, l.Asset.Symbol, l.Asset.Name)
		}
		return strings.ToLower(strings.Join(s, "\x00"))
	}
	cases := []struct {
		name string
		p    kryptos.TransactionsParams
		keep func(kryptos.Transaction) bool
		// none: the filter keeps nothing of the sandbox's history.
		none bool
	}{
		{"labels", kryptos.TransactionsParams{Labels: []string{"Trade", "Sell"}},
			func(tx kryptos.Transaction) bool { return tx.Label == "Trade" || tx.Label == "Sell" }, false},
		{"notLabels", kryptos.TransactionsParams{NotLabels: []string{"Trade", "Deposit"}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && tx.Label != "Trade" && tx.Label != "Deposit" }, false},
		{"spam needs includeSpam, even by label", kryptos.TransactionsParams{Labels: []string{"Spam"}}, nil, true},
		{"only spam", kryptos.TransactionsParams{Labels: []string{"Spam"}, IncludeSpam: &yes},
			func(tx kryptos.Transaction) bool { return tx.Label == "Spam" }, false},
		{"includeSpam false is the default", kryptos.TransactionsParams{IncludeSpam: &no, IncludeIgnored: &yes}, notSpam, false},
		{"types", kryptos.TransactionsParams{Types: []kryptos.TransactionType{kryptos.TransactionDeposit}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && tx.Type == kryptos.TransactionDeposit }, false},
		{"notTypes", kryptos.TransactionsParams{NotTypes: []kryptos.TransactionType{kryptos.TransactionTrade, kryptos.TransactionWithdrawal}},
			func(tx kryptos.Transaction) bool {
				return notSpam(tx) && tx.Type != kryptos.TransactionTrade && tx.Type != kryptos.TransactionWithdrawal
			}, false},
		{"walletIds", kryptos.TransactionsParams{WalletIDs: []string{wallets["solana"]}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && tx.ImportSource.WalletID == wallets["solana"] }, false},
		{"notWalletIds", kryptos.TransactionsParams{NotWalletIDs: []string{wallets["solana"], wallets["csv"]}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && txProviderOf(tx) == "ethereum" }, false},
		{"assetIds", kryptos.TransactionsParams{AssetIDs: []string{eth, sol}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && (hasAsset(tx, eth) || hasAsset(tx, sol)) }, false},
		{"notAssetIds", kryptos.TransactionsParams{NotAssetIDs: []string{usdc}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && !hasAsset(tx, usdc) }, false},
		{"providers", kryptos.TransactionsParams{Providers: []string{"Solana", "csv"}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && txProviderOf(tx) != "ethereum" }, false},
		{"notProviders", kryptos.TransactionsParams{NotProviders: []string{"ethereum"}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && txProviderOf(tx) != "ethereum" }, false},
		{"importSourceTypes", kryptos.TransactionsParams{ImportSourceTypes: []kryptos.ImportSourceType{kryptos.SourceCSV}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && tx.ImportSource.Type == kryptos.SourceCSV }, false},
		{"notImportSourceTypes", kryptos.TransactionsParams{NotImportSourceTypes: []kryptos.ImportSourceType{kryptos.SourceCSV, kryptos.SourceManual}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && tx.ImportSource.Type == kryptos.SourceAPI }, false},
		{"ledgerTypes", kryptos.TransactionsParams{LedgerTypes: []kryptos.LedgerType{kryptos.LedgerFee}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && len(tx.Fees) > 0 }, false},
		{"notLedgerTypes", kryptos.TransactionsParams{NotLedgerTypes: []kryptos.LedgerType{kryptos.LedgerFee, kryptos.LedgerIncoming}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && len(tx.Fees) == 0 && len(tx.Incoming) == 0 }, false},
		{"tags: nothing is tagged", kryptos.TransactionsParams{Tags: []string{"tax"}}, nil, true},
		{"notTags", kryptos.TransactionsParams{NotTags: []string{"tax"}}, notSpam, false},
		{"fromAddresses, in any case", kryptos.TransactionsParams{FromAddresses: []string{"0x" + strings.ToUpper(EthereumTestAddress[2:])}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && chainSide(tx, "ethereum", true) }, false},
		{"notFromAddresses", kryptos.TransactionsParams{NotFromAddresses: []string{EthereumTestAddress}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && !chainSide(tx, "ethereum", true) }, false},
		{"toAddresses", kryptos.TransactionsParams{ToAddresses: []string{SolanaTestAddress}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && chainSide(tx, "solana", false) }, false},
		{"Solana addresses are case-sensitive", kryptos.TransactionsParams{ToAddresses: []string{strings.ToLower(SolanaTestAddress)}}, nil, true},
		{"notToAddresses", kryptos.TransactionsParams{NotToAddresses: []string{SolanaTestAddress, EthereumTestAddress}},
			func(tx kryptos.Transaction) bool {
				return notSpam(tx) && !chainSide(tx, "solana", false) && !chainSide(tx, "ethereum", false)
			}, false},
		{"addresses, either side", kryptos.TransactionsParams{Addresses: []string{EthereumTestAddress}},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && txProviderOf(tx) == "ethereum" }, false},
		{"isDefiTrx", kryptos.TransactionsParams{IsDeFi: &yes},
			func(tx kryptos.Transaction) bool {
				return notSpam(tx) && tx.Label == "Staking Reward" && txProviderOf(tx) != "csv"
			}, false},
		{"isDefiTrx false", kryptos.TransactionsParams{IsDeFi: &no},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && !tx.IsDeFi }, false},
		{"isNFTTrx", kryptos.TransactionsParams{IsNFT: &yes}, nil, true},
		{"isManual", kryptos.TransactionsParams{IsManual: &yes}, nil, true},
		{"isEdited false", kryptos.TransactionsParams{IsEdited: &no}, notSpam, false},
		{"hasMissingPrice: every leg is priced", kryptos.TransactionsParams{HasMissingPrice: &yes}, nil, true},
		{"hasMissingAsset", kryptos.TransactionsParams{HasMissingAsset: &yes}, nil, true},
		{"isMissingTransaction: no balance goes negative", kryptos.TransactionsParams{IsMissingTransaction: &yes}, nil, true},
		{"the uncategorised recipe", kryptos.TransactionsParams{Types: []kryptos.TransactionType{kryptos.TransactionDeposit, kryptos.TransactionWithdrawal},
			Labels: []string{"Deposit", "Withdrawal"}, IsUncategorisedIgnored: &no},
			func(tx kryptos.Transaction) bool { return tx.Label == "Deposit" || tx.Label == "Withdrawal" }, false},
		{"the high P&L recipe", kryptos.TransactionsParams{MinTotalGains: &gains, IsHighPnLReviewed: &no},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && tx.TotalGains >= gains }, false},
		{"isMissingPriceIgnored", kryptos.TransactionsParams{IsMissingPriceIgnored: &yes}, nil, true},
		{"time range, inclusive", kryptos.TransactionsParams{StartTime: start, EndTime: end},
			func(tx kryptos.Transaction) bool {
				return notSpam(tx) && !tx.Timestamp.Before(start) && !tx.Timestamp.After(end)
			}, false},
		{"from a time on", kryptos.TransactionsParams{StartTime: start.Add(time.Millisecond)},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && tx.Timestamp.After(start) }, false},
		{"value bounds", kryptos.TransactionsParams{MinValue: &lo, MaxValue: &hi},
			func(tx kryptos.Transaction) bool {
				v := tx.NetValue.FiatValue
				return notSpam(tx) && v != nil && *v >= lo && *v <= hi
			}, false},
		{"search in the description", kryptos.TransactionsParams{Search: "Swap ETH"},
			func(tx kryptos.Transaction) bool {
				return strings.Contains(strings.ToLower(tx.Description), "swap eth")
			}, false},
		{"search in the assets too", kryptos.TransactionsParams{Search: "usd coin"},
			func(tx kryptos.Transaction) bool { return notSpam(tx) && strings.Contains(text(tx), "usd coin") }, false},
		{"coaTagStatus untagged", kryptos.TransactionsParams{CoaTagStatus: kryptos.CoaUntagged}, notSpam, false},
		{"coaTagStatus tagged", kryptos.TransactionsParams{CoaTagStatus: kryptos.CoaTagged}, nil, true},
		{"coaSyncStatus synced", kryptos.TransactionsParams{CoaSyncStatus: kryptos.CoaSynced}, nil, true},
		{"several at once", kryptos.TransactionsParams{Types: []kryptos.TransactionType{kryptos.TransactionTrade},
			WalletIDs: []string{wallets["ethereum"], wallets["solana"]}, NotAssetIDs: []string{usdc}, MinValue: &lo, StartTime: start},
			func(tx kryptos.Transaction) bool {
				return tx.Type == kryptos.TransactionTrade && txProviderOf(tx) != "csv" && !hasAsset(tx, usdc) &&
					*tx.NetValue.FiatValue >= lo && !tx.Timestamp.Before(start)
			}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var want []string
			for _, tx := range all {
				if tc.keep != nil && tc.keep(tx) {
					want = append(want, tx.ID)
				}
			}
			if tc.none {
				require.Empty(t, want)
			} else {
				require.NotEmpty(t, want, "the filter must keep something to prove anything")
				require.Less(t, len(want), len(all), "and leave something out")
			}
			var got []string
			for tx, err := range user.ListTransactions(ctx, tc.p) {
				require.NoError(t, err)
				got = append(got, tx.ID)
			}
			assert.Equal(t, want, got)
			page, err := user.ListTransactionsPage(ctx, tc.p)
			require.NoError(t, err)
			assert.Equal(t, len(want), page.Total)
		})
	}
}

func TestTransactionSortsReallySort(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithPortfolioSize(120))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	// An account connected an hour later: its transactions were saved
	// later, though they happened over the same two years.
	clock.Advance(time.Hour)
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: g.AccessToken})
	require.NoError(t, err)
	_, err = srv.CompleteLink(lt.Token, LinkUser{Wallets: []Wallet{txCSVWallet}})
	require.NoError(t, err)
	user := c.User(g.Credential())
	list := func(p kryptos.TransactionsParams) []kryptos.Transaction {
		var out []kryptos.Transaction
		p.Limit = 50
		for tx, err := range user.ListTransactions(ctx, p) {
			require.NoError(t, err)
			out = append(out, tx)
		}
		return out
	}
	def := list(kryptos.TransactionsParams{})
	sorted := func(by kryptos.TransactionSortBy, key func(kryptos.Transaction) float64) {
		t.Helper()
		desc := list(kryptos.TransactionsParams{SortBy: by})
		asc := list(kryptos.TransactionsParams{SortBy: by, Ascending: true})
		assert.ElementsMatch(t, txIDs(def), txIDs(desc), "%s: the same transactions", by)
		assert.Equal(t, txIDs(desc), reversedIDs(txIDs(asc)), "%s: ascending is descending reversedIDs", by)
		for i := 1; i < len(desc); i++ {
			if key(desc[i-1]) < key(desc[i]) {
				t.Fatalf("%s: not descending at %d: %v then %v", by, i, key(desc[i-1]), key(desc[i]))
			}
		}
	}
	sorted(kryptos.SortTransactionsByTimestamp, func(tx kryptos.Transaction) float64 { return float64(tx.Timestamp.UnixMilli()) })
	sorted(kryptos.SortTransactionsByNetValue, func(tx kryptos.Transaction) float64 { return *tx.NetValue.FiatValue })
	sorted(kryptos.SortTransactionsByTotalGains, func(tx kryptos.Transaction) float64 { return tx.TotalGains })
	sorted(kryptos.SortTransactionsByCreatedAt, func(tx kryptos.Transaction) float64 { return float64(tx.ImportSource.ImportedAt.UnixMilli()) })
	assert.Equal(t, txIDs(def), txIDs(list(kryptos.TransactionsParams{SortBy: kryptos.SortTransactionsByTimestamp})), "timestamp is the default")
	byValue := list(kryptos.TransactionsParams{SortBy: kryptos.SortTransactionsByNetValue})
	assert.NotEqual(t, txIDs(def), txIDs(byValue), "another order")
	assert.Greater(t, *byValue[0].NetValue.FiatValue, *byValue[len(byValue)-1].NetValue.FiatValue)
	byCreation := list(kryptos.TransactionsParams{SortBy: kryptos.SortTransactionsByCreatedAt})
	assert.Equal(t, kryptos.SourceCSV, byCreation[0].ImportSource.Type, "saved last")
	assert.Equal(t, kryptos.SourceAPI, byCreation[len(byCreation)-1].ImportSource.Type)
	switches := 0
	for i := 1; i < len(def); i++ {
		if def[i].ImportSource.Type != def[i-1].ImportSource.Type {
			switches++
		}
	}
	assert.Greater(t, switches, 10, "by time, the two accounts' transactions interleave")
}

func reversedIDs(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func TestTransactionsRefuseWhatTheDocsDoNotAllow(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	token := g.AccessToken.Reveal()
	for _, query := range []string{"limit=0", "limit=201", "offset=-1", "types=trades", "importSourceTypes=api", "ledgerTypes=in",
		"isDefiTrx=maybe", "startTime=yesterday", "minValue=lots", "sortBy=value", "sortOrder=up", "coaTagStatus=done"} {
		status, _, body := raw(t, srv, http.MethodGet, "/v1/transactions?"+query, map[string]string{"Authorization": "Bearer " + token}, "")
		assert.Equal(t, http.StatusBadRequest, status, query)
		nested, _ := body["error"].(map[string]any)
		require.NotNil(t, nested, "%s: the nested error shape, %v", query, body)
		assert.Equal(t, "VALIDATION_ERROR", nested["code"], query)
		assert.Contains(t, nested["message"], strings.SplitN(query, "=", 2)[0], query)
		assert.NotContains(t, body, "success", "the bare family has no success field")
	}
	// The largest documented page is served whole.
	page, err := c.User(g.Credential()).ListTransactionsPage(ctx, kryptos.TransactionsParams{Limit: 200})
	require.NoError(t, err)
	assert.Len(t, page.Items, 200)
	assert.True(t, page.HasNext())
	// Past the end: an empty page.
	page, err = c.User(g.Credential()).ListTransactionsPage(ctx, kryptos.TransactionsParams{Offset: 100000})
	require.NoError(t, err)
	assert.Empty(t, page.Items)
	assert.Positive(t, page.Total)
	assert.False(t, page.HasNext())
}

func TestTransactionsNeedTheirScope(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.Scopes{kryptos.ScopeOpenID, kryptos.ScopePortfoliosRead}})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	require.NoError(t, err)
	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	user := c.User(g.Credential())
	calls := map[string]func() error{
		"list":   func() error { _, err := user.ListTransactionsPage(ctx, kryptos.TransactionsParams{}); return err },
		"counts": func() error { _, err := user.TransactionCounts(ctx); return err },
		"one":    func() error { _, err := user.GetTransaction(ctx, "8f14e45f-0000-0000-0000-000000000000"); return err },
		"legs": func() error {
			_, err := user.GetTransactionLedgers(ctx, "8f14e45f-0000-0000-0000-000000000000")
			return err
		},
		"ledgers": func() error { _, err := user.ListLedgersPage(ctx, kryptos.LedgersParams{}); return err },
		"ledger":  func() error { _, err := user.GetLedger(ctx, "led_000000000000"); return err },
	}
	for name, call := range calls {
		err := call()
		require.ErrorIs(t, err, kryptos.ErrInsufficientScope, name)
		assert.Contains(t, err.Error(), "Missing: transactions:read", name)
	}
	_, err = user.ListTransactionsPage(ctx, kryptos.TransactionsParams{})
	var apiErr *kryptos.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusForbidden, apiErr.StatusCode)
}

// TestTransactionsFollowTheSyncs: what a sync saves shows once it has
// finished, and the lists the sandbox keeps follow.
func TestTransactionsFollowTheSyncs(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	user := c.User(g.Credential())
	yes := true
	page, err := user.ListTransactionsPage(ctx, kryptos.TransactionsParams{IncludeSpam: &yes})
	require.NoError(t, err)
	require.Equal(t, DefaultTransactionsPerIntegration, page.Total)
	firstSync := page.Items[0].ImportSource.SyncID

	limit := int64(100)
	_, err = c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: &limit})
	require.NoError(t, err)
	page, err = user.ListTransactionsPage(ctx, kryptos.TransactionsParams{IncludeSpam: &yes})
	require.NoError(t, err)
	assert.Equal(t, DefaultTransactionsPerIntegration, page.Total, "the resync has not finished")

	clock.Advance(time.Second)
	page, err = user.ListTransactionsPage(ctx, kryptos.TransactionsParams{IncludeSpam: &yes, Ascending: true})
	require.NoError(t, err)
	assert.Equal(t, 100, page.Total, "the resync saved what the new cap leaves room for")
	assert.Equal(t, firstSync, page.Items[0].ImportSource.SyncID, "the oldest were saved by the first sync")
	counts, err := user.TransactionCounts(ctx)
	require.NoError(t, err)
	assert.Equal(t, 100, counts.Total)
}

func TestListing100000TransactionsStaysFast(t *testing.T) {
	if testing.Short() {
		t.Skip("a scale test: 100,000 transactions")
	}
	t.Parallel()
	srv := NewServer(WithPortfolioSize(100_000))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	user := c.User(g.Credential())
	yes := true
	start := time.Now()
	n := 0
	var last time.Time
	for tx, err := range user.ListTransactions(ctx, kryptos.TransactionsParams{IncludeSpam: &yes, Limit: 200}) {
		require.NoError(t, err)
		if n > 0 {
			require.False(t, tx.Timestamp.After(last), "newest first across pages")
		}
		last = tx.Timestamp
		n++
	}
	took := time.Since(start)
	assert.Equal(t, 100_000, n)
	assert.Equal(t, 500, srv.Stats().ByRoute["GET /v1/transactions"])
	t.Logf("listed %d transactions in 500 pages in %s", n, took)
	// The sandbox filtered and sorted once, and each page sliced that list.
	srv.mu.Lock()
	ix := srv.state.users[srv.state.grants[g.GrantID].userID].txIndex
	srv.mu.Unlock()
	require.NotNil(t, ix)
	assert.Len(t, ix.lists, 1)
	// Most of the time goes to encoding and decoding some 150 MB of JSON:
	// seconds, or a minute or two under the race detector on a busy machine.
	assert.Less(t, took, 5*time.Minute)
}

// TestRowsAddedBetweenPagesAreNotARepeatedPage: transactions saved
// while a list is read shift its offset pages (the SDK documents that an
// entry may then come twice). When exactly one page's worth is saved in
// front of the offset, the next page holds the same entries as the last
// one: the API paged correctly (meta.offset is the offset asked for, and
// hasMore is true, DATA-API.md §2.2 family C), so the list must go on, not
// end with ErrPageRepeated and lose the rest.
func TestRowsAddedBetweenPagesAreNotARepeatedPage(t *testing.T) {
	t.Parallel()
	const n = 30
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithPortfolioSize(n))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet, txSolanaWallet}})
	clock.Advance(time.Hour)
	user := c.User(g.Credential())
	yes := true
	p := kryptos.TransactionsParams{IncludeSpam: &yes, SortBy: kryptos.SortTransactionsByCreatedAt, Limit: n}
	page, err := user.ListTransactionsPage(ctx, p)
	require.NoError(t, err)
	require.Equal(t, 2*n, page.Total)
	require.True(t, page.HasNext())
	seen := map[string]int{}
	for _, tx := range page.Items {
		seen[tx.ID]++
	}

	// Another account is connected and its import finishes: n more
	// transactions, saved last, so first in this order.
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: g.AccessToken})
	require.NoError(t, err)
	_, err = srv.CompleteLink(lt.Token, LinkUser{Wallets: []Wallet{txCSVWallet}})
	require.NoError(t, err)
	clock.Advance(time.Hour)

	for page.HasNext() {
		page, err = page.Next(ctx)
		require.NoError(t, err, "the API paged as asked; rows saved meanwhile are not a server fault")
		for _, tx := range page.Items {
			seen[tx.ID]++
		}
	}
	assert.Len(t, seen, 2*n, "every transaction there was when the list started is read")
}

// TestCommonLabelsHaveNoTransactionType: DATA-API.md §5.7 says a
// transaction's type is "derived from label; null when label maps to no
// type", and §5.10 that the common labels (Ignore, Failed, Unknown, Spam)
// have type null. A Spam-labelled transaction is therefore of no type: it
// is neither in the answer's type nor selected by types=deposit.
func TestCommonLabelsHaveNoTransactionType(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	user := txHistoryUser(t, srv)
	labels, err := user.ListLabels(ctx, kryptos.LabelsParams{})
	require.NoError(t, err)
	typeOf := map[string]kryptos.LabelType{}
	for _, l := range labels {
		typeOf[l.Name] = l.Type
	}
	yes := true
	spam, wrongType := 0, map[string]int{}
	for tx, err := range user.ListTransactions(ctx, kryptos.TransactionsParams{IncludeSpam: &yes}) {
		require.NoError(t, err)
		if tx.Type != kryptos.TransactionType(typeOf[tx.Label]) {
			wrongType[tx.Label+" typed "+string(tx.Type)]++
		}
		if tx.Label == "Spam" {
			spam++
		}
	}
	require.Positive(t, spam, "the histories hold Spam-labelled airdrops")
	assert.Empty(t, wrongType, "a transaction's type is its label's type (null for the common labels)")
	selected := map[string]int{}
	for tx, err := range user.ListTransactions(ctx, kryptos.TransactionsParams{IncludeSpam: &yes, Types: []kryptos.TransactionType{kryptos.TransactionDeposit}}) {
		require.NoError(t, err)
		selected[tx.Label]++
	}
	assert.NotContains(t, selected, "Spam", "types=deposit selects deposits, not Spam-labelled transactions")
	counts, err := user.TransactionCounts(ctx)
	require.NoError(t, err)
	deposits := 0
	for tx, err := range user.ListTransactions(ctx, kryptos.TransactionsParams{IncludeSpam: &yes, Types: []kryptos.TransactionType{kryptos.TransactionDeposit}}) {
		require.NoError(t, err)
		_ = tx
		deposits++
	}
	assert.Equal(t, deposits, counts.ByType[kryptos.TransactionDeposit], "counts by type agree with the types filter")
}

// TestAStartTimeInsideAMillisecondLeavesOutWhatCameBefore:
// startTime is Unix ms (DATA-API.md §5.7 and §5.8, "startTime, endTime |
// num | — | Unix ms"); the SDK says StartTime and EndTime "bound
// Timestamp" and that both ends are inclusive. A StartTime a microsecond
// after a transaction was sent as that transaction's millisecond, so the
// transaction, which happened before StartTime, was listed.
func TestAStartTimeInsideAMillisecondLeavesOutWhatCameBefore(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	user := txHistoryUser(t, srv)
	all := everyTransaction(t, user)
	tx := all[len(all)/2]
	start := tx.Timestamp.Add(time.Microsecond)
	yes := true
	for got, err := range user.ListTransactions(ctx, kryptos.TransactionsParams{IncludeSpam: &yes, StartTime: start}) {
		require.NoError(t, err)
		assert.False(t, got.Timestamp.Before(start), "%s at %s is before StartTime %s", got.ID, got.Timestamp, start)
	}
	for got, err := range user.ListLedgers(ctx, kryptos.LedgersParams{StartTime: start}) {
		require.NoError(t, err)
		assert.False(t, got.Timestamp.Before(start), "ledger %s at %s is before StartTime %s", got.ID, got.Timestamp, start)
	}
}
