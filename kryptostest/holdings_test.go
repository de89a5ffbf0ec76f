package kryptostest

import (
	"cmp"
	"encoding/json"
	"io"
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

// holdingsShape relaxes the comparison with holdings.list.json where
// §5.3's field tables allow it: roiPercentage is "num?" (null when the cost
// basis is 0), and asset.contractAddress is in the Asset table though not
// in the sample.
var holdingsShape = golden.Options{
	Nullable:   []string{"data[].roiPercentage"},
	Documented: []string{"data[].asset.contractAddress"},
}

// calculatedShape adds the two fields the Holding table gives to
// ledger-derived balances only.
var calculatedShape = golden.Options{
	Nullable:   holdingsShape.Nullable,
	Documented: append([]string{"data[].isMissingTransactionHistory", "data[].lastLedgerTimestamp"}, holdingsShape.Documented...),
}

func TestHoldingAnswersHaveTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet, {Provider: "csv", Address: "export.csv"}}})
	token := g.AccessToken.Reveal()
	pf, err := c.User(g.Credential()).GetDefaultPortfolio(ctx)
	require.NoError(t, err)

	sameShapeAsSample(t, "holdings.list.json", get(t, srv, token, "/v1/holdings"), holdingsShape)
	sameShapeAsSample(t, "holdings.list.json", get(t, srv, token, "/v1/holdings/portfolio/"+pf.ID+"?includeSpam=true"), holdingsShape)
	sameShapeAsSample(t, "holdings.list.json", get(t, srv, token, "/v1/holdings?calculatedBalances=true"), calculatedShape)
	sameShapeAsSample(t, "holdings.list.json", get(t, srv, token, "/v1/calculated-balances"), calculatedShape)
	sameShapeAsSample(t, "holdings.list.json", get(t, srv, token, "/v1/calculated-balances/portfolio/"+pf.ID), calculatedShape)

	// A single read is the sample's list entry in {success, data}.
	sample, err := golden.Load("holdings.list.json")
	require.NoError(t, err)
	var list struct {
		Data []json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal(sample, &list))
	one, err := json.Marshal(map[string]any{"success": true, "data": list.Data[0]})
	require.NoError(t, err)
	eth := assetBySymbol("ETH").id
	for _, path := range []string{"/v1/holdings/" + eth, "/v1/holdings/portfolio/" + pf.ID + "/holdings/" + eth} {
		resp := get(t, srv, token, path)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		opts := golden.Options{Nullable: []string{"data.roiPercentage"}, Documented: []string{"data.asset.contractAddress"}}
		require.NoError(t, golden.SameShape(one, body, opts), "%s: %s", path, truncate(body))
	}

	for _, path := range []string{"/v1/holdings/" + assetBySymbol("SOL").id, "/v1/holdings/not-an-asset",
		"/v1/holdings/portfolio/" + pf.ID + "/holdings/not-an-asset", "/v1/holdings/portfolio/pf_unknown/holdings/" + eth} {
		resp := get(t, srv, token, path)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		sameShapeAsSample(t, "holdings.get.404.json", resp, golden.Options{})
	}
}

func TestHoldingsWithoutRatesLeaveThePricesOut(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	g := connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	auth := map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}
	priced := []string{"marketPrice", "marketValue", "costPerUnit", "unrealizedPnL", "roiPercentage", "change24h", "change24hPercentage"}
	for _, path := range []string{"/v1/holdings?rates=false", "/v1/calculated-balances?rates=false"} {
		status, _, body := raw(t, srv, http.MethodGet, path, auth, "")
		require.Equal(t, http.StatusOK, status)
		assert.NotContains(t, body, "totalValue", path)
		data := body["data"].([]any)
		require.NotEmpty(t, data)
		for _, item := range data {
			h := item.(map[string]any)
			for _, key := range priced {
				assert.NotContains(t, h, key, path)
			}
			assert.Contains(t, h, "totalQuantity")
			assert.Contains(t, h, "costBasis", "the basis does not depend on prices")
		}
	}
	status, _, body := raw(t, srv, http.MethodGet, "/v1/holdings?rates=true", auth, "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "totalValue")
}

