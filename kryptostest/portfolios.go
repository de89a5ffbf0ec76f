package kryptostest

import (
	"net/http"

	"github.com/kryptos-connect/kryptos-go"
)

// GET /v1/portfolios (page-number paging, limit clamped to 100).
func (s *Server) listPortfolios(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopePortfoliosRead})
	if !ok {
		return
	}
	page, limit, e := numberedPage(req.q, 50, 100)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	all := req.user.workspace.portfolios
	from, to := window(len(all), (page-1)*limit, limit)
	list := make([]map[string]any, 0, to-from)
	for _, pf := range all[from:to] {
		list = append(list, s.portfolioJSON(req, pf, true))
	}
	writeData(w, http.StatusOK, map[string]any{"portfolios": list, "pagination": pagination(page, limit, len(all))})
}

// GET /v1/portfolios/default: nested under "portfolio", without the list
// fields.
func (s *Server) getDefaultPortfolio(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopePortfoliosRead})
	if !ok {
		return
	}
	writeData(w, http.StatusOK, map[string]any{"portfolio": s.portfolioJSON(req, req.user.workspace.portfolios[0], false)})
}

// GET /v1/portfolios/{portfolioId}
func (s *Server) getPortfolio(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopePortfoliosRead})
	if !ok {
		return
	}
	pf := req.user.portfolio(r.PathValue("portfolioId"))
	if pf == nil {
		writeAPIError(w, notFoundWithDetails("Portfolio not found"))
		return
	}
	writeData(w, http.StatusOK, s.portfolioJSON(req, pf, false))
}

// portfolioJSON is a portfolio as the data API sends it; lists add the
// integration count and up to five logos.
func (s *Server) portfolioJSON(req *dataRequest, pf *portfolio, listed bool) map[string]any {
	out := map[string]any{
		"id": pf.id, "workspaceId": req.user.workspace.id, "name": pf.name, "description": nilIfEmpty(pf.description),
		"isDefault": pf.isDefault, "metadata": nil, "createdAt": iso(pf.createdAt), "updatedAt": iso(pf.createdAt),
	}
	if listed {
		ins := req.user.integrationsIn(pf)
		logos := []string{}
		for _, in := range ins {
			if len(logos) < 5 {
				logos = append(logos, in.provider.logo())
			}
		}
		out["integrationsCount"], out["integrationLogos"] = len(ins), logos
	}
	return out
}

// nilIfEmpty is null for "", as the API sends optional strings.
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
