package kryptos

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"math"
	"time"
)

// Holding is what the user holds of one asset, over the integrations the
// list covers (DATA-API.md §5.3). Amounts are in BaseCurrency. Quantities
// are JSON numbers in this API (float64), unlike the decimal strings of
// ledgers.
type Holding struct {
	// AssetID is the Kryptos asset id (a UUID).
	AssetID string       `json:"assetId"`
	Asset   HoldingAsset `json:"asset"`
	// TotalQuantity is the quantity held over every integration of
	// AssetDistribution.
	TotalQuantity float64 `json:"totalQuantity"`
	// CostBasis is what the quantity held cost; 0 when the basis is
	// unknown.
	CostBasis float64 `json:"costBasis"`

	// Priced reports whether the answer carried the live-price fields below
	// (CostPerUnit to Change24hPercentage). They are absent, and left zero,
	// when the list was asked for with HoldingsParams.Rates false.
	Priced bool `json:"-"`
	// CostPerUnit is CostBasis / TotalQuantity; 0 when there is no basis.
	CostPerUnit float64 `json:"costPerUnit"`
	// MarketPrice is the live price of one unit.
	MarketPrice float64 `json:"marketPrice"`
	// MarketValue is TotalQuantity × MarketPrice.
	MarketValue float64 `json:"marketValue"`
	// UnrealizedPnL is MarketValue − CostBasis.
	UnrealizedPnL float64 `json:"unrealizedPnL"`
	// ROIPercentage is the return on the cost basis in percent; nil when
	// the cost basis is 0 (an unknown basis is not a 0 % return), or when
	// the holding is not Priced.
	ROIPercentage *float64 `json:"roiPercentage"`
	// Change24h is the absolute change of MarketValue over 24 hours, in
	// BaseCurrency (not a percentage, as it was in v1).
	Change24h float64 `json:"change24h"`
	// Change24hPercentage is the price change over 24 hours, in percent.
	Change24hPercentage float64 `json:"change24hPercentage"`

	// BaseCurrency is the currency of the amounts, such as "USD".
	BaseCurrency string `json:"baseCurrency"`
	IsSpam       bool   `json:"isSpam"`
	// TransactionCount counts the transactions of the asset.
	TransactionCount int `json:"transactionCount"`
	// AssetDistribution splits the holding by integration.
	AssetDistribution []HoldingShare `json:"assetDistribution"`

	// IsMissingTransactionHistory is sent for ledger-derived balances only:
	// by ListCalculatedBalances, and by ListHoldings with
	// HoldingsParams.CalculatedBalances. It reports that replaying the
	// ledgers took the balance below zero: some history is missing.
	IsMissingTransactionHistory bool `json:"isMissingTransactionHistory"`
	// LastLedgerTimestamp is the time of the asset's latest ledger entry
	// (sent as Unix milliseconds); the zero time when there is none. The
	// docs send it on the calculated-balances lists only
	// (ListCalculatedBalances), not with HoldingsParams.CalculatedBalances.
	LastLedgerTimestamp time.Time `json:"lastLedgerTimestamp"`
}

// UnmarshalJSON tells a holding without live prices from one priced at 0,
// and reads LastLedgerTimestamp from Unix milliseconds (or RFC 3339).
func (h *Holding) UnmarshalJSON(b []byte) error {
	type plain Holding
	var w struct {
		*plain
		MarketPrice         *float64  `json:"marketPrice"`
		LastLedgerTimestamp Timestamp `json:"lastLedgerTimestamp"`
	}
	w.plain = (*plain)(h)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	h.Priced = w.MarketPrice != nil
	if w.MarketPrice != nil {
		h.MarketPrice = *w.MarketPrice
	}
	h.LastLedgerTimestamp = w.LastLedgerTimestamp.Time
	return nil
}

// HoldingAsset is the asset of a holding.
type HoldingAsset struct {
	// TokenID is the asset's token id, such as "bitcoin".
	TokenID    string           `json:"tokenId"`
	Symbol     string           `json:"symbol"`
	PublicName string           `json:"publicName"`
	LogoURL    string           `json:"logoUrl"`
	Type       HoldingAssetType `json:"type"`
	// ChainID is the asset's chain, such as "bitcoin", when it has one.
	ChainID string `json:"chainId"`
	// ContractAddress is the token's contract, for on-chain tokens; ""
	// otherwise.
	ContractAddress string `json:"contractAddress"`
}

