package kryptos

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"reflect"
	"strconv"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// Page is one page of a list, with the totals the API sent beside it and
// the way to the next page. S holds what a list reports about the whole
// filtered set, such as the total value of the holdings; lists that report
// nothing more use NoSummary.
type Page[T, S any] struct {
	// Items are the page's entries, in the order the API sent them; none
	// on a page that repeats the previous one's entries, which a list may
	// tolerate once (see ErrPageRepeated): they were listed already.
	Items []T
	// Total counts the entries of the whole filtered list, or is -1 when the
	// API did not say.
	Total int
	// Summary is what the API reported about the whole filtered list.
	Summary S

	next func(context.Context) (*Page[T, S], error)
}

// NoSummary is the summary of lists that report nothing beyond their total.
type NoSummary struct{}

// HasNext reports whether a page follows this one.
func (p *Page[T, S]) HasNext() bool { return p.next != nil }

// Next fetches the page that follows this one. It returns nil and no error
// after the last page.
func (p *Page[T, S]) Next(ctx context.Context) (*Page[T, S], error) {
	if p.next == nil {
		return nil, nil
	}
	return p.next(ctx)
}

// ErrPageRepeated is returned by a list whose server sent the same page
// twice in a row: following it would never end. An offset list whose
// answer echoes the offset asked for may repeat a page once (exactly a page
// of entries saved in front of the offset meanwhile): that page comes with
// no Items, as its entries were listed already, and the list goes on.
var ErrPageRepeated = errors.New("kryptos: the server sent the same page twice; stopping instead of looping")

// pageStyle says how a list asks for its pages.
type pageStyle uint8

const (
	// byPageNumber: ?page=1&limit=50 (page numbers start at 1).
	byPageNumber pageStyle = iota
	// byOffset: ?offset=0&limit=50.
	byOffset
)

// pageAnswer is what the engine needs from the decoded answer of one page,
// whatever its shape (DATA-API.md §2): the entries, and whichever of total,
// hasMore, totalPages and the echoed limit the shape carries.
type pageAnswer[T, S any] interface {
	httpcore.Whole
	page() pageFacts[T, S]
}

// pageFacts are the facts of one page; a negative number or a nil pointer
// is a fact the answer did not carry.
type pageFacts[T, S any] struct {
	items      []T
	total      int
	hasMore    *bool
	totalPages int
	limit      int
	// offset is the offset the answer says it starts at; nil when the
	// shape does not echo it.
	offset  *int
	summary S
}

// lister describes one paged list operation: its request without paging,
// how it pages, and a fresh answer of its shape. A family builds one from
// its parameters, and its two methods are then one line each:
//
//	func (u *UserClient) ListX(ctx, p, opts...) iter.Seq2[X, error] { return u.xLister(p, opts).all(ctx) }
//	func (u *UserClient) ListXPage(ctx, p, opts...) (*Page[X, S], error) { return u.xLister(p, opts).first(ctx) }
type lister[T, S any] struct {
	u      *UserClient
	op     *operation
	params []string
	query  url.Values
	style  pageStyle
	// start is the first page number or offset; limit the page size asked
	// for (0: the server's default).
	start, limit int
	// fullPage is the page size all asks for when limit is 0: the most the
	// API sends, so that reading a whole list spends fewer calls of the
	// data quota.
	fullPage int
	answer   func() pageAnswer[T, S]
	opts     []CallOption
	// err is why the arguments were refused: nothing is sent, and the
	// list's first page or first entry is this error.
	err error
}

