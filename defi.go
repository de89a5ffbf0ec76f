package kryptos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"
)

// DeFiCategory is the kind of a DeFi position (DATA-API.md §5.4). The API
// knows the 18 values below; a position with a category this package does
// not know keeps it as sent.
type DeFiCategory string

// The DeFi categories the API documents.
const (
	DeFiLending          DeFiCategory = "lending"
	DeFiBorrowing        DeFiCategory = "borrowing"
	DeFiStaking          DeFiCategory = "staking"
	DeFiLocked           DeFiCategory = "locked"
	DeFiFarming          DeFiCategory = "farming"
	DeFiLeveragedFarming DeFiCategory = "leveraged_farming"
	DeFiReward           DeFiCategory = "reward"
	DeFiTrading          DeFiCategory = "trading"
	DeFiDerivatives      DeFiCategory = "derivatives"
	DeFiOptionsSeller    DeFiCategory = "options_seller"
	DeFiOptionsBuyer     DeFiCategory = "options_buyer"
	DeFiPerpetuals       DeFiCategory = "perpetuals"
	DeFiInsurance        DeFiCategory = "insurance"
	DeFiInsuranceSeller  DeFiCategory = "insurance_seller"
	DeFiInsuranceBuyer   DeFiCategory = "insurance_buyer"
	DeFiGovernance       DeFiCategory = "governance"
	DeFiVesting          DeFiCategory = "vesting"
	DeFiOther            DeFiCategory = "other"
)

// DeFiCategories returns the 18 categories the API documents, in the docs'
// order: the values DeFiParams.Category accepts.
func DeFiCategories() []DeFiCategory {
	return []DeFiCategory{DeFiLending, DeFiBorrowing, DeFiStaking, DeFiLocked, DeFiFarming, DeFiLeveragedFarming,
		DeFiReward, DeFiTrading, DeFiDerivatives, DeFiOptionsSeller, DeFiOptionsBuyer, DeFiPerpetuals, DeFiInsurance,
		DeFiInsuranceSeller, DeFiInsuranceBuyer, DeFiGovernance, DeFiVesting, DeFiOther}
}

// Known reports whether c is one of the 18 documented categories.
func (c DeFiCategory) Known() bool {
	for _, k := range DeFiCategories() {
		if c == k {
			return true
		}
	}
	return false
}

// DeFiPosition is one position a connected wallet holds in a DeFi protocol:
// a supply and borrow on a lending market, a stake, a liquidity pool share,
// a vesting schedule (DATA-API.md §5.4).
type DeFiPosition struct {
	ID string `json:"id"`
	// Owner is the connected wallet that holds the position.
	Owner Account `json:"owner"`
	// ProtocolID is the protocol's id, such as "aave-v3": the id of
	// GetDeFiMetadata.
	ProtocolID      string `json:"protocolId"`
	ProtocolName    string `json:"protocolName"`
	ProtocolLogoURL string `json:"protocolLogoUrl"`
	// Chain is the network's provider id, such as "ethereum" or "base": the
	// DeFiNetwork.ProviderID that DeFiParams.NetworkID filters on.
	Chain        string `json:"chain"`
	PositionName string `json:"positionName"`
	// DetailTypes are the protocol-specific subtypes, such as "common",
	// "lending" or "locked", that DeFiParams.DetailType filters on.
	DetailTypes []string `json:"detailTypes"`
	// PositionIndex tells apart the positions a wallet holds in one pool,
	// such as "0" or a liquidity NFT's token id. The API sends a string;
	// a JSON number is kept as its exact text.
	PositionIndex string       `json:"positionIndex"`
	Category      DeFiCategory `json:"category"`
	// Pool and Portfolio are defined by each protocol (pool addresses,
	// supplied, borrowed and reward tokens, health rate, unlock times...)
	// and passed through as the API sent them.
	Pool      json.RawMessage `json:"pool"`
	Portfolio json.RawMessage `json:"portfolio"`
	// TotalValue is what the position holds, rewards included; DebtValue
	// what it owes, nil when the position has no debt (the docs send it
	// "where the position has debt", and do not say whether it is left out
	// or null otherwise); NetValue is TotalValue less DebtValue. Read
	// .Price of each: the value in its BaseCurrency.
	TotalValue *Price `json:"totalValue"`
	DebtValue  *Price `json:"debtValue"`
	NetValue   *Price `json:"netValue"`
	// PositionTimestamp is when the position was valued (sent as Unix
	// milliseconds).
	PositionTimestamp time.Time `json:"positionTimestamp"`
	IsActive          bool      `json:"isActive"`
	// Tags are the position's tags. The docs do not type their elements:
	// strings are kept as they are, any other element as its JSON text.
	Tags []string `json:"tags"`
	// Notes is "" when the API sends null.
	Notes string `json:"notes"`
}

