package kryptos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"
	"time"
)

// TransactionType is what a transaction did, derived by the API from its
// label (DATA-API.md §5.7). Values the API adds later are kept as sent.
type TransactionType string

// The documented transaction types.
const (
	TransactionDeposit    TransactionType = "deposit"
	TransactionWithdrawal TransactionType = "withdrawal"
	TransactionTrade      TransactionType = "trade"
	TransactionTransfer   TransactionType = "transfer"
	TransactionPayment    TransactionType = "payment"
)

// LedgerType is the side of a leg or ledger entry: what came in, what went
// out, or what was paid as a fee.
type LedgerType string

// The documented ledger types.
const (
	LedgerIncoming LedgerType = "incoming"
	LedgerOutgoing LedgerType = "outgoing"
	LedgerFee      LedgerType = "fee"
)

// ImportSourceType says how a transaction reached Kryptos: synced from an
// exchange's or a chain's API, read from a CSV file, or entered by hand.
type ImportSourceType string

// The documented import source types, spelled as the API spells them.
const (
	SourceAPI    ImportSourceType = "API"
	SourceCSV    ImportSourceType = "CSV"
	SourceManual ImportSourceType = "Manual"
)

// TransactionSortBy is the order of ListTransactions. The docs do not say
// where transactions without a net value go when sorting by it; the
// sandbox puts them last in either order.
type TransactionSortBy string

// The documented sort keys of GET /v1/transactions.
const (
	// SortTransactionsByTimestamp is the API's default.
	SortTransactionsByTimestamp  TransactionSortBy = "timestamp"
	SortTransactionsByNetValue   TransactionSortBy = "netValue"
	SortTransactionsByTotalGains TransactionSortBy = "totalGains"
	// SortTransactionsByCreatedAt orders by when Kryptos saved the
	// transaction, not when it happened.
	SortTransactionsByCreatedAt TransactionSortBy = "createdAt"
)

// CoaTagStatus filters an enterprise workspace's transactions by how far
// their chart-of-accounts tagging went.
type CoaTagStatus string

// The documented COA tagging states.
const (
	CoaTagged   CoaTagStatus = "tagged"
	CoaPartial  CoaTagStatus = "partial"
	CoaUntagged CoaTagStatus = "untagged"
)

// CoaSyncStatus filters an enterprise workspace's transactions by whether
// their journal reached the accounting system.
type CoaSyncStatus string

// The documented COA sync states.
const (
	CoaSynced   CoaSyncStatus = "synced"
	CoaUnsynced CoaSyncStatus = "unsynced"
)

