package kryptos

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListProvidersDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	sent := answerAndKeepQueries(api, http.MethodGet, "/v1/providers", reply(200, golden(t, "providers.list.json")))
	page, err := api.client.ListProvidersPage(context.Background(), ProvidersParams{})
	require.NoError(t, err)
	assert.Equal(t, []Provider{{
		ID: "binance", Slug: "binance", Name: "Binance", PublicName: "Binance", Type: ProviderExchange,
		Description: "Global cryptocurrency exchange", Logo: "https://...", Featured: true, IsWorking: true,
		ImportMethods:    []ImportMethod{ImportAPI, ImportCSV},
		CredentialFields: map[string]CredentialField{"apiKey": {Required: true, Type: CredentialString, Label: "API Key"}},
		Capabilities:     map[Capability]bool{CapabilityTrades: true, CapabilityHoldings: true},
		Functions: []ProviderFunction{{Name: "fetchTrades", PublicName: "Trades", IsBase: true, Categories: []string{"trade"},
			Enabled: true, Operational: true}},
		IntegrationInfo:   map[string]any{},
		WalletLimitations: &WalletLimitations{ImportOptions: []ImportOption{{Name: "api", Status: true, IsRecommended: true}}},
		Metadata:          map[string]any{},
		CreatedAt:         time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		UpdatedAt:         time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC),
	}}, page.Items)
	assert.Equal(t, 312, page.Total)
	assert.True(t, page.HasNext())
	assert.True(t, page.Items[0].Supports(CapabilityTrades))
	assert.False(t, page.Items[0].Supports(CapabilityFutures), "absent means unsupported")
	assert.Equal(t, url.Values{"page": {"1"}}, sent.last(t))

	// The catalogue is public: no credential of any kind goes out.
	req := api.rec.last(t)
	assert.Equal(t, "/v1/providers", req.Path)
	for _, h := range []string{"Authorization", "X-Api-Key", "X-Client-Id", "X-Client-Secret"} {
		assert.Empty(t, req.Header.Get(h), h)
	}
}

func TestListProvidersSendsItsFiltersAndFollowsThePages(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	provider := func(id string) string {
		return `{"id":"` + id + `","slug":"` + id + `","name":"` + id + `","publicName":"` + id + `","description":null,` +
			`"type":"wallet","logo":null,"featured":false,"isWorking":false,"importMethods":["address","wallet_connect"],` +
			`"credentialFields":{"address":{"required":true,"type":"string","label":"Address","placeholder":"0x..."}},` +
			`"capabilities":{},"walletSupportedChains":[{"id":"ethereum"},{"id":"base","onlyManual":true}],"functions":null,` +
			`"integrationInfo":null,"walletLimitations":{"importOptions":[],"maxAddresses":5},"metadata":null,` +
			`"createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z"}`
	}
	sent := answerAndKeepQueries(api, http.MethodGet, "/v1/providers", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("page") == "3" {
			return reply(200, `{"success":true,"data":{"providers":[`+provider("c")+`],"pagination":{"page":3,"limit":2,"total":5,"totalPages":3,"hasMore":false}}}`)(req)
		}
		return reply(200, `{"success":true,"data":{"providers":[`+provider("a")+`,`+provider("b")+`],"pagination":{"page":2,"limit":2,"total":5,"totalPages":3,"hasMore":true}}}`)(req)
	})
	p := ProvidersParams{Type: ProviderWallet, Featured: Ptr(false), IsWorking: Ptr(false), Search: "mask", Page: 2, Limit: 2}
	all := collect(t, api.client.ListProviders(context.Background(), p))
	require.Len(t, all, 3)
	assert.Equal(t, Provider{ID: "c", Slug: "c", Name: "c", PublicName: "c", Type: ProviderWallet,
		ImportMethods: []ImportMethod{ImportAddress, ImportWalletConnect},
		CredentialFields: map[string]CredentialField{"address": {Required: true, Type: CredentialString, Label: "Address",
			Placeholder: "0x..."}},
		Capabilities:          map[Capability]bool{},
		WalletSupportedChains: []SupportedChain{{ID: "ethereum"}, {ID: "base", OnlyManual: true}},
		WalletLimitations:     &WalletLimitations{ImportOptions: []ImportOption{}, Other: map[string]json.RawMessage{"maxAddresses": json.RawMessage("5")}},
		CreatedAt:             time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}, all[2])
	filters := url.Values{"type": {"wallet"}, "featured": {"false"}, "isWorking": {"false"}, "search": {"mask"}, "limit": {"2"}}
	assert.Equal(t, []url.Values{withPaging(filters, "page", "2"), withPaging(filters, "page", "3")}, sent.list())

	for range seqValues(t, api.client.ListProviders(context.Background(), ProvidersParams{})) {
		break
	}
	assert.Equal(t, url.Values{"page": {"1"}, "limit": {"100"}}, sent.last(t), "the largest page when no limit is set")
}

