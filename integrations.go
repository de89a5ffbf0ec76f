package kryptos

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"math"
	"time"
	"unicode/utf8"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// The integrations family of the data API (DATA-API.md §5.12): a user's
// connected exchanges, wallets and CSV imports, with the state of their
// syncs. Every route needs the integrations:read scope, except the resync,
// which needs integrations:write.

// Integration is one exchange account, wallet or CSV import a user
// connected (DATA-API.md §5.12). Its ID is the walletId that other
// endpoints (holdings, transactions, the partner ResyncIntegration) name.
//
// ListIntegrations and GetIntegration return the same object with a few
// differences, noted per field: the list carries the derived figures
// (TxnCounts, NetValue, asset logos and counts, HasMissingBalance) and a
// short Provider; the single read carries the full Provider, Connections
// and CSVUploads instead.
type Integration struct {
	// ID is the integration's id, the walletId of other endpoints.
	ID          string `json:"id"`
	WorkspaceID string `json:"workspaceId"`
	ProviderID  string `json:"providerId"`
	// PrimaryPortfolioID is the portfolio it belongs to; "" when none.
	PrimaryPortfolioID string `json:"primaryPortfolioId"`
	// Alias is the user's name for it; "" when none.
	Alias          string         `json:"alias"`
	AccountStatus  AccountStatus  `json:"accountStatus"`
	CredentialKind CredentialKind `json:"credentialKind"`
	// SyncEnabled says automatic syncing is on.
	SyncEnabled bool `json:"syncEnabled"`
	// IsTokenExpired says an OAuth credential needs reconnecting. It is in
	// the field table, not in the docs' sample.
	IsTokenExpired bool `json:"isTokenExpired"`
	// LastSyncStatus is the status of the last finished sync; "" when none
	// finished. LatestSync.Status is the live one. It is in the field
	// table, not in the docs' sample.
	LastSyncStatus SyncStatus `json:"lastSyncStatus"`
	// IsCustomWallet marks a manual wallet with no provider connection.
	IsCustomWallet bool `json:"isCustomWallet"`
	// Provider is the provider's catalogue entry (DATA-API.md §5.14). Lists
	// (ListIntegrations) send only its ID, Name, PublicName, Logo and Type,
	// to spare a workspace with ten Ethereum wallets the same entry ten
	// times: the other fields are then zero. GetIntegration sends the full
	// entry. A manual wallet's provider has Type ProviderCustom, which the
	// catalogue never lists.
	Provider Provider `json:"provider"`
	// LastSyncID and LastSyncedAt name the most recent sync. The docs type
	// them non-null, but an integration that never synced has none: they
	// are then "" and zero.
	LastSyncID   string    `json:"lastSyncId"`
	LastSyncedAt time.Time `json:"lastSyncedAt"`
	// LatestSync is the newest sync of any status; nil if it never synced.
	// Its IntegrationID, Summary, CreatedAt and UpdatedAt are not sent here.
	LatestSync *SyncJob `json:"latestSync"`
	// TxnCounts counts the integration's transactions; nil until first
	// computed. Lists only. Its Total is not additive across integrations:
	// an internal transfer counts for both wallets it touches.
	TxnCounts *IntegrationTxnCounts `json:"txnCounts"`
	// NetValue is the holdings' value in the workspace's base currency
	// (BaseCurrency); nil until first computed. It is additive across
	// integrations. Lists only.
	NetValue     *float64 `json:"netValue"`
	BaseCurrency string   `json:"baseCurrency"`
	// MetadataUpdatedAt is when TxnCounts and NetValue were last refreshed:
	// it may lag LastSyncedAt by a few seconds after a sync, so compare the
	// two before presenting the figures as current. Lists only.
	MetadataUpdatedAt time.Time `json:"metadataUpdatedAt"`
	// HasMissingBalance says some asset's ledger balance differs from the
	// provider's by more than 0.01. Always false for CSV and manual
	// integrations: unverifiable, not verified. Lists only.
	HasMissingBalance bool `json:"hasMissingBalance"`
	// CanResync says a credential exists to sync against again.
	CanResync bool `json:"canResync"`
	// AssetLogos holds up to 5 asset logos; AssetCount counts the distinct
	// assets held; TxnCount copies TxnCounts.Total (0 when TxnCounts is
	// nil). Lists only.
	AssetLogos []string `json:"assetLogos"`
	AssetCount int      `json:"assetCount"`
	TxnCount   int      `json:"txnCount"`
	// Credentials is the connection identifier of an address or
	// account_name integration, secrets masked; nil for the kinds that
	// hold secrets (api_key, oauth, wallet_connect), whose secrets are
	// never returned.
	Credentials *IntegrationCredentials `json:"credentials"`
	CreatedAt   time.Time               `json:"createdAt"`
	UpdatedAt   time.Time               `json:"updatedAt"`
	// DeletedAt is zero unless the integration is being deleted.
	DeletedAt time.Time `json:"deletedAt"`
	// Connections are the per-chain connection rows of a multi-chain
	// wallet, as sent: their shape is not documented. Single read only.
	Connections []json.RawMessage `json:"connections,omitempty"`
	// CSVUploads is the upload history of a CSV integration, newest
	// first. Single read only.
	CSVUploads []IntegrationCSVUpload `json:"csvUploads,omitempty"`
}

