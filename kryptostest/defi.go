package kryptostest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/kryptos-connect/kryptos-go"
)

// The DeFi endpoints (DATA-API.md §5.4): positions, totals and networks,
// read from the positions of defimodel.go, and the protocol catalogue.

// defiCategoryNames are the 18 categories the docs list.
var defiCategoryNames = []string{"lending", "borrowing", "staking", "locked", "farming", "leveraged_farming", "reward",
	"trading", "derivatives", "options_seller", "options_buyer", "perpetuals", "insurance", "insurance_seller",
	"insurance_buyer", "governance", "vesting", "other"}

// defiShortcuts are the categories with a route of their own,
// /v1/defi/{category}: "shorthand for ?category=…, same params".
var defiShortcuts = []string{"staking", "lending", "farming"}

// defiScope returns the integrations a DeFi or NFT request covers: all the
// user's, or those of the portfolio in the path. It answers an unknown
// portfolio itself, with the wrapped 404 of GET /v1/portfolios/{id}.
func defiScope(w http.ResponseWriter, req *dataRequest, portfolioID string) ([]*integration, bool) {
	if portfolioID == "" {
		return req.user.integrations, true
	}
	pf := req.user.portfolio(portfolioID)
	if pf == nil {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Portfolio not found")
		return nil, false
	}
	return req.user.integrationsIn(pf), true
}

// GET /v1/defi, /v1/defi/{staking,lending,farming} and their portfolio
// twins: the flattened list, offset paging with limit 1–1000, the largest
// net value first.
func (s *Server) listDeFi(w http.ResponseWriter, r *http.Request) {
	route := r.PathValue("category")
	if route != "" && !slices.Contains(defiShortcuts, route) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no such endpoint: "+r.Method+" "+r.URL.Path)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopePortfoliosRead})
	if !ok {
		return
	}
	f, e := defiFilterOf(req.q, route)
	offset, limit := 0, 0
	if e == nil {
		offset, limit, e = offsetPage(req.q, 50, 1000)
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	ins, ok := defiScope(w, req, r.PathValue("portfolioId"))
	if !ok {
		return
	}
	var kept []*defiPosition
	for _, p := range s.defiPositions(ins, req.now) {
		if f.keep(p) {
			kept = append(kept, p)
		}
	}
	from, to := window(len(kept), offset, limit)
	list := make([]map[string]any, 0, to-from)
	for _, p := range kept[from:to] {
		list = append(list, defiPositionJSON(p))
	}
	writeFlat(w, list, map[string]any{"totalCount": len(kept), "offset": offset, "limit": limit, "hasMore": to < len(kept)})
}

// defiFilterOf reads the list's filters. A category outside the 18 is 400
// "Validation failed"; so is one that contradicts the shortcut route.
func defiFilterOf(q url.Values, route string) (defiFilter, *apiError) {
	f := defiFilter{detailType: q.Get("detailType"), integrationID: q.Get("integrationId"),
		networkID: q.Get("networkId"), search: q.Get("search")}
	var e *apiError
	if f.category, e = oneOfParam(q, "category", "", defiCategoryNames...); e != nil {
		return f, e
	}
	if route != "" {
		if f.category != "" && f.category != route {
			return f, validation("category", "contradicts the route /v1/defi/"+route)
		}
		f.category = route
	}
	f.includeSpam, _, e = boolParam(q, "includeSpam")
	return f, e
}

// defiPositionJSON is a position as the data API sends it. debtValue is
// null for a position without debt (the docs send it "where the position
// has debt" and do not say how it is absent otherwise).
func defiPositionJSON(p *defiPosition) map[string]any {
	var debt any
	if p.debt() > 0 {
		debt = priceJSON(p.debt(), p.at, "debank")
	}
	tags := append([]string{}, p.tags...)
	portfolio := map[string]any{"supplyTokenList": defiTokensJSON(p.supply), "borrowTokenList": defiTokensJSON(p.borrow),
		"rewardTokenList": defiTokensJSON(p.rewards)}
	for k, v := range p.extra {
		portfolio[k] = v
	}
	return map[string]any{
		"id": p.id, "owner": accountJSON(p.in),
		"protocolId": p.protocol.id, "protocolName": p.protocol.name, "protocolLogoUrl": p.protocol.logo(),
		"chain": p.chain, "positionName": p.name, "detailTypes": p.details, "positionIndex": p.index, "category": p.category,
		"pool":       map[string]any{"id": p.pool, "chain": p.chain, "projectId": p.protocol.id, "controller": p.pool, "index": p.index},
		"portfolio":  portfolio,
		"totalValue": priceJSON(p.total(), p.at, "debank"), "debtValue": debt, "netValue": priceJSON(p.net(), p.at, "debank"),
		"positionTimestamp": millis(p.at), "isActive": true, "tags": tags, "notes": nil,
	}
}

func defiTokensJSON(list []defiAmount) []map[string]any {
	out := make([]map[string]any, 0, len(list))
	for _, a := range list {
		out = append(out, map[string]any{"symbol": a.symbol, "amount": a.amount, "price": defiTokenPrice(a.symbol), "value": round2(a.value())})
	}
	return out
}

// GET /v1/defi/totals and /v1/defi/portfolio/{portfolioId}/totals: only
// includeSpam applies. totalBalance sums the positions' total values
// (before debt), borrowed their debt, earnedRewards their unclaimed
// rewards.
func (s *Server) defiTotals(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopePortfoliosRead})
	if !ok {
		return
	}
	includeSpam, _, e := boolParam(req.q, "includeSpam")
	if e != nil {
		writeAPIError(w, e)
		return
	}
	ins, ok := defiScope(w, req, r.PathValue("portfolioId"))
	if !ok {
		return
	}
	f := defiFilter{includeSpam: includeSpam}
	var balance, borrowed, rewards float64
	protocols := map[string]bool{}
	for _, p := range s.defiPositions(ins, req.now) {
		if !f.keep(p) {
			continue
		}
		balance += p.total()
		borrowed += p.debt()
		rewards += defiSum(p.rewards)
		protocols[p.protocol.id] = true
	}
	writeData(w, http.StatusOK, map[string]any{"totalBalance": round2(balance), "borrowed": round2(borrowed),
		"earnedRewards": round2(rewards), "connectedProtocols": len(protocols), "baseCurrency": "USD"})
}

