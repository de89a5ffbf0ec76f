package kryptostest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// The transactions family (DATA-API.md §5.7): the user's visible history,
// every documented filter, sort and paging parameter, the bare {data, meta}
// envelope and the nested {error: {code, message}} errors.
//
// A user's history may hold 100,000 transactions per integration
// (WithPortfolioSize), so the handlers never scan or render it whole per
// page: the user's transactionIndex derives what every filter needs once
// per state of their syncs, and keeps the filtered, sorted lists of recent
// queries, which each page slices.

// transactionIndex is the data API's view of one user's transactions and
// ledger entries at one state of their syncs.
type transactionIndex struct {
	// version names the state of the syncs it was built from.
	version string
	// txs are the visible transactions, newest first, as s.transactions
	// orders them; legs their legs in that order, each transaction's
	// incoming, outgoing then fee legs.
	txs     []*txRow
	byID    map[string]*txRow
	legs    []*legRow
	legByID map[string]*legRow
	// lists are the filtered, sorted lists of recent queries (without
	// offset and limit), as positions in txs or legs.
	lists     map[string][]int32
	listOrder []string
}

// maxCachedLists bounds the lists an index keeps: the oldest goes first.
const maxCachedLists = 16

// txRow is a transaction with what the filters, sorts and answers derive
// from it.
type txRow struct {
	tx *txRecord
	in *integration
	// saved is the sync job that first saved the transaction: its syncId,
	// and its end is the transaction's importedAt and createdAt.
	saved     *job
	createdAt time.Time
	pos       int32
	// netValue is the fiat value of what came in (of what went out when
	// nothing came in); priced is false when a leg of that side has no
	// price, and the API's fiatValue null.
	netValue float64
	priced   bool
	// costbasis is the cost of what was disposed of (of what was acquired
	// when nothing was), gains the gains on the disposals.
	costbasis, gains float64
	defi             bool
	missingPrice     bool
	missingTx        bool
	// text is what the search parameter looks in, lower-cased.
	text string
}

// legRow is one ledger entry.
type legRow struct {
	leg *legRecord
	row *txRow
	pos int32
}

// txImportType is the importSource.type of the integration's transactions.
func txImportType(in *integration) string {
	if in.kind == "csv" {
		return "CSV"
	}
	return "API"
}