// holdingsFixture is a Linked user with four integrations in two
// portfolios, one of them a CSV import, and what the sandbox's model says
// they hold.
type holdingsFixture struct {
	srv  *Server
	user *kryptos.UserClient
	// all is every holding, spam included, as one page of the default
	// list.
	all []kryptos.Holding
	// wallets maps a provider to its integration's id; trading is the
	// Trading portfolio's id.
	wallets map[string]string
	trading string
	// token is the user's access token, for requests the SDK would refuse.
	token string
}

func newHoldingsFixture(t *testing.T) *holdingsFixture {
	t.Helper()
	srv := NewServer(WithSandboxMode(false))
	t.Cleanup(srv.Close)
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Email: "holder@example.com", Wallets: []Wallet{
		ethWallet, {Provider: "binance", Address: "binance-account"}, // a second exchange goes to Trading
		{Provider: "csv", Address: "ledger-export.csv"}, {Provider: "solana", Address: SolanaTestAddress},
	}})
	f := &holdingsFixture{srv: srv, user: c.User(g.Credential()), wallets: map[string]string{}, token: g.AccessToken.Reveal()}
	page, err := f.user.ListHoldingsPage(ctx, kryptos.HoldingsParams{IncludeSpam: valueRef(true), Limit: 1000})
	require.NoError(t, err)
	require.False(t, page.HasNext())
	f.all = page.Items
	require.Greater(t, len(f.all), 5, "enough holdings to page through")
	for _, h := range f.all {
		for _, s := range h.AssetDistribution {
			f.wallets[s.Account.Provider] = s.IntegrationID
			if s.PortfolioName == "Trading" {
				f.trading = s.PortfolioID
			}
		}
	}
	require.Len(t, f.wallets, 4)
	require.NotEmpty(t, f.trading)
	return f
}

// ids returns the asset ids of holdings, in order.
func holdingIDs(hs []kryptos.Holding) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.AssetID
	}
	return out
}

func TestHoldingsPagesAndTotals(t *testing.T) {
	t.Parallel()
	f := newHoldingsFixture(t)
	before := f.srv.Stats().ByRoute["GET /v1/holdings"]
	paged := everyItem(t, f.user.ListHoldings(ctx, kryptos.HoldingsParams{IncludeSpam: valueRef(true), Limit: 2}))
	assert.Equal(t, f.all, paged, "pages of 2 hold the same holdings, in the same order, as one page")
	assert.Equal(t, (len(f.all)+1)/2, f.srv.Stats().ByRoute["GET /v1/holdings"]-before, "one request per page")

	// Default: no spam, by value, descending.
	page, err := f.user.ListHoldingsPage(ctx, kryptos.HoldingsParams{Limit: 3})
	require.NoError(t, err)
	var notSpam []kryptos.Holding
	var sum float64
	for _, h := range f.all {
		if !h.IsSpam {
			notSpam = append(notSpam, h)
			sum += h.MarketValue
		}
	}
	assert.Equal(t, len(notSpam), page.Total)
	assert.Equal(t, notSpam[:3], page.Items)
	require.NotNil(t, page.Summary.TotalValue)
	assert.InDelta(t, sum, *page.Summary.TotalValue, 0.01, "totalValue covers the whole filtered set, not the page")
	assert.True(t, slices.IsSortedFunc(notSpam, func(a, b kryptos.Holding) int { return cmp.Compare(b.MarketValue, a.MarketValue) }))
	next, err := page.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, notSpam[3:min(6, len(notSpam))], next.Items)
	assert.Equal(t, *page.Summary.TotalValue, *next.Summary.TotalValue)

	for _, h := range f.all {
		assert.True(t, h.Priced)
		assert.Equal(t, "USD", h.BaseCurrency)
		assert.InDelta(t, h.TotalQuantity*h.MarketPrice, h.MarketValue, 0.01, h.Asset.Symbol)
		assert.InDelta(t, h.MarketValue-h.CostBasis, h.UnrealizedPnL, 0.011, h.Asset.Symbol)
		var shareQty float64
		var shareTxs int
		for _, s := range h.AssetDistribution {
			shareQty += s.Quantity
			shareTxs += s.TransactionCount
			assert.InDelta(t, s.Quantity/h.TotalQuantity*100, s.AllocationPercentage, 0.01)
		}
		assert.InDelta(t, h.TotalQuantity, shareQty, 1e-8, h.Asset.Symbol)
		assert.Equal(t, h.TransactionCount, shareTxs, h.Asset.Symbol)
		if h.CostBasis > 0 {
			require.NotNil(t, h.ROIPercentage, h.Asset.Symbol)
			assert.InDelta(t, h.UnrealizedPnL/h.CostBasis*100, *h.ROIPercentage, 0.01, h.Asset.Symbol)
			assert.InDelta(t, h.CostBasis/h.TotalQuantity, h.CostPerUnit, 1e-6, h.Asset.Symbol)
		} else {
			assert.Nil(t, h.ROIPercentage, "an unknown basis has no ROI")
		}
		// change24h is absolute: the value now less the value a day ago.
		assert.InDelta(t, h.MarketValue-h.MarketValue/(1+h.Change24hPercentage/100), h.Change24h, 0.01, h.Asset.Symbol)
	}

	// Past the end: an empty page that knows the total.
	auth := map[string]string{"Authorization": "Bearer " + f.token}
	status, _, body := raw(t, f.srv, http.MethodGet, "/v1/holdings?offset=500&limit=10", auth, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, []any{}, body["data"])
	assert.Equal(t, float64(len(notSpam)), body["totalCount"])
	assert.Equal(t, false, body["hasMore"])
	assert.Equal(t, 500.0, body["offset"])
	assert.Equal(t, 10.0, body["limit"])
}

