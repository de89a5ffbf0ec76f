package kryptos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"strconv"
	"strings"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// DeFiProtocol is a DeFi protocol of the shared catalogue that
// GET /v1/defi-metadata serves: what a DeFiPosition's ProtocolID names.
//
// The docs do not list the catalogue's fields; they mention TVL, chains,
// tags and portfolio support. The typed fields are those the sandbox
// (kryptostest) sends. They are read leniently: a field that is missing or
// of another JSON type is left at its zero value (and noted in the
// client's log as a warning), and the call still succeeds. Raw keeps the
// whole entry as the API sent it, for the fields this package does not
// know.
type DeFiProtocol struct {
	// ID is the protocol's id, such as "aave-v3".
	ID          string `json:"id"`
	Name        string `json:"name"`
	LogoURL     string `json:"logoUrl"`
	SiteURL     string `json:"siteUrl"`
	Description string `json:"description"`
	// Chains are the provider ids of the networks the protocol runs on,
	// such as "ethereum" and "base".
	Chains []string `json:"chains"`
	// Tags classify the protocol, such as "lending" or "dex".
	Tags []string `json:"tags"`
	// TVL is the value locked in the protocol, in US dollars.
	TVL float64 `json:"tvl"`
	// Priority ranks protocols for display; higher comes first.
	Priority int `json:"priority"`
	// TotalUserCount counts the protocol's users.
	TotalUserCount int `json:"totalUserCount"`
	// IsSupportPortfolio reports whether Kryptos reads positions in the
	// protocol; IsVisible whether it is listed by default.
	IsSupportPortfolio bool `json:"isSupportPortfolio"`
	IsVisible          bool `json:"isVisible"`
	// Raw is the whole entry as the API sent it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON reads an entry of the catalogue leniently (see
// DeFiProtocol) and keeps it whole in Raw.
func (p *DeFiProtocol) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil // as encoding/json treats null
	}
	var odd oddities
	parsed, err := readDeFiProtocol(b, &odd, "protocol")
	if err != nil {
		return err
	}
	*p = parsed
	return nil
}

// readDeFiProtocol reads one entry of the catalogue; what it could not
// read goes to odd, named below at. Only an entry that is not a JSON
// object fails.
func readDeFiProtocol(raw json.RawMessage, odd *oddities, at string) (DeFiProtocol, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return DeFiProtocol{}, fmt.Errorf("kryptos: %s: want a JSON object, got %.40s", at, raw)
	}
	name := func(key string) string { return at + "." + key }
	p := DeFiProtocol{
		ID:                 defiLooseID(odd, name("id"), fields["id"]),
		Name:               odd.str(name("name"), fields["name"]),
		LogoURL:            odd.str(name("logoUrl"), fields["logoUrl"]),
		SiteURL:            odd.str(name("siteUrl"), fields["siteUrl"]),
		Description:        odd.str(name("description"), fields["description"]),
		Chains:             defiLooseStrings(odd, name("chains"), fields["chains"]),
		Tags:               defiLooseStrings(odd, name("tags"), fields["tags"]),
		TVL:                defiLooseNumber(odd, name("tvl"), fields["tvl"]),
		Priority:           defiLooseInt(odd, name("priority"), fields["priority"]),
		TotalUserCount:     defiLooseInt(odd, name("totalUserCount"), fields["totalUserCount"]),
		IsSupportPortfolio: odd.boolean(name("isSupportPortfolio"), fields["isSupportPortfolio"]),
		IsVisible:          odd.boolean(name("isVisible"), fields["isVisible"]),
		Raw:                append(json.RawMessage(nil), bytes.TrimSpace(raw)...),
	}
	return p, nil
}

// defiLooseID reads an optional identifier: a string, or a number kept as
// its text.
func defiLooseID(odd *oddities, field string, raw json.RawMessage) string {
	var t defiText
	if absent(raw) {
		return ""
	}
	if t.UnmarshalJSON(raw) != nil {
		odd.add(field, raw, "a string")
	}
	return string(t)
}