// UnmarshalJSON reads the times leniently: null or "" is the zero time (an
// integration that never synced has no lastSyncedAt although the docs type
// it non-null), and Unix milliseconds are accepted beside ISO strings.
func (in *Integration) UnmarshalJSON(b []byte) error {
	type plain Integration
	var w struct {
		*plain
		LastSyncedAt      optionalTime `json:"lastSyncedAt"`
		MetadataUpdatedAt optionalTime `json:"metadataUpdatedAt"`
		CreatedAt         optionalTime `json:"createdAt"`
		UpdatedAt         optionalTime `json:"updatedAt"`
		DeletedAt         optionalTime `json:"deletedAt"`
	}
	w.plain = (*plain)(in)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	in.LastSyncedAt, in.MetadataUpdatedAt = w.LastSyncedAt.Time, w.MetadataUpdatedAt.Time
	in.CreatedAt, in.UpdatedAt, in.DeletedAt = w.CreatedAt.Time, w.UpdatedAt.Time, w.DeletedAt.Time
	return nil
}

// AccountStatus is the state of an integration's account, as sent; values
// this package does not know are kept.
type AccountStatus string

// The documented account states. Only Pending to Suspended and Error can be
// filtered on (IntegrationsParams.Status).
const (
	AccountPending   AccountStatus = "pending"
	AccountActive    AccountStatus = "active"
	AccountInactive  AccountStatus = "inactive"
	AccountSuspended AccountStatus = "suspended"
	AccountDeleting  AccountStatus = "deleting"
	AccountDeleted   AccountStatus = "deleted"
	AccountError     AccountStatus = "error"
)

// CredentialKind is what an integration connects with, as sent.
type CredentialKind string

// The documented credential kinds.
const (
	CredentialAPIKey        CredentialKind = "api_key"
	CredentialOAuth         CredentialKind = "oauth"
	CredentialAddress       CredentialKind = "address"
	CredentialAccountName   CredentialKind = "account_name"
	CredentialWalletConnect CredentialKind = "wallet_connect"
	CredentialCSV           CredentialKind = "csv"
	CredentialNone          CredentialKind = "none"
)

// IntegrationTxnCounts counts an integration's transactions, in total and
// by transaction type (trade, deposit, ...).
type IntegrationTxnCounts struct {
	Total  int            `json:"total"`
	ByType map[string]int `json:"byType"`
}

// IntegrationCredentials is the connection identifier of an address or
// account_name integration. Secrets are masked.
type IntegrationCredentials struct {
	Address     string `json:"address,omitempty"`
	AccountName string `json:"accountName,omitempty"`
	// Fields holds every key as sent, Address and AccountName included.
	Fields map[string]any `json:"-"`
}

