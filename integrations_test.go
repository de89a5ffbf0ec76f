package kryptos

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncTime reads an RFC 3339 time of a sample.
func syncTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// queryLog keeps the query string of each request a responder answers.
type queryLog struct {
	mu   sync.Mutex
	seen []string
}

// answer answers with r, noting the request's query first.
func (q *queryLog) answer(r httpmock.Responder) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		q.mu.Lock()
		q.seen = append(q.seen, req.URL.RawQuery)
		q.mu.Unlock()
		return r(req)
	}
}

// last returns the last query seen.
func (q *queryLog) last(t *testing.T) string {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	require.NotEmpty(t, q.seen, "no request was answered")
	return q.seen[len(q.seen)-1]
}

func TestListIntegrationsDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	var q queryLog
	api.onData(http.MethodGet, "/v1/integrations", q.answer(reply(200, golden(t, "integrations.list.json"))))
	page, err := api.user().ListIntegrationsPage(context.Background(), IntegrationsParams{})
	require.NoError(t, err)
	assert.Equal(t, []Integration{{
		ID: "int_9f2c", WorkspaceID: "ws_12ab", ProviderID: "binance", PrimaryPortfolioID: "pf_main", Alias: "Main exchange",
		AccountStatus: AccountActive, CredentialKind: CredentialAPIKey, SyncEnabled: true, IsCustomWallet: false,
		Provider:   Provider{ID: "binance", Name: "Binance", PublicName: "Binance", Logo: "https://...", Type: ProviderExchange},
		LastSyncID: "sync_7712", LastSyncedAt: syncTime("2026-08-13T09:14:22Z"),
		LatestSync: &SyncJob{ID: "sync_7712", Status: SyncCompleted, SyncKind: "api", Mode: SyncIncremental, ProgressPercent: 100,
			RecordsProcessed: 412, RecordsFailed: 0, LimitReached: false, CompletedAt: syncTime("2026-08-13T09:16:02Z")},
		TxnCounts:    &IntegrationTxnCounts{Total: 1284, ByType: map[string]int{"trade": 900, "deposit": 220}},
		NetValue:     Ptr(150000.0),
		BaseCurrency: "USD", MetadataUpdatedAt: syncTime("2026-08-13T09:16:30Z"),
		HasMissingBalance: false, CanResync: true, AssetLogos: []string{"https://..."}, AssetCount: 12, TxnCount: 1284,
		Credentials: nil, CreatedAt: syncTime("2026-01-04T11:02:00Z"), UpdatedAt: syncTime("2026-08-13T09:16:30Z"),
	}}, page.Items)
	assert.Equal(t, 7, page.Total)
	assert.Nil(t, page.Summary.ProviderCounts, "not asked for")
	assert.False(t, page.HasNext(), "hasMore false")
	req := api.rec.last(t)
	assert.Equal(t, "/v1/integrations", req.Path)
	assert.Equal(t, "page=1", q.last(t))
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"))
	assert.Empty(t, req.Header.Get("X-Client-Secret"), "the client secret never goes to the data API")
}

func TestListIntegrationsSendsEveryFilter(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		params IntegrationsParams
		want   string
	}{
		{"defaults", IntegrationsParams{}, "page=1"},
		{"workspace and portfolio", IntegrationsParams{WorkspaceID: "ws_1", PrimaryPortfolioID: "pf_1"}, "page=1&primaryPortfolioId=pf_1&workspaceId=ws_1"},
		{"provider", IntegrationsParams{ProviderID: "binance", ProviderType: ProviderExchange}, "page=1&providerId=binance&providerType=exchange"},
		{"status", IntegrationsParams{Status: AccountError}, "page=1&status=error"},
		{"search", IntegrationsParams{Search: "main wallet"}, "page=1&search=main+wallet"},
		{"missing balance", IntegrationsParams{HasMissingBalance: Ptr(false)}, "hasMissingBalance=false&page=1"},
		{"provider counts", IntegrationsParams{IncludeProviderCounts: true}, "includeProviderCounts=true&page=1"},
		{"sort", IntegrationsParams{SortBy: IntegrationSortNetValue, Ascending: true}, "page=1&sortBy=netValue&sortOrder=asc"},
		{"paging", IntegrationsParams{Page: 3, Limit: 100}, "limit=100&page=3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			var q queryLog
			api.onData(http.MethodGet, "/v1/integrations", q.answer(reply(200, `{"success":true,"data":{"integrations":[],"pagination":{"page":1,"limit":50,"total":0,"totalPages":0,"hasMore":false}}}`)))
			page, err := api.user().ListIntegrationsPage(context.Background(), tc.params)
			require.NoError(t, err)
			assert.Empty(t, page.Items)
			assert.Equal(t, tc.want, q.last(t))
		})
	}
}

