package kryptostest

import (
	"net/http"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// GET /v1/integrations
func (s *Server) listIntegrations(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeIntegrationsRead})
	if !ok {
		return
	}
	now, u := req.now, req.user
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
		case syncQueued:
			status = kryptos.IntegrationQueued
		case syncInProgress:
			status = kryptos.IntegrationSyncing
		case syncFailed:
			status, errorMessage = kryptos.IntegrationFailed, "sandbox: the provider did not answer"
		default:
			lastSynced = j.updatedAt(&s.cfg, now)
		}
	}
	out := map[string]any{
		"walletId": in.walletID, "provider": in.provider.id, "providerPublicName": in.provider.publicName,
		"publicAddress": in.address, "alias": in.alias, "type": in.kind, "category": category(in.kind),
		"status": status, "isContract": false, "logoUrl": in.provider.logo(),
		"totalTransactions": 0, "addedOn": in.addedOn.UTC().Format(time.RFC3339),
		"lastSyncedAt": lastSynced.UTC().Format(time.RFC3339),
	}
	if errorMessage != "" {
		out["errorMessage"] = errorMessage
	}
	return out
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

func (s *Server) getIntegration(w http.ResponseWriter, r *http.Request)        { notYet(w, r) }
func (s *Server) searchIntegrations(w http.ResponseWriter, r *http.Request)    { notYet(w, r) }
func (s *Server) integrationSyncStatus(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
func (s *Server) listIntegrationAssets(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
func (s *Server) resyncUserIntegration(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
