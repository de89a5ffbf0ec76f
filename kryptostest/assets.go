package kryptostest

import (
	"math"
	"net/http"
	"sort"
	"strings"
)

// The asset search (DATA-API.md §5.11) reads the catalogue of
// catalogue.go, plus the fiat currencies below, which the search knows but
// no sandbox portfolio holds.

// fiatCurrencies are searchable reference assets, never held.
var fiatCurrencies = []*assetInfo{
	{id: "f1a7c0de-0000-4000-8000-000000000840", tokenID: "usd", symbol: "USD", name: "US Dollar", typ: "fiat", category: "currency", decimals: 2, price: 1},
	{id: "f1a7c0de-0000-4000-8000-000000000978", tokenID: "eur", symbol: "EUR", name: "Euro", typ: "fiat", category: "currency", decimals: 2, price: 1.08},
}

// otherChains are the chains a catalogue asset lives on besides its own
// (assetInfo.chainID), with its contract there: the stablecoins are bridged
// to Solana, where the sandbox's Solana wallets hold USDC.
var otherChains = map[string][]assetChain{
	"USDC": {{chain: "solana", contract: "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"}},
	"USDT": {{chain: "solana", contract: "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"}},
}

// assetChain is a chain an asset lives on, and its contract there ("" for
// a chain's own coin where the chain has no contracts).
type assetChain struct{ chain, contract string }

// chains returns every chain a lives on, its own first; fiat lives on
// none.
func (a *assetInfo) chains() []assetChain {
	if a.chainID == "" {
		return nil
	}
	return append([]assetChain{{a.chainID, a.contract}}, otherChains[a.symbol]...)
}

// searchCatalogue is every asset the search can find.
func searchCatalogue() []*assetInfo {
	return append(append([]*assetInfo(nil), assets...), fiatCurrencies...)
}

// scored is an asset that matched a search, with its score (0 to 1), or
// -1 when the search had no query.
type scored struct {
	asset *assetInfo
	score float64
}

// GET /v1/assets/search: a token, no scope, no workspace. Without q the
// top assets by market rank (unranked last); with q a fuzzy match sorted
// by score, which only then is sent. Offset paging beside data: limit 1 to
// 100, 20 when absent (the docs do not say; the sandbox picks 20).
func (s *Server) searchAssets(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{})
	if !ok {
		return
	}
	offset, limit, e := offsetPage(req.q, 20, 100)
	var query, contract, category, chain, typ string
	for _, p := range []struct {
		name string
		max  int
		into *string
	}{{"q", 100, &query}, {"contractAddress", 255, &contract}, {"category", 100, &category}, {"chainId", 100, &chain}} {
		if e == nil {
			*p.into, e = boundedText(req.q, p.name, p.max)
		}
	}
	if e == nil {
		typ, e = oneOfParam(req.q, "type", "", "crypto", "fiat", "nft", "stablecoin")
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	var found []scored
	for _, a := range searchCatalogue() {
		// chainId and contractAddress together name one of the asset's
		// {chainId, contractAddress} pairs: the contract on that chain.
		if typ != "" && a.typ != typ || category != "" && !strings.EqualFold(a.category, category) ||
			(chain != "" || contract != "") && !onChain(a, chain, contract) {
			continue
		}
		m := scored{asset: a, score: -1}
		if query != "" {
			if m.score = matchScore(a, query); m.score <= 0 {
				continue
			}
		}
		found = append(found, m)
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].score != found[j].score {
			return found[i].score > found[j].score
		}
		return rankOrder(found[i].asset) < rankOrder(found[j].asset)
	})
	from, to := window(len(found), offset, limit)
	data := make([]map[string]any, 0, to-from)
	for _, m := range found[from:to] {
		data = append(data, catalogAssetJSON(m))
	}
	writeFlat(w, data, map[string]any{"total": len(found), "limit": limit, "offset": offset})
}

// onChain reports whether a lives on chain (when given) with contract
// (when given; addresses compare without case).
func onChain(a *assetInfo, chain, contract string) bool {
	for _, c := range a.chains() {
		if (chain == "" || c.chain == chain) && (contract == "" || c.contract != "" && strings.EqualFold(c.contract, contract)) {
			return true
		}
	}
	return false
}

// rankOrder sorts by market rank, unranked assets last.
func rankOrder(a *assetInfo) int {
	if a.cmcRank == 0 {
		return math.MaxInt
	}
	return a.cmcRank
}

// matchScore rates how well q matches a's symbol, name or token id, from
// 0 (no match) to 1 (the symbol itself): exact names, then prefixes, then
// substrings, then spellings a few letters off.
func matchScore(a *assetInfo, q string) float64 {
	q = strings.ToLower(strings.TrimSpace(q))
	fields := []string{strings.ToLower(a.symbol), strings.ToLower(a.name), a.tokenID}
	best := 0.0
	for i, f := range fields {
		score := 0.0
		switch {
		case f == q && i == 0:
			score = 1
		case f == q:
			score = 0.98
		case strings.HasPrefix(f, q):
			score = 0.9 * float64(len(q)) / float64(len(f))
			score = max(score, 0.6)
		case strings.Contains(f, q):
			score = 0.5
		default:
			if sim := 1 - float64(editDistance(f, q))/float64(max(len(f), len(q))); sim >= 0.7 {
				score = sim * 0.8
			}
		}
		best = max(best, score)
	}
	return math.Round(best*100) / 100
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// catalogAssetJSON is an asset as the search sends it; score only when
// the search had a query.
func catalogAssetJSON(m scored) map[string]any {
	a := m.asset
	chains := make([]map[string]any, 0, 2)
	for _, c := range a.chains() {
		chains = append(chains, map[string]any{"chainId": c.chain, "contractAddress": nilIfEmpty(c.contract)})
	}
	var rank any
	if a.cmcRank > 0 {
		rank = a.cmcRank
	}
	out := map[string]any{
		"id": a.id, "symbol": a.symbol, "name": a.name, "logoUrl": a.logo(), "type": a.typ,
		"category": nilIfEmpty(a.category), "cmcRank": rank, "chains": chains,
	}
	if m.score >= 0 {
		out["score"] = m.score
	}
	return out
}