func TestListIntegrationsFollowsThePagesAndCarriesTheProviderCounts(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	in := func(id string) string {
		return `{"id":"` + id + `","providerId":"ethereum","provider":{"id":"ethereum","name":"Ethereum","publicName":"Ethereum","logo":"l","type":"blockchain"},
			"accountStatus":"active","credentialKind":"address","credentials":{"address":"0xabc","apiKey":"****"},"lastSyncedAt":"","latestSync":null,
			"txnCounts":null,"netValue":null,"createdAt":1767225600000,"updatedAt":"2026-01-01T00:00:00Z","deletedAt":null}`
	}
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/integrations", "page=1&limit=100&includeProviderCounts=true",
		reply(200, `{"success":true,"data":{"integrations":[`+in("a")+`,`+in("b")+`],"pagination":{"page":1,"limit":100,"total":3,"totalPages":2,"hasMore":true},"providerCounts":{"ethereum":3}}}`))
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/integrations", "page=2&limit=100&includeProviderCounts=true",
		reply(200, `{"success":true,"data":{"integrations":[`+in("c")+`],"pagination":{"page":2,"limit":100,"total":3,"totalPages":2,"hasMore":false},"providerCounts":{"ethereum":3}}}`))

	var all []Integration
	for in, err := range api.user().ListIntegrations(context.Background(), IntegrationsParams{IncludeProviderCounts: true}) {
		require.NoError(t, err)
		all = append(all, in)
	}
	require.Len(t, all, 3)
	assert.Equal(t, []string{"a", "b", "c"}, []string{all[0].ID, all[1].ID, all[2].ID})
	assert.Equal(t, 2, api.rec.count(), "pages of 100, the most the API gives")
	first := all[0]
	assert.Nil(t, first.LatestSync, "never synced")
	assert.Nil(t, first.TxnCounts, "not computed yet")
	assert.Nil(t, first.NetValue, "unknown, not zero")
	assert.True(t, first.LastSyncedAt.IsZero(), `"" is never`)
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), first.CreatedAt, "Unix milliseconds are read too")
	assert.Equal(t, "0xabc", first.Credentials.Address)
	assert.Equal(t, map[string]any{"address": "0xabc", "apiKey": "****"}, first.Credentials.Fields)

	page, err := api.user().ListIntegrationsPage(context.Background(), IntegrationsParams{IncludeProviderCounts: true, Limit: 100})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"ethereum": 3}, page.Summary.ProviderCounts)
	next, err := page.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "c", next.Items[0].ID)
	assert.False(t, next.HasNext())
}

func TestListIntegrationSummariesAsksForTheLightProjection(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	var q queryLog
	api.onData(http.MethodGet, "/v1/integrations", q.answer(reply(200, `{"success":true,"data":{"integrations":[
		{"id":"int_1","alias":null,"providerId":"ethereum","providerName":"Ethereum","providerPublicName":"Ethereum",
		 "logo":"https://x/eth.png","transactionCount":240,"address":"0xabc"}],
		"pagination":{"page":1,"limit":100,"total":1,"totalPages":1,"hasMore":false}}}`)))
	got := collect(t, api.user().ListIntegrationSummaries(context.Background(), IntegrationsParams{ProviderID: "ethereum"}))
	assert.Equal(t, []IntegrationSummary{{ID: "int_1", ProviderID: "ethereum", ProviderName: "Ethereum", ProviderPublicName: "Ethereum",
		Logo: "https://x/eth.png", TransactionCount: 240, Address: "0xabc"}}, got)
	assert.Equal(t, "fields=summary&limit=100&page=1&providerId=ethereum", q.last(t))

	page, err := api.user().ListIntegrationSummariesPage(context.Background(), IntegrationsParams{})
	require.NoError(t, err)
	assert.Equal(t, 1, page.Total)
	assert.Equal(t, "fields=summary&page=1", q.last(t))
}

func TestListIntegrationsRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	for _, p := range []IntegrationsParams{
		{Limit: 101}, {Limit: -1}, {Page: -1}, {WorkspaceID: "ws 1"}, {PrimaryPortfolioID: "pf\n1"},
		{ProviderType: "bank"}, {Status: AccountDeleted}, {Status: "ACTIVE"}, {SortBy: "name"},
		{Search: strings.Repeat("x", 5000)},
	} {
		_, err := api.user().ListIntegrationsPage(context.Background(), p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		for _, err := range api.user().ListIntegrations(context.Background(), p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		}
		_, err = api.user().ListIntegrationSummariesPage(context.Background(), p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
	}
	assert.Equal(t, 0, api.rec.count())
}

const fullIntegration = `{"success":true,"data":{"id":"int_csv","workspaceId":"ws_1","providerId":"csv","primaryPortfolioId":null,
	"alias":"Old trades","accountStatus":"active","credentialKind":"csv","syncEnabled":true,"isTokenExpired":false,
	"lastSyncStatus":"partially_synced","isCustomWallet":false,
	"provider":{"id":"csv","slug":"csv","name":"CSV","publicName":"CSV import","description":"Files","type":"service",
		"logo":"https://x/csv.png","featured":false,"isWorking":true,"importMethods":["csv"],
		"credentialFields":{"apiKey":{"required":true,"type":"string","label":"API Key","placeholder":"key"}},
		"capabilities":{"trades":true},"walletSupportedChains":[{"id":"ethereum","onlyManual":true}],
		"functions":[{"name":"importFile","public_name":"CSV file","is_base":true,"categories":["import"],"enabled":true,"operational":false}],
		"integrationInfo":{"docs":"https://x"},"walletLimitations":{"importOptions":[{"name":"csv","status":true,"isRecommended":true}]},
		"metadata":{},"createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-08-01T00:00:00.000Z"},
	"lastSyncId":"sync_9","lastSyncedAt":"2026-08-13T09:14:22.000Z",
	"latestSync":{"id":"sync_9","status":"partially_synced","syncKind":"csv","mode":"resync_from_start","progressPercent":100,
		"recordsProcessed":90,"recordsFailed":0,"limitReached":true,"completedAt":"2026-08-13T09:16:02.000Z"},
	"baseCurrency":"USD","canResync":true,"credentials":null,
	"createdAt":"2026-01-04T11:02:00.000Z","updatedAt":"2026-08-13T09:16:30.000Z","deletedAt":null,
	"connections":[{"chainId":"ethereum"}],
	"csvUploads":[{"uploadId":"upl_1","fileName":"trades.csv","fileSize":23104,"fileType":"text/csv","status":"processed",
		"rowCount":240,"summary":{"imported":90},"uploadedAt":"2026-01-04T11:02:00.000Z"}]}}`

func TestGetIntegrationDecodesTheFullObject(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/integrations/int_csv", reply(200, fullIntegration))
	got, err := api.user().GetIntegration(context.Background(), "int_csv")
	require.NoError(t, err)
	assert.Equal(t, Integration{
		ID: "int_csv", WorkspaceID: "ws_1", ProviderID: "csv", Alias: "Old trades", AccountStatus: AccountActive,
		CredentialKind: CredentialCSV, SyncEnabled: true, LastSyncStatus: SyncPartiallySynced,
		Provider: Provider{ID: "csv", Slug: "csv", Name: "CSV", PublicName: "CSV import", Description: "Files",
			Type: ProviderService, Logo: "https://x/csv.png", IsWorking: true, ImportMethods: []ImportMethod{ImportCSV},
			CredentialFields: map[string]CredentialField{"apiKey": {Required: true, Type: CredentialString, Label: "API Key", Placeholder: "key"}},
			Capabilities:     map[Capability]bool{CapabilityTrades: true}, WalletSupportedChains: []SupportedChain{{ID: "ethereum", OnlyManual: true}},
			Functions:         []ProviderFunction{{Name: "importFile", PublicName: "CSV file", IsBase: true, Categories: []string{"import"}, Enabled: true}},
			IntegrationInfo:   map[string]any{"docs": "https://x"},
			WalletLimitations: &WalletLimitations{ImportOptions: []ImportOption{{Name: "csv", Status: true, IsRecommended: true}}},
			Metadata:          map[string]any{}, CreatedAt: syncTime("2026-01-01T00:00:00Z"), UpdatedAt: syncTime("2026-08-01T00:00:00Z")},
		LastSyncID: "sync_9", LastSyncedAt: syncTime("2026-08-13T09:14:22Z"),
		LatestSync: &SyncJob{ID: "sync_9", Status: SyncPartiallySynced, SyncKind: "csv", Mode: SyncFromStart, ProgressPercent: 100,
			RecordsProcessed: 90, LimitReached: true, CompletedAt: syncTime("2026-08-13T09:16:02Z")},
		BaseCurrency: "USD", CanResync: true,
		CreatedAt: syncTime("2026-01-04T11:02:00Z"), UpdatedAt: syncTime("2026-08-13T09:16:30Z"),
		Connections: []json.RawMessage{json.RawMessage(`{"chainId":"ethereum"}`)},
		CSVUploads: []IntegrationCSVUpload{{UploadID: "upl_1", FileName: "trades.csv", FileSize: 23104, FileType: "text/csv",
			Status: "processed", RowCount: 240, Summary: json.RawMessage(`{"imported":90}`), UploadedAt: syncTime("2026-01-04T11:02:00Z")}},
	}, *got)
	assert.True(t, got.LatestSync.Status.Succeeded(), "partially_synced is a success with losses")
}

func TestGetIntegrationErrors(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/integrations/int_gone", reply(404, golden(t, "error.wrapped.json"), "X-Request-Id", "req_1"))
	api.onData(http.MethodGet, "/v1/integrations/int_null", reply(200, `{"success":true,"data":null}`))
	api.onData(http.MethodGet, "/v1/integrations/int_scope", reply(403, golden(t, "error.insufficient_scope.json")))
	ctx := context.Background()

	_, err := api.user().GetIntegration(ctx, "int_gone")
	require.ErrorIs(t, err, ErrNotFound)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 404, apiErr.StatusCode)
	assert.Equal(t, "NOT_FOUND", apiErr.Code)
	assert.Equal(t, "Integration not found", apiErr.Message)
	assert.Equal(t, "req_1", apiErr.RequestID)

	_, err = api.user().GetIntegration(ctx, "int_null")
	require.ErrorIs(t, err, ErrMalformedResponse)

	_, err = api.user().GetIntegration(ctx, "int_scope")
	require.ErrorIs(t, err, ErrInsufficientScope)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "insufficient_scope", apiErr.Code)
	assert.Equal(t, "Missing: portfolios:read", apiErr.Message)

	for _, id := range []string{"", "..", "a/b", "a?b"} {
		_, err := api.user().GetIntegration(ctx, id)
		require.ErrorIs(t, err, ErrInvalidParams, id)
	}
	assert.Equal(t, 3, api.rec.count())
}

