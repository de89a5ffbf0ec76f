package kryptos

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"time"
)

// Ledger is one ledger entry of the user's workspace (DATA-API.md §5.8):
// one asset movement of a transaction, with the running balance of its
// asset in its account and, once Kryptos has run its tax and accounting
// processing, its cost basis and gains. Every amount but Value is an exact
// Decimal.
type Ledger struct {
	ID string `json:"id"`
	// TransactionID is the parent transaction's (Transaction.ID).
	TransactionID string     `json:"transactionId"`
	WorkspaceID   string     `json:"workspaceId"`
	Type          LedgerType `json:"type"`
	// AssetID is "" while the asset is unresolved (the API's null);
	// AssetRaw is the asset as the source reported it.
	AssetID  string         `json:"assetId"`
	AssetRaw map[string]any `json:"assetRaw"`
	// Quantity is exact and not signed: Type says the direction.
	Quantity     Decimal `json:"quantity"`
	BaseCurrency string  `json:"baseCurrency"`
	// Price is nil when the entry is not priced.
	Price *Price `json:"price"`
	// Value is Quantity × Price in BaseCurrency, the entry's only
	// floating-point amount; nil when it is not priced.
	Value *float64 `json:"value"`
	// Timestamp is the transaction's; sent as Unix milliseconds.
	Timestamp time.Time `json:"timestamp"`
	// WalletID is the account that owns the entry (Integration.ID), the
	// authoritative one whatever FromAccount and ToAccount say.
	WalletID string `json:"walletId"`
	// SyncID is the sync job that saved the entry; "" when none did.
	SyncID        string   `json:"syncId"`
	FromAccount   *Account `json:"fromAccount"`
	ToAccount     *Account `json:"toAccount"`
	Label         string   `json:"label"`
	Description   string   `json:"description"`
	InternalLabel string   `json:"internalLabel"`
	IsEdited      bool     `json:"isEdited"`
	// BeforeBalance and AfterBalance are the running balance of the asset
	// in WalletID before and after the entry; null (not Valid) when the
	// entry has none.
	BeforeBalance Decimal `json:"beforeBalance"`
	AfterBalance  Decimal `json:"afterBalance"`
	// CostBasis (the API's lowercase costbasis), Proceeds and Profit are in
	// BaseCurrency; null (not Valid) until Kryptos has run its tax and
	// accounting processing, and Proceeds and Profit for what was not
	// disposed of.
	CostBasis Decimal `json:"costbasis"`
	Proceeds  Decimal `json:"proceeds"`
	Profit    Decimal `json:"profit"`
	// DebitCoaCode, CreditCoaCode and the two edit flags are sent to
	// enterprise workspaces only.
	DebitCoaCode      string    `json:"debitCoaCode"`
	CreditCoaCode     string    `json:"creditCoaCode"`
	IsDebitCoaEdited  bool      `json:"isDebitCoaEdited"`
	IsCreditCoaEdited bool      `json:"isCreditCoaEdited"`
	Asset             *LegAsset `json:"asset"`
}

// UnmarshalJSON reads Timestamp from Unix milliseconds (or an RFC 3339
// string).
func (l *Ledger) UnmarshalJSON(b []byte) error {
	var w ledgerWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*l = w.ledger()
	return nil
}

// plainLedger is Ledger without its UnmarshalJSON.
type plainLedger Ledger

// ledgerWire decodes a Ledger in one pass, as transactionWire does a
// Transaction.
type ledgerWire struct {
	plainLedger
	Timestamp Timestamp `json:"timestamp"`
}

func (w *ledgerWire) ledger() Ledger {
	l := Ledger(w.plainLedger)
	l.Timestamp = w.Timestamp.Time
	return l
}

// ledgersAnswer is the bare {data, meta} of GET /v1/ledgers.
type ledgersAnswer struct {
	metaPage[ledgerWire]
}

func (a *ledgersAnswer) page() pageFacts[Ledger, NoSummary] {
	return metaPageOf(&a.metaPage, (*ledgerWire).ledger)
}

// LedgerSortBy is the order of ListLedgers.
type LedgerSortBy string

// The documented sort keys of GET /v1/ledgers.
const (
	// SortLedgersByTimestamp is the API's default.
	SortLedgersByTimestamp LedgerSortBy = "timestamp"
	// SortLedgersByCreatedAt orders by when Kryptos saved the entry.
	SortLedgersByCreatedAt LedgerSortBy = "createdAt"
)

