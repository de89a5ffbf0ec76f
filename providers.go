package kryptos

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// ProviderType is the kind of a provider. Values the package does not
// know are kept as sent.
type ProviderType string

// The documented provider types.
const (
	ProviderExchange   ProviderType = "exchange"
	ProviderBlockchain ProviderType = "blockchain"
	ProviderWallet     ProviderType = "wallet"
	ProviderService    ProviderType = "service"
	ProviderAggregator ProviderType = "aggregator"
	// ProviderCustom is the type of the internal manual-wallet provider.
	// The catalogue (ListProviders, GetProvider) never lists it; it
	// appears only as the Integration.Provider of a manual wallet
	// (Integration.IsCustomWallet), and as an IntegrationsParams filter.
	ProviderCustom ProviderType = "custom"
)

// ImportMethod is a way the widget can import an account of a provider.
type ImportMethod string

// The documented import methods.
const (
	ImportAPI           ImportMethod = "api"
	ImportCSV           ImportMethod = "csv"
	ImportOAuth         ImportMethod = "oauth"
	ImportAddress       ImportMethod = "address"
	ImportWalletConnect ImportMethod = "wallet_connect"
	ImportManual        ImportMethod = "manual"
)

// Capability is a kind of data a provider's integrations can import.
type Capability string

// The documented capabilities.
const (
	CapabilityTrades      Capability = "trades"
	CapabilityDeposits    Capability = "deposits"
	CapabilityWithdrawals Capability = "withdrawals"
	CapabilityStaking     Capability = "staking"
	CapabilityNFT         Capability = "nft"
	CapabilityDeFi        Capability = "defi"
	CapabilityHoldings    Capability = "holdings"
	CapabilityMargin      Capability = "margin"
	CapabilityFutures     Capability = "futures"
	CapabilitySwap        Capability = "swap"
	CapabilityBridge      Capability = "bridge"
)

// Provider is an exchange, blockchain, wallet or service that users can
// connect (DATA-API.md §5.14). The provider catalogue is public: read it
// with Client.ListProviders and Client.GetProvider, without any user
// credential. It is also the Provider of an Integration.
type Provider struct {
	// ID is what integrations name as their providerId, and what the Web
	// SDK's integrationName takes to open the widget on this provider.
	ID         string       `json:"id"`
	Slug       string       `json:"slug"`
	Name       string       `json:"name"`
	PublicName string       `json:"publicName"`
	Type       ProviderType `json:"type"`
	// Description and Logo (a URL) are "" when the API sends null.
	Description string `json:"description"`
	Logo        string `json:"logo"`
	Featured    bool   `json:"featured"`
	// IsWorking is false while the provider's connector is known to fail.
	IsWorking     bool           `json:"isWorking"`
	ImportMethods []ImportMethod `json:"importMethods"`
	// CredentialFields are the fields the widget asks for, by name (such as
	// "apiKey", "secretKey", "password", "accountName", "address",
	// "communityId"). The set is open: new names appear as providers need
	// them.
	CredentialFields map[string]CredentialField `json:"credentialFields"`
	// Capabilities says what the provider's integrations import; a
	// capability that is absent is unsupported. See Supports.
	Capabilities map[Capability]bool `json:"capabilities"`
	// WalletSupportedChains are the chains a wallet provider covers; nil
	// when the API sends null, as it does for exchanges.
	WalletSupportedChains []SupportedChain `json:"walletSupportedChains"`
	// Functions are the connector's import functions: their Name is what a
	// resync's functions option takes. Nil when the API sends null.
	Functions []ProviderFunction `json:"functions"`
	// WalletLimitations holds how accounts of the provider can be imported;
	// nil when the API sends null.
	WalletLimitations *WalletLimitations `json:"walletLimitations"`
	// IntegrationInfo and Metadata are free-form objects the docs do not
	// describe; nil when the API sends null.
	IntegrationInfo map[string]any `json:"integrationInfo"`
	Metadata        map[string]any `json:"metadata"`
	CreatedAt       time.Time      `json:"createdAt"`
	UpdatedAt       time.Time      `json:"updatedAt"`
}

// UnmarshalJSON reads the times leniently: null or "" is the zero time, and
// Unix milliseconds are accepted beside ISO strings.
func (p *Provider) UnmarshalJSON(b []byte) error {
	type plain Provider
	var w struct {
		*plain
		CreatedAt optionalTime `json:"createdAt"`
		UpdatedAt optionalTime `json:"updatedAt"`
	}
	w.plain = (*plain)(p)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	p.CreatedAt, p.UpdatedAt = w.CreatedAt.Time, w.UpdatedAt.Time
	return nil
}

// Supports reports whether the provider's integrations import c.
func (p *Provider) Supports(c Capability) bool { return p.Capabilities[c] }

// CredentialFieldType is the kind of input a credential field takes.
type CredentialFieldType string

// The documented credential field types.
const (
	CredentialString   CredentialFieldType = "string"
	CredentialPassword CredentialFieldType = "password"
	CredentialBoolean  CredentialFieldType = "boolean"
)

// CredentialField is one field the widget asks for to connect an account.
type CredentialField struct {
	Required bool                `json:"required"`
	Type     CredentialFieldType `json:"type"`
	Label    string              `json:"label"`
	// Placeholder is "" when the field has none.
	Placeholder string `json:"placeholder"`
}

