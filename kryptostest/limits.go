package kryptostest

import (
	"encoding/json"
	"net/http"

	"github.com/kryptos-connect/kryptos-go"
)

// PATCH /developer/grants/{grantId}/transaction-limit
func (s *Server) updateLimit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		credentials
		TransactionLimit *json.Number `json:"transactionLimit"`
		EnableLimiter    *bool        `json:"enableLimiter"`
	}
	clientID, ok := s.withClient(w, r, kryptos.ClassConnect, &req, &req.credentials)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	var limit *int64
	switch {
	case req.TransactionLimit == nil && req.EnableLimiter == nil:
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Set transactionLimit, enableLimiter or both")
		return
	case req.TransactionLimit != nil:
		n, err := req.TransactionLimit.Int64()
		if err != nil || n <= 0 {
			writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "transactionLimit must be a positive integer")
			return
		}
		limit = &n
	}
	now := s.cfg.clock.Now()
	g := s.state.grants[r.PathValue("grantId")]
	switch {
	case g == nil || !g.active(now):
		writeError(w, http.StatusNotFound, "GRANT_NOT_FOUND", "No grant found with this ID")
		return
	case g.clientID != clientID:
		writeError(w, http.StatusForbidden, "ACCESS_DENIED", "Grant does not belong to this client")
		return
	}
	u := s.state.users[g.userID]
	if !u.guest {
		writeError(w, http.StatusBadRequest, "NOT_ANON_USER", "User is not a Guest account. Limits only apply to Guest users.")
		return
	}
	prevLimit, prevLimiter := u.limit, u.limiter
	capBefore := s.effectiveCap(u)
	if limit != nil {
		u.limit = limit
	}
	if req.EnableLimiter != nil {
		on := *req.EnableLimiter
		u.limiter = &on
	}
	s.stats.LimitUpdates++
	data := map[string]any{
		"grant_id": g.id, "user_id": u.id,
		"transaction_limit": u.limit, "enable_limiter": u.limiter,
		"previous_transaction_limit": prevLimit, "previous_enable_limiter": prevLimiter,
		"resync": nil,
	}
	// A change that moves the cap re-imports the user's data from the start.
	if s.effectiveCap(u) != capBefore {
		triggered, failed, skipped := []map[string]any{}, []map[string]any{}, 0
		var resync []*integration
		for _, in := range u.integrations {
			// The resync endpoint's rules, with its reasons.
			refused := s.resyncRule(in, kryptos.ResyncFromStart)
			switch {
			case in.syncDisabled:
				skipped++
			case refused != nil:
				failed = append(failed, map[string]any{"integration_id": in.walletID, "code": refused.code})
			case len(resync) == maxLimitResyncs:
				skipped++ // one call fans out to at most 100 (DATA-API.md §4)
			default:
				resync = append(resync, in)
			}
		}
		for i, j := range s.queueJobs(u, resync, kryptos.ResyncFromStart, now) {
			triggered = append(triggered, map[string]any{"integration_id": resync[i].walletID, "sync_id": j.id})
		}
		data["resync"] = map[string]any{"triggered": triggered, "failed": failed, "skipped": skipped}
	}
	writeData(w, http.StatusOK, data)
}

// maxLimitResyncs is how many integrations one limit change resyncs at
// most (DATA-API.md §4); the docs do not say what becomes of the others:
// the sandbox counts them as skipped.
const maxLimitResyncs = 100

// effectiveCap resolves a user's transaction cap: for a Guest, the user's
// override, then the client's default, then the platform default; for a
// Linked user, the platform default. -1 means no cap.
func (s *Server) effectiveCap(u *user) int64 {
	limit, on := int64(PlatformTransactionLimit), true
	if !u.guest {
		return limit
	}
	if s.cfg.wsLimit != nil {
		limit = *s.cfg.wsLimit
	}
	if s.cfg.wsLimiter != nil {
		on = *s.cfg.wsLimiter
	}
	if u.limit != nil {
		limit = *u.limit
	}
	if u.limiter != nil {
		on = *u.limiter
	}
	if !on {
		return -1
	}
	return limit
}
