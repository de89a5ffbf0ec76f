package kryptostest

import (
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

// everyLedger lists every ledger entry of the user, in the default order.
func everyLedger(t *testing.T, user *kryptos.UserClient, p kryptos.LedgersParams) []kryptos.Ledger {
	t.Helper()
	var all []kryptos.Ledger
	for l, err := range user.ListLedgers(ctx, p) {
		require.NoError(t, err)
		all = append(all, l)
	}
	return all
}

func ledgerIDs(ls []kryptos.Ledger) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.ID)
	}
	return out
}

func exactRat(t *testing.T, d kryptos.Decimal) *big.Rat {
	t.Helper()
	r, ok := d.Rat()
	require.True(t, ok, "a decimal number, not null")
	return r
}

func TestLedgerAnswersHaveTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	g := connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	token := g.AccessToken.Reveal()
	// Entries of what came in name only the account it came into (§5.7's
	// leg rules), and have no proceeds or profit: §5.8 types both as
	// nullable decimal strings.
	sameShapeAsSample(t, "ledgers.list.json", get(t, srv, token, "/v1/ledgers?limit=200"), golden.Options{
		Nullable: []string{"data[].fromAccount", "data[].proceeds", "data[].profit"}})
	// Outgoing entries fill every field of the sample.
	sameShapeAsSample(t, "ledgers.list.json", get(t, srv, token, "/v1/ledgers?types=outgoing"), golden.Options{})
	resp := get(t, srv, token, "/v1/ledgers/led_000000000000")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	sameShapeAsSample(t, "error.nested.json", resp, golden.Options{})

	// No hasMore in meta (§2.3).
	status, _, body := raw(t, srv, http.MethodGet, "/v1/ledgers?limit=3&offset=6", map[string]string{"Authorization": "Bearer " + token}, "")
	require.Equal(t, http.StatusOK, status)
	meta, _ := body["meta"].(map[string]any)
	assert.Equal(t, []string{"limit", "offset", "total"}, slices.Sorted(func(yield func(string) bool) {
		for k := range meta {
			if !yield(k) {
				return
			}
		}
	}))
	assert.Equal(t, float64(3), meta["limit"])
	assert.Equal(t, float64(6), meta["offset"])
}

func TestLedgersThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	user := txHistoryUser(t, srv)
	txs := everyTransaction(t, user)
	legs := map[string]kryptos.Leg{}
	sides := map[string]kryptos.LedgerType{}
	parent := map[string]kryptos.Transaction{}
	for _, tx := range txs {
		for side, list := range map[kryptos.LedgerType][]kryptos.Leg{kryptos.LedgerIncoming: tx.Incoming, kryptos.LedgerOutgoing: tx.Outgoing, kryptos.LedgerFee: tx.Fees} {
			for _, l := range list {
				legs[l.ID], sides[l.ID], parent[l.ID] = l, side, tx
			}
		}
	}

	before := srv.Stats().ByRoute["GET /v1/ledgers"]
	all := everyLedger(t, user, kryptos.LedgersParams{})
	require.Len(t, all, len(legs), "every leg of every transaction, spam included")
	assert.Equal(t, (len(all)+199)/200, srv.Stats().ByRoute["GET /v1/ledgers"]-before,
		"pages of 200, and no call after the total is reached although meta has no hasMore")
	for _, l := range all {
		leg, tx := legs[l.ID], parent[l.ID]
		require.Equal(t, sides[l.ID], l.Type, l.ID)
		assert.Equal(t, tx.ID, l.TransactionID)
		assert.Equal(t, tx.Timestamp, l.Timestamp)
		assert.Equal(t, tx.ImportSource.WalletID, l.WalletID)
		assert.Equal(t, tx.ImportSource.SyncID, l.SyncID)
		assert.Equal(t, tx.WorkspaceID, l.WorkspaceID)
		assert.Equal(t, leg.Quantity, l.Quantity)
		assert.Equal(t, leg.Price, l.Price)
		assert.Equal(t, leg.Value, l.Value)
		assert.Equal(t, leg.Asset, l.Asset)
		assert.Equal(t, leg.FromAccount, l.FromAccount)
		assert.Equal(t, leg.ToAccount, l.ToAccount)
		assert.Equal(t, leg.Label, l.Label)
		assert.True(t, l.CostBasis.Valid())
		assert.Equal(t, l.Type != kryptos.LedgerIncoming, l.Proceeds.Valid(), "gains on what was disposed of")
		if l.Proceeds.Valid() {
			gain := new(big.Rat).Sub(exactRat(t, l.Proceeds), exactRat(t, l.CostBasis))
			diff := new(big.Rat).Sub(gain, exactRat(t, l.Profit))
			assert.LessOrEqual(t, new(big.Rat).Abs(diff).Cmp(big.NewRat(1, 100)), 0, "profit is proceeds less cost basis, to the cent")
		}
		// The balance moves by the quantity, exactly.
		moved := new(big.Rat).Sub(exactRat(t, l.AfterBalance), exactRat(t, l.BeforeBalance))
		if l.Type != kryptos.LedgerIncoming {
			moved.Neg(moved)
		}
		require.Zero(t, moved.Cmp(exactRat(t, l.Quantity)), "%s: %s -> %s by %s", l.ID, l.BeforeBalance, l.AfterBalance, l.Quantity)
	}

	// Oldest first, each account's running balance of an asset starts where
	// the last one ended.
	asc := everyLedger(t, user, kryptos.LedgersParams{Ascending: true})
	assert.ElementsMatch(t, ledgerIDs(all), ledgerIDs(asc))
	last := map[string]kryptos.Decimal{}
	for _, l := range asc {
		key := l.WalletID + "/" + l.AssetID
		if prev, ok := last[key]; ok {
			require.Zero(t, prev.Cmp(l.BeforeBalance), "%s: %s after %s", l.ID, l.BeforeBalance, prev)
		} else {
			require.Zero(t, l.BeforeBalance.Cmp(kryptos.MustDecimal("0")), "%s: the first entry starts from nothing", l.ID)
		}
		last[key] = l.AfterBalance
	}

	for _, l := range []kryptos.Ledger{all[0], all[len(all)/2], all[len(all)-1]} {
		one, err := user.GetLedger(ctx, l.ID)
		require.NoError(t, err)
		assert.Equal(t, l, *one)
	}
	_, err := user.GetLedger(ctx, "led_000000000000")
	require.ErrorIs(t, err, kryptos.ErrNotFound)
	var apiErr *kryptos.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "NOT_FOUND", apiErr.Code)
	assert.Equal(t, "Ledger not found", apiErr.Message)

	page, err := user.ListLedgersPage(ctx, kryptos.LedgersParams{Offset: 10, Limit: 7})
	require.NoError(t, err)
	assert.Equal(t, len(all), page.Total)
	assert.Equal(t, ledgerIDs(all[10:17]), ledgerIDs(page.Items))
}

