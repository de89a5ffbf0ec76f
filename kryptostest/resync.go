package kryptostest

import (
	"net/http"

	"github.com/kryptos-connect/kryptos-go"
)

// POST /developer/integrations/{walletId}/resync
func (s *Server) resync(w http.ResponseWriter, r *http.Request) {
	var req struct {
		credentials
		UserID string `json:"user_id"`
		Mode   string `json:"mode"`
	}
	clientID, ok := s.withClient(w, r, kryptos.ClassConnect, &req, &req.credentials)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	mode := kryptos.ResyncMode(req.Mode)
	if mode != kryptos.ResyncLatest && mode != kryptos.ResyncFromStart {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", `mode must be "latest" or "from_start"`)
		return
	}
	now := s.cfg.clock.Now()
	u := s.state.users[req.UserID]
	if u == nil || s.state.activeGrant(clientID, u.id, now) == nil {
		writeError(w, http.StatusForbidden, "GRANT_NOT_FOUND", "The user has not granted your client access (or revoked it)")
		return
	}
	in := u.integration(r.PathValue("walletId"))
	if in == nil {
		writeError(w, http.StatusNotFound, "INTEGRATION_NOT_FOUND", "No wallet with this walletId exists for the user")
		return
	}
	if e := s.resyncRule(in, mode); e != nil {
		writeAPIError(w, e)
		return
	}
	j := s.queueJobs(u, []*integration{in}, mode, now)[0]
	s.stats.ResyncsQueued++
	status, note := "queued", "Resync queued"
	if j.status(&s.cfg, now) != syncQueued {
		status, note = "ongoing", "Resync started" // a CSV, read from the file on record
	}
	writeData(w, http.StatusAccepted, map[string]any{
		"mode": mode, "integration_type": in.kind, "wallet_id": in.walletID, "job_id": j.id, "status": status,
		"note": note + "; poll GET /v1/sync/" + j.id + " with the user's access token for its progress",
	})
}

// resyncRule applies the documented rules per integration type and mode.
func (s *Server) resyncRule(in *integration, mode kryptos.ResyncMode) *apiError {
	switch {
	case in.syncDisabled:
		return errorf(http.StatusConflict, "SYNC_DISABLED", "Sync is disabled for this integration")
	case in.kind != "csv":
		return nil
	case s.cfg.csvNoResync:
		return errorf(http.StatusConflict, "CSV_RESYNC_UNSUPPORTED", "CSV integrations cannot be resynced")
	case mode == kryptos.ResyncLatest:
		return errorf(http.StatusConflict, "CSV_RESYNC_LATEST_UNSUPPORTED", `mode "latest" is not valid for CSVs; use "from_start"`)
	case in.sourceMissing:
		return errorf(http.StatusNotFound, "CSV_SOURCE_MISSING", "No original file is on record for this CSV")
	}
	return nil
}

func (u *user) integration(walletID string) *integration {
	for _, in := range u.integrations {
		if in.walletID == walletID {
			return in
		}
	}
	return nil
}
