package kryptostest

import (
	"net/http"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// GET /v1/sync/{jobId}
func (s *Server) getSyncJob(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeIntegrationsRead})
	if !ok {
		return
	}
	j := s.state.jobs[r.PathValue("syncId")]
	if j == nil || j.userID != req.user.id {
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

func (s *Server) listSyncJobs(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