func TestSearchIntegrations(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	var q queryLog
	api.onData(http.MethodGet, "/v1/integrations/search", q.answer(reply(200, `{"success":true,"data":{"integrations":[
		{"id":"int_1","alias":"Main","providerId":"ethereum","providerName":"Ethereum","providerPublicName":"Ethereum","logo":"l1","transactionCount":3,"address":"0xabc"},
		{"id":"int_2","alias":"Kraken","providerId":"kraken","provider":{"id":"kraken","name":"Kraken","publicName":"Kraken Pro","logo":"l2","type":"exchange"},
		 "txnCount":7,"credentials":{"accountName":"acct-9"}}]}}`)))
	ctx := context.Background()
	got, err := api.user().SearchIntegrations(ctx, SearchIntegrationsParams{Query: "ma in"})
	require.NoError(t, err)
	assert.Equal(t, []IntegrationSummary{
		{ID: "int_1", Alias: "Main", ProviderID: "ethereum", ProviderName: "Ethereum", ProviderPublicName: "Ethereum", Logo: "l1", TransactionCount: 3, Address: "0xabc"},
		{ID: "int_2", Alias: "Kraken", ProviderID: "kraken", ProviderName: "Kraken", ProviderPublicName: "Kraken Pro", Logo: "l2", TransactionCount: 7, Address: "acct-9"},
	}, got, "a full object stands in for the summary")
	assert.Equal(t, "q=ma+in", q.last(t), "no workspace for a bound token")

	_, err = api.user().SearchIntegrations(ctx, SearchIntegrationsParams{Query: "x", WorkspaceID: "ws_1"})
	require.NoError(t, err)
	assert.Equal(t, "q=x&workspaceId=ws_1", q.last(t))

	_, err = api.user().SearchIntegrations(ctx, SearchIntegrationsParams{})
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = api.user().SearchIntegrations(ctx, SearchIntegrationsParams{Query: "x", WorkspaceID: "ws 1"})
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 2, api.rec.count())
}