// Transaction is one transaction of the user's workspace (DATA-API.md
// §5.7): a trade, deposit, withdrawal, transfer or payment, with the legs
// that moved assets in, out and as fees. Money amounts are in
// NetValue.Currency, the workspace's base currency.
type Transaction struct {
	// ID is the transaction's UUID.
	ID          string `json:"id"`
	WorkspaceID string `json:"workspaceId"`
	// TransactionPlatformID is the chain hash or the exchange's own id of
	// the transaction (v1 spelled it transactionPlatfromId).
	TransactionPlatformID string `json:"transactionPlatformId"`
	// Timestamp is when the transaction happened; sent as Unix
	// milliseconds.
	Timestamp time.Time `json:"timestamp"`
	// Type is derived from Label; "" when the label maps to no type (the
	// API's null).
	Type  TransactionType `json:"type"`
	Label string          `json:"label"`
	// Description is the API's summary, such as "Swap USDC for ETH".
	Description string `json:"description"`
	// Notes are the user's own; "" when there are none (the API's null).
	Notes        string       `json:"notes"`
	ImportSource ImportSource `json:"importSource"`
	IsManual     bool         `json:"isManual"`
	IsEdited     bool         `json:"isEdited"`
	// IsDeFi and IsNFT are the API's isDefiTrx and isNFTTrx.
	IsDeFi bool `json:"isDefiTrx"`
	IsNFT  bool `json:"isNFTTrx"`
	// IsMissingTransaction says that a running balance went negative here:
	// a purchase or deposit before it is missing from the workspace.
	IsMissingTransaction bool `json:"isMissingTransaction"`
	// Protocol is the DeFi protocol's own description of the transaction,
	// as the API sends it; nil when there is none.
	Protocol map[string]any `json:"protocol"`
	// Tags are the user's tags, which TransactionsParams.Tags matches.
	Tags     []string             `json:"tags"`
	Comments []TransactionComment `json:"comments"`
	NetValue NetValue             `json:"netValue"`
	// TotalCostBasis and TotalGains are in NetValue.Currency. The API
	// spells the first totalCostbasis (lowercase b).
	TotalCostBasis float64 `json:"totalCostbasis"`
	TotalGains     float64 `json:"totalGains"`
	// ExplorerLink is the transaction on a block explorer; "" for exchange
	// transactions and unknown chains (the API's null).
	ExplorerLink string `json:"explorerLink"`
	// ExplorerLinkSrc says whose side the link was built from, "sender" or
	// "receiver"; "" when there is no link.
	ExplorerLinkSrc string `json:"explorerLinkSrc"`
	// IsMerged (the API's isMergedTrx) marks a transaction that Kryptos
	// merged from others; Merged (trxsMerged) holds the source transactions
	// it consumed, as sent (their shape is not documented), or nil.
	IsMerged bool              `json:"isMergedTrx"`
	Merged   []json.RawMessage `json:"trxsMerged"`
	// IsSplit is the API's isSplitted: the transaction was split from
	// another.
	IsSplit bool `json:"isSplitted"`
	// Incoming, Outgoing and Fees are the legs of each side (the API's
	// incomingAssets, outgoingAssets and fee).
	Incoming []Leg `json:"incomingAssets"`
	Outgoing []Leg `json:"outgoingAssets"`
	Fees     []Leg `json:"fee"`
	// CoaJournal and CoaStatus are the chart-of-accounts journal (with its
	// lines) and status of enterprise workspaces, as sent; nil elsewhere,
	// where the API leaves them out.
	CoaJournal json.RawMessage `json:"coaJournal,omitempty"`
	CoaStatus  json.RawMessage `json:"coaStatus,omitempty"`
}

// UnmarshalJSON reads Timestamp from Unix milliseconds (or an RFC 3339
// string).
func (t *Transaction) UnmarshalJSON(b []byte) error {
	var w transactionWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = w.transaction()
	return nil
}

// plainTransaction is Transaction without its UnmarshalJSON.
type plainTransaction Transaction

// transactionWire decodes a Transaction in one pass, its time read as a
// Timestamp. Lists decode their entries into it directly: a Transaction's
// own UnmarshalJSON would make encoding/json scan each entry's bytes twice
// more, which a list of 100,000 transactions feels.
type transactionWire struct {
	plainTransaction
	Timestamp Timestamp `json:"timestamp"`
}

func (w *transactionWire) transaction() Transaction {
	t := Transaction(w.plainTransaction)
	t.Timestamp = w.Timestamp.Time
	return t
}

// transactionsAnswer is the bare {data, meta} of GET /v1/transactions.
type transactionsAnswer struct {
	metaPage[transactionWire]
}

func (a *transactionsAnswer) page() pageFacts[Transaction, NoSummary] {
	return metaPageOf(&a.metaPage, (*transactionWire).transaction)
}

// Legs returns every leg of the transaction: incoming, outgoing, then
// fees, the order of GetTransactionLedgers.
func (t *Transaction) Legs() []Leg {
	out := make([]Leg, 0, len(t.Incoming)+len(t.Outgoing)+len(t.Fees))
	return append(append(append(out, t.Incoming...), t.Outgoing...), t.Fees...)
}