// UnmarshalJSON reads PositionTimestamp from Unix milliseconds (or an RFC
// 3339 string), PositionIndex from a string or a number, and Tags
// leniently.
func (p *DeFiPosition) UnmarshalJSON(b []byte) error {
	type plain DeFiPosition
	var w struct {
		*plain
		PositionIndex     defiText        `json:"positionIndex"`
		PositionTimestamp Timestamp       `json:"positionTimestamp"`
		Tags              json.RawMessage `json:"tags"`
		Notes             *string         `json:"notes"`
	}
	w.plain = (*plain)(p)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	tags, err := defiTags(w.Tags)
	if err != nil {
		return err
	}
	p.PositionIndex, p.PositionTimestamp, p.Tags = string(w.PositionIndex), w.PositionTimestamp.Time, tags
	p.Notes = ""
	if w.Notes != nil {
		p.Notes = *w.Notes
	}
	return nil
}

// defiText is an identifier the API documents as a string but that a
// server may send as a JSON number (a position index, an NFT's token id):
// a number keeps its exact text, so a 78-digit token id is not rounded.
type defiText string

func (t *defiText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case absent(b):
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = defiText(s)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*t = defiText(n.String())
	default:
		return fmt.Errorf("kryptos: want a string or a number, got %.40s", b)
	}
	return nil
}

// defiTags reads an array of tags whose element type the docs leave open.
func defiTags(raw json.RawMessage) ([]string, error) {
	if absent(raw) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("kryptos: tags: want an array, got %.40s", raw)
	}
	tags := make([]string, len(items))
	for i, item := range items {
		if json.Unmarshal(item, &tags[i]) != nil {
			var compact bytes.Buffer
			if json.Compact(&compact, item) != nil {
				return nil, fmt.Errorf("kryptos: tags: malformed element %.40s", item)
			}
			tags[i] = compact.String()
		}
	}
	return tags, nil
}

// DeFiParams filter ListDeFi and ListPortfolioDeFi. Every field is
// optional.
type DeFiParams struct {
	// Category keeps one of the 18 categories (DeFiCategories); anything
	// else is refused before sending, as the API would refuse it with 400
	// "Validation failed". DeFiStaking, DeFiLending and DeFiFarming are
	// sent to the docs' shorthand routes (GET /v1/defi/staking, /lending,
	// /farming and their portfolio twins), which the docs call
	// "shorthand for ?category=…, same params"; the others as ?category=.
	Category DeFiCategory
	// DetailType keeps positions with this protocol-specific subtype among
	// their DetailTypes.
	DetailType string
	// IntegrationID keeps one connected account's positions
	// (Integration.ID).
	IntegrationID string
	// NetworkID keeps one network's positions: a provider id of a chain,
	// such as "ethereum" or "base", as DeFiNetworks lists them.
	NetworkID string
	// Search matches the protocol name.
	Search string
	// IncludeSpam also lists positions in protocols flagged as spam (the
	// API's default is false).
	IncludeSpam *bool
	// Offset is the first position to read (0 when 0); Limit the page size,
	// up to 1000 (the API's default, 50, when 0; ListDeFi asks for 1000).
	Offset, Limit int
}

const maxDeFiLimit = 1000

// defiPage is the flattened shape {success, data, totalCount, offset,
// limit, hasMore} of the DeFi lists; unlike holdings, it has no totalValue.
type defiPage struct {
	flatPage[DeFiPosition]
}

func (a *defiPage) page() pageFacts[DeFiPosition, NoSummary] { return a.facts() }

// defiListOp picks the route of a DeFi list: the category shortcut where
// the docs have one.
func defiListOp(inPortfolio bool, c DeFiCategory) (op *operation, shortcut bool) {
	type routes struct{ all, staking, lending, farming *operation }
	r := routes{opListDeFi, opListDeFiStaking, opListDeFiLending, opListDeFiFarming}
	if inPortfolio {
		r = routes{opListPortfolioDeFi, opListPortfolioDeFiStaking, opListPortfolioDeFiLending, opListPortfolioDeFiFarming}
	}
	switch c {
	case DeFiStaking:
		return r.staking, true
	case DeFiLending:
		return r.lending, true
	case DeFiFarming:
		return r.farming, true
	}
	return r.all, false
}

