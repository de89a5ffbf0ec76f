package kryptostest

import (
	"cmp"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kryptos-connect/kryptos-go"
)

// The integrations family of the data API (DATA-API.md §5.12), computed
// from the sandbox's model: each integration's provider, its sync jobs, the
// transactions its last successful sync saved, and what those hold.
//
// The sandbox's choices where the docs are silent:
//   - accountStatus is "error" while the integration's latest sync is a
//     failed one, "active" otherwise;
//   - credentialKind is "api_key" for exchanges, "address" for chain
//     wallets, "csv" for file imports; credentials is {address} for the
//     address kind, null otherwise;
//   - lastSyncId and lastSyncedAt name the latest sync and when it was
//     queued; metadataUpdatedAt is when the last successful sync finished;
//   - netValue, assetCount and assetLogos leave spam tokens out, as the
//     per-asset breakdown does by default; hasMissingBalance is true when
//     the transaction cap cut the last sync short, so that the ledger holds
//     less than the provider (never for CSVs);
//   - canResync is false for a CSV whose file is gone, or for every CSV
//     under WithCSVResyncUnsupported.

// integrationView is what the data API says about an integration at a
// moment. Its positions are replayed from the ledgers only when an answer
// needs them: a scale test's histories are long.
type integrationView struct {
	in  *integration
	s   *Server
	now time.Time
	// visible are the transactions the data API shows; finished is the
	// last successful sync, nil if none.
	visible  []*txRecord
	finished *job
	// all are the integration's positions, spam tokens included; held
	// leaves them out, most valuable first. Both are nil until replayed.
	all, held []*position
	replayed  bool
}

func (s *Server) viewIntegration(in *integration, now time.Time) *integrationView {
	return &integrationView{in: in, s: s, now: now, visible: in.visible(&s.cfg, now), finished: in.lastFinished(&s.cfg, now)}
}

// replay computes the positions once.
func (v *integrationView) replay() {
	if v.replayed {
		return
	}
	v.replayed = true
	v.all = v.s.positions([]*integration{v.in}, v.now)
	for _, p := range v.all {
		if !p.asset.spam {
			v.held = append(v.held, p)
		}
	}
	sort.SliceStable(v.held, func(a, b int) bool { return v.held[a].value() > v.held[b].value() })
}

func (v *integrationView) netValue() float64 {
	v.replay()
	total := 0.0
	for _, p := range v.held {
		total += p.value()
	}
	return round2(total)
}

func (s *Server) accountStatus(in *integration, now time.Time) string {
	if in.lastJob != nil && in.lastJob.status(&s.cfg, now) == syncFailed {
		return string(kryptos.AccountError)
	}
	return string(kryptos.AccountActive)
}

// lastSyncedAt is when the integration's latest sync was queued.
func lastSyncedAt(in *integration) time.Time {
	if in.lastJob == nil {
		return in.addedOn
	}
	return in.lastJob.createdAt
}

func (s *Server) integrationUpdatedAt(in *integration, now time.Time) time.Time {
	t := in.addedOn
	if in.lastJob != nil && in.lastJob.updatedAt(&s.cfg, now).After(t) {
		t = in.lastJob.updatedAt(&s.cfg, now)
	}
	return t
}

func (v *integrationView) hasMissingBalance() bool {
	return credentialKind(v.in.provider) != "csv" && v.finished != nil && len(v.visible) < len(v.in.history)
}

func (s *Server) canResync(in *integration) bool {
	return credentialKind(in.provider) != "csv" || (!in.sourceMissing && !s.cfg.csvNoResync)
}

// credentialKind is what an account of p connects with.
func credentialKind(p *providerInfo) string {
	switch {
	case p.typ == "exchange":
		return string(kryptos.CredentialAPIKey)
	case slices.Contains(p.importMethods, "address"):
		return string(kryptos.CredentialAddress)
	}
	return string(kryptos.CredentialCSV)
}

// lastSyncStatus is the status of the integration's last final sync, or
// nil.
func (s *Server) lastSyncStatus(in *integration, now time.Time) any {
	for i := len(in.jobs) - 1; i >= 0; i-- {
		if st := in.jobs[i].status(&s.cfg, now); st.done() {
			return st
		}
	}
	return nil
}