// TestLedgerFiltersReallyFilter compares each filter's answer with the same
// filter applied here to the whole list. The balance bounds are compared
// exactly: a bound one 10^-18 above a balance separates it from the bound.
func TestLedgerFiltersReallyFilter(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close) // after the parallel subtests
	user := txHistoryUser(t, srv)
	all := everyLedger(t, user, kryptos.LedgersParams{})
	txs := everyTransaction(t, user)
	some := []string{txs[3].ID, txs[100].ID, txs[len(txs)-1].ID}
	eth := assetBySymbol("ETH").id
	// An ETH balance, and the same plus 10^-18, which no float64 tells
	// apart from it. The median of the positive balances: histories are
	// random, and the bounds must both keep and leave out some of them.
	var balances []kryptos.Decimal
	for _, l := range all {
		if l.AssetID == eth && l.AfterBalance.Cmp(kryptos.MustDecimal("0")) > 0 {
			balances = append(balances, l.AfterBalance)
		}
	}
	slices.SortFunc(balances, kryptos.Decimal.Cmp)
	balances = slices.CompactFunc(balances, func(a, b kryptos.Decimal) bool { return a.Cmp(b) == 0 })
	require.GreaterOrEqual(t, len(balances), 3, "ETH balances to bound")
	mark := balances[len(balances)/2]
	require.Len(t, strings.SplitN(mark.String(), ".", 2)[1], 18, "ETH balances have 18 digits after the point")
	require.True(t, strings.HasSuffix(mark.String(), "0"), "the sandbox keeps 8 digits, padded with zeros")
	above := kryptos.MustDecimal(strings.TrimSuffix(mark.String(), "0") + "1")
	yes, no := true, false
	start, end := all[len(all)*3/4].Timestamp, all[len(all)/4].Timestamp
	cases := []struct {
		name string
		p    kryptos.LedgersParams
		keep func(kryptos.Ledger) bool
		none bool
	}{
		{"transactionIds", kryptos.LedgersParams{TransactionIDs: some},
			func(l kryptos.Ledger) bool { return slices.Contains(some, l.TransactionID) }, false},
		{"assetIds", kryptos.LedgersParams{AssetIDs: []string{eth}}, func(l kryptos.Ledger) bool { return l.AssetID == eth }, false},
		{"types", kryptos.LedgersParams{Types: []kryptos.LedgerType{kryptos.LedgerFee}},
			func(l kryptos.Ledger) bool { return l.Type == kryptos.LedgerFee }, false},
		{"two types", kryptos.LedgersParams{Types: []kryptos.LedgerType{kryptos.LedgerIncoming, kryptos.LedgerOutgoing}},
			func(l kryptos.Ledger) bool { return l.Type != kryptos.LedgerFee }, false},
		{"providers", kryptos.LedgersParams{Providers: []string{"solana", "CSV"}},
			func(l kryptos.Ledger) bool {
				a := l.FromAccount
				if a == nil {
					a = l.ToAccount
				}
				return a.Provider != "ethereum"
			}, false},
		{"hasMissingPrice", kryptos.LedgersParams{HasMissingPrice: &yes}, nil, true},
		{"hasMissingPrice false", kryptos.LedgersParams{HasMissingPrice: &no, Types: []kryptos.LedgerType{kryptos.LedgerOutgoing}},
			func(l kryptos.Ledger) bool { return l.Type == kryptos.LedgerOutgoing && l.Price != nil }, false},
		{"hasMissingAsset", kryptos.LedgersParams{HasMissingAsset: &yes}, nil, true},
		{"time range, inclusive", kryptos.LedgersParams{StartTime: start, EndTime: end},
			func(l kryptos.Ledger) bool { return !l.Timestamp.Before(start) && !l.Timestamp.After(end) }, false},
		{"balances below zero: none went negative", kryptos.LedgersParams{AfterBalanceBelow: kryptos.MustDecimal("0")}, nil, true},
		{"balances below -0.000001", kryptos.LedgersParams{AfterBalanceBelow: kryptos.MustDecimal("-0.000001")}, nil, true},
		{"balances above 1e3", kryptos.LedgersParams{AfterBalanceAbove: kryptos.MustDecimal("1e3")},
			func(l kryptos.Ledger) bool { return l.AfterBalance.Cmp(kryptos.MustDecimal("1000")) > 0 }, false},
		{"strictly below a balance", kryptos.LedgersParams{AssetIDs: []string{eth}, AfterBalanceBelow: mark},
			func(l kryptos.Ledger) bool { return l.AssetID == eth && l.AfterBalance.Cmp(mark) < 0 }, false},
		{"below the balance plus 10^-18 includes it", kryptos.LedgersParams{AssetIDs: []string{eth}, AfterBalanceBelow: above},
			func(l kryptos.Ledger) bool { return l.AssetID == eth && l.AfterBalance.Cmp(mark) <= 0 }, false},
		{"strictly above a balance", kryptos.LedgersParams{AssetIDs: []string{eth}, AfterBalanceAbove: mark},
			func(l kryptos.Ledger) bool { return l.AssetID == eth && l.AfterBalance.Cmp(mark) > 0 }, false},
		{"above the balance plus 10^-18", kryptos.LedgersParams{AssetIDs: []string{eth}, AfterBalanceAbove: above},
			func(l kryptos.Ledger) bool { return l.AssetID == eth && l.AfterBalance.Cmp(mark) > 0 }, false},
		{"between", kryptos.LedgersParams{AfterBalanceAbove: kryptos.MustDecimal("0.5"), AfterBalanceBelow: kryptos.MustDecimal("2.5e1")},
			func(l kryptos.Ledger) bool {
				return l.AfterBalance.Cmp(kryptos.MustDecimal("0.5")) > 0 && l.AfterBalance.Cmp(kryptos.MustDecimal("25")) < 0
			}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var want []string
			for _, l := range all {
				if tc.keep != nil && tc.keep(l) {
					want = append(want, l.ID)
				}
			}
			if tc.none {
				require.Empty(t, want)
			} else {
				require.NotEmpty(t, want, "the filter must keep something to prove anything")
				require.Less(t, len(want), len(all), "and leave something out")
			}
			assert.Equal(t, want, ledgerIDs(everyLedger(t, user, tc.p)))
		})
	}
}