// syncVersion names what is visible of the user's history at now: which of
// each integration's syncs have finished and saved something.
func (s *Server) syncVersion(u *user, now time.Time) string {
	var b strings.Builder
	for _, in := range u.integrations {
		b.WriteString(in.walletID)
		b.WriteByte(':')
		for _, j := range in.jobs {
			if st := j.status(&s.cfg, now); st == syncCompleted || st == syncPartial {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		}
		b.WriteByte(';')
	}
	return b.String()
}

// transactionIndex returns the user's index at now, rebuilt when a sync
// finished since it was built. The caller holds s.mu.
func (s *Server) transactionIndex(u *user, now time.Time) *transactionIndex {
	version := s.syncVersion(u, now)
	if ix := u.txIndex; ix != nil && ix.version == version {
		return ix
	}
	// Which finished sync first saved each transaction: syncs save a prefix
	// of the history, each as much as the transaction cap left room for.
	savedBy := map[*txRecord]*job{}
	for _, in := range u.integrations {
		done := 0
		for _, j := range in.jobs {
			if st := j.status(&s.cfg, now); st != syncCompleted && st != syncPartial {
				continue
			}
			for _, tx := range in.history[done:max(done, j.saved)] {
				savedBy[tx] = j
			}
			done = max(done, j.saved)
		}
	}
	visible := s.transactions(u, now)
	ix := &transactionIndex{version: version, txs: make([]*txRow, len(visible)), byID: make(map[string]*txRow, len(visible)),
		legByID: map[string]*legRow{}, lists: map[string][]int32{}}
	for i, ut := range visible {
		row := newTxRow(ut, savedBy[ut.tx], &s.cfg)
		row.pos = int32(i)
		ix.txs[i] = row
		ix.byID[row.tx.id] = row
		for _, l := range ut.tx.legs() {
			lr := &legRow{leg: l, row: row, pos: int32(len(ix.legs))}
			ix.legs = append(ix.legs, lr)
			ix.legByID[l.id] = lr
		}
	}
	u.txIndex = ix
	return ix
}

func newTxRow(ut userTx, saved *job, cfg *config) *txRow {
	tx := ut.tx
	row := &txRow{tx: tx, in: ut.in, saved: saved, priced: true}
	if saved != nil {
		row.createdAt = saved.finishedAt(cfg)
	}
	valued := tx.in
	if len(valued) == 0 {
		valued = tx.out
	}
	for _, l := range valued {
		row.priced = row.priced && l.price > 0
		row.netValue += l.value()
	}
	row.netValue = round2(row.netValue)
	disposals := append(append([]*legRecord(nil), tx.out...), tx.fee...)
	if len(disposals) == 0 {
		for _, l := range tx.in {
			row.costbasis += l.costbasis
		}
	}
	for _, l := range disposals {
		row.costbasis += l.costbasis
		row.gains += l.profit
	}
	row.costbasis, row.gains = round2(row.costbasis), round2(row.gains)
	// A staking reward received on a chain is a DeFi transaction.
	row.defi = tx.label == "Staking Reward" && ut.in.provider.chain != ""
	text := []string{tx.id, tx.hash, tx.label, tx.desc, tx.apiType()}
	for _, l := range tx.legs() {
		row.missingPrice = row.missingPrice || l.price <= 0
		row.missingTx = row.missingTx || l.after < 0
		text = append(text, l.asset.symbol, l.asset.name)
	}
	row.text = strings.ToLower(strings.Join(text, "\x00"))
	return row
}

// cachedList returns the list of query key, building it with build when
// the index does not hold it.
func (ix *transactionIndex) cachedList(key string, build func() []int32) []int32 {
	if list, ok := ix.lists[key]; ok {
		return list
	}
	list := build()
	if len(ix.listOrder) >= maxCachedLists {
		delete(ix.lists, ix.listOrder[0])
		ix.listOrder = ix.listOrder[1:]
	}
	ix.lists[key] = list
	ix.listOrder = append(ix.listOrder, key)
	return list
}

// txListKey is a query without its paging parameters, for cachedList.
func txListKey(family string, q url.Values) string {
	rest := url.Values{}
	for k, v := range q {
		if k != "offset" && k != "limit" {
			rest[k] = v
		}
	}
	return family + "?" + rest.Encode()
}

// GET /v1/transactions
func (s *Server) listTransactions(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeTransactionsRead})
	if !ok {
		return
	}
	iq, e := parseIndexQuery(req.q, "timestamp", "netValue", "totalGains", "createdAt")
	if e != nil {
		writeNestedAPIError(w, e)
		return
	}
	f, e := parseTxFilter(req.q)
	if e != nil {
		writeNestedAPIError(w, e)
		return
	}
	ix := s.transactionIndex(req.user, req.now)
	list := ix.cachedList(txListKey("transactions", req.q), func() []int32 {
		var list []int32
		for _, row := range ix.txs {
			if f.match(row) {
				list = append(list, row.pos)
			}
		}
		sortTransactions(ix, list, iq.sortBy, iq.asc)
		return list
	})
	from, to := window(len(list), iq.offset, iq.limit)
	data := make([]txJSON, 0, to-from)
	for _, pos := range list[from:to] {
		data = append(data, transactionJSON(ix.txs[pos], req.user.workspace.id))
	}
	writeBare(w, data, map[string]any{"limit": iq.limit, "offset": iq.offset, "hasMore": to < len(list), "total": len(list)})
}