// UnmarshalJSON keeps the whole object in Fields beside the typed keys.
func (c *IntegrationCredentials) UnmarshalJSON(b []byte) error {
	type plain IntegrationCredentials
	if err := json.Unmarshal(b, (*plain)(c)); err != nil {
		return err
	}
	return json.Unmarshal(b, &c.Fields)
}

// IntegrationCSVUpload is one file uploaded to a CSV integration.
type IntegrationCSVUpload struct {
	UploadID string `json:"uploadId"`
	FileName string `json:"fileName"`
	// FileSize is in bytes.
	FileSize int64  `json:"fileSize"`
	FileType string `json:"fileType"`
	Status   string `json:"status"`
	RowCount int    `json:"rowCount"`
	// Summary is the import's report, as sent: its shape is not documented.
	Summary    json.RawMessage `json:"summary,omitempty"`
	UploadedAt time.Time       `json:"uploadedAt"`
}

// UnmarshalJSON reads uploadedAt as an ISO string (inferred, DATA-API.md
// §8.17) or Unix milliseconds.
func (u *IntegrationCSVUpload) UnmarshalJSON(b []byte) error {
	type plain IntegrationCSVUpload
	var w struct {
		*plain
		Summary    json.RawMessage `json:"summary"`
		UploadedAt optionalTime    `json:"uploadedAt"`
	}
	w.plain = (*plain)(u)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	u.Summary = nil
	if !absent(w.Summary) {
		u.Summary = w.Summary
	}
	u.UploadedAt = w.UploadedAt.Time
	return nil
}

// IntegrationSummary is the light projection of an integration that
// ListIntegrationSummaries (fields=summary) and SearchIntegrations return:
// enough for a menu or a picker, without the figures that cost the API a
// live lookup per row.
type IntegrationSummary struct {
	ID                 string `json:"id"`
	Alias              string `json:"alias"`
	ProviderID         string `json:"providerId"`
	ProviderName       string `json:"providerName"`
	ProviderPublicName string `json:"providerPublicName"`
	// Logo is the provider's logo.
	Logo             string `json:"logo"`
	TransactionCount int    `json:"transactionCount"`
	// Address is the wallet address or account name; "" for kinds without
	// one.
	Address string `json:"address"`
}

// UnmarshalJSON reads the summary projection, and also a full integration
// object, which the typeahead route may send (its item is not documented,
// DATA-API.md §8.6): the provider's names and logo, txnCount and
// credentials.address stand in for the summary's fields.
func (s *IntegrationSummary) UnmarshalJSON(b []byte) error {
	type plain IntegrationSummary
	var w struct {
		*plain
		Provider *struct {
			Name       string `json:"name"`
			PublicName string `json:"publicName"`
			Logo       string `json:"logo"`
		} `json:"provider"`
		TxnCount    *int `json:"txnCount"`
		Credentials *struct {
			Address     string `json:"address"`
			AccountName string `json:"accountName"`
		} `json:"credentials"`
	}
	w.plain = (*plain)(s)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if p := w.Provider; p != nil {
		s.ProviderName = firstOf(s.ProviderName, p.Name)
		s.ProviderPublicName = firstOf(s.ProviderPublicName, p.PublicName)
		s.Logo = firstOf(s.Logo, p.Logo)
	}
	if w.TxnCount != nil && s.TransactionCount == 0 {
		s.TransactionCount = *w.TxnCount
	}
	if c := w.Credentials; c != nil {
		s.Address = firstOf(s.Address, c.Address, c.AccountName)
	}
	return nil
}

// IntegrationListSummary is what a list of integrations reports about the
// whole workspace beside its page.
type IntegrationListSummary struct {
	// ProviderCounts maps provider ids to the number of the workspace's
	// integrations of that provider, over the whole workspace whatever the
	// filters. Nil unless IntegrationsParams.IncludeProviderCounts was set.
	ProviderCounts map[string]int
}

// IntegrationSort names the field ListIntegrations sorts on.
type IntegrationSort string