func TestLedgerSortsReallySort(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithPortfolioSize(60))
	defer srv.Close()
	user := txHistoryUser(t, srv)
	def := everyLedger(t, user, kryptos.LedgersParams{Limit: 40})
	for i := 1; i < len(def); i++ {
		if def[i].Timestamp.After(def[i-1].Timestamp) {
			t.Fatalf("not newest first at %d", i)
		}
	}
	asc := everyLedger(t, user, kryptos.LedgersParams{SortBy: kryptos.SortLedgersByTimestamp, Ascending: true, Limit: 40})
	// Each transaction's entries stay in its order: incoming, outgoing, fee.
	side := map[kryptos.LedgerType]int{kryptos.LedgerIncoming: 0, kryptos.LedgerOutgoing: 1, kryptos.LedgerFee: 2}
	for i := 1; i < len(asc); i++ {
		if asc[i].Timestamp.Before(asc[i-1].Timestamp) {
			t.Fatalf("not oldest first at %d", i)
		}
		if asc[i].TransactionID == asc[i-1].TransactionID && side[asc[i].Type] < side[asc[i-1].Type] {
			t.Fatalf("a transaction's entries are out of order at %d", i)
		}
	}
	assert.ElementsMatch(t, ledgerIDs(def), ledgerIDs(asc))
	created := everyLedger(t, user, kryptos.LedgersParams{SortBy: kryptos.SortLedgersByCreatedAt})
	assert.ElementsMatch(t, ledgerIDs(def), ledgerIDs(created))
}

func TestLedgersRefuseWhatTheDocsDoNotAllow(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	g := connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	for _, query := range []string{"limit=201", "limit=0", "types=in", "ltAfterBalance=abc", "ltAfterBalance=1/3",
		"gtAfterBalance=0x10", "hasMissingPrice=yes", "endTime=-5", "sortBy=netValue", "sortOrder=ascending"} {
		status, _, body := raw(t, srv, http.MethodGet, "/v1/ledgers?"+query, map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}, "")
		assert.Equal(t, http.StatusBadRequest, status, query)
		nested, _ := body["error"].(map[string]any)
		require.NotNil(t, nested, "%s: the nested error shape, %v", query, body)
		assert.Equal(t, "VALIDATION_ERROR", nested["code"], query)
		assert.Contains(t, nested["message"], strings.SplitN(query, "=", 2)[0], query)
	}
}