// indexQuery is the paging and order of a list read from the user's
// transaction index (transactions, ledgers): offset and limit (50 by
// default, at most 200), sortBy, and sortOrder desc (the default) or asc.
type indexQuery struct {
	offset, limit int
	sortBy        string
	asc           bool
}

// parseIndexQuery reads an indexQuery whose sortBy is one of sortKeys, the
// first being the default.
func parseIndexQuery(q url.Values, sortKeys ...string) (indexQuery, *apiError) {
	var iq indexQuery
	var e *apiError
	if iq.offset, iq.limit, e = offsetPage(q, 50, 200); e != nil {
		return iq, e
	}
	if iq.sortBy, e = oneOfParam(q, "sortBy", sortKeys[0], sortKeys...); e != nil {
		return iq, e
	}
	order, e := oneOfParam(q, "sortOrder", "desc", "asc", "desc")
	iq.asc = order == "asc"
	return iq, e
}

// sortTransactions orders list, which is in the index's order (newest
// first), by sortBy. Ties keep the index's order, and an txAscending list is
// the descending one reversed, so that pages of either never overlap.
// Unpriced transactions have no net value: they come last either way.
func sortTransactions(ix *transactionIndex, list []int32, sortBy string, asc bool) {
	var key func(*txRow) float64
	switch sortBy {
	case "netValue":
		key = func(r *txRow) float64 { return r.netValue }
	case "totalGains":
		key = func(r *txRow) float64 { return r.gains }
	case "createdAt":
		key = func(r *txRow) float64 { return float64(r.createdAt.UnixMilli()) }
	}
	all, unpriced := list, []int32(nil)
	if sortBy == "netValue" {
		priced := list[:0]
		for _, pos := range all {
			if ix.txs[pos].priced {
				priced = append(priced, pos)
			} else {
				unpriced = append(unpriced, pos)
			}
		}
		list = priced
	}
	if key != nil {
		slices.SortStableFunc(list, func(a, b int32) int {
			ka, kb := key(ix.txs[a]), key(ix.txs[b])
			switch {
			case ka > kb:
				return -1
			case ka < kb:
				return 1
			}
			return 0
		})
	}
	if asc {
		slices.Reverse(list)
		slices.Reverse(unpriced)
	}
	copy(all[len(list):], unpriced)
}

// txFilter is the filters of GET /v1/transactions, parsed.
type txFilter struct {
	labels, notLabels         txSet
	types, notTypes           txSet
	wallets, notWallets       txSet
	assets, notAssets         txSet
	providers, notProviders   txSet
	imports, notImports       txSet
	ledgerTypes, notLedgers   txSet
	tags, notTags             txSet
	from, notFrom, to, notTo  txSet
	addresses                 txSet
	includeSpam, includeIgnr  bool
	defi, nft, manual, edited *bool
	missingPrice, missingAsst *bool
	missingTx                 *bool
	highPnL, uncatIgnored     *bool
	missingPriceIgnored       *bool
	start, end                *int64
	minValue, maxValue, gains *float64
	search                    string
	coaTag, coaSync           string
}

// txSet is the values of a comma-separated list parameter; nil when the
// parameter was not sent.
type txSet map[string]bool

// txListParam reads a list parameter into a set, normalising each value with
// norm; allowed, when given, are the only values accepted.
func txListParam(q url.Values, name string, norm func(string) string, allowed ...string) (txSet, *apiError) {
	values := listParam(q, name)
	if len(values) == 0 {
		return nil, nil
	}
	set := txSet{}
	for _, v := range values {
		v = strings.TrimSpace(v)
		if len(allowed) > 0 && !slices.Contains(allowed, v) {
			return nil, validation(name, "entries must be among "+strings.Join(allowed, ", "))
		}
		if norm != nil {
			v = norm(v)
		}
		set[v] = true
	}
	return set, nil
}

