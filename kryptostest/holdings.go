package kryptostest

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// Holdings and calculated balances (DATA-API.md §5.3), computed at request
// time from the integrations' histories.
//
// Each integration has two kinds of balance. The provider-reported one is
// what the chain or exchange says the account holds now: the balance after
// the integration's whole history, once a sync has reached the provider.
// The ledger-derived (calculated) one replays the transactions the syncs
// saved, which a Guest's transaction cap may have cut short, so the two
// differ exactly when history is missing. CSV imports have only the
// calculated kind. The cost basis and transaction counts always come from
// the saved ledgers: an asset the provider reports but no saved
// transaction explains has an unknown basis (0, and a null ROI).

// balanceMode says which kind of balance a list shows.
type balanceMode uint8

const (
	// bothBalances: provider-reported where there is one, ledger-derived
	// for CSV imports (the default of /v1/holdings).
	bothBalances balanceMode = iota
	// calculatedOnly: ledger-derived for every integration
	// (calculatedBalances=true, /v1/calculated-balances).
	calculatedOnly
	// reportedOnly: provider-reported only (excludeCalculatedBalances=true).
	reportedOnly
)

// ledgerTally is what replaying an integration's transactions finds for
// one asset.
type ledgerTally struct {
	qty  int64   // base units after the last leg
	cost float64 // USD cost basis of what is held, average cost
	txs  int     // transactions with a leg in the asset
	last time.Time
	// negative: the running balance went below zero, as it does when the
	// ledgers miss an earlier acquisition.
	negative bool
}

// tallyLedgers replays txs, oldest first, per asset.
func tallyLedgers(txs []*txRecord) map[*assetInfo]*ledgerTally {
	out := map[*assetInfo]*ledgerTally{}
	for _, tx := range txs {
		var touched []*assetInfo
		for _, l := range tx.legs() {
			t := out[l.asset]
			if t == nil {
				t = &ledgerTally{}
				out[l.asset] = t
			}
			t.qty = l.after
			t.negative = t.negative || l.after < 0
			if l.kind == "incoming" {
				t.cost += l.costbasis
			} else {
				t.cost -= l.costbasis
			}
			t.last = tx.at
			if !slices.Contains(touched, l.asset) {
				touched = append(touched, l.asset)
				t.txs++
			}
		}
	}
	return out
}

// holdingPart is what one integration holds of one asset, in one kind of
// balance.
type holdingPart struct {
	in    *integration
	asset *assetInfo
	qty   int64
	tally ledgerTally // from the saved ledgers; zero when none
}

// holdingParts returns the balances of the integrations at now, in mode,
// ordered by integration and then by the asset's first appearance.
func (s *Server) holdingParts(ins []*integration, mode balanceMode, now time.Time) []*holdingPart {
	var out []*holdingPart
	for _, in := range ins {
		if in.lastFinished(&s.cfg, now) == nil {
			continue // no sync has reached the provider yet
		}
		saved := tallyLedgers(in.visible(&s.cfg, now))
		reported := mode == reportedOnly || (mode == bothBalances && in.kind != "csv")
		if mode == reportedOnly && in.kind == "csv" {
			continue // a CSV import has no provider to report a balance
		}
		qtys := saved
		if reported {
			qtys = tallyLedgers(in.history)
		}
		for _, a := range assets { // catalogue order: deterministic
			q := qtys[a]
			if q == nil || q.qty <= 0 {
				continue
			}
			p := &holdingPart{in: in, asset: a, qty: q.qty}
			if t := saved[a]; t != nil {
				p.tally = *t
				p.tally.cost = max(p.tally.cost, 0)
			}
			out = append(out, p)
		}
	}
	return out
}

// holdingRow is one asset's holding over several integrations.
type holdingRow struct {
	asset *assetInfo
	parts []*holdingPart
	base  int64   // base units
	qty   float64 // units
	cost  float64 // USD, rounded to cents
	txs   int
	last  time.Time
	// missing: some integration's replay went below zero.
	missing bool
}