// fetch gets the page at position (a page number or an offset).
// prev are the previous page's entries, and prevRepeat says whether that
// page was itself the previous one's entries again.
func (l *lister[T, S]) fetch(ctx context.Context, position int, prev []T, prevRepeat bool) (*Page[T, S], error) {
	q := url.Values{}
	for k, v := range l.query {
		q[k] = v
	}
	if l.style == byPageNumber {
		q.Set("page", strconv.Itoa(position))
	} else {
		q.Set("offset", strconv.Itoa(position))
	}
	if l.limit > 0 {
		q.Set("limit", strconv.Itoa(l.limit))
	}
	a := l.answer()
	var f pageFacts[T, S]
	hasList := func() error {
		f = a.page()
		if f.items == nil {
			// data null or {}: a page without its list is malformed,
			// not empty (an empty list is sent as []).
			return errors.New("no list in the answer")
		}
		return nil
	}
	if err := l.u.c.do(ctx, l.op, request{params: l.params, query: q, cred: l.u.cred, check: hasList}, a, l.opts); err != nil {
		return nil, err
	}
	repeat := len(prev) > 0 && len(f.items) > 0 && samePage(prev, f.items)
	if repeat {
		// An offset list whose answer echoes the offset asked for paged as
		// asked: the same entries once more are entries saved meanwhile in
		// front of the offset, which shifted the list by exactly one page.
		// Twice in a row, or without the echo, the server ignores paging.
		echoed := l.style == byOffset && f.offset != nil && *f.offset == position
		if !echoed || prevRepeat {
			return nil, fmt.Errorf("kryptos: %s: %w", l.op.name, ErrPageRepeated)
		}
	}
	page := &Page[T, S]{Items: f.items, Total: f.total, Summary: f.summary}
	if repeat {
		// Those entries were listed already, on the previous page: a
		// loop over the list gets each once.
		page.Items = []T{} // not f.items[:0]: a caller appending to it would change what the next page is compared with
	}
	if next, ok := l.nextPosition(position, f); ok {
		items := f.items
		page.next = func(ctx context.Context) (*Page[T, S], error) { return l.fetch(ctx, next, items, repeat) }
	}
	return page, nil
}

// nextPosition decides whether a page follows, and where. It trusts
// hasMore when the answer has it; otherwise a list is done when the entries
// seen reach its total (DATA-API.md §2.2), or when a page comes back empty.
func (l *lister[T, S]) nextPosition(position int, f pageFacts[T, S]) (int, bool) {
	n := len(f.items)
	if n == 0 {
		return 0, false
	}
	if l.style == byPageNumber {
		// The server may clamp the limit silently: count what it sent.
		size := max(f.limit, n)
		switch {
		case f.hasMore != nil:
			return position + 1, *f.hasMore
		case f.totalPages > 0:
			return position + 1, position < f.totalPages
		case f.total >= 0:
			return position + 1, position*size < f.total
		}
		return position + 1, l.full(f, n)
	}
	next := position + n
	switch {
	case f.hasMore != nil:
		return next, *f.hasMore
	case f.total >= 0:
		return next, next < f.total
	}
	return next, l.full(f, n)
}

// full reports whether a page of n entries that says nothing of what
// follows was full: as long as the size asked for, or, when none was asked,
// as the size the answer says it used.
func (l *lister[T, S]) full(f pageFacts[T, S], n int) bool {
	size := l.limit
	if size == 0 {
		size = f.limit
	}
	return size > 0 && n >= size
}

// samePage reports whether two pages hold the same entries at both ends,
// as a server that ignores the paging parameters would send.
func samePage[T any](a, b []T) bool {
	return len(a) == len(b) && sameEntry(a[0], b[0]) && sameEntry(a[len(a)-1], b[len(b)-1])
}

// sameEntry compares two entries by their ids when they have one: live
// fields (a price, a sync's progress) change between two answers that
// send the same entry.
func sameEntry[T any](a, b T) bool {
	if ka, ok := any(a).(keyed); ok {
		if k := ka.key(); k != "" {
			return k == any(b).(keyed).key()
		}
	}
	return reflect.DeepEqual(a, b)
}

// keyed is an entry with an id of its own.
type keyed interface{ key() string }

// The ids of the entries whose fields move while the entry stays the same.
func (h Holding) key() string            { return h.AssetID }
func (p DeFiPosition) key() string       { return p.ID }
func (n NFT) key() string                { return n.ID }
func (c NFTCollection) key() string      { return c.CollectionID }
func (i Integration) key() string        { return i.ID }
func (i IntegrationSummary) key() string { return i.ID }
func (a IntegrationAsset) key() string   { return a.AssetID }
func (j SyncJob) key() string            { return j.ID }
func (p Portfolio) key() string          { return p.ID }

// first fetches the list's first page.
func (l *lister[T, S]) first(ctx context.Context) (*Page[T, S], error) {
	if l.err != nil {
		return nil, invalid(l.op, l.err)
	}
	start := l.start
	if l.style == byPageNumber && start < 1 {
		start = 1
	}
	return l.fetch(ctx, start, nil, false)
}