// hasAny reports whether one of values is in the set.
func (s txSet) hasAny(values ...string) bool {
	for _, v := range values {
		if s[v] {
			return true
		}
	}
	return false
}

// txAddress normalises an on-chain address: EVM addresses are
// case-insensitive hex, Solana's base58 addresses are not.
func txAddress(a string) string {
	if strings.HasPrefix(a, "0x") || strings.HasPrefix(a, "0X") {
		return strings.ToLower(a)
	}
	return a
}

func parseTxFilter(q url.Values) (*txFilter, *apiError) {
	f := &txFilter{}
	var e *apiError
	lists := []struct {
		set     *txSet
		name    string
		norm    func(string) string
		allowed []string
	}{
		{&f.labels, "labels", strings.ToLower, nil}, {&f.notLabels, "notLabels", strings.ToLower, nil},
		{&f.types, "types", nil, txTypes}, {&f.notTypes, "notTypes", nil, txTypes},
		{&f.wallets, "walletIds", nil, nil}, {&f.notWallets, "notWalletIds", nil, nil},
		{&f.assets, "assetIds", nil, nil}, {&f.notAssets, "notAssetIds", nil, nil},
		{&f.providers, "providers", strings.ToLower, nil}, {&f.notProviders, "notProviders", strings.ToLower, nil},
		{&f.imports, "importSourceTypes", nil, txImportTypes}, {&f.notImports, "notImportSourceTypes", nil, txImportTypes},
		{&f.ledgerTypes, "ledgerTypes", nil, txLegKinds}, {&f.notLedgers, "notLedgerTypes", nil, txLegKinds},
		{&f.tags, "tags", nil, nil}, {&f.notTags, "notTags", nil, nil},
		{&f.from, "fromAddresses", txAddress, nil}, {&f.notFrom, "notFromAddresses", txAddress, nil},
		{&f.to, "toAddresses", txAddress, nil}, {&f.notTo, "notToAddresses", txAddress, nil},
		{&f.addresses, "addresses", txAddress, nil},
	}
	for _, l := range lists {
		if *l.set, e = txListParam(q, l.name, l.norm, l.allowed...); e != nil {
			return nil, e
		}
	}
	flags := []struct {
		v    **bool
		name string
	}{
		{&f.defi, "isDefiTrx"}, {&f.nft, "isNFTTrx"}, {&f.manual, "isManual"}, {&f.edited, "isEdited"},
		{&f.missingPrice, "hasMissingPrice"}, {&f.missingAsst, "hasMissingAsset"}, {&f.missingTx, "isMissingTransaction"},
		{&f.highPnL, "isHighPnLReviewed"}, {&f.uncatIgnored, "isUncategorisedIgnored"}, {&f.missingPriceIgnored, "isMissingPriceIgnored"},
	}
	for _, fl := range flags {
		v, set, e := boolParam(q, fl.name)
		if e != nil {
			return nil, e
		}
		if set {
			*fl.v = &v
		}
	}
	if f.includeSpam, _, e = boolParam(q, "includeSpam"); e != nil {
		return nil, e
	}
	if f.includeIgnr, _, e = boolParam(q, "includeIgnored"); e != nil {
		return nil, e
	}
	if f.start, e = txMillisParam(q, "startTime"); e != nil {
		return nil, e
	}
	if f.end, e = txMillisParam(q, "endTime"); e != nil {
		return nil, e
	}
	for _, n := range []struct {
		v    **float64
		name string
	}{{&f.minValue, "minValue"}, {&f.maxValue, "maxValue"}, {&f.gains, "minTotalGains"}} {
		if *n.v, e = txNumberParam(q, n.name); e != nil {
			return nil, e
		}
	}
	f.search = strings.ToLower(strings.TrimSpace(q.Get("search")))
	if f.coaTag, e = oneOfParam(q, "coaTagStatus", "", "tagged", "partial", "untagged"); e != nil {
		return nil, e
	}
	if f.coaSync, e = oneOfParam(q, "coaSyncStatus", "", "synced", "unsynced"); e != nil {
		return nil, e
	}
	return f, nil
}