func TestGetProvider(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/providers/kraken", reply(200, `{"success":true,"data":{"id":"kraken","slug":"kraken",
		"name":"Kraken","publicName":"Kraken","type":"exchange","featured":false,"isWorking":true,"importMethods":["api"],
		"credentialFields":{},"capabilities":{"trades":true,"margin":true,"copyTrading":true}}}`))
	api.onData(http.MethodGet, "/v1/providers/nope", fail(404, "NOT_FOUND", "Provider not found"))
	api.onData(http.MethodGet, "/v1/providers/empty", reply(200, `{"success":true,"data":null}`))
	ctx := context.Background()

	p, err := api.client.GetProvider(ctx, "kraken")
	require.NoError(t, err)
	assert.Equal(t, Provider{ID: "kraken", Slug: "kraken", Name: "Kraken", PublicName: "Kraken", Type: ProviderExchange,
		IsWorking: true, ImportMethods: []ImportMethod{ImportAPI}, CredentialFields: map[string]CredentialField{},
		Capabilities: map[Capability]bool{CapabilityTrades: true, CapabilityMargin: true, "copyTrading": true}}, *p,
		"capabilities the package does not name are kept")
	for _, h := range []string{"Authorization", "X-Client-Secret"} {
		assert.Empty(t, api.rec.last(t).Header.Get(h), h)
	}

	_, err = api.client.GetProvider(ctx, "nope")
	require.ErrorIs(t, err, ErrNotFound)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "NOT_FOUND", apiErr.Code)
	assert.Equal(t, "Provider not found", apiErr.Message)

	_, err = api.client.GetProvider(ctx, "empty")
	require.ErrorIs(t, err, ErrMalformedResponse)

	calls := api.rec.count()
	for _, id := range []string{"", "..", "a/b", "a b"} {
		_, err = api.client.GetProvider(ctx, id)
		require.ErrorIs(t, err, ErrInvalidParams, id)
	}
	for _, p := range []ProvidersParams{{Limit: 101}, {Limit: -1}, {Page: -1}, {Type: "custom"}, {Search: "a\xffb"}} {
		_, err := api.client.ListProvidersPage(ctx, p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		for _, err := range api.client.ListProviders(ctx, p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		}
	}
	assert.Equal(t, calls, api.rec.count(), "nothing sent for refused arguments")
}

func TestProviderReadsTimesLeniently(t *testing.T) {
	t.Parallel()
	var p Provider
	require.NoError(t, json.Unmarshal([]byte(`{"id":"custom","type":"custom","createdAt":1767225600000,"updatedAt":""}`), &p))
	assert.Equal(t, ProviderCustom, p.Type, "the manual-wallet provider an integration may name")
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), p.CreatedAt.UTC(), "Unix milliseconds")
	assert.True(t, p.UpdatedAt.IsZero(), `"" is no time`)
	require.NoError(t, json.Unmarshal([]byte(`{"id":"x","createdAt":null,"updatedAt":"2026-08-01T00:00:00.000Z"}`), &p))
	assert.True(t, p.CreatedAt.IsZero(), "null is no time")
	assert.Equal(t, time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), p.UpdatedAt.UTC())
	assert.Error(t, json.Unmarshal([]byte(`{"id":"x","createdAt":"yesterday"}`), &p))
}