func TestHoldingsFiltersReallyFilter(t *testing.T) {
	t.Parallel()
	f := newHoldingsFixture(t)
	keep := func(pred func(kryptos.Holding) bool) []kryptos.Holding {
		var out []kryptos.Holding
		for _, h := range f.all {
			if pred(h) {
				out = append(out, h)
			}
		}
		return out
	}
	values := make([]float64, len(f.all))
	for i, h := range f.all {
		values[i] = h.MarketValue
	}
	slices.Sort(values)
	median := values[len(values)/2]
	spam := valueRef(true)
	cases := []struct {
		name   string
		params kryptos.HoldingsParams
		want   []kryptos.Holding
	}{
		{"spam left out by default", kryptos.HoldingsParams{}, keep(func(h kryptos.Holding) bool { return !h.IsSpam })},
		{"spam left out when asked", kryptos.HoldingsParams{IncludeSpam: valueRef(false)}, keep(func(h kryptos.Holding) bool { return !h.IsSpam })},
		{"asset ids", kryptos.HoldingsParams{IncludeSpam: spam, AssetIDs: []string{f.all[0].AssetID, f.all[len(f.all)-1].AssetID}},
			[]kryptos.Holding{f.all[0], f.all[len(f.all)-1]}},
		{"search in symbols and names", kryptos.HoldingsParams{IncludeSpam: spam, Search: "USD"}, keep(func(h kryptos.Holding) bool {
			return strings.Contains(strings.ToLower(h.Asset.Symbol+"|"+h.Asset.PublicName), "usd")
		})},
		{"search in names only", kryptos.HoldingsParams{IncludeSpam: spam, Search: "coin"}, keep(func(h kryptos.Holding) bool {
			return strings.Contains(strings.ToLower(h.Asset.Symbol+"|"+h.Asset.PublicName), "coin")
		})},
		{"min value", kryptos.HoldingsParams{IncludeSpam: spam, MinValue: &median}, keep(func(h kryptos.Holding) bool { return h.MarketValue >= median })},
		{"every ecosystem", kryptos.HoldingsParams{IncludeSpam: spam, Type: kryptos.HoldingsAllEcosystems}, f.all},
		{"no tokenized stocks in the catalogue", kryptos.HoldingsParams{IncludeSpam: spam, Type: kryptos.HoldingsXStocks}, nil},
	}
	for _, tc := range cases {
		page, err := f.user.ListHoldingsPage(ctx, tc.params)
		require.NoError(t, err, tc.name)
		assert.Equal(t, holdingIDs(tc.want), holdingIDs(page.Items), tc.name)
		assert.Equal(t, len(tc.want), page.Total, tc.name)
		var sum float64
		for _, h := range tc.want {
			sum += h.MarketValue
		}
		assert.InDelta(t, sum, *page.Summary.TotalValue, 0.01, tc.name)
	}
	require.NotEmpty(t, keep(func(h kryptos.Holding) bool { return h.IsSpam }), "the Ethereum wallet holds airdropped spam")
	assert.Len(t, keep(func(h kryptos.Holding) bool { return strings.Contains(strings.ToLower(h.Asset.PublicName), "usd") }), 2,
		"USDT and USDC: the search has something to find")

	// One integration: only its share of each asset.
	binance := f.wallets["binance"]
	got := everyItem(t, f.user.ListHoldings(ctx, kryptos.HoldingsParams{IncludeSpam: spam, IntegrationID: binance}))
	require.NotEmpty(t, got)
	for _, h := range got {
		require.Len(t, h.AssetDistribution, 1, h.Asset.Symbol)
		assert.Equal(t, binance, h.AssetDistribution[0].IntegrationID)
		assert.Equal(t, 100.0, h.AssetDistribution[0].AllocationPercentage)
		assert.Equal(t, shareOf(t, f.all, h.AssetID, binance).Quantity, h.TotalQuantity, h.Asset.Symbol)
	}
	// The same assets, sorted by the value of the share alone.
	assert.ElementsMatch(t, holdingIDs(keep(func(h kryptos.Holding) bool { return hasShare(h, binance) })), holdingIDs(got))
	assert.True(t, slices.IsSortedFunc(got, func(a, b kryptos.Holding) int { return cmp.Compare(b.MarketValue, a.MarketValue) }))
	none, err := f.user.ListHoldingsPage(ctx, kryptos.HoldingsParams{IntegrationID: "wallet-unknown"})
	require.NoError(t, err)
	assert.Empty(t, none.Items)

	// One portfolio, by the path form.
	trading := everyItem(t, f.user.ListHoldings(ctx, kryptos.HoldingsParams{IncludeSpam: spam, PortfolioID: f.trading}))
	require.NotEmpty(t, trading)
	for _, h := range trading {
		for _, s := range h.AssetDistribution {
			assert.Equal(t, f.trading, s.PortfolioID)
			assert.Equal(t, "Trading", s.PortfolioName)
		}
	}
	assert.Equal(t, holdingIDs(got), holdingIDs(trading), "Binance is the only account in Trading")
	_, err = f.user.ListHoldingsPage(ctx, kryptos.HoldingsParams{PortfolioID: "pf_unknown"})
	require.ErrorIs(t, err, kryptos.ErrNotFound)
}