// The documented sort fields; the API's default is IntegrationSortCreatedAt.
const (
	IntegrationSortAlias        IntegrationSort = "alias"
	IntegrationSortAddedOn      IntegrationSort = "addedOn"
	IntegrationSortCreatedAt    IntegrationSort = "createdAt"
	IntegrationSortUpdatedAt    IntegrationSort = "updatedAt"
	IntegrationSortLastSyncedAt IntegrationSort = "lastSyncedAt"
	IntegrationSortNetValue     IntegrationSort = "netValue"
	IntegrationSortTxnCount     IntegrationSort = "txnCount"
)

// IntegrationsParams filter and sort ListIntegrations and
// ListIntegrationSummaries. The zero value lists every integration, newest
// first.
type IntegrationsParams struct {
	// WorkspaceID is needed only for a credential that is not bound to a
	// workspace; Connect and OAuth tokens are.
	WorkspaceID        string
	PrimaryPortfolioID string
	ProviderID         string
	// ProviderType keeps one kind of provider; ProviderCustom keeps the
	// manual wallets.
	ProviderType ProviderType
	// Status keeps the integrations whose AccountStatus is this: pending,
	// active, inactive, suspended or error.
	Status AccountStatus
	// Search matches the alias, the address and the account name.
	Search string
	// HasMissingBalance, when set, keeps the integrations whose
	// HasMissingBalance is this.
	HasMissingBalance *bool
	// IncludeProviderCounts asks for IntegrationListSummary.ProviderCounts,
	// an extra aggregate over the workspace: off by default.
	IncludeProviderCounts bool
	// SortBy is the field to sort on (createdAt when ""); Ascending sorts
	// from the smallest, instead of the API's default, descending.
	SortBy    IntegrationSort
	Ascending bool
	// Page is the first page to read (1 when 0); Limit the page size, up to
	// 100 (the API's default, 50, when 0). The API clamps a larger limit
	// to 100 silently; the SDK refuses it, so that a page is never shorter
	// than asked without saying so.
	Page, Limit int
}

const maxIntegrationsLimit = 100

func (p IntegrationsParams) query() *query {
	q := newQuery().id("workspaceId", p.WorkspaceID).id("primaryPortfolioId", p.PrimaryPortfolioID).
		id("providerId", p.ProviderID).
		oneOf("providerType", string(p.ProviderType), string(ProviderExchange), string(ProviderBlockchain), string(ProviderWallet),
			string(ProviderService), string(ProviderAggregator), string(ProviderCustom)).
		oneOf("status", string(p.Status), "pending", "active", "inactive", "suspended", "error").
		str("search", p.Search).flag("hasMissingBalance", p.HasMissingBalance).
		oneOf("sortBy", string(p.SortBy), "alias", "addedOn", "createdAt", "updatedAt", "lastSyncedAt", "netValue", "txnCount")
	if p.IncludeProviderCounts {
		q.v.Set("includeProviderCounts", "true")
	}
	if p.Ascending {
		q.v.Set("sortOrder", "asc")
	}
	return q
}

// integrationsAnswer is the page-number shape {success, data: {integrations,
// pagination[, providerCounts]}}, of full objects or of summaries.
type integrationsAnswer[T any] struct {
	httpcore.Envelope
	Data struct {
		Integrations   []T            `json:"integrations"`
		Pagination     pagination     `json:"pagination"`
		ProviderCounts map[string]int `json:"providerCounts"`
	} `json:"data"`
}

func (a *integrationsAnswer[T]) WholeEnvelope() *httpcore.Envelope { return &a.Envelope }

func (a *integrationsAnswer[T]) page() pageFacts[T, IntegrationListSummary] {
	return pageFactsOf(a.Data.Integrations, a.Data.Pagination, IntegrationListSummary{ProviderCounts: a.Data.ProviderCounts})
}

func integrationLister[T any](u *UserClient, p IntegrationsParams, summary bool, opts []CallOption) *lister[T, IntegrationListSummary] {
	q := p.query()
	err := errors.Join(q.check(), checkPosition("params.Page", p.Page), checkLimit("params.Limit", p.Limit, maxIntegrationsLimit))
	if summary {
		q.v.Set("fields", "summary")
	}
	return &lister[T, IntegrationListSummary]{u: u, op: opListIntegrations, query: q.v, style: byPageNumber, start: p.Page,
		limit: p.Limit, answer: func() pageAnswer[T, IntegrationListSummary] { return &integrationsAnswer[T]{} }, fullPage: maxIntegrationsLimit, opts: opts, err: err}
}

