package kryptos

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// SpamEntry is an asset the workspace flagged as spam, or explicitly as
// not spam (DATA-API.md §5.9). Holdings, DeFi, NFTs and transactions leave
// flagged assets out unless asked to include spam. A platform-wide spam
// list applies too, and is not reported here.
type SpamEntry struct {
	ID          string `json:"id"`
	WorkspaceID string `json:"workspaceId"`
	// AssetID is the Kryptos asset id, as in CatalogAsset.ID and holdings.
	AssetID string `json:"assetId"`
	Symbol  string `json:"symbol"`
	// ChainID is the chain the flag applies to. The API has a value for
	// "every chain" that the docs do not give; it is kept as sent.
	ChainID string `json:"chainId"`
	// IsSpam is false for an explicit "not spam" override, listed only
	// with SpamParams.IncludeNonSpam.
	IsSpam bool `json:"isSpam"`
	// Name, LogoURL and ContractAddress are "" when the API sends null.
	// ContractAddress is the contract on ChainID only: there is no
	// fallback to the asset's contract on another chain.
	Name            string    `json:"name"`
	LogoURL         string    `json:"logoUrl"`
	ContractAddress string    `json:"contractAddress"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// SpamParams filter ListSpam.
type SpamParams struct {
	// Search matches the symbol or the name; at most 100 characters.
	Search string
	// IncludeNonSpam also lists the explicit "not spam" overrides (the
	// API's default is false).
	IncludeNonSpam *bool
	// Offset is the first entry to read; Limit the page size, from 1 to
	// 200 (the API's default, 20, when 0).
	Offset, Limit int
}

const (
	maxSpamLimit  = 200
	maxSpamSearch = 100
)

// spamAnswer is {success, data: {entries, totalCount, limit, offset,
// hasMore, totalPages}}: offset paging inside data, a shape of its own
// (DATA-API.md §8.4).
type spamAnswer struct {
	httpcore.Envelope
	Data struct {
		Entries    []SpamEntry `json:"entries"`
		TotalCount *int        `json:"totalCount"`
		Limit      int         `json:"limit"`
		HasMore    *bool       `json:"hasMore"`
		TotalPages int         `json:"totalPages"`
	} `json:"data"`
}

func (a *spamAnswer) WholeEnvelope() *httpcore.Envelope { return &a.Envelope }

func (a *spamAnswer) page() pageFacts[SpamEntry, NoSummary] {
	d := &a.Data
	return pageFacts[SpamEntry, NoSummary]{items: d.Entries, total: orMinusOne(d.TotalCount), hasMore: d.HasMore,
		totalPages: d.TotalPages, limit: d.Limit}
}

func (u *UserClient) spamLister(p SpamParams, opts []CallOption) *lister[SpamEntry, NoSummary] {
	q := newQuery().str("search", p.Search).flag("includeNonSpam", p.IncludeNonSpam)
	err := errors.Join(q.check(), checkChars("params.Search", p.Search, maxSpamSearch),
		checkPosition("params.Offset", p.Offset), checkLimit("params.Limit", p.Limit, maxSpamLimit))
	return &lister[SpamEntry, NoSummary]{u: u, op: opListSpam, query: q.v, style: byOffset, start: p.Offset,
		limit: p.Limit, answer: func() pageAnswer[SpamEntry, NoSummary] { return &spamAnswer{} }, fullPage: maxSpamLimit, opts: opts, err: err}
}

// ListSpam iterates over the assets the user's workspace flagged as spam:
// GET /v1/spam (scope transactions:read), page after page as the loop asks
// for them. With p.Limit 0 it asks for pages of 200, the most the API
// gives, to spend fewer calls of the data quota.
func (u *UserClient) ListSpam(ctx context.Context, p SpamParams, opts ...CallOption) iter.Seq2[SpamEntry, error] {
	return u.spamLister(p, opts).all(ctx)
}

// ListSpamPage returns one page of the workspace's spam flags, with their
// total: GET /v1/spam (scope transactions:read; 20 entries a page unless
// p.Limit says otherwise). Page.Next fetches the next one.
func (u *UserClient) ListSpamPage(ctx context.Context, p SpamParams, opts ...CallOption) (*Page[SpamEntry, NoSummary], error) {
	return u.spamLister(p, opts).first(ctx)
}