func shareOf(t *testing.T, all []kryptos.Holding, assetID, integrationID string) kryptos.HoldingShare {
	t.Helper()
	for _, h := range all {
		for _, s := range h.AssetDistribution {
			if h.AssetID == assetID && s.IntegrationID == integrationID {
				return s
			}
		}
	}
	t.Fatalf("no share of %s in %s", integrationID, assetID)
	return kryptos.HoldingShare{}
}

func hasShare(h kryptos.Holding, integrationID string) bool {
	return slices.ContainsFunc(h.AssetDistribution, func(s kryptos.HoldingShare) bool { return s.IntegrationID == integrationID })
}

func TestHoldingsSortsReallySort(t *testing.T) {
	t.Parallel()
	f := newHoldingsFixture(t)
	keys := map[kryptos.HoldingsSortBy]func(a, b kryptos.Holding) int{
		kryptos.HoldingsByValue:    func(a, b kryptos.Holding) int { return cmp.Compare(a.MarketValue, b.MarketValue) },
		kryptos.HoldingsByQuantity: func(a, b kryptos.Holding) int { return cmp.Compare(a.TotalQuantity, b.TotalQuantity) },
		kryptos.HoldingsByName: func(a, b kryptos.Holding) int {
			return cmp.Compare(strings.ToLower(a.Asset.PublicName), strings.ToLower(b.Asset.PublicName))
		},
		kryptos.HoldingsBy24hChange:        func(a, b kryptos.Holding) int { return cmp.Compare(a.Change24hPercentage, b.Change24hPercentage) },
		kryptos.HoldingsByTransactionCount: func(a, b kryptos.Holding) int { return cmp.Compare(a.TransactionCount, b.TransactionCount) },
	}
	for by, key := range keys {
		for _, order := range []kryptos.HoldingsOrder{kryptos.HoldingsAscending, kryptos.HoldingsDescending, ""} {
			got := everyItem(t, f.user.ListHoldings(ctx, kryptos.HoldingsParams{IncludeSpam: valueRef(true), SortBy: by, SortOrder: order, Limit: 3}))
			want := slices.Clone(f.all)
			slices.SortStableFunc(want, func(a, b kryptos.Holding) int {
				c := key(a, b)
				if order != kryptos.HoldingsAscending {
					c = -c // descending is the default
				}
				return cmp.Or(c, strings.Compare(a.AssetID, b.AssetID))
			})
			assert.Equal(t, holdingIDs(want), holdingIDs(got), "%s %s", by, order)
		}
	}
}