// ImportSource is how and when a transaction reached Kryptos.
type ImportSource struct {
	Type ImportSourceType `json:"type"`
	// ImportedAt is sent as Unix milliseconds.
	ImportedAt time.Time `json:"importedAt"`
	// WalletID is the integration the transaction came from
	// (Integration.ID).
	WalletID string `json:"walletId"`
	// CSVLink is the uploaded file of a CSV import; "" otherwise.
	CSVLink string `json:"csvLink"`
	// SyncID is the sync job that saved the transaction.
	SyncID string `json:"syncId"`
	// FunctionName is the importer's function that read it, such as
	// "fetchTrades".
	FunctionName string `json:"functionName"`
}

// UnmarshalJSON reads ImportedAt from Unix milliseconds (or an RFC 3339
// string).
func (s *ImportSource) UnmarshalJSON(b []byte) error {
	type plain ImportSource
	var w struct {
		*plain
		ImportedAt Timestamp `json:"importedAt"`
	}
	w.plain = (*plain)(s)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s.ImportedAt = w.ImportedAt.Time
	return nil
}

// NetValue is a transaction's value in the workspace's base currency.
type NetValue struct {
	// FiatValue is nil when the transaction is not priced, which is not
	// the same as worth 0.
	FiatValue *float64 `json:"fiatValue"`
	Currency  string   `json:"currency"`
}

// TransactionComment is a comment on a transaction.
type TransactionComment struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	// Timestamp's format is not documented: an RFC 3339 string and Unix
	// milliseconds are both read.
	Timestamp time.Time `json:"timestamp"`
	// Author's type is not documented either: a string is kept as it is,
	// and any other JSON value as its JSON text.
	Author string `json:"author"`
}

// UnmarshalJSON reads Timestamp in either form, and Author whatever its
// JSON type.
func (c *TransactionComment) UnmarshalJSON(b []byte) error {
	type plain TransactionComment
	var w struct {
		*plain
		Timestamp Timestamp       `json:"timestamp"`
		Author    json.RawMessage `json:"author"`
	}
	w.plain = (*plain)(c)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	c.Timestamp = w.Timestamp.Time
	c.Author = ""
	if !absent(w.Author) && json.Unmarshal(w.Author, &c.Author) != nil {
		c.Author = string(w.Author)
	}
	return nil
}

// Leg is one asset movement of a transaction, an entry of its incoming,
// outgoing or fee legs. It is a ledger entry (see Ledger) as the
// transaction shows it.
type Leg struct {
	// ID is the ledger entry's id (Ledger.ID).
	ID string `json:"id"`
	// AssetID is "" while the asset is unresolved (the API's null); AssetRaw
	// is the asset as the source reported it.
	AssetID  string         `json:"assetId"`
	AssetRaw map[string]any `json:"assetRaw"`
	// Quantity is exact, up to 18 digits after the point.
	Quantity     Decimal `json:"quantity"`
	BaseCurrency string  `json:"baseCurrency"`
	// Price is nil when the leg is not priced.
	Price *Price `json:"price"`
	// Value is Quantity × Price in BaseCurrency, rounded, computed when
	// read; nil when the leg is not priced.
	Value *float64 `json:"value"`
	// FromAccount and ToAccount are the connected accounts on each side, as
	// {provider, walletId}: incoming legs have ToAccount, outgoing and fee
	// legs FromAccount, a transfer between the user's own accounts both.
	FromAccount   *Account `json:"fromAccount"`
	ToAccount     *Account `json:"toAccount"`
	Label         string   `json:"label"`
	Description   string   `json:"description"`
	InternalLabel string   `json:"internalLabel"`
	// Asset describes the asset; nil when it is unresolved.
	Asset *LegAsset `json:"asset"`
}

// LegAsset is the asset of a leg or ledger entry as transactions and
// ledgers describe it.
type LegAsset struct {
	Symbol  string `json:"symbol"`
	Name    string `json:"name"`
	LogoURL string `json:"logoUrl"`
	// Type is "crypto", "stablecoin", "fiat" or "nft", kept as sent (the
	// docs' lists differ by endpoint).
	Type string `json:"type"`
}