// ListIntegrations iterates over the user's integrations: GET
// /v1/integrations, page after page as the loop asks for them, newest
// first unless p sorts otherwise. With p.Limit 0 it asks for pages of 100,
// the most the API gives, to spend fewer calls of the data quota.
func (u *UserClient) ListIntegrations(ctx context.Context, p IntegrationsParams, opts ...CallOption) iter.Seq2[Integration, error] {
	return integrationLister[Integration](u, p, false, opts).all(ctx)
}

// ListIntegrationsPage returns one page of the user's integrations, with
// the total and, when p.IncludeProviderCounts is set, the provider counts:
// GET /v1/integrations. Page.Next fetches the next one.
func (u *UserClient) ListIntegrationsPage(ctx context.Context, p IntegrationsParams, opts ...CallOption) (*Page[Integration, IntegrationListSummary], error) {
	return integrationLister[Integration](u, p, false, opts).first(ctx)
}

// ListIntegrationSummaries iterates over the light projection of the user's
// integrations: GET /v1/integrations?fields=summary, with the same filters,
// sorting and paging as ListIntegrations. The API skips the per-row live
// lookups (missing balances, resync check, logos and counts), which makes
// it the cheap call for menus and pickers.
func (u *UserClient) ListIntegrationSummaries(ctx context.Context, p IntegrationsParams, opts ...CallOption) iter.Seq2[IntegrationSummary, error] {
	return integrationLister[IntegrationSummary](u, p, true, opts).all(ctx)
}

// ListIntegrationSummariesPage returns one page of the light projection of
// the user's integrations: GET /v1/integrations?fields=summary.
func (u *UserClient) ListIntegrationSummariesPage(ctx context.Context, p IntegrationsParams, opts ...CallOption) (*Page[IntegrationSummary, IntegrationListSummary], error) {
	return integrationLister[IntegrationSummary](u, p, true, opts).first(ctx)
}

// GetIntegration returns one of the user's integrations with its full
// provider, connections and CSV upload history: GET
// /v1/integrations/{id}. It lacks the list's derived figures (see
// Integration). An unknown id matches ErrNotFound.
func (u *UserClient) GetIntegration(ctx context.Context, integrationID string, opts ...CallOption) (*Integration, error) {
	op := opGetIntegration
	if err := checkSegment("integrationID", integrationID); err != nil {
		return nil, invalid(op, err)
	}
	return getObject(ctx, u.c, op, request{params: []string{integrationID}, cred: u.cred}, opts, "integration", func(v *Integration) string { return v.ID })
}

// SearchIntegrationsParams are what SearchIntegrations looks for.
type SearchIntegrationsParams struct {
	// Query is the text typed so far; required.
	Query string
	// WorkspaceID: the docs call it required on this route, but as on
	// every other integrations route a credential bound to a workspace
	// (Connect and OAuth tokens) carries it already, so the SDK sends it
	// only when set. Set it (AccessGrant.WorkspaceID) if the API answers
	// 400 without it.
	WorkspaceID string
}

// searchAnswer is {integrations} in data.
type searchAnswer struct {
	Integrations []IntegrationSummary `json:"integrations"`
}

// check refuses an answer without its list (data missing, null or {}):
// an empty result is sent as [].
func (a *searchAnswer) check() error {
	if a.Integrations == nil {
		return errors.New("no integrations list in the answer")
	}
	return nil
}