func (h *holdingRow) value() float64 { return round2(h.qty * h.asset.price) }

// holdingRows groups parts by asset, in catalogue order.
func holdingRows(parts []*holdingPart) []*holdingRow {
	var rows []*holdingRow
	byAsset := map[*assetInfo]*holdingRow{}
	for _, a := range assets {
		for _, p := range parts {
			if p.asset != a {
				continue
			}
			h := byAsset[a]
			if h == nil {
				h = &holdingRow{asset: a}
				byAsset[a] = h
				rows = append(rows, h)
			}
			h.parts = append(h.parts, p)
			h.base += p.qty
			h.cost += p.tally.cost
			h.txs += p.tally.txs
			if p.tally.last.After(h.last) {
				h.last = p.tally.last
			}
			h.missing = h.missing || p.tally.negative
		}
	}
	for _, h := range rows {
		// Summed in base units, so that the total has no float noise.
		h.qty, h.cost = units(h.base, h.asset), round2(h.cost)
	}
	return rows
}

// holdingsQuery is a list request's filters, sort and paging.
type holdingsQuery struct {
	portfolio     *portfolio
	integrationID string
	assetIDs      []string
	search        string
	minValue      float64
	includeSpam   bool
	xstocks       bool
	sortBy, order string
	offset, limit int
	rates         bool
	mode          balanceMode
}

// readHoldingsQuery reads the query parameters of the four list endpoints
// (DATA-API.md §5.3). calculated is true for /v1/calculated-balances,
// where every balance is ledger-derived: calculatedBalances changes
// nothing there, and excludeCalculatedBalances leaves nothing.
func readHoldingsQuery(r *http.Request, u *user, calculated bool) (hq holdingsQuery, empty bool, e *apiError) {
	q := r.URL.Query()
	if hq.offset, hq.limit, e = offsetPage(q, 50, 1000); e != nil {
		return hq, false, e
	}
	if v := q.Get("minValue"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			return hq, false, validation("minValue", "must be a number of at least 0")
		}
		hq.minValue = f
	}
	var calc, exclude bool
	for _, flag := range []struct {
		name string
		to   *bool
	}{{"includeSpam", &hq.includeSpam}, {"calculatedBalances", &calc}, {"excludeCalculatedBalances", &exclude}} {
		if *flag.to, _, e = boolParam(q, flag.name); e != nil {
			return hq, false, e
		}
	}
	if calc && exclude {
		return hq, false, validation("excludeCalculatedBalances", "cannot be true together with calculatedBalances")
	}
	typ, e := oneOfParam(q, "type", "all", "all", "xstocks")
	if e != nil {
		return hq, false, e
	}
	hq.xstocks = typ == "xstocks"
	if hq.sortBy, e = oneOfParam(q, "sortBy", "value", "value", "quantity", "name", "24hrChange", "txnCount"); e != nil {
		return hq, false, e
	}
	if hq.order, e = oneOfParam(q, "sortOrder", "desc", "asc", "desc"); e != nil {
		return hq, false, e
	}
	rates, e := oneOfParam(q, "rates", "true", "true", "false")
	if e != nil {
		return hq, false, e
	}
	hq.rates = rates == "true"
	switch {
	case calculated:
		hq.mode, empty = calculatedOnly, exclude
	case calc:
		hq.mode = calculatedOnly
	case exclude:
		hq.mode = reportedOnly
	}
	pid := r.PathValue("portfolioId")
	if pid == "" {
		pid = q.Get("portfolioId")
	}
	if pid != "" {
		if hq.portfolio = u.portfolio(pid); hq.portfolio == nil {
			return hq, false, errorf(http.StatusNotFound, "NOT_FOUND", "Portfolio not found")
		}
	}
	hq.integrationID = q.Get("integrationId")
	hq.assetIDs = listParam(q, "assetIds")
	hq.search = strings.ToLower(strings.TrimSpace(q.Get("search")))
	return hq, empty, nil
}