// TransactionsParams filter, sort and page ListTransactions
// (GET /v1/transactions). Every field is optional: the zero value lists
// every transaction but the Spam- and Ignore-labelled ones, newest first.
// Lists are sent comma-separated, so their entries may not hold a comma;
// each Not list is the exclusion twin of the list before it.
type TransactionsParams struct {
	// Labels are transaction labels, as GET /v1/labels lists them.
	Labels, NotLabels []string
	Types, NotTypes   []TransactionType
	// WalletIDs are connected accounts (Integration.ID).
	WalletIDs, NotWalletIDs []string
	// AssetIDs are Kryptos asset ids; a transaction matches when one of its
	// legs moves one of them.
	AssetIDs, NotAssetIDs []string
	// Providers are provider ids, such as "binance".
	Providers, NotProviders []string
	// ImportSourceTypes match ImportSource.Type.
	ImportSourceTypes, NotImportSourceTypes []ImportSourceType
	// LedgerTypes match transactions with a leg of one of these sides
	// (the API names this filter ledgerTypes here and types on ledgers);
	// NotLedgerTypes those with no such leg.
	LedgerTypes, NotLedgerTypes []LedgerType
	Tags, NotTags               []string
	// FromAddresses and ToAddresses are on-chain addresses on the sending
	// and receiving side; Addresses match either side and have no
	// exclusion twin.
	FromAddresses, NotFromAddresses []string
	ToAddresses, NotToAddresses     []string
	Addresses                       []string

	// The flags. The docs describe each as "pass true" to keep only those
	// transactions; false is sent as false, which the review flags use in
	// the docs' own recipes (IsUncategorisedIgnored false: the uncategorised
	// transactions nobody dismissed). nil leaves a flag out.
	IsDeFi, IsNFT, IsManual, IsEdited *bool
	// IncludeSpam and IncludeIgnored bring back the Spam- and
	// Ignore-labelled transactions, which are left out by default. The docs
	// name no exception, and the sandbox makes none for Labels {"Spam"}: to
	// list only spam, set IncludeSpam and Labels {"Spam"}.
	IncludeSpam, IncludeIgnored *bool
	// HasMissingPrice: a leg lacks a price; HasMissingAsset: a leg's asset
	// is unresolved; IsMissingTransaction: a running balance went negative.
	HasMissingPrice, HasMissingAsset, IsMissingTransaction *bool
	// The review-queue states.
	IsHighPnLReviewed, IsUncategorisedIgnored, IsMissingPriceIgnored *bool

	// StartTime and EndTime bound Timestamp (sent as Unix milliseconds).
	// The docs do not say whether the bounds are inclusive; the sandbox
	// includes both.
	StartTime, EndTime time.Time
	// MinValue and MaxValue bound NetValue.FiatValue (so they leave out
	// unpriced transactions); MinTotalGains bounds TotalGains. nil leaves a
	// bound out.
	MinValue, MaxValue, MinTotalGains *float64
	// Search is free text the API looks for in the transactions.
	Search string
	// CoaTagStatus and CoaSyncStatus filter enterprise workspaces.
	CoaTagStatus  CoaTagStatus
	CoaSyncStatus CoaSyncStatus

	// SortBy is SortTransactionsByTimestamp when "". The order is
	// descending unless Ascending is set.
	SortBy    TransactionSortBy
	Ascending bool

	// Offset is the position of the first transaction to read; Limit the
	// page size, up to 200 (the API's default, 50, when 0).
	Offset, Limit int
}

const maxTransactionsLimit = 200

var (
	transactionTypes  = []string{string(TransactionDeposit), string(TransactionWithdrawal), string(TransactionTrade), string(TransactionTransfer), string(TransactionPayment)}
	ledgerTypes       = []string{string(LedgerIncoming), string(LedgerOutgoing), string(LedgerFee)}
	importSourceTypes = []string{string(SourceAPI), string(SourceCSV), string(SourceManual)}
)

