package kryptostest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/kryptos-connect/kryptos-go"
)

// The NFT endpoints (DATA-API.md §5.5), read from the tokens of
// nftmodel.go. Their lists page by offset and limit (1–1000) but answer
// with totals only: {success, data, totalCount, totalEstimatedValueUsd},
// no offset, limit or hasMore. totalEstimatedValueUsd is, as the docs
// define it, the value of every NFT of the workspace (or of the portfolio
// in the path), whatever the page and the filters.

// GET /v1/nfts and /v1/nfts/portfolio/{portfolioId}: the most valuable
// first.
func (s *Server) listNFTs(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all, kept, offset, limit, ok := s.nftRequest(w, r)
	if !ok {
		return
	}
	from, to := window(len(kept), offset, limit)
	list := make([]map[string]any, 0, to-from)
	for _, n := range kept[from:to] {
		list = append(list, nftJSON(n))
	}
	writeFlat(w, list, map[string]any{"totalCount": len(kept), "totalEstimatedValueUsd": nftTotal(all)})
}

// GET /v1/nfts/collections: the filtered tokens grouped by collection,
// the most valuable collection first; collectionId gives its single row.
// A collection the provider does not name (the spam one) has a null name
// and image.
func (s *Server) listNFTCollections(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all, kept, offset, limit, ok := s.nftRequest(w, r)
	if !ok {
		return
	}
	type row struct {
		coll  *nftCollectionInfo
		items []*nftRecord
	}
	var rows []*row
	for _, n := range kept {
		i := slices.IndexFunc(rows, func(r *row) bool { return r.coll == n.coll })
		if i < 0 {
			rows = append(rows, &row{coll: n.coll})
			i = len(rows) - 1
		}
		rows[i].items = append(rows[i].items, n)
	}
	slices.SortStableFunc(rows, func(a, b *row) int {
		return cmp.Or(cmp.Compare(nftTotal(b.items), nftTotal(a.items)), strings.Compare(a.coll.id, b.coll.id))
	})
	from, to := window(len(rows), offset, limit)
	list := make([]map[string]any, 0, to-from)
	for _, rw := range rows[from:to] {
		var name, image any
		if rw.coll.name != "" {
			name, image = rw.coll.name, rw.coll.image()
		}
		list = append(list, map[string]any{"collectionId": rw.coll.id, "name": name, "imageUrl": image,
			"itemCount": len(rw.items), "totalValueUsd": nftTotal(rw.items)})
	}
	writeFlat(w, list, map[string]any{"totalCount": len(rows), "totalEstimatedValueUsd": nftTotal(all)})
}

// nftRequest starts an NFT list: it checks the request, and returns every
// token of its scope and those its filters keep. It answers the errors
// itself. The caller holds s.mu.
func (s *Server) nftRequest(w http.ResponseWriter, r *http.Request) (all, kept []*nftRecord, offset, limit int, ok bool) {
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopePortfoliosRead})
	if !ok {
		return nil, nil, 0, 0, false
	}
	f, e := nftFilterOf(req.q)
	if e == nil {
		offset, limit, e = offsetPage(req.q, 50, 1000)
	}
	if e != nil {
		writeAPIError(w, e)
		return nil, nil, 0, 0, false
	}
	ins, ok := defiScope(w, req, r.PathValue("portfolioId"))
	if !ok {
		return nil, nil, 0, 0, false
	}
	all = s.nfts(ins, req.now)
	for _, n := range all {
		if f.keep(n) {
			kept = append(kept, n)
		}
	}
	return all, kept, offset, limit, true
}

func nftFilterOf(q url.Values) (nftFilter, *apiError) {
	f := nftFilter{chain: q.Get("chain"), collectionID: q.Get("collectionId"), integrationID: q.Get("integrationId"), search: q.Get("search")}
	var e *apiError
	f.includeSpam, _, e = boolParam(q, "includeSpam")
	return f, e
}

// GET /v1/nfts/{contractAddress}/{tokenId} and its portfolio twin: one
// token of the user's (spam ones too: the read names it), or 404
// {"success": false, "error": "Not found"}, an unknown portfolio included
// (DATA-API.md §3.4: the body of the single read "+ portfolio form").
func (s *Server) getNFT(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopePortfoliosRead})
	if !ok {
		return
	}
	ins := req.user.integrations
	if pid := r.PathValue("portfolioId"); pid != "" {
		pf := req.user.portfolio(pid)
		if pf == nil {
			writeNotFound(w, "Not found")
			return
		}
		ins = req.user.integrationsIn(pf)
	}
	contract, tokenID := r.PathValue("contractAddress"), r.PathValue("tokenId")
	for _, n := range s.nfts(ins, req.now) {
		if nftSameContract(n.coll.contract, contract) && n.tokenID == tokenID {
			writeData(w, http.StatusOK, nftJSON(n))
			return
		}
	}
	writeNotFound(w, "Not found")
}

// nftJSON is a token as the data API sends it. assetRaw, collection and
// lastSale are the provider's pass-through objects: the sandbox fills them
// as an NFT indexer would, and lastSale is {} for a token never sold.
func nftJSON(n *nftRecord) map[string]any {
	attributes := make([]map[string]any, 0, len(n.traits))
	for _, t := range n.traits {
		attributes = append(attributes, map[string]any{"traitType": t[0], "value": t[1]})
	}
	collection := map[string]any{"id": n.coll.id, "name": nilIfEmpty(n.coll.name), "chain": n.coll.chain,
		"contractAddress": n.coll.contract, "imageUrl": nil, "isVerified": n.coll.verified}
	if n.coll.name != "" {
		collection["imageUrl"] = n.coll.image()
	}
	if n.coll.floor > 0 {
		collection["floorPrice"] = priceJSON(n.coll.floor, n.at, n.coll.marketplace)
	}
	lastSale := map[string]any{}
	if n.sale != nil {
		lastSale = map[string]any{"price": n.sale.price, "baseCurrency": "USD", "timestamp": millis(n.sale.at),
			"marketplace": n.coll.marketplace, "transactionHash": n.sale.hash}
	}
	return map[string]any{
		"id": n.id, "contractAddress": n.coll.contract, "tokenId": n.tokenID, "chain": n.coll.chain,
		"assetRaw": map[string]any{"name": n.name, "imageUrl": "https://sandbox.kryptos.invalid/nfts/" + n.id + ".png",
			"contentType": "image/png", "standard": n.coll.standard, "amount": 1, "attributes": attributes},
		"price":      priceJSON(n.price, n.at, n.coll.marketplace),
		"collection": collection, "lastSale": lastSale,
		"source": accountJSON(n.in), "isSpam": n.coll.spam,
	}
}
