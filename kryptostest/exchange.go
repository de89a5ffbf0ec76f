package kryptostest

import (
	"net/http"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// POST /token/exchange
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	var req struct {
		credentials
		PublicToken string `json:"public_token"`
	}
	clientID, ok := s.withClient(w, r, kryptos.ClassExchange, &req, &req.credentials)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	now := s.cfg.clock.Now()
	pt := s.state.publicTokens[req.PublicToken]
	switch {
	case req.PublicToken == "":
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "public_token is required")
		return
	case pt == nil || pt.clientID != clientID:
		writeError(w, http.StatusBadRequest, "INVALID_TOKEN", "Token expired or invalid")
		return
	case pt.used:
		writeError(w, http.StatusBadRequest, "TOKEN_ALREADY_USED", "Token was already consumed")
		return
	case !now.Before(pt.expiresAt):
		writeError(w, http.StatusBadRequest, "TOKEN_EXPIRED", "Link or public token expired")
		return
	}
	pt.used = true
	g := &grant{
		id: "cgrant_" + randomHex(12), clientID: clientID, userID: pt.userID, scopes: pt.scopes,
		createdAt: now, expiresAt: now.Add(AccessTokenTTL), seq: s.state.grantSeq,
	}
	s.state.grantSeq++
	s.state.grants[g.id] = g
	s.stats.TokensExchanged++
	s.releaseWebhooks(req.PublicToken, g.id)
	if s.cfg.legacyTokens {
		// Older API versions: a 24-hour token, a rotating refresh token,
		// and no grant id.
		data := s.issueLegacyTokens(g, "", now)
		data["workspace_id"] = s.state.users[pt.userID].workspace.id
		writeData(w, http.StatusOK, data)
		return
	}
	token := "cat_" + randomHex(24)
	s.state.accessTokens[token] = &accessToken{grantID: g.id, issuedAt: now, expiresAt: now.Add(AccessTokenTTL)}
	writeData(w, http.StatusOK, map[string]any{
		"access_token": token,
		"grant_id":     g.id,
		"token_type":   "Bearer",
		"expires_in":   int64(AccessTokenTTL / time.Second),
		"scope":        g.scopes.String(),
		"workspace_id": s.state.users[pt.userID].workspace.id,
	})
}
