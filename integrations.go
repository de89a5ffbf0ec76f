package kryptos

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// IntegrationStatus is the sync state of an integration.
type IntegrationStatus string

// The documented integration states.
const (
	IntegrationQueued    IntegrationStatus = "QUEUED"
	IntegrationSyncing   IntegrationStatus = "SYNCING"
	IntegrationCompleted IntegrationStatus = "COMPLETED"
	IntegrationFailed    IntegrationStatus = "FAILED"
	IntegrationDeleting  IntegrationStatus = "DELETING"
	IntegrationDeleted   IntegrationStatus = "DELETED"
	IntegrationInactive  IntegrationStatus = "INACTIVE"
)

// Integration is one wallet, exchange account or CSV import a user connected
// through the widget. Its WalletID is what ResyncIntegration takes.
type Integration struct {
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

// integrationJSON is an integration as the data API and webhooks send it.
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

// integrationList accepts the list either bare or wrapped in an object, as
// the data API's response shapes differ between versions.
type integrationList []integrationJSON

func (l *integrationList) UnmarshalJSON(b []byte) error {
	var bare []integrationJSON
	if err := json.Unmarshal(b, &bare); err == nil {
		*l = bare
		return nil
	}
	var wrapped struct {
		Integrations []integrationJSON `json:"integrations"`
		Items        []integrationJSON `json:"items"`
	}
	if err := json.Unmarshal(b, &wrapped); err != nil {
		return fmt.Errorf("integrations: want an array or an object holding one: %w", err)
	}
	*l = append(wrapped.Integrations, wrapped.Items...)
	return nil
}

// ListIntegrations returns the user's integrations: GET /v1/integrations
// on the data API. Transient failures are retried.
func (u *UserClient) ListIntegrations(ctx context.Context, opts ...CallOption) ([]Integration, error) {
	var list integrationList
	if err := u.c.do(ctx, opListIntegrations, request{cred: u.cred}, &list, opts); err != nil {
		return nil, err
	}
	out := make([]Integration, len(list))
	for i, in := range list {
		out[i] = in.integration()
	}
	return out, nil
}

func (in integrationJSON) integration() Integration {
	return Integration{
		WalletID: in.WalletID, Provider: in.Provider, ProviderPublicName: in.ProviderPublicName,
		PublicAddress: in.PublicAddress, Alias: in.Alias, Type: in.Type, Category: in.Category,
		Status: in.Status, ErrorMessage: in.ErrorMessage, IsContract: in.IsContract, LogoURL: in.LogoURL,
		TotalTransactions: in.TotalTransactions,
		AddedOn:           in.AddedOn.Time, LastSyncedAt: in.LastSyncedAt.Time,
	}
}