// transactionsQuery builds the query string of p, without the paging
// parameters, and checks every field.
func transactionsQuery(p TransactionsParams) (*query, error) {
	q := newQuery().
		list("labels", p.Labels).list("notLabels", p.NotLabels).
		list("types", enumStrings(p.Types)).list("notTypes", enumStrings(p.NotTypes)).
		list("walletIds", p.WalletIDs).list("notWalletIds", p.NotWalletIDs).
		list("assetIds", p.AssetIDs).list("notAssetIds", p.NotAssetIDs).
		list("providers", p.Providers).list("notProviders", p.NotProviders).
		list("importSourceTypes", enumStrings(p.ImportSourceTypes)).
		list("notImportSourceTypes", enumStrings(p.NotImportSourceTypes)).
		list("ledgerTypes", enumStrings(p.LedgerTypes)).
		list("notLedgerTypes", enumStrings(p.NotLedgerTypes)).
		list("tags", p.Tags).list("notTags", p.NotTags).
		list("fromAddresses", p.FromAddresses).list("notFromAddresses", p.NotFromAddresses).
		list("toAddresses", p.ToAddresses).list("notToAddresses", p.NotToAddresses).
		list("addresses", p.Addresses).
		flag("isDefiTrx", p.IsDeFi).flag("isNFTTrx", p.IsNFT).flag("isManual", p.IsManual).flag("isEdited", p.IsEdited).
		flag("includeSpam", p.IncludeSpam).flag("includeIgnored", p.IncludeIgnored).
		flag("hasMissingPrice", p.HasMissingPrice).flag("hasMissingAsset", p.HasMissingAsset).
		flag("isMissingTransaction", p.IsMissingTransaction).
		flag("isHighPnLReviewed", p.IsHighPnLReviewed).flag("isUncategorisedIgnored", p.IsUncategorisedIgnored).
		flag("isMissingPriceIgnored", p.IsMissingPriceIgnored).
		millisFrom("startTime", p.StartTime).millis("endTime", p.EndTime).
		number("minValue", p.MinValue).number("maxValue", p.MaxValue).number("minTotalGains", p.MinTotalGains).
		str("search", p.Search).
		oneOf("coaTagStatus", string(p.CoaTagStatus), string(CoaTagged), string(CoaPartial), string(CoaUntagged)).
		oneOf("coaSyncStatus", string(p.CoaSyncStatus), string(CoaSynced), string(CoaUnsynced)).
		oneOf("sortBy", string(p.SortBy), string(SortTransactionsByTimestamp), string(SortTransactionsByNetValue),
			string(SortTransactionsByTotalGains), string(SortTransactionsByCreatedAt))
	if p.Ascending {
		q.v.Set("sortOrder", "asc")
	}
	err := errors.Join(q.check(), checkTransactionEnums(p), checkMillisRange(p.StartTime, p.EndTime),
		checkFiniteAmount("params.MinValue", p.MinValue), checkFiniteAmount("params.MaxValue", p.MaxValue),
		checkFiniteAmount("params.MinTotalGains", p.MinTotalGains),
		checkPosition("params.Offset", p.Offset), checkLimit("params.Limit", p.Limit, maxTransactionsLimit))
	if err == nil && p.MinValue != nil && p.MaxValue != nil && *p.MinValue > *p.MaxValue {
		err = &ParamError{"params.MinValue", "must not be more than params.MaxValue"}
	}
	return q, err
}

