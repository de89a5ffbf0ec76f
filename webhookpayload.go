package kryptos

import "time"

// The payload of the integration.* webhook events (API.md §7). It is the
// webhooks' own shape and vocabulary, older than the data API's v2
// Integration: a string provider, walletId, upper-case statuses. It lives
// here, apart from the data API's integrations, until the webhook package
// takes it over.

// IntegrationStatus is the state of an integration in a webhook payload:
// the webhooks' own vocabulary, not the data API's lowercase sync statuses
// (SyncStatus) nor its AccountStatus.
type IntegrationStatus string

// The documented webhook integration states.
const (
	IntegrationQueued    IntegrationStatus = "QUEUED"
	IntegrationSyncing   IntegrationStatus = "SYNCING"
	IntegrationCompleted IntegrationStatus = "COMPLETED"
	IntegrationFailed    IntegrationStatus = "FAILED"
	IntegrationDeleting  IntegrationStatus = "DELETING"
	IntegrationDeleted   IntegrationStatus = "DELETED"
	IntegrationInactive  IntegrationStatus = "INACTIVE"
)

// WebhookIntegration is the integration an integration.* webhook event is
// about. Its WalletID is Integration.ID in the data API.
type WebhookIntegration struct {
	WalletID           string
	Provider           string
	ProviderPublicName string
	PublicAddress      string
	Alias              string
	// Type is "wallet", "exchange" or "csv"; Category is the provider's kind.
	Type              string
	Category          string
	Status            IntegrationStatus
	ErrorMessage      string
	IsContract        bool
	LogoURL           string
	TotalTransactions int64
	AddedOn           time.Time
	LastSyncedAt      time.Time
}

// integrationJSON is an integration as webhooks send it.
type integrationJSON struct {
	WalletID           string            `json:"walletId"`
	Provider           string            `json:"provider"`
	ProviderPublicName string            `json:"providerPublicName"`
	PublicAddress      string            `json:"publicAddress"`
	Alias              string            `json:"alias"`
	Type               string            `json:"type"`
	Category           string            `json:"category"`
	Status             IntegrationStatus `json:"status"`
	ErrorMessage       string            `json:"errorMessage"`
	IsContract         bool              `json:"isContract"`
	LogoURL            string            `json:"logoUrl"`
	TotalTransactions  int64             `json:"totalTransactions"`
	AddedOn            Timestamp         `json:"addedOn"`
	LastSyncedAt       Timestamp         `json:"lastSyncedAt"`
}

func (in integrationJSON) integration() WebhookIntegration {
	return WebhookIntegration{
		WalletID: in.WalletID, Provider: in.Provider, ProviderPublicName: in.ProviderPublicName,
		PublicAddress: in.PublicAddress, Alias: in.Alias, Type: in.Type, Category: in.Category,
		Status: in.Status, ErrorMessage: in.ErrorMessage, IsContract: in.IsContract, LogoURL: in.LogoURL,
		TotalTransactions: in.TotalTransactions,
		AddedOn:           in.AddedOn.Time, LastSyncedAt: in.LastSyncedAt.Time,
	}
}