// dataIntegrationJSON is the v2 integration object. The list adds the
// derived figures and sends a short provider; the single read sends the
// full provider, connections and CSV uploads instead.
func (s *Server) dataIntegrationJSON(req *dataRequest, v *integrationView, listed bool) map[string]any {
	in, now := v.in, req.now
	var latest, credentials any
	if in.lastJob != nil {
		latest = s.latestSyncJSON(in, in.lastJob, now)
	}
	if credentialKind(in.provider) == string(kryptos.CredentialAddress) {
		credentials = map[string]any{"address": in.address}
	}
	lastSyncID := ""
	if in.lastJob != nil {
		lastSyncID = in.lastJob.id
	}
	out := map[string]any{
		"id": in.walletID, "workspaceId": req.user.workspace.id, "providerId": in.provider.id,
		"primaryPortfolioId": in.portfolio.id, "alias": nilIfEmpty(in.alias),
		"accountStatus": s.accountStatus(in, now), "credentialKind": credentialKind(in.provider),
		"syncEnabled": !in.syncDisabled, "isTokenExpired": false, "lastSyncStatus": s.lastSyncStatus(in, now),
		"isCustomWallet": false, "lastSyncId": lastSyncID, "lastSyncedAt": iso(lastSyncedAt(in)),
		"latestSync": latest, "baseCurrency": "USD", "canResync": s.canResync(in), "credentials": credentials,
		"createdAt": iso(in.addedOn), "updatedAt": iso(s.integrationUpdatedAt(in, now)), "deletedAt": nil,
	}
	if !listed {
		out["provider"] = providerJSON(in.provider) // the catalogue's entry (§5.12 "full provider")
		out["connections"] = connectionsJSON(in)
		out["csvUploads"] = s.csvUploadsJSON(in, now)
		return out
	}
	out["provider"] = map[string]any{"id": in.provider.id, "name": in.provider.name, "publicName": in.provider.publicName,
		"logo": in.provider.logo(), "type": in.provider.typ}
	var counts, metadataAt, netValue any
	if v.finished != nil {
		byType := map[string]int{}
		for _, tx := range v.visible {
			if typ := tx.apiType(); typ != "" {
				byType[typ]++
			}
		}
		counts = map[string]any{"total": len(v.visible), "byType": byType}
		metadataAt, netValue = iso(v.finished.finishedAt(&s.cfg)), v.netValue()
	}
	v.replay()
	logos := []string{}
	for _, p := range v.held {
		if len(logos) < 5 {
			logos = append(logos, p.asset.logo())
		}
	}
	out["txnCounts"], out["netValue"], out["metadataUpdatedAt"] = counts, netValue, metadataAt
	out["hasMissingBalance"], out["assetLogos"], out["assetCount"], out["txnCount"] = v.hasMissingBalance(), logos, len(v.held), len(v.visible)
	return out
}

// integrationSummaryJSON is the fields=summary projection of an integration, also the
// sandbox's typeahead item.
func integrationSummaryJSON(v *integrationView) map[string]any {
	in := v.in
	var address any
	if credentialKind(in.provider) == string(kryptos.CredentialAddress) {
		address = in.address
	}
	return map[string]any{
		"id": in.walletID, "alias": nilIfEmpty(in.alias), "providerId": in.provider.id, "providerName": in.provider.name,
		"providerPublicName": in.provider.publicName, "logo": in.provider.logo(), "transactionCount": len(v.visible),
		"address": address,
	}
}

// connectionsJSON are the per-chain rows of a wallet: one for the chain
// of its address. Exchanges and files have none.
func connectionsJSON(in *integration) []map[string]any {
	if credentialKind(in.provider) != string(kryptos.CredentialAddress) {
		return []map[string]any{}
	}
	return []map[string]any{{"chainId": in.provider.chain, "address": in.address, "status": "active"}}
}

// csvUploadsJSON is a CSV integration's upload history: the one file it
// was created from.
func (s *Server) csvUploadsJSON(in *integration, now time.Time) []map[string]any {
	if credentialKind(in.provider) != string(kryptos.CredentialCSV) {
		return []map[string]any{}
	}
	imported := len(in.visible(&s.cfg, now))
	return []map[string]any{{
		"uploadId": stableID("upl_", in.walletID), "fileName": in.address, "fileSize": 64 + 96*len(in.history),
		"fileType": "text/csv", "status": "processed", "rowCount": len(in.history),
		"summary":    map[string]any{"imported": imported, "skipped": len(in.history) - imported, "errors": 0},
		"uploadedAt": iso(in.addedOn),
	}}
}

