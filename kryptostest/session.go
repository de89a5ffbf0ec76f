package kryptostest

import (
	"net/http"

	"github.com/kryptos-connect/kryptos-go"
)

// POST /link-token/check-session
func (s *Server) checkSession(w http.ResponseWriter, r *http.Request) {
	var req struct {
		credentials
		AccessToken string `json:"access_token"`
	}
	clientID, ok := s.withClient(w, r, kryptos.ClassConnect, &req, &req.credentials)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	if req.AccessToken == "" {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "access_token is required")
		return
	}
	g, reason := s.state.tokenState(req.AccessToken, s.cfg.clock.Now())
	if reason == "" && g.clientID != clientID {
		g, reason = nil, "invalid_token"
	}
	if reason != "" {
		writeData(w, http.StatusOK, map[string]any{"has_valid_session": false, "reason": reason})
		return
	}
	writeData(w, http.StatusOK, map[string]any{
		"has_valid_session": true,
		"user_id":           g.userID,
		"workspace_id":      s.state.users[g.userID].workspace.id,
		"workspace_name":    s.state.users[g.userID].workspace.name,
		"granted_scopes":    g.scopes.String(),
		"grant_id":          g.id,
	})
}