// SupportedChain is a chain a wallet provider covers.
type SupportedChain struct {
	ID string `json:"id"`
	// OnlyManual is true when accounts on the chain can only be added by
	// hand, not synced.
	OnlyManual bool `json:"onlyManual"`
}

// ProviderFunction is one import function of a provider's connector. The
// API sends its keys in snake_case (public_name, is_base), unlike the rest
// of the data API.
type ProviderFunction struct {
	// Name is the value a resync's functions option takes.
	Name       string `json:"name"`
	PublicName string `json:"public_name"`
	// IsBase is true for the functions every sync runs.
	IsBase     bool     `json:"is_base"`
	Categories []string `json:"categories"`
	Enabled    bool     `json:"enabled"`
	// Operational is false when the function failed its last probe, and
	// also when it was never probed.
	Operational bool `json:"operational"`
}

// WalletLimitations is how accounts of a provider can be imported. The
// docs give importOptions only as an example of what it holds; the other
// keys are kept in Other.
type WalletLimitations struct {
	ImportOptions []ImportOption `json:"importOptions"`
	// Other holds the object's keys besides importOptions, undecoded.
	Other map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes importOptions and keeps every other key in Other.
func (w *WalletLimitations) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	*w = WalletLimitations{}
	if raw, ok := all["importOptions"]; ok {
		if err := json.Unmarshal(raw, &w.ImportOptions); err != nil {
			return err
		}
		delete(all, "importOptions")
	}
	if len(all) > 0 {
		w.Other = all
	}
	return nil
}

// ImportOption is one way to import an account of a provider.
type ImportOption struct {
	// Name is an import method, such as "api".
	Name string `json:"name"`
	// Status reports whether the option is available.
	Status        bool `json:"status"`
	IsRecommended bool `json:"isRecommended"`
}

// ProvidersParams filter ListProviders.
type ProvidersParams struct {
	// Type keeps one kind of provider.
	Type ProviderType
	// Featured and IsWorking keep the providers with (true) or without
	// (false) the flag; nil keeps all.
	Featured  *bool
	IsWorking *bool
	// Search matches the name, the public name and the slug.
	Search string
	// Page is the first page to read (1 when 0); Limit the page size, up to
	// 100 (the API's default, 50, when 0). The API would clamp a larger
	// limit silently; the SDK refuses it instead.
	Page, Limit int
}

const maxProvidersLimit = 100

// providersAnswer is {success, data: {providers, pagination}}.
type providersAnswer struct {
	httpcore.Envelope
	Data struct {
		Providers  []Provider `json:"providers"`
		Pagination pagination `json:"pagination"`
	} `json:"data"`
}

func (a *providersAnswer) WholeEnvelope() *httpcore.Envelope { return &a.Envelope }

func (a *providersAnswer) page() pageFacts[Provider, NoSummary] {
	return pageFactsOf(a.Data.Providers, a.Data.Pagination, NoSummary{})
}

// providerLister reads the public catalogue: its UserClient has no
// credential, and the operations send none (they are byNobody).
func (c *Client) providerLister(p ProvidersParams, opts []CallOption) *lister[Provider, NoSummary] {
	q := newQuery().oneOf("type", string(p.Type), string(ProviderExchange), string(ProviderBlockchain),
		string(ProviderWallet), string(ProviderService), string(ProviderAggregator)).
		flag("featured", p.Featured).flag("isWorking", p.IsWorking).str("search", p.Search)
	err := errors.Join(q.check(), checkPosition("params.Page", p.Page), checkLimit("params.Limit", p.Limit, maxProvidersLimit))
	return &lister[Provider, NoSummary]{u: &UserClient{c: c}, op: opListProviders, query: q.v, style: byPageNumber,
		start: p.Page, limit: p.Limit, answer: func() pageAnswer[Provider, NoSummary] { return &providersAnswer{} }, fullPage: maxProvidersLimit, opts: opts, err: err}
}

// ListProviders iterates over the providers users can connect:
// GET /v1/providers, page after page as the loop asks for them. The
// catalogue is public: the call sends no credential at all. Providers come
// featured first, then working, then by name; the internal custom-wallet
// provider is never listed. With p.Limit 0 it asks for pages of 100, the
// most the API gives, to spend fewer calls of the data quota.
func (c *Client) ListProviders(ctx context.Context, p ProvidersParams, opts ...CallOption) iter.Seq2[Provider, error] {
	return c.providerLister(p, opts).all(ctx)
}

// ListProvidersPage returns one page of the provider catalogue, with its
// total: GET /v1/providers, without any credential. Page.Next fetches the
// next one.
func (c *Client) ListProvidersPage(ctx context.Context, p ProvidersParams, opts ...CallOption) (*Page[Provider, NoSummary], error) {
	return c.providerLister(p, opts).first(ctx)
}

// GetProvider returns one provider of the catalogue by its id (such as
// "binance"): GET /v1/providers/{id}, without any credential. An unknown
// id matches ErrNotFound.
func (c *Client) GetProvider(ctx context.Context, providerID string, opts ...CallOption) (*Provider, error) {
	op := opGetProvider
	if err := checkSegment("providerID", providerID); err != nil {
		return nil, invalid(op, err)
	}
	return getObject(ctx, c, op, request{params: []string{providerID}}, opts, "provider", func(p *Provider) string { return p.ID })
}
