package kryptos

import (
	"context"
	"errors"
	"iter"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// ContactType says whether a contact is a person or a company. Values the
// package does not know are kept as sent.
type ContactType string

// The documented contact types.
const (
	ContactIndividual ContactType = "individual"
	ContactCompany    ContactType = "company"
)

// Contact is a person or company in the workspace's address book
// (DATA-API.md §5.15). Counter-parties link to contacts by ContactID. The
// docs mention addresses attached to a contact but document no field for
// them.
type Contact struct {
	ID string `json:"id"`
	// Name is unique in the workspace, ignoring case.
	Name               string         `json:"name"`
	Type               ContactType    `json:"type"`
	Socials            ContactSocials `json:"socials"`
	ResidentialAddress PostalAddress  `json:"residentialAddress"`
	MobileNumber       string         `json:"mobileNumber"`
	VAT                string         `json:"vat"`
	Terms              ContactTerms   `json:"terms"`
}

// ContactSocials are a contact's social handles; "" where it has none.
type ContactSocials struct {
	Email    string `json:"email"`
	Telegram string `json:"telegram"`
}

// PostalAddress is a contact's residential address; "" where a line is
// missing.
type PostalAddress struct {
	Country  string `json:"country"`
	State    string `json:"state"`
	City     string `json:"city"`
	Postcode string `json:"postcode"`
	Address1 string `json:"address1"`
	Address2 string `json:"address2"`
}

// ContactTerms are the invoicing terms agreed with a contact.
type ContactTerms struct {
	// Payment is the payment term, such as "net30".
	Payment string `json:"payment"`
	// OverduesInterest is the interest charged on overdue invoices, as
	// sent; the docs give no unit (the sandbox sends a yearly percentage).
	OverduesInterest float64 `json:"overduesInterest"`
}

// ContactsParams filter ListContacts.
type ContactsParams struct {
	// Search matches the name.
	Search string
	// Page is the first page to read (1 when 0); Limit the page size, up to
	// 100 (the API's default, 20, when 0).
	Page, Limit int
}

const maxContactsLimit = 100

// numberedList is the answer of the page-number lists whose data is the
// array itself: contacts and counter-parties. The docs disagree on where
// the paging fields go (DATA-API.md §8.3), so each form is accepted: meta
// {total, page, limit} (the September changelog, and the counter-parties
// page), the fields spread beside success (the August contacts page), and
// a top-level pagination block (the overview's page-number family).
type numberedList[T any] struct {
	httpcore.Envelope
	Data       []T         `json:"data"`
	Meta       *pagination `json:"meta"`
	Pagination *pagination `json:"pagination"`
	// The spread form.
	Limit      int   `json:"limit"`
	Total      *int  `json:"total"`
	TotalPages int   `json:"totalPages"`
	HasMore    *bool `json:"hasMore"`
}

func (a *numberedList[T]) WholeEnvelope() *httpcore.Envelope { return &a.Envelope }

func (a *numberedList[T]) page() pageFacts[T, NoSummary] {
	switch {
	case a.Meta != nil:
		return pageFactsOf(a.Data, *a.Meta, NoSummary{})
	case a.Pagination != nil:
		return pageFactsOf(a.Data, *a.Pagination, NoSummary{})
	}
	spread := pagination{Limit: a.Limit, Total: a.Total, TotalPages: a.TotalPages, HasMore: a.HasMore}
	return pageFactsOf(a.Data, spread, NoSummary{})
}

func (u *UserClient) contactLister(p ContactsParams, opts []CallOption) *lister[Contact, NoSummary] {
	q := newQuery().str("search", p.Search)
	err := errors.Join(q.check(), checkPosition("params.Page", p.Page), checkLimit("params.Limit", p.Limit, maxContactsLimit))
	return &lister[Contact, NoSummary]{u: u, op: opListContacts, query: q.v, style: byPageNumber, start: p.Page,
		limit: p.Limit, answer: func() pageAnswer[Contact, NoSummary] { return &numberedList[Contact]{} }, fullPage: maxContactsLimit, opts: opts, err: err}
}

// ListContacts iterates over the workspace's contacts: GET /v1/contacts,
// page after page as the loop asks for them. It needs the scope
// contacts:read, which is not among DefaultScopes: ask for it in the link
// token, or the call fails with ErrInsufficientScope. With p.Limit 0 it
// asks for pages of 100, the most the API gives, to spend fewer calls of
// the data quota.
func (u *UserClient) ListContacts(ctx context.Context, p ContactsParams, opts ...CallOption) iter.Seq2[Contact, error] {
	return u.contactLister(p, opts).all(ctx)
}

// ListContactsPage returns one page of the workspace's contacts, with
// their total: GET /v1/contacts (scope contacts:read; 20 a page unless
// p.Limit says otherwise). Page.Next fetches the next one.
func (u *UserClient) ListContactsPage(ctx context.Context, p ContactsParams, opts ...CallOption) (*Page[Contact, NoSummary], error) {
	return u.contactLister(p, opts).first(ctx)
}

// GetContact returns one of the workspace's contacts:
// GET /v1/contacts/{id} (scope contacts:read). An unknown id matches
// ErrNotFound (the API answers 404 "Contact not found", without a code).
func (u *UserClient) GetContact(ctx context.Context, contactID string, opts ...CallOption) (*Contact, error) {
	op := opGetContact
	if err := checkSegment("contactID", contactID); err != nil {
		return nil, invalid(op, err)
	}
	return getObject(ctx, u.c, op, request{params: []string{contactID}, cred: u.cred}, opts, "contact", func(v *Contact) string { return v.ID })
}
