package kryptostest

import (
	"net/http"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

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