// enumStrings turns a list of typed values into strings for query.list; the
// values themselves are checked by checkEnumList.
func enumStrings[E ~string](values []E) []string {
	if len(values) == 0 {
		return nil
	}
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// checkTransactionEnums refuses list entries the docs do not name: a
// misspelt type would match nothing, and the API would answer an empty
// list.
func checkTransactionEnums(p TransactionsParams) error {
	return errors.Join(
		checkEnumList("params.Types", p.Types, transactionTypes), checkEnumList("params.NotTypes", p.NotTypes, transactionTypes),
		checkEnumList("params.ImportSourceTypes", p.ImportSourceTypes, importSourceTypes),
		checkEnumList("params.NotImportSourceTypes", p.NotImportSourceTypes, importSourceTypes),
		checkEnumList("params.LedgerTypes", p.LedgerTypes, ledgerTypes), checkEnumList("params.NotLedgerTypes", p.NotLedgerTypes, ledgerTypes))
}

func checkEnumList[E ~string](field string, values []E, allowed []string) error {
	for _, v := range values {
		ok := false
		for _, a := range allowed {
			ok = ok || string(v) == a
		}
		if !ok {
			return &ParamError{field, "entries must be among " + strings.Join(allowed, ", ")}
		}
	}
	return nil
}

// checkMillisRange refuses times before 1970, which Unix milliseconds cannot
// carry, and a range that ends before it starts.
func checkMillisRange(start, end time.Time) error {
	switch {
	case !start.IsZero() && start.UnixMilli() < 0:
		return &ParamError{"params.StartTime", "must not be before 1970"}
	case !end.IsZero() && end.UnixMilli() < 0:
		return &ParamError{"params.EndTime", "must not be before 1970"}
	case !start.IsZero() && !end.IsZero() && end.Before(start):
		return &ParamError{"params.EndTime", "must not be before params.StartTime"}
	}
	return nil
}

// checkFiniteAmount refuses NaN and the infinities, which have no JSON form.
func checkFiniteAmount(field string, v *float64) error {
	if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
		return &ParamError{field, "must be a finite number"}
	}
	return nil
}

func (u *UserClient) transactionLister(p TransactionsParams, opts []CallOption) *lister[Transaction, NoSummary] {
	q, err := transactionsQuery(p)
	return &lister[Transaction, NoSummary]{u: u, op: opListTransactions, query: q.v, style: byOffset, start: p.Offset,
		limit: p.Limit, answer: func() pageAnswer[Transaction, NoSummary] { return &transactionsAnswer{} }, fullPage: maxTransactionsLimit, opts: opts, err: err}
}

// ListTransactions iterates over the user's transactions that match p:
// GET /v1/transactions, page after page as the loop asks for them. When
// p.Limit is 0 it asks for pages of 200, the most the API sends, to spend
// fewer calls of the data quota. Spam- and Ignore-labelled transactions are
// left out unless p.IncludeSpam or p.IncludeIgnored is set.
//
// Paging is by offset: transactions saved while the loop runs (a sync that
// finishes) shift the pages of the default order, newest first, so an
// entry may come twice or be skipped. Sorting by
// SortTransactionsByCreatedAt with Ascending set puts what is saved later
// at the end instead.
func (u *UserClient) ListTransactions(ctx context.Context, p TransactionsParams, opts ...CallOption) iter.Seq2[Transaction, error] {
	return u.transactionLister(p, opts).all(ctx)
}

// ListTransactionsPage returns one page of the user's transactions that
// match p, with the total of the whole filtered list: GET /v1/transactions.
// Page.Next fetches the next one.
func (u *UserClient) ListTransactionsPage(ctx context.Context, p TransactionsParams, opts ...CallOption) (*Page[Transaction, NoSummary], error) {
	return u.transactionLister(p, opts).first(ctx)
}

// GetTransaction returns one of the user's transactions:
// GET /v1/transactions/{id}. An unknown id matches ErrNotFound (the API
// answers {"error": {"code": "NOT_FOUND", ...}}). Enterprise workspaces
// get the COA journal with its lines in Transaction.CoaJournal.
func (u *UserClient) GetTransaction(ctx context.Context, transactionID string, opts ...CallOption) (*Transaction, error) {
	op := opGetTransaction
	if err := checkSegment("transactionID", transactionID); err != nil {
		return nil, invalid(op, err)
	}
	return getObject(ctx, u.c, op, request{params: []string{transactionID}, cred: u.cred}, opts, "transaction", func(v *Transaction) string { return v.ID })
}

// legsAnswer is the {data: [Leg]} of a transaction's ledgers.
type legsAnswer struct {
	legs  []Leg
	found bool
}