func (u *UserClient) defiLister(inPortfolio bool, portfolioID string, p DeFiParams, opts []CallOption) *lister[DeFiPosition, NoSummary] {
	op, shortcut := defiListOp(inPortfolio, p.Category)
	var params []string
	var problems []error
	if inPortfolio {
		problems = append(problems, checkSegment("portfolioID", portfolioID))
		params = []string{portfolioID}
	}
	q := newQuery()
	if !shortcut && p.Category != "" && !p.Category.Known() {
		problems = append(problems, &ParamError{"params.Category", "must be one of the 18 documented categories (DeFiCategories)"})
	} else if !shortcut {
		q.str("category", string(p.Category))
	}
	q.str("detailType", p.DetailType).id("integrationId", p.IntegrationID).id("networkId", p.NetworkID).
		str("search", p.Search).flag("includeSpam", p.IncludeSpam)
	problems = append(problems, q.check(), checkPosition("params.Offset", p.Offset), checkLimit("params.Limit", p.Limit, maxDeFiLimit))
	err := errors.Join(problems...)
	return &lister[DeFiPosition, NoSummary]{u: u, op: op, params: params, query: q.v, style: byOffset, start: p.Offset,
		limit: p.Limit, answer: func() pageAnswer[DeFiPosition, NoSummary] { return &defiPage{} }, fullPage: maxDeFiLimit, opts: opts, err: err}
}

// ListDeFi iterates over the DeFi positions of the user's connected
// wallets: GET /v1/defi, or GET /v1/defi/staking, /lending or /farming when
// p.Category is one of those. It reads page after page as the loop asks
// for them, 1000 positions a page unless p.Limit says otherwise, in the
// API's order (the docs name none; the sandbox lists the largest net value
// first).
func (u *UserClient) ListDeFi(ctx context.Context, p DeFiParams, opts ...CallOption) iter.Seq2[DeFiPosition, error] {
	return u.allDeFi(ctx, false, "", p, opts)
}

// ListDeFiPage returns one page of the user's DeFi positions, with the
// total count of the filtered list: GET /v1/defi (or its category
// shortcut, as ListDeFi). Page.Next fetches the next one.
func (u *UserClient) ListDeFiPage(ctx context.Context, p DeFiParams, opts ...CallOption) (*Page[DeFiPosition, NoSummary], error) {
	return u.defiLister(false, "", p, opts).first(ctx)
}

// ListPortfolioDeFi iterates over the DeFi positions of the wallets in one
// portfolio: GET /v1/defi/portfolio/{portfolioId}, or its /staking,
// /lending or /farming shortcut when p.Category is one of those. It pages
// as ListDeFi does. An unknown portfolio matches ErrNotFound.
func (u *UserClient) ListPortfolioDeFi(ctx context.Context, portfolioID string, p DeFiParams, opts ...CallOption) iter.Seq2[DeFiPosition, error] {
	return u.allDeFi(ctx, true, portfolioID, p, opts)
}

// ListPortfolioDeFiPage returns one page of a portfolio's DeFi positions:
// GET /v1/defi/portfolio/{portfolioId} (or its category shortcut).
func (u *UserClient) ListPortfolioDeFiPage(ctx context.Context, portfolioID string, p DeFiParams, opts ...CallOption) (*Page[DeFiPosition, NoSummary], error) {
	return u.defiLister(true, portfolioID, p, opts).first(ctx)
}

func (u *UserClient) allDeFi(ctx context.Context, inPortfolio bool, portfolioID string, p DeFiParams, opts []CallOption) iter.Seq2[DeFiPosition, error] {
	return u.defiLister(inPortfolio, portfolioID, p, opts).all(ctx)
}

// DeFiTotals are the headline numbers of the user's DeFi positions, in
// BaseCurrency.
type DeFiTotals struct {
	// TotalBalance is the sum of the positions' total values, before debt.
	TotalBalance float64 `json:"totalBalance"`
	// Borrowed is the sum of their debt.
	Borrowed float64 `json:"borrowed"`
	// EarnedRewards is the value of the rewards they have earned.
	EarnedRewards float64 `json:"earnedRewards"`
	// ConnectedProtocols counts the protocols the positions are in.
	ConnectedProtocols int    `json:"connectedProtocols"`
	BaseCurrency       string `json:"baseCurrency"`
}