// SearchIntegrations is the typeahead over the user's integrations: GET
// /v1/integrations/search?q=. Its item is not documented; the SDK reads it
// as an IntegrationSummary, from the summary projection or from a full
// integration object. The route has no paging.
func (u *UserClient) SearchIntegrations(ctx context.Context, p SearchIntegrationsParams, opts ...CallOption) ([]IntegrationSummary, error) {
	op := opSearchIntegrations
	if p.Query == "" {
		return nil, invalid(op, &ParamError{"params.Query", "must not be empty: the API requires q"})
	}
	q := newQuery().id("workspaceId", p.WorkspaceID).str("q", p.Query)
	if err := q.check(); err != nil {
		return nil, invalid(op, err)
	}
	var a searchAnswer
	if err := u.c.do(ctx, op, request{query: q.v, cred: u.cred}, &a, opts); err != nil {
		return nil, err
	}
	return a.Integrations, nil
}

// SyncStatusParams narrow GetSyncStatus.
type SyncStatusParams struct {
	// PortfolioID, when set, considers only the integrations of that
	// portfolio. The workspace is the credential's: the route takes no
	// workspace parameter.
	PortfolioID string
}

// WorkspaceSyncStatus says when the user's data was last synced.
type WorkspaceSyncStatus struct {
	// LastSyncedAt is the time of the most recent sync across the
	// workspace (or portfolio); zero if none ever ran.
	LastSyncedAt time.Time `json:"lastSyncedAt"`
}