// modelBalances is what the sandbox's model says the fixture's user holds,
// by asset id, computed without the holdings code: the ledger-derived
// balances from positions (the replay of the saved transactions), and the
// provider-reported ones from the last leg of each integration's whole
// history (CSV imports have only the ledger-derived kind).
func modelBalances(t *testing.T, srv *Server, email string, guest bool) (calculated, reported map[string]float64, cost map[string]float64) {
	t.Helper()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var u *user
	for _, candidate := range srv.state.users {
		if candidate.email == email && candidate.guest == guest {
			u = candidate
		}
	}
	require.NotNil(t, u)
	now := srv.cfg.clock.Now()
	calcBase, reportedBase, costSum := map[*assetInfo]int64{}, map[*assetInfo]int64{}, map[string]float64{}
	for _, p := range srv.positions(u.integrations, now) {
		calcBase[p.asset] += p.qty
		costSum[p.asset.id] += p.cost
	}
	for _, in := range u.integrations {
		if in.kind == "csv" {
			for _, p := range srv.positions([]*integration{in}, now) {
				reportedBase[p.asset] += p.qty
			}
			continue
		}
		last := map[*assetInfo]int64{}
		for _, tx := range in.history {
			for _, l := range tx.legs() {
				last[l.asset] = l.after
			}
		}
		for a, q := range last {
			if q > 0 {
				reportedBase[a] += q
			}
		}
	}
	calculated, reported, cost = map[string]float64{}, map[string]float64{}, map[string]float64{}
	for a, q := range calcBase {
		calculated[a.id] = units(q, a)
		cost[a.id] = round2(costSum[a.id])
	}
	for a, q := range reportedBase {
		reported[a.id] = units(q, a)
	}
	return calculated, reported, cost
}

func quantities(hs []kryptos.Holding) map[string]float64 {
	out := map[string]float64{}
	for _, h := range hs {
		out[h.AssetID] = h.TotalQuantity
	}
	return out
}

func TestHoldingsKindsOfBalance(t *testing.T) {
	t.Parallel()
	f := newHoldingsFixture(t)
	spam := valueRef(true)
	calculated, reported, cost := modelBalances(t, f.srv, "holder@example.com", false)
	assert.Equal(t, reported, quantities(f.all), "by default: provider-reported, and ledger-derived for the CSV import")
	assert.Equal(t, calculated, reported, "a Linked user's syncs saved everything: both kinds agree")

	balances := everyItem(t, f.user.ListCalculatedBalances(ctx, kryptos.HoldingsParams{IncludeSpam: spam, Limit: 4}))
	assert.Equal(t, calculated, quantities(balances))
	viaFlag := everyItem(t, f.user.ListHoldings(ctx, kryptos.HoldingsParams{IncludeSpam: spam, CalculatedBalances: valueRef(true)}))
	// calculatedBalances=true is the calculated-balances list, less
	// lastLedgerTimestamp, which is "calculated-balances only" (§5.3).
	withoutLast := make([]kryptos.Holding, len(balances))
	for i, h := range balances {
		h.LastLedgerTimestamp = time.Time{}
		withoutLast[i] = h
	}
	assert.Equal(t, withoutLast, viaFlag, "calculatedBalances=true is the calculated-balances list, without lastLedgerTimestamp")
	for _, h := range balances {
		assert.Equal(t, cost[h.AssetID], h.CostBasis, h.Asset.Symbol)
		assert.False(t, h.LastLedgerTimestamp.IsZero(), h.Asset.Symbol)
		assert.False(t, h.IsMissingTransactionHistory, "every replay stays at or above zero")
	}
	for _, h := range f.all {
		assert.True(t, h.LastLedgerTimestamp.IsZero(), "only ledger-derived lists send lastLedgerTimestamp")
	}

	csv := f.wallets["csv"]
	providerOnly := everyItem(t, f.user.ListHoldings(ctx, kryptos.HoldingsParams{IncludeSpam: spam, ExcludeCalculatedBalances: valueRef(true)}))
	require.NotEmpty(t, providerOnly)
	for _, h := range providerOnly {
		assert.False(t, hasShare(h, csv), "the CSV import's balances are ledger-derived: dropped")
	}
	assert.True(t, slices.ContainsFunc(f.all, func(h kryptos.Holding) bool { return hasShare(h, csv) }), "the default list has them")

	// In the calculated balances, excludeCalculatedBalances leaves nothing.
	auth := map[string]string{"Authorization": "Bearer " + f.token}
	status, _, body := raw(t, f.srv, http.MethodGet, "/v1/calculated-balances?excludeCalculatedBalances=true", auth, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, []any{}, body["data"])
	assert.Equal(t, 0.0, body["totalCount"])
}