// HoldingAssetType is the kind of a holding's asset. Values this package
// does not know yet are kept as sent.
type HoldingAssetType string

// The documented asset types of holdings (the assets search names more).
const (
	HoldingAssetCrypto HoldingAssetType = "crypto"
	HoldingAssetNFT    HoldingAssetType = "nft"
	HoldingAssetFiat   HoldingAssetType = "fiat"
)

// HoldingShare is the part of a holding that one integration holds (an
// entry of assetDistribution).
type HoldingShare struct {
	// IntegrationID is the integration's id (Integration.ID).
	IntegrationID string  `json:"integrationId"`
	Quantity      float64 `json:"quantity"`
	// Account is the integration, as other objects name it.
	Account Account `json:"account"`
	// AllocationPercentage is this share of the holding's TotalQuantity, in
	// percent.
	AllocationPercentage float64 `json:"allocationPercentage"`
	TransactionCount     int     `json:"transactionCount"`
	// PortfolioID and PortfolioName name the integration's portfolio.
	PortfolioID   string `json:"portfolioId"`
	PortfolioName string `json:"portfolioName"`
}

// HoldingsSummary is what a holdings list reports about its whole
// filtered set, every page together.
type HoldingsSummary struct {
	// TotalValue sums the MarketValue of every holding of the filtered set
	// (token holdings only: no NFT, no DeFi position); nil when the list
	// was asked for without live prices (HoldingsParams.Rates false).
	TotalValue *float64
}

// HoldingsParams filter and sort the holdings and calculated-balances
// lists. Zero values are left to the API, whose defaults are given below.
type HoldingsParams struct {
	// PortfolioID keeps the integrations of one portfolio. The call then
	// uses the path form the docs prefer, /v1/holdings/portfolio/{id} (or
	// /v1/calculated-balances/portfolio/{id}).
	PortfolioID string
	// IntegrationID keeps one connected account.
	IntegrationID string
	// AssetIDs keeps these Kryptos asset ids (HoldingAsset ids, UUIDs).
	AssetIDs []string
	// Search matches text in the asset's symbol or name.
	Search string
	// MinValue drops holdings worth less, in the base currency; at least 0.
	MinValue *float64
	// IncludeSpam includes spam-flagged assets (the API's default: false).
	IncludeSpam *bool
	// Type is an ecosystem filter (the API's default: HoldingsAllEcosystems).
	Type HoldingsEcosystem
	// SortBy and SortOrder order the list (the API's default: by value,
	// descending).
	SortBy    HoldingsSortBy
	SortOrder HoldingsOrder
	// Offset is the first entry to read (0 when 0). Limit is the page size,
	// up to 1000 (the API's default, 50, when 0).
	Offset, Limit int
	// Rates false skips the live prices: the holdings come without their
	// Priced fields and the summary without TotalValue, which is quicker
	// for a quantity-only view. nil or true: prices (the API's default).
	// It is sent as the string "true" or "false", as the API takes it.
	Rates *bool
	// CalculatedBalances true returns ledger-derived balances instead of
	// the provider-reported ones, with IsMissingTransactionHistory (but
	// not LastLedgerTimestamp, which ListCalculatedBalances has).
	// ExcludeCalculatedBalances true keeps the provider-reported ones
	// only, dropping the ledger-derived rows of accounts that have nothing
	// else (CSV imports, custom wallets). By default the list has both
	// kinds. At most one may be true; neither applies to
	// ListCalculatedBalances.
	CalculatedBalances        *bool
	ExcludeCalculatedBalances *bool
}

// HoldingsEcosystem is the ecosystem filter of the holdings lists (their
// "type" parameter).
type HoldingsEcosystem string

// The documented ecosystems.
const (
	HoldingsAllEcosystems HoldingsEcosystem = "all"
	// HoldingsXStocks keeps tokenized stocks.
	HoldingsXStocks HoldingsEcosystem = "xstocks"
)

// HoldingsSortBy is what the holdings lists are sorted by.
type HoldingsSortBy string