func TestGetSyncStatus(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/integrations/sync-status", "",
		reply(200, `{"success":true,"data":{"lastSyncedAt":"2026-08-13T09:16:02.000Z"}}`))
	api.mock.RegisterResponderWithQuery(http.MethodGet, DefaultDataURL+"/v1/integrations/sync-status", "portfolioId=pf_new",
		reply(200, `{"success":true,"data":{"lastSyncedAt":null}}`))
	ctx := context.Background()
	st, err := api.user().GetSyncStatus(ctx, SyncStatusParams{})
	require.NoError(t, err)
	assert.Equal(t, WorkspaceSyncStatus{LastSyncedAt: syncTime("2026-08-13T09:16:02Z")}, *st)
	st, err = api.user().GetSyncStatus(ctx, SyncStatusParams{PortfolioID: "pf_new"})
	require.NoError(t, err)
	assert.True(t, st.LastSyncedAt.IsZero(), "never synced")
	_, err = api.user().GetSyncStatus(ctx, SyncStatusParams{PortfolioID: "pf 1"})
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 2, api.rec.count())
}

func TestListIntegrationAssets(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	row := `{"assetId":"a1","symbol":"ETH","name":"Ethereum","logo":"l","type":"crypto","chainId":"ethereum",
		"contractAddress":null,"quantity":"1.500000000000000000","price":3200,"value":4800,"costBasis":3000.5,
		"isSpam":false,"transactionCount":12,"extra":{"x":1}}`
	var q queryLog
	api.onData(http.MethodGet, "/v1/integrations/int_1/assets", q.answer(reply(200,
		`{"success":true,"data":{"assets":[`+row+`],"pagination":{"page":2,"limit":10,"total":11,"totalPages":2,"hasMore":false}}}`)))
	page, err := api.user().ListIntegrationAssetsPage(context.Background(), "int_1",
		IntegrationAssetsParams{Query: "eth", IncludeSpam: true, MinValue: Ptr(0.5), Page: 2, Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, "includeSpam=true&limit=10&minValue=0.5&page=2&q=eth", q.last(t))
	require.Len(t, page.Items, 1)
	assert.Equal(t, IntegrationAsset{AssetID: "a1", Symbol: "ETH", Name: "Ethereum", Logo: "l", Type: "crypto", ChainID: "ethereum",
		Quantity: MustDecimal("1.500000000000000000"), Price: 3200, Value: 4800, CostBasis: 3000.5, TransactionCount: 12,
		Raw: json.RawMessage(row)}, page.Items[0])
	assert.Equal(t, 11, page.Total)
	assert.False(t, page.HasNext())

	all := collect(t, api.user().ListIntegrationAssets(context.Background(), "int_1", IntegrationAssetsParams{}))
	assert.Len(t, all, 1)
	assert.Equal(t, "limit=100&page=1", q.last(t))

	for _, p := range []IntegrationAssetsParams{{Query: strings.Repeat("é", 101)}, {Limit: 101}, {Page: -1}, {MinValue: Ptr(math.NaN())}, {MinValue: Ptr(math.Inf(1))}} {
		_, err := api.user().ListIntegrationAssetsPage(context.Background(), "int_1", p)
		require.ErrorIs(t, err, ErrInvalidParams)
	}
	_, err = api.user().ListIntegrationAssetsPage(context.Background(), "a/b", IntegrationAssetsParams{})
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 2, api.rec.count())
}