// GET /v1/integrations (page-number paging, limit clamped to 100), with
// every documented filter and sort, fields=summary and
// includeProviderCounts.
func (s *Server) listIntegrations(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeIntegrationsRead})
	if !ok {
		return
	}
	f, e := readIntegrationFilter(req)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	var views []*integrationView
	for _, in := range req.user.integrations {
		if v := s.viewIntegration(in, req.now); f.keeps(s, v, req.now) {
			views = append(views, v)
		}
	}
	s.sortIntegrations(views, f.sortBy, f.ascending, req.now)
	from, to := window(len(views), (f.page-1)*f.limit, f.limit)
	list := make([]map[string]any, 0, to-from)
	for _, v := range views[from:to] {
		if f.summary {
			list = append(list, integrationSummaryJSON(v))
		} else {
			list = append(list, s.dataIntegrationJSON(req, v, true))
		}
	}
	data := map[string]any{"integrations": list, "pagination": pagination(f.page, f.limit, len(views))}
	if f.providerCounts {
		// A tally of the whole workspace, not of the filtered page.
		counts := map[string]int{}
		for _, in := range req.user.integrations {
			counts[in.provider.id]++
		}
		data["providerCounts"] = counts
	}
	writeData(w, http.StatusOK, data)
}

// integrationFilter is a list request's parameters.
type integrationFilter struct {
	portfolioID, providerID, providerType, status, search   string
	missing, missingSet, summary, providerCounts, ascending bool
	sortBy                                                  string
	page, limit                                             int
}

func readIntegrationFilter(req *dataRequest) (*integrationFilter, *apiError) {
	q := req.q
	f := &integrationFilter{portfolioID: q.Get("primaryPortfolioId"), providerID: q.Get("providerId"), search: strings.ToLower(q.Get("search"))}
	var e *apiError
	if f.page, f.limit, e = numberedPage(q, 50, 100); e != nil {
		return nil, e
	}
	if f.providerType, e = oneOfParam(q, "providerType", "", "exchange", "blockchain", "wallet", "service", "aggregator", "custom"); e != nil {
		return nil, e
	}
	if f.status, e = oneOfParam(q, "status", "", "pending", "active", "inactive", "suspended", "error"); e != nil {
		return nil, e
	}
	if f.missing, f.missingSet, e = boolParam(q, "hasMissingBalance"); e != nil {
		return nil, e
	}
	fields, e := oneOfParam(q, "fields", "", "summary")
	if e != nil {
		return nil, e
	}
	f.summary = fields == "summary"
	if f.providerCounts, _, e = boolParam(q, "includeProviderCounts"); e != nil {
		return nil, e
	}
	if f.sortBy, e = oneOfParam(q, "sortBy", "createdAt", "alias", "addedOn", "createdAt", "updatedAt", "lastSyncedAt", "netValue", "txnCount"); e != nil {
		return nil, e
	}
	order, e := oneOfParam(q, "sortOrder", "desc", "asc", "desc")
	if e != nil {
		return nil, e
	}
	f.ascending = order == "asc"
	return f, nil
}

func (f *integrationFilter) keeps(s *Server, v *integrationView, now time.Time) bool {
	in := v.in
	switch {
	case f.portfolioID != "" && in.portfolio.id != f.portfolioID,
		f.providerID != "" && in.provider.id != f.providerID,
		f.providerType != "" && in.provider.typ != f.providerType,
		f.status != "" && s.accountStatus(in, now) != f.status,
		f.missingSet && v.hasMissingBalance() != f.missing:
		return false
	case f.search == "":
		return true
	}
	return strings.Contains(strings.ToLower(in.alias), f.search) || strings.Contains(strings.ToLower(in.address), f.search)
}

// sortIntegrations sorts on one field; ties keep the order in which the
// integrations were connected.
func (s *Server) sortIntegrations(views []*integrationView, by string, ascending bool, now time.Time) {
	less := func(a, b *integrationView) int {
		switch by {
		case "alias":
			return strings.Compare(strings.ToLower(a.in.alias), strings.ToLower(b.in.alias))
		case "updatedAt":
			return s.integrationUpdatedAt(a.in, now).Compare(s.integrationUpdatedAt(b.in, now))
		case "lastSyncedAt":
			return lastSyncedAt(a.in).Compare(lastSyncedAt(b.in))
		case "netValue":
			return cmp.Compare(a.sortValue(), b.sortValue())
		case "txnCount":
			return len(a.visible) - len(b.visible)
		}
		return a.in.addedOn.Compare(b.in.addedOn) // createdAt, addedOn
	}
	sort.SliceStable(views, func(i, j int) bool {
		if ascending {
			return less(views[i], views[j]) < 0
		}
		return less(views[i], views[j]) > 0
	})
}

// sortValue is the net value, -1 for one never computed (null sorts
// lowest).
func (v *integrationView) sortValue() float64 {
	if v.finished == nil {
		return -1
	}
	return v.netValue()
}