// The documented sort keys. The API names the 24-hour change "24hrChange"
// although the fields are change24h and change24hPercentage.
const (
	HoldingsByValue            HoldingsSortBy = "value"
	HoldingsByQuantity         HoldingsSortBy = "quantity"
	HoldingsByName             HoldingsSortBy = "name"
	HoldingsBy24hChange        HoldingsSortBy = "24hrChange"
	HoldingsByTransactionCount HoldingsSortBy = "txnCount"
)

// HoldingsOrder is the direction of a holdings list's sort.
type HoldingsOrder string

// The sort directions.
const (
	HoldingsAscending  HoldingsOrder = "asc"
	HoldingsDescending HoldingsOrder = "desc"
)

// maxHoldingsLimit is the largest page of the holdings and
// calculated-balances lists.
const maxHoldingsLimit = 1000

// holdingsAnswer is the flattened shape {success, data, totalCount,
// offset, limit, hasMore, totalValue}.
type holdingsAnswer struct {
	flatPage[Holding]
	TotalValue *float64 `json:"totalValue"`
}

func (a *holdingsAnswer) page() pageFacts[Holding, HoldingsSummary] {
	f := a.facts()
	return pageFacts[Holding, HoldingsSummary]{items: f.items, total: f.total, hasMore: f.hasMore, limit: f.limit,
		summary: HoldingsSummary{TotalValue: a.TotalValue}}
}

// holdingsQuery checks p and builds its query, for the holdings list or,
// when calculated, for the calculated balances.
func holdingsQuery(p HoldingsParams, calculated bool) (*query, error) {
	q := newQuery().
		id("integrationId", p.IntegrationID).
		list("assetIds", p.AssetIDs).
		str("search", p.Search).
		number("minValue", p.MinValue).
		flag("includeSpam", p.IncludeSpam).
		oneOf("type", string(p.Type), string(HoldingsAllEcosystems), string(HoldingsXStocks)).
		oneOf("sortBy", string(p.SortBy), string(HoldingsByValue), string(HoldingsByQuantity), string(HoldingsByName),
			string(HoldingsBy24hChange), string(HoldingsByTransactionCount)).
		oneOf("sortOrder", string(p.SortOrder), string(HoldingsAscending), string(HoldingsDescending)).
		flag("rates", p.Rates).
		flag("calculatedBalances", p.CalculatedBalances).
		flag("excludeCalculatedBalances", p.ExcludeCalculatedBalances)
	errs := []error{q.check(), checkPosition("params.Offset", p.Offset), checkLimit("params.Limit", p.Limit, maxHoldingsLimit)}
	if p.PortfolioID != "" {
		errs = append(errs, checkSegment("params.PortfolioID", p.PortfolioID))
	}
	if v := p.MinValue; v != nil && (*v < 0 || math.IsNaN(*v) || math.IsInf(*v, 0)) {
		errs = append(errs, &ParamError{"params.MinValue", "must be a finite number of at least 0"})
	}
	calc, exclude := p.CalculatedBalances != nil && *p.CalculatedBalances, p.ExcludeCalculatedBalances != nil && *p.ExcludeCalculatedBalances
	switch {
	case calculated && (p.CalculatedBalances != nil || p.ExcludeCalculatedBalances != nil):
		errs = append(errs, &ParamError{"params.CalculatedBalances", "does not apply to the calculated balances, which are all ledger-derived; leave it and ExcludeCalculatedBalances nil, or use ListHoldings"})
	case calc && exclude:
		errs = append(errs, &ParamError{"params.ExcludeCalculatedBalances", "contradicts CalculatedBalances: set at most one to true"})
	}
	return q, errors.Join(errs...)
}

func (u *UserClient) holdingLister(p HoldingsParams, calculated bool, opts []CallOption) *lister[Holding, HoldingsSummary] {
	op := opListHoldings
	if calculated {
		op = opListCalculatedBalances
	}
	var params []string
	if p.PortfolioID != "" {
		op = opListPortfolioHoldings
		if calculated {
			op = opListPortfolioCalculatedBalances
		}
		params = []string{p.PortfolioID}
	}
	q, err := holdingsQuery(p, calculated)
	return &lister[Holding, HoldingsSummary]{u: u, op: op, params: params, query: q.v, style: byOffset, start: p.Offset,
		limit: p.Limit, answer: func() pageAnswer[Holding, HoldingsSummary] { return &holdingsAnswer{} }, fullPage: maxHoldingsLimit, opts: opts, err: err}
}