// keeps reports whether a holding passes the query's filters.
func (hq *holdingsQuery) keeps(h *holdingRow) bool {
	a := h.asset
	switch {
	case len(hq.assetIDs) > 0 && !slices.Contains(hq.assetIDs, a.id),
		hq.search != "" && !strings.Contains(strings.ToLower(a.symbol), hq.search) && !strings.Contains(strings.ToLower(a.name), hq.search),
		a.spam && !hq.includeSpam,
		// No asset of the catalogue is a tokenized stock.
		hq.xstocks && a.category != "xstocks",
		h.value() < hq.minValue:
		return false
	}
	return true
}

// sortHoldings orders rows by the query's key and direction; ties go by
// asset id, so that pages never overlap.
func (hq *holdingsQuery) sortHoldings(rows []*holdingRow) {
	key := func(a, b *holdingRow) int {
		switch hq.sortBy {
		case "quantity":
			return cmp.Compare(a.qty, b.qty)
		case "name":
			return cmp.Compare(strings.ToLower(a.asset.name), strings.ToLower(b.asset.name))
		case "24hrChange":
			// The percentage, as v1's 24hrChange field was.
			return cmp.Compare(a.asset.change24h, b.asset.change24h)
		case "txnCount":
			return cmp.Compare(a.txs, b.txs)
		}
		return cmp.Compare(a.value(), b.value())
	}
	slices.SortStableFunc(rows, func(a, b *holdingRow) int {
		c := key(a, b)
		if hq.order == "desc" {
			c = -c
		}
		if c == 0 {
			c = strings.Compare(a.asset.id, b.asset.id)
		}
		return c
	})
}

// holdingIntegrations returns the integrations a request covers: those of
// its portfolio, or all of the user's, narrowed to one when integrationID
// is set.
func holdingIntegrations(u *user, pf *portfolio, integrationID string) []*integration {
	var out []*integration
	for _, in := range u.integrationsIn(pf) {
		if integrationID == "" || in.walletID == integrationID {
			out = append(out, in)
		}
	}
	return out
}

// GET /v1/holdings and GET /v1/holdings/portfolio/{portfolioId}: the
// flattened list {success, data, totalCount, offset, limit, hasMore,
// totalValue}, one holding per asset.
func (s *Server) listHoldings(w http.ResponseWriter, r *http.Request) {
	s.serveHoldings(w, r, false)
}

// GET /v1/calculated-balances and its portfolio form: the same list, of
// ledger-derived balances only, with isMissingTransactionHistory and
// lastLedgerTimestamp.
func (s *Server) listCalculatedBalances(w http.ResponseWriter, r *http.Request) {
	s.serveHoldings(w, r, true)
}

func (s *Server) serveHoldings(w http.ResponseWriter, r *http.Request, calculated bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopePortfoliosRead})
	if !ok {
		return
	}
	hq, empty, e := readHoldingsQuery(r, req.user, calculated)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	var rows []*holdingRow
	if !empty {
		parts := s.holdingParts(holdingIntegrations(req.user, hq.portfolio, hq.integrationID), hq.mode, req.now)
		for _, h := range holdingRows(parts) {
			if hq.keeps(h) {
				rows = append(rows, h)
			}
		}
	}
	hq.sortHoldings(rows)
	var total float64
	for _, h := range rows {
		total += h.value() // token holdings only: the sandbox has no NFT or DeFi rows here
	}
	from, to := window(len(rows), hq.offset, hq.limit)
	data := make([]map[string]any, 0, to-from)
	for _, h := range rows[from:to] {
		data = append(data, holdingJSON(h, hq.rates, hq.mode == calculatedOnly, calculated))
	}
	fields := map[string]any{"totalCount": len(rows), "offset": hq.offset, "limit": hq.limit, "hasMore": to < len(rows)}
	if hq.rates {
		fields["totalValue"] = round2(total)
	}
	writeFlat(w, data, fields)
}