// TestHoldingsWhenTheCapCutTheHistory: a Guest's sync saved only part of
// the history, so the provider's balances and the ledgers' disagree.
func TestHoldingsWhenTheCapCutTheHistory(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithWorkspaceTransactionLimit(valueRef[int64](60), nil))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	user := c.User(g.Credential())
	calculated, reported, cost := modelBalances(t, srv, "", true)
	require.NotEqual(t, calculated, reported, "60 of 240 transactions saved")

	all := everyItem(t, user.ListHoldings(ctx, kryptos.HoldingsParams{IncludeSpam: valueRef(true)}))
	assert.Equal(t, reported, quantities(all), "the provider reports what the account holds now")
	balances := everyItem(t, user.ListCalculatedBalances(ctx, kryptos.HoldingsParams{IncludeSpam: valueRef(true)}))
	assert.Equal(t, calculated, quantities(balances), "the ledgers know only the saved transactions")
	for _, h := range all {
		// The basis and the counts come from the saved ledgers, whatever
		// the provider reports.
		assert.Equal(t, cost[h.AssetID], h.CostBasis, h.Asset.Symbol)
		if _, saved := calculated[h.AssetID]; !saved && h.TransactionCount == 0 {
			assert.Zero(t, h.CostBasis, "no saved transaction explains %s", h.Asset.Symbol)
			assert.Nil(t, h.ROIPercentage, "an unknown basis has no ROI")
			assert.Zero(t, h.CostPerUnit)
		}
	}
}

func TestGetHoldingThroughTheSDK(t *testing.T) {
	t.Parallel()
	f := newHoldingsFixture(t)
	for _, want := range f.all {
		got, err := f.user.GetHolding(ctx, want.AssetID)
		require.NoError(t, err, want.Asset.Symbol)
		assert.Equal(t, want, *got, "a single read is the list's entry, spam too")
	}
	trading := everyItem(t, f.user.ListHoldings(ctx, kryptos.HoldingsParams{IncludeSpam: valueRef(true), PortfolioID: f.trading}))
	for _, want := range trading {
		got, err := f.user.GetPortfolioHolding(ctx, f.trading, want.AssetID)
		require.NoError(t, err, want.Asset.Symbol)
		assert.Equal(t, want, *got)
	}
	// LINK is held only by the Ethereum wallet, in Main.
	link := assetBySymbol("LINK").id
	_, err := f.user.GetHolding(ctx, link)
	require.NoError(t, err)
	_, err = f.user.GetPortfolioHolding(ctx, f.trading, link)
	require.ErrorIs(t, err, kryptos.ErrNotFound)
	var apiErr *kryptos.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Not found", apiErr.Message)
	assert.Empty(t, apiErr.Code, "the documented 404 has no code")
	for _, id := range []string{"not-an-asset", assetBySymbol("BONK").id + "0"} {
		_, err = f.user.GetHolding(ctx, id)
		require.ErrorIs(t, err, kryptos.ErrNotFound)
	}
	_, err = f.user.GetPortfolioHolding(ctx, "pf_unknown", link)
	require.ErrorIs(t, err, kryptos.ErrNotFound)
}