// all iterates over every entry of the list, fetching one page at a time
// as the loop needs it, pages of fullPage entries unless the caller chose a
// size or a page number past the first. An error ends the iteration after
// it is yielded; so does a loop that breaks or a ctx that ends.
func (l *lister[T, S]) all(ctx context.Context) iter.Seq2[T, error] {
	// A page number counts pages of the size asked for: a list that starts
	// past the first page keeps the API's default size, or it would skip
	// the entries between the two sizes' starts.
	if l.limit == 0 && (l.style == byOffset || l.start <= 1) {
		l.limit = l.fullPage
	}
	return func(yield func(T, error) bool) {
		page, err := l.first(ctx)
		for {
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
			if !page.HasNext() {
				return
			}
			page, err = page.Next(ctx)
		}
	}
}

// checkLimit accepts a page size of 0 (the API's default) up to max.
func checkLimit(field string, limit, maxLimit int) error {
	if limit < 0 || limit > maxLimit {
		return &ParamError{field, fmt.Sprintf("must be between 1 and %d, or 0 for the API's default", maxLimit)}
	}
	return nil
}

// checkPosition accepts a page number of at least 1 (or 0 for the first),
// or an offset of at least 0.
func checkPosition(field string, v int) error {
	if v < 0 {
		return &ParamError{field, "must not be negative"}
	}
	return nil
}

// The answer shapes that several lists share (DATA-API.md §2). Each field
// is optional: the engine uses whichever the shape carries.

// metaPage is the bare shape {data: [...], meta: {limit, offset, hasMore,
// total}} of transactions and ledgers (ledgers omit hasMore).
type metaPage[T any] struct {
	httpcore.Envelope
	Data []T `json:"data"`
	Meta struct {
		Total   *int  `json:"total"`
		Limit   int   `json:"limit"`
		Offset  *int  `json:"offset"`
		HasMore *bool `json:"hasMore"`
	} `json:"meta"`
}

func (p *metaPage[T]) WholeEnvelope() *httpcore.Envelope { return &p.Envelope }

// metaPageOf is the page of a metaPage whose entries were decoded into a
// wire type W, each turned into a T by conv.
func metaPageOf[W, T any](p *metaPage[W], conv func(*W) T) pageFacts[T, NoSummary] {
	var items []T // nil when the answer had no list
	if p.Data != nil {
		items = make([]T, len(p.Data))
	}
	for i := range p.Data {
		items[i] = conv(&p.Data[i])
	}
	return pageFacts[T, NoSummary]{items: items, total: orMinusOne(p.Meta.Total), hasMore: p.Meta.HasMore, limit: p.Meta.Limit, offset: p.Meta.Offset}
}

// flatPage is the flattened shape {success, data: [...], totalCount, offset,
// limit, hasMore} of holdings, balances and DeFi; NFTs send totalCount only.
type flatPage[T any] struct {
	httpcore.Envelope
	Data       []T   `json:"data"`
	TotalCount *int  `json:"totalCount"`
	Limit      int   `json:"limit"`
	HasMore    *bool `json:"hasMore"`
}

func (p *flatPage[T]) WholeEnvelope() *httpcore.Envelope { return &p.Envelope }

func (p *flatPage[T]) facts() pageFacts[T, NoSummary] {
	return pageFacts[T, NoSummary]{items: p.Data, total: orMinusOne(p.TotalCount), hasMore: p.HasMore, limit: p.Limit}
}

// pagination is the paging block of the page-number lists, {page, limit,
// total, totalPages, hasMore}, and of its variants, which send fewer fields.
type pagination struct {
	Limit      int   `json:"limit"`
	Total      *int  `json:"total"`
	TotalPages int   `json:"totalPages"`
	HasMore    *bool `json:"hasMore"`
}

func pageFactsOf[T, S any](items []T, p pagination, summary S) pageFacts[T, S] {
	return pageFacts[T, S]{items: items, total: orMinusOne(p.Total), hasMore: p.HasMore, totalPages: p.TotalPages, limit: p.Limit, summary: summary}
}

func orMinusOne(n *int) int {
	if n == nil {
		return -1
	}
	return *n
}
