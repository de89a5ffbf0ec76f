package kryptostest

import (
	"net/http"
	"sort"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// POST /token/revoke
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	var req struct {
		credentials
		GrantID string `json:"grant_id"`
	}
	clientID, ok := s.withClient(w, r, kryptos.ClassConnect, &req, &req.credentials)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	g := s.state.grants[req.GrantID]
	if g == nil || g.clientID != clientID || !g.active(s.cfg.clock.Now()) {
		writeError(w, http.StatusNotFound, "GRANT_NOT_FOUND", "No grant found with this ID")
		return
	}
	g.revoked = true // every access token of the grant stops working with it
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Grant revoked successfully"})
}

// GET /token/grants
func (s *Server) listGrants(w http.ResponseWriter, r *http.Request) {
	clientID, ok := s.withClient(w, r, kryptos.ClassConnect, nil, nil)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	now := s.cfg.clock.Now()
	var active []*grant
	for _, g := range s.state.grants {
		if g.clientID == clientID && g.active(now) && !g.oauth {
			active = append(active, g)
		}
	}
	sort.Slice(active, func(i, j int) bool {
		if !active[i].createdAt.Equal(active[j].createdAt) {
			return active[i].createdAt.Before(active[j].createdAt)
		}
		return active[i].seq < active[j].seq
	})
	list := make([]map[string]any, len(active))
	for i, g := range active {
		list[i] = map[string]any{
			"grant_id": g.id, "workspace_id": s.state.users[g.userID].workspace.id, "scopes": g.scopes.String(),
			"created_at": g.createdAt.UTC().Format(time.RFC3339), "expires_at": g.expiresAt.UTC().Format(time.RFC3339),
		}
	}
	writeData(w, http.StatusOK, map[string]any{"grants": list, "count": len(list)})
}
