package kryptostest

import (
	"net/http"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// GET /v1/sync/{jobId}
func (s *Server) syncJob(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.bearer(w, r, kryptos.ScopeIntegrationsRead)
	if g == nil {
		return
	}
	j := s.state.jobs[r.PathValue("jobId")]
	if j == nil || j.userID != g.userID {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "No sync job with this ID for this user")
		return
	}
	now := s.cfg.clock.Now()
	writeData(w, http.StatusOK, map[string]any{
		"job_id": j.id, "status": j.status(&s.cfg, now), "wallet_id": j.walletID, "mode": j.mode,
		"integration_type": j.kind,
		"created_at":       j.createdAt.UTC().Format(time.RFC3339Nano),
		"updated_at":       j.updatedAt(&s.cfg, now).UTC().Format(time.RFC3339Nano),
	})
}
