package kryptostest

import (
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// The payload of the integration.* webhook events: the webhooks' own shape
// (API.md §7), with a string provider, walletId and upper-case statuses,
// not the data API's v2 integration object (integrations.go). It stays
// here until the webhook rewrite brings its own builder.

// integrationJSON is an integration in the webhooks' shape.
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
