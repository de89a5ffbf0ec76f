package kryptostest

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// The public provider catalogue (DATA-API.md §5.14): the providers of
// catalogue.go, the ones the widget offers, so that a provider id picked in
// the widget works in every call. What the docs' Provider object holds
// beyond the catalogue's fields (credential fields, capabilities,
// connector functions, supported chains) is derived from the provider's
// type, import methods and chain below, the same on every run.

// providerDescriptions are the catalogue's descriptions; a provider
// without one is described by its type.
var providerDescriptions = map[string]string{
	"binance":  "Global cryptocurrency exchange",
	"coinbase": "US cryptocurrency exchange and custodian",
	"kraken":   "Cryptocurrency exchange with spot, margin and futures markets",
	"ethereum": "Ethereum mainnet wallet, read from its public address",
	"solana":   "Solana wallet, read from its public address",
	"bitcoin":  "Bitcoin wallet, read from its public address or xpub",
	"ledger":   "Ledger Live export of a hardware wallet's history",
	"metamask": "MetaMask browser wallet, by address or WalletConnect",
	"csv":      "Kryptos CSV template for any other source",
}

// The catalogue's creation and last update, fixed so that answers are
// reproducible.
var (
	catalogueCreated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	catalogueUpdated = time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
)

// GET /v1/providers: no authentication; filters type, featured, isWorking
// and search (name, public name, slug); featured first, then working, then
// by name; page-number paging, limit 50 by default and silently clamped to
// 100.
func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	page, limit, e := numberedPage(q, 50, 100)
	var typ string
	var featured, working, featuredSet, workingSet bool
	if e == nil {
		typ, e = oneOfParam(q, "type", "", "exchange", "blockchain", "wallet", "service", "aggregator")
	}
	if e == nil {
		featured, featuredSet, e = boolParam(q, "featured")
	}
	if e == nil {
		working, workingSet, e = boolParam(q, "isWorking")
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	search := strings.ToLower(q.Get("search"))
	var kept []*providerInfo
	for _, p := range providers {
		if typ != "" && p.typ != typ || featuredSet && p.featured != featured || workingSet && p.working != working {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(p.name), search) &&
			!strings.Contains(strings.ToLower(p.publicName), search) && !strings.Contains(p.id, search) {
			continue
		}
		kept = append(kept, p)
	}
	sort.SliceStable(kept, func(i, j int) bool {
		a, b := kept[i], kept[j]
		switch {
		case a.featured != b.featured:
			return a.featured
		case a.working != b.working:
			return a.working
		}
		return strings.ToLower(a.name) < strings.ToLower(b.name)
	})
	from, to := window(len(kept), (page-1)*limit, limit)
	list := make([]map[string]any, 0, to-from)
	for _, p := range kept[from:to] {
		list = append(list, providerJSON(p))
	}
	writeData(w, http.StatusOK, map[string]any{"providers": list, "pagination": pagination(page, limit, len(kept))})
}

// GET /v1/providers/{providerId}: no authentication; an unknown id is a
// wrapped 404 NOT_FOUND (the docs name the code, not the body).
func (s *Server) getProvider(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := providerByID(r.PathValue("providerId"))
	if p == nil {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Provider not found")
		return
	}
	writeData(w, http.StatusOK, providerJSON(p))
}

// providerJSON is the full Provider object: the providers list, the
// single read, and an integration's single read send it.
func providerJSON(p *providerInfo) map[string]any {
	description, ok := providerDescriptions[p.id]
	if !ok {
		description = p.publicName + " (" + p.typ + ")"
	}
	imports := make([]map[string]any, len(p.importMethods))
	for i, m := range p.importMethods {
		imports[i] = map[string]any{"name": m, "status": p.working, "isRecommended": i == 0}
	}
	return map[string]any{
		"id": p.id, "slug": p.id, "name": p.name, "publicName": p.publicName, "description": description,
		"type": p.typ, "logo": p.logo(), "featured": p.featured, "isWorking": p.working,
		"importMethods": p.importMethods, "credentialFields": credentialFields(p), "capabilities": capabilities(p),
		"walletSupportedChains": supportedChains(p), "functions": functionsJSON(p),
		"integrationInfo":   map[string]any{"guideUrl": "https://sandbox.kryptos.invalid/guides/" + p.id},
		"walletLimitations": map[string]any{"importOptions": imports},
		"metadata":          map[string]any{"website": "https://sandbox.kryptos.invalid/providers/" + p.id},
		"createdAt":         iso(catalogueCreated), "updatedAt": iso(catalogueUpdated),
	}
}

// credentialFields are what the widget asks for, by import method: a key
// pair for an API, an address for a chain. OAuth, WalletConnect and CSV
// imports ask for nothing.
func credentialFields(p *providerInfo) map[string]any {
	fields := map[string]any{}
	if slices.Contains(p.importMethods, "api") {
		fields["apiKey"] = map[string]any{"required": true, "type": "string", "label": "API Key"}
		fields["secretKey"] = map[string]any{"required": true, "type": "password", "label": "Secret Key"}
	}
	if slices.Contains(p.importMethods, "address") {
		placeholder := map[string]string{"ethereum": "0x…", "solana": "Base58 address", "bitcoin": "bc1… or xpub…"}[p.chain]
		fields["address"] = map[string]any{"required": true, "type": "string", "label": p.publicName + " address",
			"placeholder": placeholder}
	}
	return fields
}

// capabilities says what the provider's integrations import, from its
// type and chain; an absent key is unsupported.
func capabilities(p *providerInfo) map[string]bool {
	c := map[string]bool{"deposits": true, "withdrawals": true}
	switch p.typ {
	case "exchange":
		c["trades"], c["holdings"], c["staking"] = true, true, true
		if p.id != "coinbase" {
			c["margin"], c["futures"] = true, true
		}
	case "service":
		c["trades"] = true
	default: // blockchain, wallet
		c["holdings"] = true
		if p.chain == "ethereum" || p.chain == "solana" {
			c["swap"], c["nft"], c["defi"], c["staking"] = true, true, true, true
		}
		if p.chain == "ethereum" {
			c["bridge"] = true
		}
		if p.chain == "" { // an exported history: trades included
			c["trades"] = true
		}
	}
	return c
}

// supportedChains are the chains a wallet-type provider covers; null for
// exchanges and services.
func supportedChains(p *providerInfo) any {
	if p.typ != "blockchain" && p.typ != "wallet" {
		return nil
	}
	switch {
	case p.id == "metamask":
		return []map[string]any{{"id": "ethereum"}, {"id": "polygon", "onlyManual": true}, {"id": "base", "onlyManual": true}}
	case p.chain != "":
		return []map[string]any{{"id": p.chain}}
	}
	return []map[string]any{{"id": "bitcoin"}, {"id": "ethereum"}} // Ledger Live's exports
}

// functionsJSON is the provider's import functions in the catalogue's
// shape: the ones its syncs run, whose connector answers its probes
// (operational) when the provider works.
func functionsJSON(p *providerInfo) []map[string]any {
	out := []map[string]any{}
	for _, f := range connectorFunctions(p) {
		out = append(out, map[string]any{"name": f.name, "public_name": f.publicName, "is_base": f.base,
			"categories": f.categories, "enabled": true, "operational": p.working})
	}
	return out
}
