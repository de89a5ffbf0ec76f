package kryptostest

import (
	"net/http"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// POST /link-token
func (s *Server) createLinkToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		credentials
		Scopes      string         `json:"scopes"`
		AccessToken string         `json:"access_token"`
		RedirectURI string         `json:"redirect_uri"`
		State       string         `json:"state"`
		Metadata    map[string]any `json:"metadata"`
	}
	clientID, ok := s.withClient(w, r, kryptos.ClassLinkToken, &req, &req.credentials)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	scopes, e := s.checkScopes(req.Scopes)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	now := s.cfg.clock.Now()
	token := "link_" + randomHex(16)
	lt := &linkToken{clientID: clientID, scopes: scopes, expiresAt: now.Add(LinkTokenTTL)}
	data := map[string]any{"link_token": token, "expires_at": lt.expiresAt.UTC().Format(time.RFC3339)}
	// A valid access token of this client resumes the user's session; an
	// expired, revoked or unknown one yields a plain link token.
	if req.AccessToken != "" {
		if g, reason := s.state.tokenState(req.AccessToken, now); reason == "" && g.clientID == clientID {
			lt.userID = g.userID
			data["user_id"] = g.userID
			data["workspace_id"] = s.state.users[g.userID].workspace.id
			data["has_existing_grant"] = true
		}
	}
	s.state.linkTokens[token] = lt
	writeData(w, http.StatusOK, data)
}

// checkScopes parses requested scopes against the client's allowed set.
func (s *Server) checkScopes(raw string) (kryptos.Scopes, *apiError) {
	if strings.TrimSpace(raw) == "" {
		return nil, errorf(http.StatusBadRequest, "VALIDATION_ERROR", "scopes is required")
	}
	var scopes kryptos.Scopes
	for _, f := range strings.Fields(raw) {
		sc := kryptos.Scope(f)
		if !s.cfg.allowedScopes.Has(sc) {
			return nil, errorf(http.StatusBadRequest, "INVALID_SCOPE", "Requested scope not allowed: %s", f)
		}
		if !scopes.Has(sc) {
			scopes = append(scopes, sc)
		}
	}
	if !scopes.Has(kryptos.ScopeOpenID) {
		return nil, errorf(http.StatusBadRequest, "INVALID_SCOPE", "the openid scope is required")
	}
	return scopes, nil
}