var (
	txTypes       = []string{"deposit", "withdrawal", "trade", "transfer", "payment"}
	txImportTypes = []string{"API", "CSV", "Manual"}
	txLegKinds    = []string{"incoming", "outgoing", "fee"}
)

// txMillisParam reads a time parameter in Unix milliseconds; nil when absent.
func txMillisParam(q url.Values, name string) (*int64, *apiError) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms < 0 {
		return nil, validation(name, "must be a time in Unix milliseconds")
	}
	return &ms, nil
}

// txNumberParam reads a number parameter; nil when absent.
func txNumberParam(q url.Values, name string) (*float64, *apiError) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n != n || n > 1e300 || n < -1e300 {
		return nil, validation(name, "must be a number")
	}
	return &n, nil
}

// txFlagMatches reports whether a transaction with the flag got passes the
// flag parameter want: true keeps those with it, false those without.
func txFlagMatches(want *bool, got bool) bool { return want == nil || *want == got }

// match reports whether the transaction passes every filter. The
// sandbox's transactions are never manual, edited, NFT, tagged, reviewed
// or COA-tagged (its workspaces are not enterprise ones: every transaction
// is untagged and unsynced), and its catalogue resolves every asset; those
// filters keep what they would keep of such transactions.
func (f *txFilter) match(row *txRow) bool {
	tx, in := row.tx, row.in
	label := strings.ToLower(tx.label)
	switch {
	case label == "spam" && !f.includeSpam, label == "ignore" && !f.includeIgnr:
		return false
	case f.labels != nil && !f.labels[label], f.notLabels[label]:
		return false
	case f.types != nil && !f.types[tx.apiType()], f.notTypes[tx.apiType()]:
		return false
	case f.wallets != nil && !f.wallets[in.walletID], f.notWallets[in.walletID]:
		return false
	case f.providers != nil && !f.providers[in.provider.id], f.notProviders[in.provider.id]:
		return false
	case f.imports != nil && !f.imports[txImportType(in)], f.notImports[txImportType(in)]:
		return false
	case f.tags != nil: // no transaction has a tag
		return false
	case !txFlagMatches(f.defi, row.defi), !txFlagMatches(f.nft, false), !txFlagMatches(f.manual, false), !txFlagMatches(f.edited, false),
		!txFlagMatches(f.missingPrice, row.missingPrice), !txFlagMatches(f.missingAsst, false), !txFlagMatches(f.missingTx, row.missingTx),
		!txFlagMatches(f.highPnL, false), !txFlagMatches(f.uncatIgnored, false), !txFlagMatches(f.missingPriceIgnored, false):
		return false
	case f.start != nil && tx.at.UnixMilli() < *f.start, f.end != nil && tx.at.UnixMilli() > *f.end:
		return false
	case (f.minValue != nil || f.maxValue != nil) && !row.priced,
		f.minValue != nil && row.netValue < *f.minValue, f.maxValue != nil && row.netValue > *f.maxValue:
		return false
	case f.gains != nil && row.gains < *f.gains:
		return false
	case f.search != "" && !strings.Contains(row.text, f.search):
		return false
	case f.coaTag != "" && f.coaTag != "untagged", f.coaSync != "" && f.coaSync != "unsynced":
		return false
	}
	if f.assets != nil || f.notAssets != nil || f.ledgerTypes != nil || f.notLedgers != nil {
		hasAsset, hasKind := false, false
		for _, l := range tx.legs() {
			hasAsset = hasAsset || f.assets[l.asset.id]
			hasKind = hasKind || f.ledgerTypes[l.kind]
			if f.notAssets[l.asset.id] || f.notLedgers[l.kind] {
				return false
			}
		}
		if (f.assets != nil && !hasAsset) || (f.ledgerTypes != nil && !hasKind) {
			return false
		}
	}
	return f.matchAddresses(row)
}