// UnmarshalJSON reads lastSyncedAt as an ISO string (inferred, DATA-API.md
// §8.17), Unix milliseconds or null.
func (s *WorkspaceSyncStatus) UnmarshalJSON(b []byte) error {
	var w struct {
		LastSyncedAt optionalTime `json:"lastSyncedAt"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s.LastSyncedAt = w.LastSyncedAt.Time
	return nil
}

// GetSyncStatus returns when the user's workspace, or one of its
// portfolios, was last synced: GET /v1/integrations/sync-status. It is the
// cheap check of whether the data changed since you last read it.
func (u *UserClient) GetSyncStatus(ctx context.Context, p SyncStatusParams, opts ...CallOption) (*WorkspaceSyncStatus, error) {
	op := opIntegrationSyncStatus
	q := newQuery().id("portfolioId", p.PortfolioID)
	if err := q.check(); err != nil {
		return nil, invalid(op, err)
	}
	var a syncStatusAnswer
	r := request{query: q.v, cred: u.cred, check: func() error {
		if !a.given {
			return errors.New("no lastSyncedAt in the answer")
		}
		return nil
	}}
	if err := u.c.do(ctx, op, r, &a, opts); err != nil {
		return nil, err
	}
	return &a.WorkspaceSyncStatus, nil
}

// syncStatusAnswer is the data of GET /v1/integrations/sync-status, which
// must name lastSyncedAt (null when nothing ever synced): data null or {}
// does not say "never synced", it says nothing.
type syncStatusAnswer struct {
	WorkspaceSyncStatus
	given bool
}

func (a *syncStatusAnswer) UnmarshalJSON(b []byte) error {
	var w struct {
		LastSyncedAt json.RawMessage `json:"lastSyncedAt"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	a.given = w.LastSyncedAt != nil
	return a.WorkspaceSyncStatus.UnmarshalJSON(b)
}

// IntegrationAsset is one asset an integration holds: an entry of GET
// /v1/integrations/{id}/assets, the detail behind its NetValue. The docs
// do not give the row's shape (DATA-API.md §8.6); the fields below are the
// ones the sandbox sends, named as holdings name them, and Raw keeps the
// row as the API sent it, whatever its shape.
type IntegrationAsset struct {
	AssetID  string `json:"assetId"`
	Symbol   string `json:"symbol"`
	Name     string `json:"name"`
	Logo     string `json:"logo"`
	Type     string `json:"type"`
	ChainID  string `json:"chainId"`
	Contract string `json:"contractAddress"`
	// Quantity is exact: a decimal string, or a JSON number kept as sent.
	Quantity Decimal `json:"quantity"`
	// Price, Value and CostBasis are in the workspace's base currency.
	Price            float64 `json:"price"`
	Value            float64 `json:"value"`
	CostBasis        float64 `json:"costBasis"`
	IsSpam           bool    `json:"isSpam"`
	TransactionCount int     `json:"transactionCount"`
	// Raw is the row as sent.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON reads the known fields and keeps the row in Raw.
func (a *IntegrationAsset) UnmarshalJSON(b []byte) error {
	type plain IntegrationAsset
	if err := json.Unmarshal(b, (*plain)(a)); err != nil {
		return err
	}
	a.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// IntegrationAssetsParams filter ListIntegrationAssets.
type IntegrationAssetsParams struct {
	// WorkspaceID is needed only for a credential that is not bound to a
	// workspace; Connect and OAuth tokens are.
	WorkspaceID string
	// Query matches the asset's symbol or name; at most 100 characters.
	Query string
	// IncludeSpam keeps assets flagged as spam, which are left out by
	// default.
	IncludeSpam bool
	// MinValue, when set, drops the assets worth less.
	MinValue *float64
	// Page is the first page to read (1 when 0); Limit the page size, up to
	// 100 (the API's default, 50, when 0).
	Page, Limit int
}

const (
	maxIntegrationAssetsLimit = 100
	maxAssetQueryRunes        = 100
)

// integrationAssetsAnswer is {success, data: {assets, pagination}}.
type integrationAssetsAnswer struct {
	httpcore.Envelope
	Data struct {
		Assets     []IntegrationAsset `json:"assets"`
		Pagination pagination         `json:"pagination"`
	} `json:"data"`
}

func (a *integrationAssetsAnswer) WholeEnvelope() *httpcore.Envelope { return &a.Envelope }

func (a *integrationAssetsAnswer) page() pageFacts[IntegrationAsset, NoSummary] {
	return pageFactsOf(a.Data.Assets, a.Data.Pagination, NoSummary{})
}

func (u *UserClient) integrationAssetLister(integrationID string, p IntegrationAssetsParams, opts []CallOption) *lister[IntegrationAsset, NoSummary] {
	op := opListIntegrationAssets
	q := newQuery().id("workspaceId", p.WorkspaceID).str("q", p.Query).number("minValue", p.MinValue)
	if p.IncludeSpam {
		q.v.Set("includeSpam", "true")
	}
	var bad error
	switch {
	case utf8.RuneCountInString(p.Query) > maxAssetQueryRunes:
		bad = &ParamError{"params.Query", "must be at most 100 characters"}
	case p.MinValue != nil && (math.IsNaN(*p.MinValue) || math.IsInf(*p.MinValue, 0)):
		bad = &ParamError{"params.MinValue", "must be a finite number"}
	}
	err := errors.Join(checkSegment("integrationID", integrationID), q.check(), bad,
		checkPosition("params.Page", p.Page), checkLimit("params.Limit", p.Limit, maxIntegrationAssetsLimit))
	return &lister[IntegrationAsset, NoSummary]{u: u, op: op, params: []string{integrationID}, query: q.v, style: byPageNumber,
		start: p.Page, limit: p.Limit, answer: func() pageAnswer[IntegrationAsset, NoSummary] { return &integrationAssetsAnswer{} }, fullPage: maxIntegrationAssetsLimit, opts: opts, err: err}
}

// ListIntegrationAssets iterates over the assets one integration holds: GET
// /v1/integrations/{id}/assets, page after page as the loop asks for them.
// With p.Limit 0 it asks for pages of 100, the most the API gives. An
// unknown integration matches ErrNotFound.
func (u *UserClient) ListIntegrationAssets(ctx context.Context, integrationID string, p IntegrationAssetsParams, opts ...CallOption) iter.Seq2[IntegrationAsset, error] {
	return u.integrationAssetLister(integrationID, p, opts).all(ctx)
}

// ListIntegrationAssetsPage returns one page of the assets one integration
// holds, with their total: GET /v1/integrations/{id}/assets.
func (u *UserClient) ListIntegrationAssetsPage(ctx context.Context, integrationID string, p IntegrationAssetsParams, opts ...CallOption) (*Page[IntegrationAsset, NoSummary], error) {
	return u.integrationAssetLister(integrationID, p, opts).first(ctx)
}

// IntegrationResyncParams say how UserClient.ResyncIntegration syncs an
// integration. The route's body is not documented (DATA-API.md §5.12, §8.6):
// the docs name its options (syncMode, functions, a time window, price
// only) but not their wire form. The SDK sends {"syncMode", "functions",
// "startTime", "endTime" (Unix ms, as the data API's time filters),
// "priceOnly"}, each only when set. The zero value is an incremental sync
// of every function.
type IntegrationResyncParams struct {
	// Mode is SyncIncremental (the API's default, when "") or
	// SyncFromStart, which deletes the integration's data first: use it
	// only when the user asks, or to backfill history a transaction cap
	// cut off (SyncJob.LimitReached).
	Mode SyncMode
	// Functions limits the sync to these connector functions
	// (ProviderFunction.Name, as GetIntegration's Provider.Functions
	// lists them); all of them when empty.
	Functions []string
	// From and To limit the sync to transactions in [From, To); zero for
	// no bound. From alone backfills from a date.
	From, To time.Time
	// PricesOnly prices the transactions already imported again, without
	// fetching any. It cannot be combined with SyncFromStart.
	PricesOnly bool
}

type resyncUserRequest struct {
	SyncMode  SyncMode `json:"syncMode,omitempty"`
	Functions []string `json:"functions,omitempty"`
	StartTime int64    `json:"startTime,omitempty"`
	EndTime   int64    `json:"endTime,omitempty"`
	PriceOnly bool     `json:"priceOnly,omitempty"`
}

func (p IntegrationResyncParams) request() (resyncUserRequest, error) {
	r := resyncUserRequest{SyncMode: p.Mode, Functions: p.Functions, PriceOnly: p.PricesOnly}
	switch {
	case p.Mode != "" && p.Mode != SyncIncremental && p.Mode != SyncFromStart:
		return r, &ParamError{"params.Mode", `must be SyncIncremental ("incremental") or SyncFromStart ("resync_from_start")`}
	case p.PricesOnly && p.Mode == SyncFromStart:
		return r, &ParamError{"params.PricesOnly", "cannot be combined with SyncFromStart, which deletes the data it would price"}
	case !p.From.IsZero() && !p.To.IsZero() && !p.From.Before(p.To):
		return r, &ParamError{"params.From", "must be before To"}
	}
	for _, f := range p.Functions {
		if err := checkID("params.Functions", f); err != nil {
			return r, err
		}
	}
	if !p.From.IsZero() {
		r.StartTime = p.From.UnixMilli()
	}
	if !p.To.IsZero() {
		r.EndTime = p.To.UnixMilli()
	}
	return r, nil
}

// ResyncIntegration starts a sync of one of the user's integrations with
// the user's own credential: POST /v1/integrations/{id}/resync, which
// needs the integrations:write scope (not in the default scope set). It
// returns the queued job: follow it with WaitForSync. The answer's shape is
// not documented; the SDK reads a sync object (SyncJob), under any of its
// id names.
//
// Because each call queues a job, a failed attempt is repeated only when
// it provably never reached the server or was refused with 429; a failure
// after the request may have been processed matches ErrOutcomeUnknown:
// look at the integration's LatestSync before starting another.
// Integrations whose sync is disabled, and CSV imports, are refused as by
// the partner ResyncIntegration (ErrSyncDisabled, the CSV errors); an
// unknown integration matches ErrNotFound.
func (u *UserClient) ResyncIntegration(ctx context.Context, integrationID string, p IntegrationResyncParams, opts ...CallOption) (*SyncJob, error) {
	op := opResyncUserIntegration
	if err := checkSegment("integrationID", integrationID); err != nil {
		return nil, invalid(op, err)
	}
	body, err := p.request()
	if err != nil {
		return nil, invalid(op, err)
	}
	// What the caller cannot do without is the queued job's id, to follow it.
	j, err := getObject(ctx, u.c, op, request{params: []string{integrationID}, body: body, cred: u.cred}, opts,
		"sync id", func(j *SyncJob) string { return j.ID })
	if err != nil {
		return nil, err
	}
	if j.IntegrationID == "" {
		j.IntegrationID = integrationID
	}
	return j, nil
}
