package kryptostest

import (
	"net/http"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// bearer resolves the data API's Authorization header to the grant behind
// it, answering 401 or 403 itself when it does not work. The caller holds
// s.mu.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request, need kryptos.Scope) *grant {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		writeError(w, http.StatusUnauthorized, "INVALID_TOKEN", "A bearer access token is required")
		return nil
	}
	g, reason := s.state.tokenState(token, s.cfg.clock.Now())
	switch reason {
	case "":
	case "grant_revoked":
		writeError(w, http.StatusUnauthorized, "INVALID_GRANT", "Grant revoked or invalid")
		return nil
	default:
		writeError(w, http.StatusUnauthorized, "INVALID_TOKEN", "Token expired or invalid")
		return nil
	}
	if !s.admit(w, g.clientID, classDataAPI) {
		return nil
	}
	if !g.scopes.Has(need) {
		writeJSON(w, http.StatusForbidden, map[string]any{
			"error": "insufficient_scope", "error_description": "this call needs the " + string(need) + " scope; the user must consent again",
		})
		return nil
	}
	return g
}

// GET /v1/integrations
func (s *Server) listIntegrations(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.bearer(w, r, kryptos.ScopeIntegrationsRead)
	if g == nil {
		return
	}
	now := s.cfg.clock.Now()
	u := s.state.users[g.userID]
	list := make([]map[string]any, len(u.integrations))
	for i, in := range u.integrations {
		list[i] = s.integrationJSON(in, now)
	}
	writeData(w, http.StatusOK, list)
}

// integrationJSON is an integration in the data API's (and webhooks') shape.
func (s *Server) integrationJSON(in *integration, now time.Time) map[string]any {
	status, lastSynced, errorMessage := kryptos.IntegrationCompleted, in.addedOn, ""
	if j := in.lastJob; j != nil {
		switch j.status(&s.cfg, now) {
		case kryptos.SyncQueued:
			status = kryptos.IntegrationQueued
		case kryptos.SyncSyncing:
			status = kryptos.IntegrationSyncing
		case kryptos.SyncFailed:
			status, errorMessage = kryptos.IntegrationFailed, "sandbox: the provider did not answer"
		default:
			lastSynced = j.updatedAt(&s.cfg, now)
		}
	}
	out := map[string]any{
		"walletId": in.walletID, "provider": in.provider, "providerPublicName": publicName(in.provider),
		"publicAddress": in.address, "alias": in.alias, "type": in.kind, "category": category(in.kind),
		"status": status, "isContract": false, "logoUrl": "https://sandbox.invalid/logos/" + in.provider + ".png",
		"totalTransactions": 0, "addedOn": in.addedOn.UTC().Format(time.RFC3339),
		"lastSyncedAt": lastSynced.UTC().Format(time.RFC3339),
	}
	if errorMessage != "" {
		out["errorMessage"] = errorMessage
	}
	return out
}

func publicName(provider string) string {
	if provider == "" {
		return ""
	}
	return strings.ToUpper(provider[:1]) + provider[1:]
}

func category(kind string) string {
	switch kind {
	case "wallet":
		return "blockchain"
	case "exchange":
		return "exchange"
	}
	return "file"
}

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