// matchAddresses applies the address filters. A transaction of a wallet
// has the wallet's address on the sending side when it sent something
// (an outgoing or fee leg), and on the receiving side when it received
// something; the other side is a counterparty the sandbox does not name.
// Exchange and CSV transactions have no on-chain address.
func (f *txFilter) matchAddresses(row *txRow) bool {
	if f.from == nil && f.notFrom == nil && f.to == nil && f.notTo == nil && f.addresses == nil {
		return true
	}
	var from, to []string
	if own := row.in.address; row.in.provider.chain != "" && own != "" {
		if len(row.tx.out)+len(row.tx.fee) > 0 {
			from = []string{txAddress(own)}
		}
		if len(row.tx.in) > 0 {
			to = []string{txAddress(own)}
		}
	}
	switch {
	case f.from != nil && !f.from.hasAny(from...), f.notFrom.hasAny(from...):
		return false
	case f.to != nil && !f.to.hasAny(to...), f.notTo.hasAny(to...):
		return false
	case f.addresses != nil && !f.addresses.hasAny(append(from, to...)...):
		return false
	}
	return true
}

// GET /v1/transactions/counts: the docs do not show its body. The sandbox
// counts every visible transaction, Spam- and Ignore-labelled ones
// included, in total, byLabel and byType.
func (s *Server) transactionCounts(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeTransactionsRead})
	if !ok {
		return
	}
	ix := s.transactionIndex(req.user, req.now)
	byLabel, byType := map[string]int{}, map[string]int{}
	for _, row := range ix.txs {
		byLabel[row.tx.label]++
		if typ := row.tx.apiType(); typ != "" {
			byType[typ]++
		}
	}
	writeBare(w, map[string]any{"total": len(ix.txs), "byLabel": byLabel, "byType": byType}, nil)
}

// GET /v1/transactions/{transactionId}
func (s *Server) getTransaction(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeTransactionsRead})
	if !ok {
		return
	}
	row := s.transactionIndex(req.user, req.now).byID[r.PathValue("transactionId")]
	if row == nil {
		writeNested(w, http.StatusNotFound, "NOT_FOUND", "Transaction not found")
		return
	}
	writeBare(w, transactionJSON(row, req.user.workspace.id), nil)
}

// GET /v1/transactions/{transactionId}/ledgers: the three leg arrays in
// one, incoming, outgoing, then fee legs.
func (s *Server) getTransactionLedgers(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeTransactionsRead})
	if !ok {
		return
	}
	row := s.transactionIndex(req.user, req.now).byID[r.PathValue("transactionId")]
	if row == nil {
		writeNested(w, http.StatusNotFound, "NOT_FOUND", "Transaction not found")
		return
	}
	writeBare(w, legsJSON(row.tx.legs(), row), nil)
}

// writeNestedAPIError answers a refused parameter in the family's nested
// shape, {error: {code, message}}, naming the parameter in the message:
// the shape has no room for details.
func writeNestedAPIError(w http.ResponseWriter, e *apiError) {
	message := e.message
	if issues, ok := e.details["issues"].([]map[string]any); ok {
		for _, issue := range issues {
			path, _ := issue["path"].([]string)
			problem, _ := issue["message"].(string)
			message += ": " + strings.Join(path, ".") + " " + problem
		}
	}
	writeNested(w, e.status, e.code, message)
}

// The answers are encoded from structs rather than maps: a page of 200
// transactions holds some 2,000 objects, and maps cost an allocation each
// and a sort of their keys when encoded.