// defiLooseNumber reads an optional number: a JSON number, or a string
// holding one.
func defiLooseNumber(odd *oddities, field string, raw json.RawMessage) float64 {
	if absent(raw) {
		return 0
	}
	f, err := strconv.ParseFloat(strings.Trim(string(bytes.TrimSpace(raw)), `"`), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		odd.add(field, raw, "a number")
		return 0
	}
	return f
}

// defiLooseInt reads an optional whole number, as defiLooseNumber does.
func defiLooseInt(odd *oddities, field string, raw json.RawMessage) int {
	f := defiLooseNumber(odd, field, raw)
	if f != math.Trunc(f) || math.Abs(f) > maxSafeInteger {
		odd.add(field, raw, "a whole number")
		return 0
	}
	return int(f)
}

// defiLooseStrings reads an optional array of strings; elements of another
// type are left out and noted.
func defiLooseStrings(odd *oddities, field string, raw json.RawMessage) []string {
	if absent(raw) {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		odd.add(field, raw, "an array of strings")
		return nil
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		var s string
		if json.Unmarshal(item, &s) != nil {
			odd.add(fmt.Sprintf("%s[%d]", field, i), item, "a string")
			continue
		}
		out = append(out, s)
	}
	return out
}

// DeFiProtocolSort orders ListDeFiMetadata.
type DeFiProtocolSort string

// The orders of the protocol catalogue.
const (
	DeFiProtocolsByTVL       DeFiProtocolSort = "tvl" // the API's default
	DeFiProtocolsByPriority  DeFiProtocolSort = "priority"
	DeFiProtocolsByName      DeFiProtocolSort = "name"
	DeFiProtocolsByUserCount DeFiProtocolSort = "totalUserCount"
)

// DeFiProtocolOrder is the direction of a DeFiProtocolSort.
type DeFiProtocolOrder string

// The directions of the protocol catalogue's order.
const (
	DeFiProtocolsDescending DeFiProtocolOrder = "desc" // the API's default
	DeFiProtocolsAscending  DeFiProtocolOrder = "asc"
)

// DeFiMetadataParams filter ListDeFiMetadata. Every field is optional.
type DeFiMetadataParams struct {
	// ID keeps the protocol with this id; Name matches the protocol's
	// name.
	ID, Name string
	// Chain keeps the protocols that run on a network, such as "base".
	Chain string
	// Tags keep the protocols with these tags (sent as one comma-separated
	// value).
	Tags []string
	// IsSupportPortfolio keeps the protocols whose positions Kryptos reads
	// (true) or does not read (false). The API takes the strings "true"
	// and "false".
	IsSupportPortfolio *bool
	// IsVisible keeps the protocols listed by default (true, the API's
	// default when nil) or the hidden ones (false).
	IsVisible *bool
	// SortBy orders the list (the API's default: TVL); SortOrder is its
	// direction (the API's default: descending).
	SortBy    DeFiProtocolSort
	SortOrder DeFiProtocolOrder
	// Offset is the first protocol to read (0 when 0); Limit the page size,
	// up to 200 (the API's default, 50, when 0; ListDeFiMetadata asks for
	// 200).
	Offset, Limit int
}

const maxDeFiMetadataLimit = 200

// defiMetadataPage is the catalogue's own paging shape {success, data: [],
// pagination: {limit, offset, total}} (DATA-API.md §2.3: no hasMore; the
// engine stops when offset + entries reach total).
type defiMetadataPage struct {
	httpcore.Envelope
	data       []DeFiProtocol
	pagination pagination
	odd        oddities
}

func (a *defiMetadataPage) WholeEnvelope() *httpcore.Envelope { return &a.Envelope }