// GET /v1/holdings/{assetId} and GET
// /v1/holdings/portfolio/{portfolioId}/holdings/{assetId}: one holding,
// {success, data}, with both kinds of balance and live prices, as the list
// has them by default; asked for by id, a spam asset is shown too. An
// asset not held, or an unknown portfolio, is the documented code-less 404
// {"success": false, "error": "Not found"}.
func (s *Server) getHolding(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopePortfoliosRead})
	if !ok {
		return
	}
	var pf *portfolio
	if pid := r.PathValue("portfolioId"); pid != "" {
		if pf = req.user.portfolio(pid); pf == nil {
			writeNotFound(w, "Not found")
			return
		}
	}
	id := r.PathValue("assetId")
	for _, h := range holdingRows(s.holdingParts(req.user.integrationsIn(pf), bothBalances, req.now)) {
		if h.asset.id == id {
			writeData(w, http.StatusOK, holdingJSON(h, true, false, false))
			return
		}
	}
	writeNotFound(w, "Not found")
}

// holdingJSON is a holding as the data API sends it. Without rates the
// live-price fields are left out. Ledger-derived balances add
// isMissingTransactionHistory; lastLedgerTimestamp comes on the
// calculated-balances endpoints only (DATA-API.md §5.3: "calculated-balances
// only", against "calculated-balances / calculatedBalances=true only" for
// isMissingTransactionHistory).
func holdingJSON(h *holdingRow, rates, calculated, calculatedEndpoint bool) map[string]any {
	a := h.asset
	shares := make([]map[string]any, len(h.parts))
	for i, p := range h.parts {
		q := units(p.qty, a)
		shares[i] = map[string]any{
			"integrationId": p.in.walletID, "quantity": q, "account": accountJSON(p.in),
			"allocationPercentage": round2(q / h.qty * 100), "transactionCount": p.tally.txs,
			"portfolioId": p.in.portfolio.id, "portfolioName": p.in.portfolio.name,
		}
	}
	out := map[string]any{
		"assetId": a.id, "asset": holdingAssetJSON(a), "totalQuantity": h.qty, "costBasis": h.cost,
		"baseCurrency": "USD", "isSpam": a.spam, "transactionCount": h.txs, "assetDistribution": shares,
	}
	if rates {
		value := h.value()
		out["marketPrice"], out["marketValue"] = a.price, value
		out["costPerUnit"], out["roiPercentage"] = 0.0, nil // no basis: unknown, not 0 %
		if h.cost > 0 {
			out["costPerUnit"] = math.Round(h.cost/h.qty*1e8) / 1e8
			out["roiPercentage"] = round2((value - h.cost) / h.cost * 100)
		}
		out["unrealizedPnL"] = round2(value - h.cost)
		// The value 24 hours ago is today's over (1 + the price change).
		out["change24h"] = round2(value - value/(1+a.change24h/100))
		out["change24hPercentage"] = a.change24h
	}
	if calculated {
		out["isMissingTransactionHistory"] = h.missing
	}
	if calculatedEndpoint {
		out["lastLedgerTimestamp"] = nil
		if !h.last.IsZero() {
			out["lastLedgerTimestamp"] = millis(h.last)
		}
	}
	return out
}

// holdingAssetJSON is a holding's asset. Holdings type assets crypto, nft
// or fiat (DATA-API.md §8.14): a stablecoin is crypto here.
func holdingAssetJSON(a *assetInfo) map[string]any {
	typ := a.typ
	if typ == "stablecoin" {
		typ = "crypto"
	}
	out := map[string]any{"tokenId": a.tokenID, "symbol": a.symbol, "publicName": a.name, "logoUrl": a.logo(), "type": typ}
	if a.chainID != "" {
		out["chainId"] = a.chainID
	}
	if a.contract != "" {
		out["contractAddress"] = a.contract
	}
	return out
}
