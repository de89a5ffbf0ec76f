package kryptos

import (
	"context"
	"errors"
	"iter"
	"time"
)

// CounterPartyType is the kind of counter-party the list can keep.
type CounterPartyType string

// The documented counter-party types.
const (
	// CounterPartyExchange keeps exchange addresses (IsExchangeAddress).
	CounterPartyExchange CounterPartyType = "exchange"
	// CounterPartyProtocol keeps smart contracts (IsSmartContract).
	CounterPartyProtocol CounterPartyType = "protocol"
)

// CounterParty is an on-chain address the workspace's transactions went
// to or came from (DATA-API.md §5.16): an exchange's address, a protocol's
// contract, or someone else's wallet.
type CounterParty struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	// AddressNormalized is Address in lower case, for comparisons.
	AddressNormalized string `json:"addressNormalized"`
	// ChainName is the chain's id, such as "ethereum"; ChainPublicName its
	// display name and ChainLogo its logo's URL.
	ChainName       string `json:"chainName"`
	ChainPublicName string `json:"chainPublicName"`
	ChainLogo       string `json:"chainLogo"`
	// Name and Logo are "" when the address is not identified (null).
	Name              string `json:"name"`
	Logo              string `json:"logo"`
	IsExchangeAddress bool   `json:"isExchangeAddress"`
	// PlatformExchangeID is the provider id of the exchange, when
	// IsExchangeAddress; "" otherwise.
	PlatformExchangeID string `json:"platformExchangeId"`
	IsSmartContract    bool   `json:"isSmartContract"`
	// PlatformSmartContractID names the protocol of a known contract; ""
	// otherwise.
	PlatformSmartContractID string `json:"platformSmartContractId"`
	// Identified is true when Kryptos knows who the address belongs to (the
	// list's Resolved filter); Ignored when the user chose to ignore it.
	Identified        bool `json:"identified"`
	Ignored           bool `json:"ignored"`
	IsLinkedToContact bool `json:"isLinkedToContact"`
	// ContactID is the linked Contact's id; "" when none.
	ContactID string `json:"contactId"`
	// TransactionCount counts the workspace's transactions with the
	// address.
	TransactionCount int       `json:"transactionCount"`
	FirstSeenAt      time.Time `json:"firstSeenAt"`
	LastSeenAt       time.Time `json:"lastSeenAt"`
	CreatedAt        time.Time `json:"createdAt"`
	UpdatedAt        time.Time `json:"updatedAt"`
}

// CounterPartiesParams filter ListCounterParties.
type CounterPartiesParams struct {
	// Resolved keeps the identified (true) or unidentified (false)
	// counter-parties; Ignored the ignored or the other ones; nil keeps
	// all. The API takes them as the strings "true" and "false".
	Resolved *bool
	Ignored  *bool
	// Type keeps exchange addresses or protocol contracts.
	Type CounterPartyType
	// Search matches the address and the name.
	Search string
	// Page is the first page to read (1 when 0); Limit the page size, up to
	// 200 (the API's default, 50, when 0).
	Page, Limit int
}

const maxCounterPartiesLimit = 200

func (u *UserClient) counterPartyLister(p CounterPartiesParams, opts []CallOption) *lister[CounterParty, NoSummary] {
	// flag sends "true" or "false", the string enum these filters take
	// (the API refuses 0 and 1).
	q := newQuery().oneOf("type", string(p.Type), string(CounterPartyExchange), string(CounterPartyProtocol)).
		str("search", p.Search).flag("resolved", p.Resolved).flag("ignored", p.Ignored)
	err := errors.Join(q.check(), checkPosition("params.Page", p.Page), checkLimit("params.Limit", p.Limit, maxCounterPartiesLimit))
	return &lister[CounterParty, NoSummary]{u: u, op: opListCounterParties, query: q.v, style: byPageNumber, start: p.Page,
		limit: p.Limit, answer: func() pageAnswer[CounterParty, NoSummary] { return &numberedList[CounterParty]{} }, fullPage: maxCounterPartiesLimit, opts: opts, err: err}
}

// ListCounterParties iterates over the addresses the workspace's
// transactions went to or came from: GET /v1/counter-parties (hyphenated;
// v1 had /v1/counterparties), page after page as the loop asks for them.
// It needs the scope contacts:read, which is not among DefaultScopes: ask
// for it in the link token, or the call fails with ErrInsufficientScope.
// With p.Limit 0 it asks for pages of 200, the most the API gives, to
// spend fewer calls of the data quota. There is no single read.
func (u *UserClient) ListCounterParties(ctx context.Context, p CounterPartiesParams, opts ...CallOption) iter.Seq2[CounterParty, error] {
	return u.counterPartyLister(p, opts).all(ctx)
}

// ListCounterPartiesPage returns one page of the workspace's
// counter-parties, with their total: GET /v1/counter-parties (scope
// contacts:read; 50 a page unless p.Limit says otherwise). Page.Next
// fetches the next one.
func (u *UserClient) ListCounterPartiesPage(ctx context.Context, p CounterPartiesParams, opts ...CallOption) (*Page[CounterParty, NoSummary], error) {
	return u.counterPartyLister(p, opts).first(ctx)
}
