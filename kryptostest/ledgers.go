package kryptostest

import (
	"cmp"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/kryptos-connect/kryptos-go"
)

// The ledgers family (DATA-API.md §5.8): every leg of the user's visible
// transactions as a ledger entry, with its running balance and average-cost
// gains; the bare envelope with meta {total, limit, offset} and no hasMore;
// nested errors. Lists come from the user's transactionIndex, like
// transactions'.

// GET /v1/ledgers
func (s *Server) listLedgers(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeTransactionsRead})
	if !ok {
		return
	}
	iq, e := parseIndexQuery(req.q, "timestamp", "createdAt")
	if e != nil {
		writeNestedAPIError(w, e)
		return
	}
	f, e := parseLedgerFilter(req.q)
	if e != nil {
		writeNestedAPIError(w, e)
		return
	}
	ix := s.transactionIndex(req.user, req.now)
	list := ix.cachedList(txListKey("ledgers", req.q), func() []int32 {
		var list []int32
		for _, lr := range ix.legs {
			if f.match(lr) {
				list = append(list, lr.pos)
			}
		}
		sortLedgers(ix, list, iq.sortBy, iq.asc)
		return list
	})
	from, to := window(len(list), iq.offset, iq.limit)
	data := make([]ledgerJSON, 0, to-from)
	for _, pos := range list[from:to] {
		data = append(data, ledgerOf(ix.legs[pos], req.user.workspace.id))
	}
	writeBare(w, data, map[string]any{"total": len(list), "limit": iq.limit, "offset": iq.offset})
}

// sortLedgers orders list, which is in the index's order (newest
// transaction first, each one's legs incoming, outgoing, then fee), by
// sortBy. Entries of one transaction share its time and stay together in
// their order; ties between transactions keep the index's order, reversed
// when ascending.
func sortLedgers(ix *transactionIndex, list []int32, sortBy string, asc bool) {
	key := func(lr *legRow) int64 { return lr.leg.tx.at.UnixMilli() }
	if sortBy == "createdAt" {
		key = func(lr *legRow) int64 { return lr.row.createdAt.UnixMilli() }
	}
	if sortBy == "timestamp" && !asc {
		return // the index's own order
	}
	slices.SortStableFunc(list, func(a, b int32) int {
		la, lb := ix.legs[a], ix.legs[b]
		ka, kb := key(la), key(lb)
		if asc {
			ka, kb = kb, ka
		}
		switch {
		case ka > kb:
			return -1
		case ka < kb:
			return 1
		case la.row == lb.row:
			return cmp.Compare(la.pos, lb.pos)
		case asc:
			return cmp.Compare(lb.row.pos, la.row.pos)
		}
		return cmp.Compare(la.row.pos, lb.row.pos)
	})
}

// ledgerFilter is the filters of GET /v1/ledgers, parsed.
type ledgerFilter struct {
	transactions, assets, types, providers txSet
	missingPrice, missingAsset             *bool
	start, end                             *int64
	// below and above are ltAfterBalance and gtAfterBalance, exact.
	below, above *big.Rat
}

func parseLedgerFilter(q url.Values) (*ledgerFilter, *apiError) {
	f := &ledgerFilter{}
	var e *apiError
	for _, l := range []struct {
		set     *txSet
		name    string
		norm    func(string) string
		allowed []string
	}{
		{&f.transactions, "transactionIds", nil, nil}, {&f.assets, "assetIds", nil, nil},
		{&f.types, "types", nil, txLegKinds}, {&f.providers, "providers", strings.ToLower, nil},
	} {
		if *l.set, e = txListParam(q, l.name, l.norm, l.allowed...); e != nil {
			return nil, e
		}
	}
	for _, fl := range []struct {
		v    **bool
		name string
	}{{&f.missingPrice, "hasMissingPrice"}, {&f.missingAsset, "hasMissingAsset"}} {
		v, set, e := boolParam(q, fl.name)
		if e != nil {
			return nil, e
		}
		if set {
			*fl.v = &v
		}
	}
	if f.start, e = txMillisParam(q, "startTime"); e != nil {
		return nil, e
	}
	if f.end, e = txMillisParam(q, "endTime"); e != nil {
		return nil, e
	}
	if f.below, e = ledgerDecimalParam(q, "ltAfterBalance"); e != nil {
		return nil, e
	}
	if f.above, e = ledgerDecimalParam(q, "gtAfterBalance"); e != nil {
		return nil, e
	}
	return f, nil
}