// GET /v1/defi/networks: the networks of the user's positions, each with
// the number of wallets holding positions on it, most wallets first.
func (s *Server) defiNetworks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopePortfoliosRead})
	if !ok {
		return
	}
	includeSpam, _, e := boolParam(req.q, "includeSpam")
	if e != nil {
		writeAPIError(w, e)
		return
	}
	f := defiFilter{includeSpam: includeSpam, integrationID: req.q.Get("integrationId")}
	wallets := map[string]map[string]bool{}
	for _, p := range s.defiPositions(req.user.integrations, req.now) {
		if !f.keep(p) {
			continue
		}
		if wallets[p.chain] == nil {
			wallets[p.chain] = map[string]bool{}
		}
		wallets[p.chain][p.in.walletID] = true
	}
	list := make([]map[string]any, 0, len(wallets))
	for chain, ws := range wallets {
		list = append(list, map[string]any{"providerId": chain, "name": defiChainNames[chain], "logoUrl": defiChainLogo(chain), "walletCount": len(ws)})
	}
	slices.SortFunc(list, func(a, b map[string]any) int {
		return cmp.Or(cmp.Compare(b["walletCount"].(int), a["walletCount"].(int)), strings.Compare(a["name"].(string), b["name"].(string)))
	})
	writeData(w, http.StatusOK, list)
}