// LedgersParams filter, sort and page ListLedgers (GET /v1/ledgers). Every
// field is optional: the zero value lists every entry, newest first. Unlike
// transactions, ledgers leave nothing out by default, spam included. Lists
// are sent comma-separated, so their entries may not hold a comma.
type LedgersParams struct {
	TransactionIDs []string
	AssetIDs       []string
	Types          []LedgerType
	// Providers are provider ids, such as "binance".
	Providers []string
	// HasMissingPrice: the entry lacks a price; HasMissingAsset: its asset
	// is unresolved. true keeps only those, false only the others.
	HasMissingPrice, HasMissingAsset *bool
	// StartTime and EndTime bound Timestamp (sent as Unix milliseconds;
	// the sandbox includes both ends).
	StartTime, EndTime time.Time
	// AfterBalanceBelow (ltAfterBalance) keeps the entries whose
	// AfterBalance is strictly less, AfterBalanceAbove (gtAfterBalance)
	// those whose AfterBalance is strictly greater; the comparison is exact.
	// Entries without a running balance match neither. Below 0 finds the
	// balances that went negative, a sign of missing transactions.
	AfterBalanceBelow, AfterBalanceAbove Decimal

	// SortBy is SortLedgersByTimestamp when "". The order is descending
	// unless Ascending is set.
	SortBy    LedgerSortBy
	Ascending bool

	// Offset is the position of the first entry to read; Limit the page
	// size, up to 200 (the API's default, 50, when 0).
	Offset, Limit int
}

const maxLedgersLimit = 200

func (u *UserClient) ledgerLister(p LedgersParams, opts []CallOption) *lister[Ledger, NoSummary] {
	q := newQuery().
		list("transactionIds", p.TransactionIDs).list("assetIds", p.AssetIDs).
		list("types", enumStrings(p.Types)).list("providers", p.Providers).
		flag("hasMissingPrice", p.HasMissingPrice).flag("hasMissingAsset", p.HasMissingAsset).
		millisFrom("startTime", p.StartTime).millis("endTime", p.EndTime).
		decimal("ltAfterBalance", p.AfterBalanceBelow).decimal("gtAfterBalance", p.AfterBalanceAbove).
		oneOf("sortBy", string(p.SortBy), string(SortLedgersByTimestamp), string(SortLedgersByCreatedAt))
	if p.Ascending {
		q.v.Set("sortOrder", "asc")
	}
	err := errors.Join(q.check(), checkEnumList("params.Types", p.Types, ledgerTypes), checkMillisRange(p.StartTime, p.EndTime),
		checkPosition("params.Offset", p.Offset), checkLimit("params.Limit", p.Limit, maxLedgersLimit))
	return &lister[Ledger, NoSummary]{u: u, op: opListLedgers, query: q.v, style: byOffset, start: p.Offset,
		limit: p.Limit, answer: func() pageAnswer[Ledger, NoSummary] { return &ledgersAnswer{} }, fullPage: maxLedgersLimit, opts: opts, err: err}
}

// ListLedgers iterates over the user's ledger entries that match p:
// GET /v1/ledgers, page after page as the loop asks for them. When p.Limit
// is 0 it asks for pages of 200, the most the API sends, to spend fewer
// calls of the data quota. The API's answer has no hasMore: the list ends
// when the entries read reach its total.
func (u *UserClient) ListLedgers(ctx context.Context, p LedgersParams, opts ...CallOption) iter.Seq2[Ledger, error] {
	return u.ledgerLister(p, opts).all(ctx)
}

// ListLedgersPage returns one page of the user's ledger entries that match
// p, with the total of the whole filtered list: GET /v1/ledgers. Page.Next
// fetches the next one.
func (u *UserClient) ListLedgersPage(ctx context.Context, p LedgersParams, opts ...CallOption) (*Page[Ledger, NoSummary], error) {
	return u.ledgerLister(p, opts).first(ctx)
}

// GetLedger returns one of the user's ledger entries:
// GET /v1/ledgers/{id}. An unknown id matches ErrNotFound (the API answers
// {"error": {"code": "NOT_FOUND", ...}}).
func (u *UserClient) GetLedger(ctx context.Context, ledgerID string, opts ...CallOption) (*Ledger, error) {
	op := opGetLedger
	if err := checkSegment("ledgerID", ledgerID); err != nil {
		return nil, invalid(op, err)
	}
	return getObject(ctx, u.c, op, request{params: []string{ledgerID}, cred: u.cred}, opts, "ledger entry", func(v *Ledger) string { return v.ID })
}