func TestHoldingsRefuseBadParams(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	g := connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	auth := map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}
	for _, query := range []string{
		"limit=1001", "limit=0", "limit=ten", "offset=-1", "minValue=-1", "minValue=lots", "includeSpam=maybe",
		"type=stocks", "sortBy=price", "sortOrder=up", "rates=no", "calculatedBalances=yes",
		"calculatedBalances=true&excludeCalculatedBalances=true",
	} {
		for _, path := range []string{"/v1/holdings?", "/v1/calculated-balances?"} {
			status, _, body := raw(t, srv, http.MethodGet, path+query, auth, "")
			assert.Equal(t, http.StatusBadRequest, status, path+query)
			assert.Equal(t, "VALIDATION_ERROR", body["code"], path+query)
			assert.Equal(t, false, body["success"], path+query)
			assert.NotEmpty(t, body["details"].(map[string]any)["issues"], path+query)
		}
	}
	status, _, body := raw(t, srv, http.MethodGet, "/v1/holdings?limit=1000&includeSpam=1", auth, "")
	assert.Equal(t, http.StatusOK, status, "1000 is the maximum; includeSpam takes 1")
	assert.Equal(t, 1000.0, body["limit"])
	for _, path := range []string{"/v1/holdings/portfolio/pf_unknown", "/v1/calculated-balances/portfolio/pf_unknown", "/v1/holdings?portfolioId=pf_unknown"} {
		status, _, body = raw(t, srv, http.MethodGet, path, auth, "")
		assert.Equal(t, http.StatusNotFound, status, path)
		assert.Equal(t, "NOT_FOUND", body["code"], path)
	}
}

func TestHoldingsNeedTheirScope(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connectGranting(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}}, kryptos.ScopeTransactionsRead)
	user := c.User(g.Credential())
	calls := map[string]func() error{
		"ListHoldings": func() error {
			for _, err := range user.ListHoldings(ctx, kryptos.HoldingsParams{}) {
				return err
			}
			return nil
		},
		"ListCalculatedBalancesPage": func() error {
			_, err := user.ListCalculatedBalancesPage(ctx, kryptos.HoldingsParams{})
			return err
		},
		"GetHolding": func() error { _, err := user.GetHolding(ctx, assetBySymbol("ETH").id); return err },
		"GetPortfolioHolding": func() error {
			_, err := user.GetPortfolioHolding(ctx, "pf_any", assetBySymbol("ETH").id)
			return err
		},
	}
	for name, call := range calls {
		err := call()
		require.ErrorIs(t, err, kryptos.ErrInsufficientScope, name)
		assert.Contains(t, err.Error(), "Missing: portfolios:read", name)
	}
}

// DATA-API.md §5.3, Holding object: `isMissingTransactionHistory` is
// "calculated-balances / `calculatedBalances=true` only", while
// `lastLedgerTimestamp` is "calculated-balances only" (and
// GET /v1/calculated-balances is the list "(+2 fields)"). The sandbox sent
// lastLedgerTimestamp on GET /v1/holdings?calculatedBalances=true too.
func TestLastLedgerTimestampOnlyOnCalculatedBalances(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet, {Provider: "csv", Address: "export.csv"}}})
	token := g.AccessToken.Reveal()
	items := func(path string) []map[string]any {
		resp := get(t, srv, token, path)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
		var body struct {
			Data []map[string]any `json:"data"`
		}
		require.NoError(t, json.Unmarshal(b, &body))
		require.NotEmpty(t, body.Data, path)
		return body.Data
	}
	for _, h := range items("/v1/holdings?calculatedBalances=true") {
		assert.Contains(t, h, "isMissingTransactionHistory")
		assert.NotContains(t, h, "lastLedgerTimestamp", "calculated-balances only")
	}
	for _, path := range []string{"/v1/calculated-balances", "/v1/calculated-balances?calculatedBalances=true"} {
		for _, h := range items(path) {
			assert.Contains(t, h, "isMissingTransactionHistory", path)
			assert.Contains(t, h, "lastLedgerTimestamp", path)
		}
	}
}