// DeFiTotalsParams are the one parameter the totals take.
type DeFiTotalsParams struct {
	// IncludeSpam also counts positions in protocols flagged as spam (the
	// API's default is false).
	IncludeSpam *bool
}

type defiTotalsAnswer struct {
	DeFiTotals
	found bool
}

func (a *defiTotalsAnswer) UnmarshalJSON(b []byte) error {
	a.found = !absent(b)
	return json.Unmarshal(b, &a.DeFiTotals)
}

func (a *defiTotalsAnswer) check() error {
	if !a.found {
		return errors.New("no totals in the answer")
	}
	return nil
}

// DeFiTotals returns the headline numbers of all the user's DeFi
// positions: GET /v1/defi/totals.
func (u *UserClient) DeFiTotals(ctx context.Context, p DeFiTotalsParams, opts ...CallOption) (*DeFiTotals, error) {
	return u.defiTotals(ctx, opDeFiTotals, nil, p, opts)
}

// PortfolioDeFiTotals returns the headline numbers of the DeFi positions
// of the wallets in one portfolio: GET /v1/defi/portfolio/{portfolioId}/totals.
// An unknown portfolio matches ErrNotFound.
func (u *UserClient) PortfolioDeFiTotals(ctx context.Context, portfolioID string, p DeFiTotalsParams, opts ...CallOption) (*DeFiTotals, error) {
	if err := checkSegment("portfolioID", portfolioID); err != nil {
		return nil, invalid(opPortfolioDeFiTotals, err)
	}
	return u.defiTotals(ctx, opPortfolioDeFiTotals, []string{portfolioID}, p, opts)
}

func (u *UserClient) defiTotals(ctx context.Context, op *operation, params []string, p DeFiTotalsParams, opts []CallOption) (*DeFiTotals, error) {
	q := newQuery().flag("includeSpam", p.IncludeSpam)
	var a defiTotalsAnswer
	if err := u.c.do(ctx, op, request{params: params, query: q.v, cred: u.cred}, &a, opts); err != nil {
		return nil, err
	}
	return &a.DeFiTotals, nil
}

// DeFiNetwork is a network on which the user holds DeFi positions.
type DeFiNetwork struct {
	// ProviderID is the chain's provider id, such as "ethereum": the value
	// of DeFiParams.NetworkID.
	ProviderID string `json:"providerId"`
	Name       string `json:"name"`
	LogoURL    string `json:"logoUrl"`
	// WalletCount counts the user's wallets with positions on it.
	WalletCount int `json:"walletCount"`
}

// DeFiNetworksParams filter DeFiNetworks.
type DeFiNetworksParams struct {
	// IntegrationID keeps the networks of one connected account.
	IntegrationID string
	// IncludeSpam also counts positions in protocols flagged as spam.
	IncludeSpam *bool
}

type defiNetworksAnswer struct {
	networks []DeFiNetwork
	found    bool
}

func (a *defiNetworksAnswer) UnmarshalJSON(b []byte) error {
	a.found = !absent(b)
	return json.Unmarshal(b, &a.networks)
}

func (a *defiNetworksAnswer) check() error {
	if !a.found {
		return errors.New("no list of networks in the answer")
	}
	return nil
}

// DeFiNetworks lists the distinct networks of the user's DeFi positions:
// GET /v1/defi/networks. The list is not paginated, and has no portfolio
// twin.
func (u *UserClient) DeFiNetworks(ctx context.Context, p DeFiNetworksParams, opts ...CallOption) ([]DeFiNetwork, error) {
	q := newQuery().id("integrationId", p.IntegrationID).flag("includeSpam", p.IncludeSpam)
	if err := q.check(); err != nil {
		return nil, invalid(opDeFiNetworks, err)
	}
	var a defiNetworksAnswer
	if err := u.c.do(ctx, opDeFiNetworks, request{query: q.v, cred: u.cred}, &a, opts); err != nil {
		return nil, err
	}
	if a.networks == nil {
		a.networks = []DeFiNetwork{}
	}
	return a.networks, nil
}