// txJSON is a transaction as the data API sends it.
type txJSON struct {
	ID                    string         `json:"id"`
	WorkspaceID           string         `json:"workspaceId"`
	TransactionPlatformID string         `json:"transactionPlatformId"`
	Timestamp             int64          `json:"timestamp"`
	Type                  *string        `json:"type"`
	Label                 string         `json:"label"`
	Description           string         `json:"description"`
	Notes                 *string        `json:"notes"`
	ImportSource          txImportJSON   `json:"importSource"`
	IsManual              bool           `json:"isManual"`
	IsEdited              bool           `json:"isEdited"`
	IsDefiTrx             bool           `json:"isDefiTrx"`
	IsNFTTrx              bool           `json:"isNFTTrx"`
	IsMissingTransaction  bool           `json:"isMissingTransaction"`
	Protocol              any            `json:"protocol"`
	Tags                  []string       `json:"tags"`
	Comments              []any          `json:"comments"`
	NetValue              txNetValueJSON `json:"netValue"`
	TotalCostbasis        float64        `json:"totalCostbasis"`
	TotalGains            float64        `json:"totalGains"`
	ExplorerLink          *string        `json:"explorerLink"`
	ExplorerLinkSrc       *string        `json:"explorerLinkSrc"`
	IsMergedTrx           bool           `json:"isMergedTrx"`
	TrxsMerged            []string       `json:"trxsMerged"`
	IsSplitted            bool           `json:"isSplitted"`
	IncomingAssets        []legJSON      `json:"incomingAssets"`
	OutgoingAssets        []legJSON      `json:"outgoingAssets"`
	Fee                   []legJSON      `json:"fee"`
}

type txImportJSON struct {
	Type         string  `json:"type"`
	ImportedAt   int64   `json:"importedAt"`
	WalletID     string  `json:"walletId"`
	CSVLink      *string `json:"csvLink"`
	SyncID       *string `json:"syncId"`
	FunctionName string  `json:"functionName"`
}

type txNetValueJSON struct {
	FiatValue *float64 `json:"fiatValue"`
	Currency  string   `json:"currency"`
}

// legJSON is a leg as transactions send it, and the part of a ledger entry
// that is the same.
type legJSON struct {
	ID            string         `json:"id"`
	AssetID       string         `json:"assetId"`
	AssetRaw      txAssetRawJSON `json:"assetRaw"`
	Quantity      string         `json:"quantity"`
	BaseCurrency  string         `json:"baseCurrency"`
	Price         *txPriceJSON   `json:"price"`
	Value         *float64       `json:"value"`
	FromAccount   *txAccountJSON `json:"fromAccount"`
	ToAccount     *txAccountJSON `json:"toAccount"`
	Label         string         `json:"label"`
	Description   string         `json:"description"`
	InternalLabel *string        `json:"internalLabel"`
	Asset         txAssetJSON    `json:"asset"`
}

type txAssetRawJSON struct {
	Symbol string `json:"symbol"`
}

// txPriceJSON is the valuation object priceJSON builds, as a struct.
type txPriceJSON struct {
	Price        float64 `json:"price"`
	BaseCurrency string  `json:"baseCurrency"`
	Timestamp    int64   `json:"timestamp"`
	Source       string  `json:"source"`
}

// txAccountJSON is an account as legs name it: provider and walletId only.
type txAccountJSON struct {
	Provider string `json:"provider"`
	WalletID string `json:"walletId"`
}

type txAssetJSON struct {
	Symbol  string `json:"symbol"`
	Name    string `json:"name"`
	LogoURL string `json:"logoUrl"`
	Type    string `json:"type"`
}