func (a *defiMetadataPage) UnmarshalJSON(b []byte) error {
	var w struct {
		httpcore.Envelope
		Data       []json.RawMessage `json:"data"`
		Pagination pagination        `json:"pagination"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	a.Envelope, a.pagination = w.Envelope, w.Pagination
	if w.Data == nil {
		// data null or missing: no list, which the engine reports as a
		// malformed answer rather than an empty catalogue.
		a.data = nil
		return nil
	}
	a.data = make([]DeFiProtocol, len(w.Data))
	for i, raw := range w.Data {
		p, err := readDeFiProtocol(raw, &a.odd, fmt.Sprintf("data[%d]", i))
		if err != nil {
			return err
		}
		a.data[i] = p
	}
	return nil
}

func (a *defiMetadataPage) notes() oddities { return a.odd }

func (a *defiMetadataPage) page() pageFacts[DeFiProtocol, NoSummary] {
	return pageFactsOf(a.data, a.pagination, NoSummary{})
}

func (u *UserClient) defiMetadataLister(p DeFiMetadataParams, opts []CallOption) *lister[DeFiProtocol, NoSummary] {
	q := newQuery().id("id", p.ID).str("name", p.Name).str("chain", p.Chain).list("tags", p.Tags).
		flag("isSupportPortfolio", p.IsSupportPortfolio).flag("isVisible", p.IsVisible).
		oneOf("sortBy", string(p.SortBy), string(DeFiProtocolsByTVL), string(DeFiProtocolsByPriority), string(DeFiProtocolsByName), string(DeFiProtocolsByUserCount)).
		oneOf("sortOrder", string(p.SortOrder), string(DeFiProtocolsAscending), string(DeFiProtocolsDescending))
	err := errors.Join(q.check(), checkPosition("params.Offset", p.Offset), checkLimit("params.Limit", p.Limit, maxDeFiMetadataLimit))
	return &lister[DeFiProtocol, NoSummary]{u: u, op: opListDeFiMetadata, query: q.v, style: byOffset, start: p.Offset,
		limit: p.Limit, answer: func() pageAnswer[DeFiProtocol, NoSummary] { return &defiMetadataPage{} }, fullPage: maxDeFiMetadataLimit, opts: opts, err: err}
}

// ListDeFiMetadata iterates over the catalogue of DeFi protocols that
// Kryptos knows: GET /v1/defi-metadata, page after page as the loop asks
// for them, 200 a page unless p.Limit says otherwise. It is shared
// reference data: any user's access token reads it, with no scope and no
// workspace.
func (u *UserClient) ListDeFiMetadata(ctx context.Context, p DeFiMetadataParams, opts ...CallOption) iter.Seq2[DeFiProtocol, error] {
	return u.defiMetadataLister(p, opts).all(ctx)
}

// ListDeFiMetadataPage returns one page of the DeFi protocol catalogue,
// with its total: GET /v1/defi-metadata. Page.Next fetches the next one.
func (u *UserClient) ListDeFiMetadataPage(ctx context.Context, p DeFiMetadataParams, opts ...CallOption) (*Page[DeFiProtocol, NoSummary], error) {
	return u.defiMetadataLister(p, opts).first(ctx)
}

type defiProtocolAnswer struct {
	protocol DeFiProtocol
	found    bool
	odd      oddities
}

func (a *defiProtocolAnswer) UnmarshalJSON(b []byte) error {
	if a.found = !absent(b); !a.found {
		return nil
	}
	p, err := readDeFiProtocol(b, &a.odd, "data")
	a.protocol = p
	return err
}

func (a *defiProtocolAnswer) check() error {
	if !a.found || a.protocol.ID == "" {
		return errors.New("no protocol in the answer")
	}
	return nil
}

func (a *defiProtocolAnswer) notes() oddities { return a.odd }

// GetDeFiMetadata returns one protocol of the DeFi catalogue:
// GET /v1/defi-metadata/{id}. The docs do not say whether hidden protocols
// are served by id; the sandbox serves them. An unknown id matches ErrNotFound
// (the API answers 404 {"success": false, "error": "Protocol not found"},
// without a code).
func (u *UserClient) GetDeFiMetadata(ctx context.Context, protocolID string, opts ...CallOption) (*DeFiProtocol, error) {
	if err := checkSegment("protocolID", protocolID); err != nil {
		return nil, invalid(opGetDeFiMetadata, err)
	}
	var a defiProtocolAnswer
	if err := u.c.do(ctx, opGetDeFiMetadata, request{params: []string{protocolID}, cred: u.cred}, &a, opts); err != nil {
		return nil, err
	}
	return &a.protocol, nil
}