// ledgerDecimal is the form of the decimal-string parameters: "0",
// "-0.000001", "1e3".
var ledgerDecimal = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,5})?$`)

// ledgerDecimalParam reads a decimal-string parameter exactly; nil when absent.
func ledgerDecimalParam(q url.Values, name string) (*big.Rat, *apiError) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	r, ok := new(big.Rat).SetString(v)
	if len(v) > 128 || !ledgerDecimal.MatchString(v) || !ok {
		return nil, validation(name, "must be a decimal number such as 0, -0.000001 or 1e3")
	}
	return r, nil
}

// match reports whether the entry passes every filter. The running
// balance is compared exactly: every entry of the sandbox has one.
func (f *ledgerFilter) match(lr *legRow) bool {
	l, in := lr.leg, lr.row.in
	switch {
	case f.transactions != nil && !f.transactions[l.tx.id]:
		return false
	case f.assets != nil && !f.assets[l.asset.id], f.types != nil && !f.types[l.kind]:
		return false
	case f.providers != nil && !f.providers[in.provider.id]:
		return false
	case !txFlagMatches(f.missingPrice, l.price <= 0), !txFlagMatches(f.missingAsset, false):
		return false
	case f.start != nil && l.tx.at.UnixMilli() < *f.start, f.end != nil && l.tx.at.UnixMilli() > *f.end:
		return false
	}
	if f.below != nil || f.above != nil {
		after := new(big.Rat).SetFrac64(l.after, scale(l.asset))
		if (f.below != nil && after.Cmp(f.below) >= 0) || (f.above != nil && after.Cmp(f.above) <= 0) {
			return false
		}
	}
	return true
}

// GET /v1/ledgers/{ledgerId}
func (s *Server) getLedger(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeTransactionsRead})
	if !ok {
		return
	}
	lr := s.transactionIndex(req.user, req.now).legByID[r.PathValue("ledgerId")]
	if lr == nil {
		writeNested(w, http.StatusNotFound, "NOT_FOUND", "Ledger not found")
		return
	}
	writeBare(w, ledgerOf(lr, req.user.workspace.id), nil)
}

// ledgerJSON is a ledger entry as the data API sends it: its leg, with
// what only ledgers carry.
type ledgerJSON struct {
	legJSON
	TransactionID string  `json:"transactionId"`
	WorkspaceID   string  `json:"workspaceId"`
	Type          string  `json:"type"`
	Timestamp     int64   `json:"timestamp"`
	WalletID      string  `json:"walletId"`
	SyncID        *string `json:"syncId"`
	IsEdited      bool    `json:"isEdited"`
	BeforeBalance *string `json:"beforeBalance"`
	AfterBalance  *string `json:"afterBalance"`
	Costbasis     *string `json:"costbasis"`
	Proceeds      *string `json:"proceeds"`
	Profit        *string `json:"profit"`
}

// ledgerOf is a ledger entry. Proceeds and profit are null for what came
// in: nothing was disposed of.
func ledgerOf(lr *legRow, workspaceID string) ledgerJSON {
	l, row := lr.leg, lr.row
	before, after, costbasis := decimalText(l.before, l.asset), decimalText(l.after, l.asset), usd(l.costbasis)
	out := ledgerJSON{
		legJSON: legOf(l, row), TransactionID: l.tx.id, WorkspaceID: workspaceID, Type: l.kind, Timestamp: millis(l.tx.at),
		WalletID: row.in.walletID, BeforeBalance: &before, AfterBalance: &after, Costbasis: &costbasis,
	}
	if row.saved != nil {
		out.SyncID = &row.saved.id
	}
	if l.hasGains {
		proceeds, profit := usd(l.proceeds), usd(l.profit)
		out.Proceeds, out.Profit = &proceeds, &profit
	}
	return out
}