// transactionJSON is a transaction as the data API sends it.
func transactionJSON(row *txRow, workspaceID string) txJSON {
	tx, in := row.tx, row.in
	out := txJSON{
		ID: tx.id, WorkspaceID: workspaceID, TransactionPlatformID: tx.hash, Timestamp: millis(tx.at),
		Label: tx.label, Description: tx.desc,
		ImportSource: txImportJSON{Type: txImportType(in), ImportedAt: millis(row.createdAt), WalletID: in.walletID,
			FunctionName: txImportFunction(row)},
		IsDefiTrx: row.defi, IsMissingTransaction: row.missingTx, Tags: []string{}, Comments: []any{},
		NetValue:       txNetValueJSON{Currency: "USD"},
		TotalCostbasis: row.costbasis, TotalGains: row.gains,
		IncomingAssets: legsJSON(tx.in, row), OutgoingAssets: legsJSON(tx.out, row), Fee: legsJSON(tx.fee, row),
	}
	if typ := tx.apiType(); typ != "" {
		out.Type = &typ
	}
	if row.saved != nil {
		out.ImportSource.SyncID = &row.saved.id
	}
	if in.kind == "csv" {
		link := "https://sandbox.kryptos.invalid/csv/" + in.walletID + "/" + url.PathEscape(in.address)
		out.ImportSource.CSVLink = &link
	}
	if row.priced {
		out.NetValue.FiatValue = &row.netValue
	}
	if explorer := txExplorer(in); explorer != "" {
		link, side := explorer+tx.hash, "receiver"
		if len(tx.out)+len(tx.fee) > 0 {
			side = "sender"
		}
		out.ExplorerLink, out.ExplorerLinkSrc = &link, &side
	}
	return out
}

func legsJSON(list []*legRecord, row *txRow) []legJSON {
	out := make([]legJSON, len(list))
	for i, l := range list {
		out[i] = legOf(l, row)
	}
	return out
}

// txExplorer is the block explorer of an integration's chain, "" for
// exchanges, files and chains the sandbox has no explorer for.
func txExplorer(in *integration) string {
	switch in.provider.chain {
	case "ethereum":
		return "https://etherscan.io/tx/"
	case "solana":
		return "https://solscan.io/tx/"
	}
	return ""
}

// txImportFunction names the importer function that read a transaction.
func txImportFunction(row *txRow) string {
	switch {
	case row.in.kind == "csv":
		return "importCSV"
	case row.in.kind == "wallet":
		return "fetchTransactions"
	}
	switch row.tx.typ {
	case "deposit":
		return "fetchDeposits"
	case "withdrawal":
		return "fetchWithdrawals"
	case "trade":
		return "fetchTrades"
	}
	return "fetchTransfers"
}

// legOf is a leg as transactions send it: incoming legs name the account
// they came into, outgoing and fee legs the account they left. A leg
// without a price has no value either.
func legOf(l *legRecord, row *txRow) legJSON {
	a := l.asset
	out := legJSON{
		ID: l.id, AssetID: a.id, AssetRaw: txAssetRawJSON{Symbol: a.symbol}, Quantity: decimalText(l.qty, a), BaseCurrency: "USD",
		Label: legLabel(l), Description: legDescription(l),
		Asset: txAssetJSON{Symbol: a.symbol, Name: a.name, LogoURL: a.logo(), Type: a.typ},
	}
	if l.price > 0 {
		value := round2(l.value())
		out.Price = &txPriceJSON{Price: l.price, BaseCurrency: "USD", Timestamp: millis(l.tx.at), Source: "cmc"}
		out.Value = &value
	}
	account := &txAccountJSON{Provider: row.in.provider.id, WalletID: row.in.walletID}
	if l.kind == "incoming" {
		out.ToAccount = account
	} else {
		out.FromAccount = account
	}
	return out
}

// legLabel is a leg's own label: a trade buys what comes in and sells what
// goes out; other legs carry their transaction's label.
func legLabel(l *legRecord) string {
	switch {
	case l.kind == "fee":
		return "Fee"
	case l.tx.typ == "trade" && l.kind == "incoming":
		return "Buy"
	case l.tx.typ == "trade":
		return "Sell"
	}
	return l.tx.label
}

func legDescription(l *legRecord) string {
	switch l.kind {
	case "incoming":
		return "Received " + l.asset.symbol
	case "outgoing":
		return "Sent " + l.asset.symbol
	}
	return "Fee paid in " + l.asset.symbol
}
