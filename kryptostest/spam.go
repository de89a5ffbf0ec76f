package kryptostest

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kryptos-connect/kryptos-go"
)

// spamFlag is one entry of a workspace's spam list: an asset on a chain,
// flagged as spam or explicitly as not spam.
type spamFlag struct {
	asset *assetInfo
	chain string
	spam  bool
	// at is when the flag was set: when the first integration that brought
	// the asset in was added.
	at time.Time
}

// spamFlags derives the user's spam list from what their integrations
// received in airdrops labelled Spam (history.go): a token that is spam in
// the catalogue is flagged as spam; a real token that came the same way
// (BONK on Solana) carries an explicit "not spam" override, as a user sets
// when the platform's list caught it wrongly. Ordered by symbol and chain.
func (s *Server) spamFlags(u *user, now time.Time) []spamFlag {
	type key struct{ asset, chain string }
	byKey := map[key]*spamFlag{}
	for _, in := range u.integrations {
		for _, tx := range in.visible(&s.cfg, now) {
			if tx.label != "Spam" {
				continue
			}
			for _, l := range tx.in {
				chain := in.provider.chain
				if chain == "" {
					chain = l.asset.chainID
				}
				k := key{l.asset.id, chain}
				if f := byKey[k]; f == nil || in.addedOn.Before(f.at) {
					byKey[k] = &spamFlag{asset: l.asset, chain: chain, spam: l.asset.spam, at: in.addedOn}
				}
			}
		}
	}
	flags := make([]spamFlag, 0, len(byKey))
	for _, f := range byKey {
		flags = append(flags, *f)
	}
	sort.Slice(flags, func(i, j int) bool {
		if flags[i].asset.symbol != flags[j].asset.symbol {
			return flags[i].asset.symbol < flags[j].asset.symbol
		}
		return flags[i].chain < flags[j].chain
	})
	return flags
}

// GET /v1/spam (scope transactions:read): offset paging inside data, limit
// 20 by default and 1 to 200; search by symbol or name, at most 100
// characters.
func (s *Server) listSpam(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeTransactionsRead})
	if !ok {
		return
	}
	offset, limit, e := offsetPage(req.q, 20, 200)
	if e == nil {
		_, e = boundedText(req.q, "search", 100)
	}
	var includeNonSpam bool
	if e == nil {
		includeNonSpam, _, e = boolParam(req.q, "includeNonSpam")
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	search := strings.ToLower(req.q.Get("search"))
	var kept []spamFlag
	for _, f := range s.spamFlags(req.user, req.now) {
		if !f.spam && !includeNonSpam {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(f.asset.symbol), search) && !strings.Contains(strings.ToLower(f.asset.name), search) {
			continue
		}
		kept = append(kept, f)
	}
	from, to := window(len(kept), offset, limit)
	entries := make([]map[string]any, 0, to-from)
	for _, f := range kept[from:to] {
		entries = append(entries, spamEntryJSON(req.user, f))
	}
	writeData(w, http.StatusOK, map[string]any{
		"entries": entries, "totalCount": len(kept), "limit": limit, "offset": offset,
		"hasMore": to < len(kept), "totalPages": (len(kept) + limit - 1) / limit,
	})
}

func spamEntryJSON(u *user, f spamFlag) map[string]any {
	var contract any
	if f.chain == f.asset.chainID {
		contract = nilIfEmpty(f.asset.contract) // no fallback to another chain's contract
	}
	return map[string]any{
		"id": stableID("usp_", u.workspace.id, f.asset.id, f.chain), "workspaceId": u.workspace.id,
		"assetId": f.asset.id, "symbol": f.asset.symbol, "chainId": f.chain, "isSpam": f.spam,
		"name": f.asset.name, "logoUrl": f.asset.logo(), "contractAddress": contract,
		"createdAt": iso(f.at), "updatedAt": iso(f.at),
	}
}

// boundedText reads an optional text parameter of at most maxChars
// characters; a longer one is a validation error.
func boundedText(q url.Values, name string, maxChars int) (string, *apiError) {
	v := q.Get(name)
	if utf8.RuneCountInString(v) > maxChars {
		return "", validation(name, "must be at most "+strconv.Itoa(maxChars)+" characters")
	}
	return v, nil
}
