package kryptos

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// Portfolio is a named group of a user's integrations (DATA-API.md §5.6).
// Every active workspace has a default one.
type Portfolio struct {
	ID          string `json:"id"`
	WorkspaceID string `json:"workspaceId"`
	Name        string `json:"name"`
	// Description is "" when the portfolio has none.
	Description string `json:"description"`
	IsDefault   bool   `json:"isDefault"`
	// Metadata is the portfolio's free-form metadata; nil when it has none.
	Metadata map[string]any `json:"metadata"`
	// IntegrationsCount and IntegrationLogos (at most 5) are sent in lists
	// only.
	IntegrationsCount int       `json:"integrationsCount"`
	IntegrationLogos  []string  `json:"integrationLogos"`
	CreatedAt         time.Time `json:"createdAt"`
	UpdatedAt         time.Time `json:"updatedAt"`
}

// PortfoliosParams filter ListPortfolios.
type PortfoliosParams struct {
	// WorkspaceID is needed only for a credential that is not bound to a
	// workspace; Connect and OAuth tokens are.
	WorkspaceID string
	// Page is the first page to read (1 when 0); Limit the page size, up to
	// 100 (the API's default, 50, when 0).
	Page, Limit int
}

const maxPortfoliosLimit = 100

// portfoliosAnswer is the page-number shape {success, data: {portfolios,
// pagination}}.
type portfoliosAnswer struct {
	httpcore.Envelope
	Data struct {
		Portfolios []Portfolio `json:"portfolios"`
		Pagination pagination  `json:"pagination"`
	} `json:"data"`
}

func (a *portfoliosAnswer) WholeEnvelope() *httpcore.Envelope { return &a.Envelope }

func (a *portfoliosAnswer) page() pageFacts[Portfolio, NoSummary] {
	return pageFactsOf(a.Data.Portfolios, a.Data.Pagination, NoSummary{})
}

func (u *UserClient) portfolioLister(p PortfoliosParams, opts []CallOption) *lister[Portfolio, NoSummary] {
	q := newQuery().id("workspaceId", p.WorkspaceID)
	err := errors.Join(q.check(), checkPosition("params.Page", p.Page), checkLimit("params.Limit", p.Limit, maxPortfoliosLimit))
	return &lister[Portfolio, NoSummary]{u: u, op: opListPortfolios, query: q.v, style: byPageNumber, start: p.Page,
		limit: p.Limit, answer: func() pageAnswer[Portfolio, NoSummary] { return &portfoliosAnswer{} }, fullPage: maxPortfoliosLimit, opts: opts, err: err}
}

// ListPortfolios iterates over the user's portfolios: GET /v1/portfolios,
// page after page as the loop asks for them.
func (u *UserClient) ListPortfolios(ctx context.Context, p PortfoliosParams, opts ...CallOption) iter.Seq2[Portfolio, error] {
	return u.portfolioLister(p, opts).all(ctx)
}

// ListPortfoliosPage returns one page of the user's portfolios, with its
// total: GET /v1/portfolios. Page.Next fetches the next one.
func (u *UserClient) ListPortfoliosPage(ctx context.Context, p PortfoliosParams, opts ...CallOption) (*Page[Portfolio, NoSummary], error) {
	return u.portfolioLister(p, opts).first(ctx)
}

// GetPortfolio returns one of the user's portfolios:
// GET /v1/portfolios/{id}. An unknown id matches ErrNotFound.
func (u *UserClient) GetPortfolio(ctx context.Context, portfolioID string, opts ...CallOption) (*Portfolio, error) {
	return u.GetPortfolioInWorkspace(ctx, "", portfolioID, opts...)
}

// GetPortfolioInWorkspace is GetPortfolio with the workspaceId query
// parameter, which the docs require on GET /v1/portfolios/{id} for a
// credential that is not bound to a workspace (DATA-API.md §5.6); Connect
// and OAuth tokens are bound, and need none ("" sends none).
func (u *UserClient) GetPortfolioInWorkspace(ctx context.Context, workspaceID, portfolioID string, opts ...CallOption) (*Portfolio, error) {
	op := opGetPortfolio
	q := newQuery().id("workspaceId", workspaceID)
	if err := errors.Join(q.check(), checkSegment("portfolioID", portfolioID)); err != nil {
		return nil, invalid(op, err)
	}
	return getObject(ctx, u.c, op, request{params: []string{portfolioID}, query: q.v, cred: u.cred}, opts, "portfolio", func(p *Portfolio) string { return p.ID })
}

// defaultPortfolioAnswer is {success, data: {portfolio: {...}}}: the
// default portfolio is nested one level deeper than a single read.
type defaultPortfolioAnswer struct {
	Portfolio Portfolio `json:"portfolio"`
}

// GetDefaultPortfolio returns the user's default portfolio:
// GET /v1/portfolios/default.
func (u *UserClient) GetDefaultPortfolio(ctx context.Context, opts ...CallOption) (*Portfolio, error) {
	return u.GetDefaultPortfolioInWorkspace(ctx, "", opts...)
}

// GetDefaultPortfolioInWorkspace is GetDefaultPortfolio with the
// workspaceId query parameter, which the docs require on
// GET /v1/portfolios/default for a credential that is not bound to a
// workspace (DATA-API.md §5.6); "" sends none.
func (u *UserClient) GetDefaultPortfolioInWorkspace(ctx context.Context, workspaceID string, opts ...CallOption) (*Portfolio, error) {
	q := newQuery().id("workspaceId", workspaceID)
	if err := q.check(); err != nil {
		return nil, invalid(opGetDefaultPortfolio, err)
	}
	a, err := getObject(ctx, u.c, opGetDefaultPortfolio, request{query: q.v, cred: u.cred}, opts, "portfolio",
		func(a *defaultPortfolioAnswer) string { return a.Portfolio.ID })
	if err != nil {
		return nil, err
	}
	return &a.Portfolio, nil
}