func TestUserResyncSendsItsOptions(t *testing.T) {
	t.Parallel()
	from, to := time.UnixMilli(1767225600000), time.UnixMilli(1769904000000)
	cases := []struct {
		name   string
		params IntegrationResyncParams
		body   string
	}{
		{"incremental by default", IntegrationResyncParams{}, `{}`},
		{"from the start", IntegrationResyncParams{Mode: SyncFromStart}, `{"syncMode":"resync_from_start"}`},
		{"functions in a window", IntegrationResyncParams{Mode: SyncIncremental, Functions: []string{"fetchTrades"}, From: from, To: to},
			`{"syncMode":"incremental","functions":["fetchTrades"],"startTime":1767225600000,"endTime":1769904000000}`},
		{"prices only", IntegrationResyncParams{PricesOnly: true}, `{"priceOnly":true}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.onData(http.MethodPost, "/v1/integrations/int_1/resync", reply(202,
				`{"success":true,"data":{"id":"sync_1","status":"queued","mode":"incremental","progressPercent":0,"recordsProcessed":0,"recordsFailed":0,"limitReached":false,"completedAt":null}}`))
			job, err := api.user().ResyncIntegration(context.Background(), "int_1", tc.params)
			require.NoError(t, err)
			assert.Equal(t, SyncJob{ID: "sync_1", Status: SyncQueued, Mode: SyncIncremental, IntegrationID: "int_1"}, *job)
			req := api.rec.last(t)
			assert.Equal(t, http.MethodPost, req.Method)
			assert.JSONEq(t, tc.body, req.Body)
			assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"))
		})
	}
}

func TestUserResyncIsNeverRepeatedBlindly(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		responder httpmock.Responder
		want      error
		attempts  int
		unknown   bool
	}{
		{"refused, then queued", httpmock.NewErrorResponder(errRefused).Then(reply(202, `{"success":true,"data":{"syncId":"sync_2","status":"queued"}}`)), nil, 2, false},
		{"503 may have queued it", fail(503, "", "unavailable"), ErrOutcomeUnknown, 1, true},
		{"reset may have queued it", httpmock.NewErrorResponder(errReset), ErrOutcomeUnknown, 1, true},
		{"queued, but the id is lost", reply(202, `{"success":true,"data":{"status":"queued"}}`), ErrMalformedResponse, 1, true},
		{"disabled", fail(409, "SYNC_DISABLED", "disabled"), ErrSyncDisabled, 1, false},
		{"no such integration", reply(404, golden(t, "error.wrapped.json")), ErrNotFound, 1, false},
		{"without integrations:write", reply(403, `{"error":"insufficient_scope","error_description":"Missing: integrations:write"}`), ErrInsufficientScope, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.onData(http.MethodPost, "/v1/integrations/int_1/resync", tc.responder)
			job, err := api.user().ResyncIntegration(context.Background(), "int_1", IntegrationResyncParams{})
			assert.Equal(t, tc.attempts, api.rec.count(), "attempts")
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, "sync_2", job.ID, "syncId is read as the id")
				return
			}
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, tc.unknown, errors.Is(err, ErrOutcomeUnknown))
		})
	}
}

func TestUserResyncRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	now := time.Now()
	cases := []struct {
		name   string
		id     string
		params IntegrationResyncParams
		field  string
	}{
		{"no id", "", IntegrationResyncParams{}, "integrationID"},
		{"path trick", "../x", IntegrationResyncParams{}, "integrationID"},
		{"unknown mode", "i", IntegrationResyncParams{Mode: "from_start"}, "params.Mode"},
		{"prices from the start", "i", IntegrationResyncParams{Mode: SyncFromStart, PricesOnly: true}, "params.PricesOnly"},
		{"window backwards", "i", IntegrationResyncParams{From: now, To: now.Add(-time.Hour)}, "params.From"},
		{"empty window", "i", IntegrationResyncParams{From: now, To: now}, "params.From"},
		{"empty function", "i", IntegrationResyncParams{Functions: []string{""}}, "params.Functions"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			_, err := api.user().ResyncIntegration(context.Background(), tc.id, tc.params)
			var pe *ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.field, pe.Field)
			assert.Equal(t, 0, api.rec.count())
		})
	}
}

// GetSyncStatus: an answer without lastSyncedAt does not say "never synced".
func TestASyncStatusWithoutItsTimeIsMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"success":true}`, `{"success":true,"data":null}`, `{"success":true,"data":{}}`} {
		api := newMockAPI(t)
		api.onData(http.MethodGet, "/v1/integrations/sync-status", reply(200, body))
		s, err := api.user().GetSyncStatus(context.Background(), SyncStatusParams{})
		require.ErrorIs(t, err, ErrMalformedResponse, "sync status from %s: %v", body, s)
	}
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/integrations/sync-status", reply(200, `{"success":true,"data":{"lastSyncedAt":null}}`))
	s, err := api.user().GetSyncStatus(context.Background(), SyncStatusParams{})
	require.NoError(t, err)
	assert.True(t, s.LastSyncedAt.IsZero(), "null: never synced")
}