// GET /v1/integrations/{integrationId}
func (s *Server) getIntegration(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeIntegrationsRead})
	if !ok {
		return
	}
	in := req.user.integration(r.PathValue("integrationId"))
	if in == nil {
		writeAPIError(w, notFoundWithDetails("Integration not found"))
		return
	}
	writeData(w, http.StatusOK, s.dataIntegrationJSON(req, s.viewIntegration(in, req.now), false))
}

// GET /v1/integrations/search?q=: the typeahead. q is required; the docs
// require workspaceId too, but the sandbox's tokens are all bound to a
// workspace, which then goes without saying (a different one is refused
// by dataUser). It matches q in the alias, the address and the provider's
// names, and answers the summary projection of each match, in the order
// the integrations were connected.
func (s *Server) searchIntegrations(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeIntegrationsRead})
	if !ok {
		return
	}
	q := strings.ToLower(strings.TrimSpace(req.q.Get("q")))
	if q == "" {
		writeAPIError(w, validation("q", "is required"))
		return
	}
	list := []map[string]any{}
	for _, in := range req.user.integrations {
		for _, text := range []string{in.alias, in.address, in.provider.id, in.provider.name, in.provider.publicName} {
			if strings.Contains(strings.ToLower(text), q) {
				list = append(list, integrationSummaryJSON(s.viewIntegration(in, req.now)))
				break
			}
		}
	}
	writeData(w, http.StatusOK, map[string]any{"integrations": list})
}

// GET /v1/integrations/sync-status: the latest of the integrations'
// lastSyncedAt, over the workspace or the portfolio portfolioId; null when
// nothing was ever synced.
func (s *Server) integrationSyncStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeIntegrationsRead})
	if !ok {
		return
	}
	var pf *portfolio
	if id := req.q.Get("portfolioId"); id != "" {
		if pf = req.user.portfolio(id); pf == nil {
			writeAPIError(w, notFoundWithDetails("Portfolio not found"))
			return
		}
	}
	var latest time.Time
	for _, in := range req.user.integrationsIn(pf) {
		if in.lastJob != nil && lastSyncedAt(in).After(latest) {
			latest = lastSyncedAt(in)
		}
	}
	writeData(w, http.StatusOK, map[string]any{"lastSyncedAt": iso(latest)})
}

// GET /v1/integrations/{integrationId}/assets: what the integration holds,
// most valuable first, filtered by q (symbol or name, at most 100
// characters), includeSpam (spam tokens are left out by default) and
// minValue, with page-number paging (limit 50 by default, clamped to 100).
// The row's shape is not documented; the sandbox names its fields as
// holdings do.
func (s *Server) listIntegrationAssets(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeIntegrationsRead})
	if !ok {
		return
	}
	in := req.user.integration(r.PathValue("integrationId"))
	if in == nil {
		writeAPIError(w, notFoundWithDetails("Integration not found"))
		return
	}
	page, limit, e := numberedPage(req.q, 50, 100)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	text := req.q.Get("q")
	if utf8.RuneCountInString(text) > 100 {
		writeAPIError(w, validation("q", "must be at most 100 characters"))
		return
	}
	spam, _, e := boolParam(req.q, "includeSpam")
	if e != nil {
		writeAPIError(w, e)
		return
	}
	minValue := -1.0
	if raw := req.q.Get("minValue"); raw != "" {
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil || n != n {
			writeAPIError(w, validation("minValue", "must be a number"))
			return
		}
		minValue = n
	}
	text = strings.ToLower(text)
	v := s.viewIntegration(in, req.now)
	v.replay()
	var rows []*position
	for _, p := range v.all {
		switch {
		case p.asset.spam && !spam,
			round2(p.value()) < minValue,
			text != "" && !strings.Contains(strings.ToLower(p.asset.symbol), text) && !strings.Contains(strings.ToLower(p.asset.name), text):
			continue
		}
		rows = append(rows, p)
	}
	sort.SliceStable(rows, func(a, b int) bool { return rows[a].value() > rows[b].value() })
	from, to := window(len(rows), (page-1)*limit, limit)
	list := make([]map[string]any, 0, to-from)
	for _, p := range rows[from:to] {
		a := p.asset
		list = append(list, map[string]any{
			"assetId": a.id, "symbol": a.symbol, "name": a.name, "logo": a.logo(), "type": a.typ, "chainId": a.chainID,
			"contractAddress": nilIfEmpty(a.contract), "quantity": decimalText(p.qty, a), "price": a.price,
			"value": round2(p.value()), "costBasis": round2(p.cost), "isSpam": a.spam, "transactionCount": p.txCount,
		})
	}
	writeData(w, http.StatusOK, map[string]any{"assets": list, "pagination": pagination(page, limit, len(rows))})
}