// A spam flag is "an asset on a chain" (DATA-API.md §5.9: chainId, and
// contractAddress "with no cross-chain fallback"), and the asset search
// lists every chain an asset lives on (§5.11, chains). The sandbox's
// Bitcoin wallets received airdrops of BONK, a Solana token: the spam list
// flagged BONK on "bitcoin", a chain BONK is not on, the wallet held 74,219
// BONK, and the airdrop's sender was a smart contract on Bitcoin.
func TestBitcoinWalletGetsNoSolanaAirdrop(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSandboxMode(false))
	defer srv.Close()
	c := srv.Client(fast...)
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: append(kryptos.DefaultScopes(), kryptos.ScopeContactsRead)})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, LinkUser{Email: "review-btc@example.com", Wallets: []Wallet{
		{Provider: "bitcoin", Address: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"},
	}})
	require.NoError(t, err)
	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	user := c.User(g.Credential())

	chainsOf := map[string][]string{}
	for a, err := range user.SearchAssets(ctx, kryptos.AssetSearchParams{}) {
		require.NoError(t, err)
		for _, ch := range a.Chains {
			chainsOf[a.ID] = append(chainsOf[a.ID], ch.ChainID)
		}
	}
	for e, err := range user.ListSpam(ctx, kryptos.SpamParams{IncludeNonSpam: kryptos.Ptr(true)}) {
		require.NoError(t, err)
		assert.Contains(t, chainsOf[e.AssetID], e.ChainID, "spam entry %s (%s) is on a chain its asset is not on", e.ID, e.Symbol)
	}
	for h, err := range user.ListHoldings(ctx, kryptos.HoldingsParams{IncludeSpam: kryptos.Ptr(true)}) {
		require.NoError(t, err)
		assert.Contains(t, chainsOf[h.AssetID], "bitcoin", "a Bitcoin wallet holds %s", h.Asset.Symbol)
	}
	for cp, err := range user.ListCounterParties(ctx, kryptos.CounterPartiesParams{}) {
		require.NoError(t, err)
		assert.False(t, cp.ChainName == "bitcoin" && cp.IsSmartContract, "a smart contract on Bitcoin: %s", cp.Address)
	}
}

// TestCSVOnlyProviderHasOnlyCalculatedBalances: a Ledger Live account
// connects by CSV only (its catalogue entry's importMethods are ["csv"];
// the integration reports credential kind csv), so, like the generic CSV
// import, it has no provider to report a balance. DATA-API.md §5.3:
// "CSV-only accounts and custom wallets only have calculated ones", and
// excludeCalculatedBalances is "provider-reported only (drop
// ledger-derived rows)".
func TestCSVOnlyProviderHasOnlyCalculatedBalances(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSandboxMode(false))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Email: "review-ledger-csv@example.com", Wallets: []Wallet{
		ethWallet, {Provider: "ledger", Address: "ledger-live.csv"},
	}})
	user := c.User(g.Credential())
	var ledger string
	for in, err := range user.ListIntegrations(ctx, kryptos.IntegrationsParams{}) {
		require.NoError(t, err)
		if in.ProviderID == "ledger" {
			ledger = in.ID
			require.Equal(t, kryptos.CredentialCSV, in.CredentialKind, "the integration itself says it is a CSV import")
		}
	}
	require.NotEmpty(t, ledger)

	all := everyItem(t, user.ListHoldings(ctx, kryptos.HoldingsParams{IncludeSpam: valueRef(true)}))
	require.True(t, func() bool {
		for _, h := range all {
			if hasShare(h, ledger) {
				return true
			}
		}
		return false
	}(), "the default list has the Ledger export's ledger-derived balances")

	reported := everyItem(t, user.ListHoldings(ctx, kryptos.HoldingsParams{IncludeSpam: valueRef(true), ExcludeCalculatedBalances: valueRef(true)}))
	require.NotEmpty(t, reported, "the Ethereum wallet has provider-reported balances")
	for _, h := range reported {
		assert.False(t, hasShare(h, ledger), "%s: a CSV-only account has no provider-reported balance to keep", h.Asset.Symbol)
	}
}