// GET /v1/defi-metadata: the protocol catalogue, shared reference data
// (a token, no scope, no workspace), in its own paging shape
// {success, data, pagination: {limit, offset, total}}. The docs do not
// define the entries; the sandbox sends id, name, logoUrl, siteUrl,
// description, chains, tags, tvl, priority, totalUserCount,
// isSupportPortfolio and isVisible. name matches a part of the name, any
// case; tags keeps the protocols with any of the tags; isVisible is "true"
// unless given.
func (s *Server) listDeFiMetadata(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{})
	if !ok {
		return
	}
	list, offset, limit, e := defiMetadataQuery(req.q)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	from, to := window(len(list), offset, limit)
	data := make([]map[string]any, 0, to-from)
	for _, p := range list[from:to] {
		data = append(data, defiProtocolJSON(p))
	}
	writeFlat(w, data, map[string]any{"pagination": map[string]any{"limit": limit, "offset": offset, "total": len(list)}})
}

// defiMetadataQuery filters and orders the catalogue as q asks.
func defiMetadataQuery(q url.Values) (list []*defiProtocolInfo, offset, limit int, e *apiError) {
	supported, e := oneOfParam(q, "isSupportPortfolio", "", "true", "false")
	if e != nil {
		return nil, 0, 0, e
	}
	visible, e := oneOfParam(q, "isVisible", "true", "true", "false")
	if e != nil {
		return nil, 0, 0, e
	}
	sortBy, e := oneOfParam(q, "sortBy", "tvl", "tvl", "priority", "name", "totalUserCount")
	if e != nil {
		return nil, 0, 0, e
	}
	order, e := oneOfParam(q, "sortOrder", "desc", "asc", "desc")
	if e != nil {
		return nil, 0, 0, e
	}
	if offset, limit, e = offsetPage(q, 50, 200); e != nil {
		return nil, 0, 0, e
	}
	id, name, chain, tags := q.Get("id"), strings.ToLower(q.Get("name")), q.Get("chain"), listParam(q, "tags")
	for _, p := range defiProtocols {
		switch {
		case id != "" && p.id != id,
			name != "" && !strings.Contains(strings.ToLower(p.name), name),
			chain != "" && !slices.Contains(p.chains, chain),
			len(tags) > 0 && !slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(p.tags, t) }),
			supported != "" && (supported == "true") != p.portfolio,
			(visible == "true") != p.visible:
			continue
		}
		list = append(list, p)
	}
	slices.SortStableFunc(list, func(a, b *defiProtocolInfo) int {
		var c int
		switch sortBy {
		case "tvl":
			c = cmp.Compare(a.tvl, b.tvl)
		case "priority":
			c = cmp.Compare(a.priority, b.priority)
		case "name":
			c = strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name))
		case "totalUserCount":
			c = cmp.Compare(a.users, b.users)
		}
		if order == "desc" {
			c = -c
		}
		return cmp.Or(c, strings.Compare(a.id, b.id))
	})
	return list, offset, limit, nil
}

// GET /v1/defi-metadata/{protocolId}: any protocol by id, hidden ones
// too; an unknown id is 404 {"success": false, "error": "Protocol not
// found"}.
func (s *Server) getDeFiMetadata(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.dataUser(w, r, dataAuth{}); !ok {
		return
	}
	p := defiProtocolByID(r.PathValue("protocolId"))
	if p == nil {
		writeNotFound(w, "Protocol not found")
		return
	}
	writeData(w, http.StatusOK, defiProtocolJSON(p))
}

// defiProtocolJSON is an entry of the catalogue.
func defiProtocolJSON(p *defiProtocolInfo) map[string]any {
	return map[string]any{
		"id": p.id, "name": p.name, "logoUrl": p.logo(), "siteUrl": p.site, "description": p.description,
		"chains": p.chains, "tags": p.tags, "tvl": p.tvl, "priority": p.priority, "totalUserCount": p.users,
		"isSupportPortfolio": p.portfolio, "isVisible": p.visible,
	}
}