// ListHoldings iterates over the user's holdings, one per asset: GET
// /v1/holdings, or GET /v1/holdings/portfolio/{id} when p.PortfolioID is
// set (scope portfolios:read), page after page as the loop asks for them.
// When p.Limit is 0 it asks for pages of 1000, the API's maximum, rather
// than its default of 50, to spend fewer calls of the data quota.
//
// By default the list holds both provider-reported and ledger-derived
// (calculated) balances, leaves spam out, and is sorted by value,
// descending. The page's Summary (ListHoldingsPage) carries the total
// value of the whole filtered set.
func (u *UserClient) ListHoldings(ctx context.Context, p HoldingsParams, opts ...CallOption) iter.Seq2[Holding, error] {
	return u.holdingLister(p, false, opts).all(ctx)
}

// ListHoldingsPage returns one page of the user's holdings with the totals
// of the whole filtered set (Total, and Summary.TotalValue): GET
// /v1/holdings, or GET /v1/holdings/portfolio/{id} when p.PortfolioID is
// set. Page.Next fetches the next one.
func (u *UserClient) ListHoldingsPage(ctx context.Context, p HoldingsParams, opts ...CallOption) (*Page[Holding, HoldingsSummary], error) {
	return u.holdingLister(p, false, opts).first(ctx)
}

// ListCalculatedBalances iterates over the user's ledger-derived balances,
// one per asset, each with IsMissingTransactionHistory and
// LastLedgerTimestamp: GET /v1/calculated-balances, or GET
// /v1/calculated-balances/portfolio/{id} when p.PortfolioID is set (scope
// portfolios:read). It takes the filters of ListHoldings except
// CalculatedBalances and ExcludeCalculatedBalances, and like it asks for
// pages of 1000 when p.Limit is 0.
func (u *UserClient) ListCalculatedBalances(ctx context.Context, p HoldingsParams, opts ...CallOption) iter.Seq2[Holding, error] {
	return u.holdingLister(p, true, opts).all(ctx)
}

// ListCalculatedBalancesPage returns one page of the user's ledger-derived
// balances with the totals of the whole filtered set: GET
// /v1/calculated-balances, or GET /v1/calculated-balances/portfolio/{id}
// when p.PortfolioID is set. Page.Next fetches the next one.
func (u *UserClient) ListCalculatedBalancesPage(ctx context.Context, p HoldingsParams, opts ...CallOption) (*Page[Holding, HoldingsSummary], error) {
	return u.holdingLister(p, true, opts).first(ctx)
}

// GetHolding returns what the user holds of one asset, over all their
// integrations: GET /v1/holdings/{assetId} (scope portfolios:read), with
// live prices. An asset the user does not hold matches ErrNotFound (the
// API answers 404 {"success": false, "error": "Not found"}, without a
// code).
func (u *UserClient) GetHolding(ctx context.Context, assetID string, opts ...CallOption) (*Holding, error) {
	op := opGetHolding
	if err := checkSegment("assetID", assetID); err != nil {
		return nil, invalid(op, err)
	}
	return u.getHolding(ctx, op, []string{assetID}, opts)
}

// GetPortfolioHolding returns what the integrations of one portfolio hold
// of one asset: GET /v1/holdings/portfolio/{portfolioId}/holdings/{assetId}
// (scope portfolios:read). An asset the portfolio does not hold, or an
// unknown portfolio, matches ErrNotFound.
func (u *UserClient) GetPortfolioHolding(ctx context.Context, portfolioID, assetID string, opts ...CallOption) (*Holding, error) {
	op := opGetPortfolioHolding
	if err := errors.Join(checkSegment("portfolioID", portfolioID), checkSegment("assetID", assetID)); err != nil {
		return nil, invalid(op, err)
	}
	return u.getHolding(ctx, op, []string{portfolioID, assetID}, opts)
}

func (u *UserClient) getHolding(ctx context.Context, op *operation, params []string, opts []CallOption) (*Holding, error) {
	return getObject(ctx, u.c, op, request{params: params, cred: u.cred}, opts, "holding (assetId)", func(h *Holding) string { return h.AssetID })
}