func (a *legsAnswer) UnmarshalJSON(b []byte) error {
	a.found = string(b) != "null"
	return json.Unmarshal(b, &a.legs)
}

func (a *legsAnswer) check() error {
	if !a.found {
		return errors.New("no list of legs in the answer")
	}
	return nil
}

// GetTransactionLedgers returns the legs of one of the user's
// transactions, the incoming, outgoing and fee legs in one list:
// GET /v1/transactions/{id}/ledgers. A Leg does not say which side it is
// on; GetTransaction keeps the sides apart, and ListLedgers with
// LedgersParams.TransactionIDs returns the same entries as Ledger values,
// with their type and running balances. An unknown id matches
// ErrNotFound.
func (u *UserClient) GetTransactionLedgers(ctx context.Context, transactionID string, opts ...CallOption) ([]Leg, error) {
	op := opGetTransactionLedgers
	if err := checkSegment("transactionID", transactionID); err != nil {
		return nil, invalid(op, err)
	}
	var a legsAnswer
	if err := u.c.do(ctx, op, request{params: []string{transactionID}, cred: u.cred}, &a, opts); err != nil {
		return nil, err
	}
	return a.legs, nil
}

// TransactionCounts are the counts of the user's transactions by label and
// by type: GET /v1/transactions/counts. The docs do not describe this
// answer's body; this type reads the keys the sandbox sends (total,
// byLabel, byType) and keeps every other key the API sends in Extra, so
// nothing is lost whatever the real shape turns out to be.
type TransactionCounts struct {
	// Total counts every transaction, or is -1 when the answer did not
	// say.
	Total int
	// ByLabel and ByType count the transactions of each label and type;
	// nil when the answer did not carry them.
	ByLabel map[string]int
	ByType  map[TransactionType]int
	// Extra holds the answer's other keys, as sent.
	Extra map[string]json.RawMessage
}

// UnmarshalJSON reads the known keys of the counts object and keeps the
// others in Extra.
func (c *TransactionCounts) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return fmt.Errorf("kryptos: transaction counts: want an object: %w", err)
	}
	*c = TransactionCounts{Total: -1}
	if raw, ok := fields["total"]; ok && !absent(raw) {
		if err := json.Unmarshal(raw, &c.Total); err != nil {
			return fmt.Errorf("kryptos: transaction counts: total: %w", err)
		}
		delete(fields, "total")
	}
	if raw, ok := fields["byLabel"]; ok {
		if err := json.Unmarshal(raw, &c.ByLabel); err != nil {
			return fmt.Errorf("kryptos: transaction counts: byLabel: %w", err)
		}
		delete(fields, "byLabel")
	}
	if raw, ok := fields["byType"]; ok {
		if err := json.Unmarshal(raw, &c.ByType); err != nil {
			return fmt.Errorf("kryptos: transaction counts: byType: %w", err)
		}
		delete(fields, "byType")
	}
	if len(fields) > 0 {
		c.Extra = fields
	}
	return nil
}

type countsAnswer struct {
	TransactionCounts
	found bool
}

func (a *countsAnswer) UnmarshalJSON(b []byte) error {
	a.found = string(b) != "null"
	if !a.found {
		return nil
	}
	return a.TransactionCounts.UnmarshalJSON(b)
}

func (a *countsAnswer) check() error {
	if !a.found {
		return errors.New("no counts in the answer")
	}
	return nil
}

// TransactionCounts returns how many transactions the user's workspace
// holds, by label and by type: GET /v1/transactions/counts. The docs do not
// say whether the counts leave spam out; the sandbox counts every
// transaction, so ByLabel["Spam"] tells how many ListTransactions hides by
// default.
func (u *UserClient) TransactionCounts(ctx context.Context, opts ...CallOption) (*TransactionCounts, error) {
	var a countsAnswer
	if err := u.c.do(ctx, opTransactionCounts, request{cred: u.cred}, &a, opts); err != nil {
		return nil, err
	}
	return &a.TransactionCounts, nil
}
