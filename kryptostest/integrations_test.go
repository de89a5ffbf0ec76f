package kryptostest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"fmt"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

// integrationsOf lists the user's integrations in the order they were
// connected.
func integrationsOf(t *testing.T, user *kryptos.UserClient) []kryptos.Integration {
	t.Helper()
	return integrationsListed(t, user, kryptos.IntegrationsParams{SortBy: kryptos.IntegrationSortCreatedAt, Ascending: true})
}

// integrationsListed drains ListIntegrations.
func integrationsListed(t *testing.T, user *kryptos.UserClient, p kryptos.IntegrationsParams) []kryptos.Integration {
	t.Helper()
	var out []kryptos.Integration
	for in, err := range user.ListIntegrations(ctx, p) {
		require.NoError(t, err)
		out = append(out, in)
	}
	return out
}

func integrationAliases(ins []kryptos.Integration) []string {
	out := make([]string, len(ins))
	for i, in := range ins {
		out[i] = in.Alias
	}
	return out
}

// integrationsFixture is a Guest with four integrations connected a minute
// apart under a transaction cap of 130, with 40 transactions each: the
// Binance account, the Ethereum wallet and the CSV import are whole, the
// Kraken account was cut at 10 transactions by the cap, and the Ethereum
// wallet's latest sync failed.
type integrationsFixture struct {
	srv                         *Server
	clock                       *FakeClock
	c                           *kryptos.Client
	grant                       *kryptos.AccessGrant
	user                        *kryptos.UserClient
	binance, eth, csv, kraken   kryptos.Integration
	connectedAt, failedResyncAt time.Time
}

func newIntegrationsFixture(t *testing.T) *integrationsFixture {
	t.Helper()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock), WithSandboxMode(false), WithPortfolioSize(40),
		WithWorkspaceTransactionLimit(kryptos.Ptr[int64](130), nil), WithSyncTimings(time.Second, 4*time.Second))
	t.Cleanup(srv.Close)
	f := &integrationsFixture{srv: srv, clock: clock, c: srv.Client(fast...), connectedAt: epoch}
	f.grant = connect(t, srv, f.c, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "binance", Address: "acct-main", Alias: "Trading desk"}}})
	f.user = f.c.User(f.grant.Credential())
	for _, w := range []Wallet{
		{Provider: "ethereum", Address: EthereumTestAddress, Alias: "Main wallet", FailSync: true},
		{Provider: "csv", Address: "ledger-export.csv", Alias: "Old ledger"},
		{Provider: "kraken", Address: "acct-kr", Alias: "Kraken"},
	} {
		clock.Advance(time.Minute)
		lt, err := f.c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: f.grant.AccessToken})
		require.NoError(t, err)
		_, err = srv.CompleteLink(lt.Token, LinkUser{Wallets: []Wallet{w}})
		require.NoError(t, err)
	}
	ins := integrationsOf(t, f.user)
	require.Len(t, ins, 4)
	f.binance, f.eth, f.csv, f.kraken = ins[0], ins[1], ins[2], ins[3]

	// The Ethereum wallet's provider stops answering.
	clock.Advance(time.Minute)
	f.failedResyncAt = clock.Now()
	s, err := f.c.CheckSession(ctx, f.grant.AccessToken.Reveal())
	require.NoError(t, err)
	_, err = f.c.ResyncIntegration(ctx, f.eth.ID, kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncLatest})
	require.NoError(t, err)
	clock.Advance(5 * time.Second)
	ins = integrationsOf(t, f.user)
	f.binance, f.eth, f.csv, f.kraken = ins[0], ins[1], ins[2], ins[3]
	return f
}

func TestIntegrationAnswersHaveTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	g := connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{
		{Provider: "ethereum", Address: EthereumTestAddress, Alias: "Main wallet"},
		{Provider: "solana", Address: SolanaTestAddress, Alias: "Phantom"},
	}})
	token := g.AccessToken.Reveal()
	sameShapeAsSample(t, "integrations.list.json", get(t, srv, token, "/v1/integrations"), golden.Options{
		Documented: []string{
			// §5.12's field table has both; the sample leaves them out.
			"data.integrations[].isTokenExpired", "data.integrations[].lastSyncStatus",
			// byType maps each transaction type to its count ({<type>:
			// num}); the sample shows two types.
			"data.integrations[].txnCounts.byType.withdrawal", "data.integrations[].txnCounts.byType.transfer",
			"data.integrations[].txnCounts.byType.payment",
		}})
	sameShapeAsSample(t, "error.wrapped.json", get(t, srv, token, "/v1/integrations/wallet-unknown"), golden.Options{})

	s, err := srv.Client().CheckSession(ctx, token)
	require.NoError(t, err)
	ins := integrationsOf(t, srv.Client().User(g.Credential()))
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/developer/integrations/"+ins[0].ID+"/resync",
		strings.NewReader(`{"user_id":"`+s.UserID+`","mode":"latest"}`))
	require.NoError(t, err)
	for k, v := range creds(srv) {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	sameShapeAsSample(t, "resync.partner.json", resp, golden.Options{})
}

func TestIntegrationListsPageFilterAndSort(t *testing.T) {
	t.Parallel()
	f := newIntegrationsFixture(t)
	user := f.user

	// The API's default order: newest first.
	assert.Equal(t, []string{"Kraken", "Old ledger", "Main wallet", "Trading desk"}, integrationAliases(integrationsListed(t, user, kryptos.IntegrationsParams{Limit: 1})),
		"four pages of one")
	page, err := user.ListIntegrationsPage(ctx, kryptos.IntegrationsParams{Limit: 3})
	require.NoError(t, err)
	assert.Len(t, page.Items, 3)
	assert.Equal(t, 4, page.Total)
	assert.Nil(t, page.Summary.ProviderCounts, "not asked for")
	require.True(t, page.HasNext())
	next, err := page.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"Trading desk"}, integrationAliases(next.Items))
	assert.False(t, next.HasNext())

	trading := f.kraken.PrimaryPortfolioID
	require.NotEqual(t, f.binance.PrimaryPortfolioID, trading, "a second exchange goes to the Trading portfolio")
	// Filtered lists keep the default order, newest first.
	cases := []struct {
		name   string
		params kryptos.IntegrationsParams
		want   []string
	}{
		{"provider", kryptos.IntegrationsParams{ProviderID: "kraken"}, []string{"Kraken"}},
		{"exchanges", kryptos.IntegrationsParams{ProviderType: kryptos.ProviderExchange}, []string{"Kraken", "Trading desk"}},
		{"chains", kryptos.IntegrationsParams{ProviderType: kryptos.ProviderBlockchain}, []string{"Main wallet"}},
		{"services", kryptos.IntegrationsParams{ProviderType: kryptos.ProviderService}, []string{"Old ledger"}},
		{"manual wallets", kryptos.IntegrationsParams{ProviderType: kryptos.ProviderCustom}, nil},
		{"failing", kryptos.IntegrationsParams{Status: kryptos.AccountError}, []string{"Main wallet"}},
		{"working", kryptos.IntegrationsParams{Status: kryptos.AccountActive}, []string{"Kraken", "Old ledger", "Trading desk"}},
		{"suspended", kryptos.IntegrationsParams{Status: kryptos.AccountSuspended}, nil},
		{"search by alias", kryptos.IntegrationsParams{Search: "WALLET"}, []string{"Main wallet"}},
		{"search by account", kryptos.IntegrationsParams{Search: "acct-"}, []string{"Kraken", "Trading desk"}},
		{"search by file", kryptos.IntegrationsParams{Search: "export"}, []string{"Old ledger"}},
		{"missing balance", kryptos.IntegrationsParams{HasMissingBalance: kryptos.Ptr(true)}, []string{"Kraken"}},
		{"complete balance", kryptos.IntegrationsParams{HasMissingBalance: kryptos.Ptr(false)}, []string{"Old ledger", "Main wallet", "Trading desk"}},
		{"portfolio", kryptos.IntegrationsParams{PrimaryPortfolioID: trading}, []string{"Kraken"}},
		{"unknown portfolio", kryptos.IntegrationsParams{PrimaryPortfolioID: "pf_nope"}, nil},
		{"alias A-Z", kryptos.IntegrationsParams{SortBy: kryptos.IntegrationSortAlias, Ascending: true}, []string{"Kraken", "Main wallet", "Old ledger", "Trading desk"}},
		{"alias Z-A", kryptos.IntegrationsParams{SortBy: kryptos.IntegrationSortAlias}, []string{"Trading desk", "Old ledger", "Main wallet", "Kraken"}},
		{"fewest transactions", kryptos.IntegrationsParams{SortBy: kryptos.IntegrationSortTxnCount, Ascending: true}, []string{"Kraken", "Trading desk", "Main wallet", "Old ledger"}},
		{"latest sync", kryptos.IntegrationsParams{SortBy: kryptos.IntegrationSortLastSyncedAt, Limit: 1}, []string{"Main wallet", "Kraken", "Old ledger", "Trading desk"}},
		{"added first", kryptos.IntegrationsParams{SortBy: kryptos.IntegrationSortAddedOn, Ascending: true}, []string{"Trading desk", "Main wallet", "Old ledger", "Kraken"}},
		{"updated last", kryptos.IntegrationsParams{SortBy: kryptos.IntegrationSortUpdatedAt}, []string{"Main wallet", "Kraken", "Old ledger", "Trading desk"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := integrationsListed(t, user, tc.params)
			assert.Equal(t, tc.want, noneAsNil(integrationAliases(got)))
			for _, in := range got {
				if tc.params.PrimaryPortfolioID != "" {
					assert.Equal(t, tc.params.PrimaryPortfolioID, in.PrimaryPortfolioID)
				}
				if tc.params.HasMissingBalance != nil {
					assert.Equal(t, *tc.params.HasMissingBalance, in.HasMissingBalance)
				}
				if tc.params.Status != "" {
					assert.Equal(t, tc.params.Status, in.AccountStatus)
				}
			}
		})
	}

	byValue := integrationsListed(t, user, kryptos.IntegrationsParams{SortBy: kryptos.IntegrationSortNetValue, Ascending: true})
	require.Len(t, byValue, 4)
	for i := 1; i < len(byValue); i++ {
		assert.LessOrEqual(t, *byValue[i-1].NetValue, *byValue[i].NetValue, "ascending net value")
	}

	// Provider counts tally the whole workspace, whatever the filter.
	counted, err := user.ListIntegrationsPage(ctx, kryptos.IntegrationsParams{ProviderID: "kraken", IncludeProviderCounts: true})
	require.NoError(t, err)
	assert.Len(t, counted.Items, 1)
	assert.Equal(t, map[string]int{"binance": 1, "ethereum": 1, "csv": 1, "kraken": 1}, counted.Summary.ProviderCounts)

	summaries := map[string]kryptos.IntegrationSummary{}
	for s, err := range user.ListIntegrationSummaries(ctx, kryptos.IntegrationsParams{Limit: 3}) {
		require.NoError(t, err)
		summaries[s.ID] = s
	}
	assert.Len(t, summaries, 4)
	assert.Equal(t, kryptos.IntegrationSummary{ID: f.eth.ID, Alias: "Main wallet", ProviderID: "ethereum", ProviderName: "Ethereum",
		ProviderPublicName: "Ethereum", Logo: f.eth.Provider.Logo, TransactionCount: f.eth.TxnCount, Address: EthereumTestAddress}, summaries[f.eth.ID])
	assert.Empty(t, summaries[f.kraken.ID].Address, "an exchange account has no address")
	assert.Equal(t, 10, summaries[f.kraken.ID].TransactionCount)
}

func noneAsNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestIntegrationObjectsComeFromTheModel(t *testing.T) {
	t.Parallel()
	f := newIntegrationsFixture(t)

	// Kraken: the cap cut its import, so its ledger holds less than the
	// provider.
	kr := f.kraken
	require.NotNil(t, kr.LatestSync)
	assert.Equal(t, kryptos.SyncPartiallySynced, kr.LatestSync.Status)
	assert.True(t, kr.LatestSync.LimitReached)
	assert.True(t, kr.LatestSync.Status.Succeeded())
	assert.Equal(t, kryptos.SyncPartiallySynced, kr.LastSyncStatus)
	assert.Equal(t, kryptos.SyncFromStart, kr.LatestSync.Mode, "the import at connection")
	assert.Equal(t, "api", kr.LatestSync.SyncKind)
	assert.Equal(t, 10, kr.LatestSync.RecordsProcessed)
	assert.Equal(t, float64(100), kr.LatestSync.ProgressPercent)
	assert.True(t, kr.HasMissingBalance)
	assert.Equal(t, kryptos.AccountActive, kr.AccountStatus)
	assert.Equal(t, kryptos.CredentialAPIKey, kr.CredentialKind)
	assert.Nil(t, kr.Credentials, "an API key is a secret")
	assert.Equal(t, 10, kr.TxnCount)
	require.NotNil(t, kr.TxnCounts)
	assert.Equal(t, kr.TxnCount, kr.TxnCounts.Total)
	sum := 0
	for _, n := range kr.TxnCounts.ByType {
		sum += n
	}
	assert.Equal(t, kr.TxnCounts.Total, sum)
	assert.Equal(t, kr.LatestSync.ID, kr.LastSyncID)
	assert.Equal(t, f.grant.WorkspaceID, kr.WorkspaceID)
	assert.Equal(t, "USD", kr.BaseCurrency)
	assert.Equal(t, kryptos.Provider{ID: "kraken", Name: "Kraken", PublicName: "Kraken", Logo: kr.Provider.Logo,
		Type: kryptos.ProviderExchange}, kr.Provider, "lists send the short provider")

	// The Ethereum wallet: its latest sync failed, its data is the import's.
	eth := f.eth
	assert.Equal(t, kryptos.AccountError, eth.AccountStatus)
	assert.Equal(t, kryptos.SyncFailed, eth.LatestSync.Status)
	assert.Equal(t, kryptos.SyncFailed, eth.LastSyncStatus)
	assert.Equal(t, f.failedResyncAt, eth.LastSyncedAt)
	assert.Equal(t, 40, eth.TxnCount, "what the import saved is still shown")
	assert.Equal(t, kryptos.CredentialAddress, eth.CredentialKind)
	assert.Equal(t, EthereumTestAddress, eth.Credentials.Address)
	assert.False(t, eth.HasMissingBalance)
	assert.Equal(t, f.connectedAt.Add(time.Minute), eth.CreatedAt)
	assert.Equal(t, f.failedResyncAt.Add(5*time.Second), eth.UpdatedAt)

	csv := f.csv
	assert.Equal(t, kryptos.CredentialCSV, csv.CredentialKind)
	assert.False(t, csv.HasMissingBalance, "a CSV has no provider balance to compare")
	assert.True(t, csv.CanResync)
	assert.Equal(t, "csv", csv.LatestSync.SyncKind)

	// Each list's derived figures agree with the per-asset breakdown.
	for _, in := range []kryptos.Integration{f.binance, eth, csv, kr} {
		var assets []kryptos.IntegrationAsset
		for a, err := range f.user.ListIntegrationAssets(ctx, in.ID, kryptos.IntegrationAssetsParams{Limit: 2}) {
			require.NoError(t, err)
			assets = append(assets, a)
		}
		total := 0.0
		for _, a := range assets {
			total += a.Value
			assert.False(t, a.IsSpam, "spam is left out by default")
		}
		require.NotNil(t, in.NetValue, in.Alias)
		assert.InDelta(t, *in.NetValue, total, 0.01*float64(len(assets)+1), in.Alias)
		assert.Equal(t, len(assets), in.AssetCount, in.Alias)
		assert.Len(t, in.AssetLogos, min(5, len(assets)), in.Alias)
		assert.Equal(t, in.CreatedAt, in.MetadataUpdatedAt, "%s: figures refreshed when the import at connection finished", in.Alias)
	}
}

func TestSingleIntegrationReads(t *testing.T) {
	t.Parallel()
	f := newIntegrationsFixture(t)
	eth, err := f.user.GetIntegration(ctx, f.eth.ID)
	require.NoError(t, err)
	assert.Equal(t, f.eth.ID, eth.ID)
	assert.Equal(t, f.eth.LatestSync, eth.LatestSync)
	assert.Equal(t, f.eth.Credentials, eth.Credentials)
	assert.Nil(t, eth.TxnCounts, "list only")
	assert.Nil(t, eth.NetValue, "list only")
	assert.Nil(t, eth.AssetLogos, "list only")
	assert.Zero(t, eth.TxnCount, "list only")
	assert.True(t, eth.MetadataUpdatedAt.IsZero(), "list only")
	p := eth.Provider
	assert.Equal(t, "ethereum", p.Slug)
	assert.Equal(t, []kryptos.ImportMethod{kryptos.ImportAddress, kryptos.ImportWalletConnect}, p.ImportMethods)
	assert.True(t, p.CredentialFields["address"].Required)
	assert.True(t, p.Supports(kryptos.CapabilityHoldings))
	assert.Equal(t, []kryptos.SupportedChain{{ID: "ethereum"}}, p.WalletSupportedChains)
	require.NotNil(t, p.WalletLimitations)
	assert.Equal(t, kryptos.ImportOption{Name: "address", Status: true, IsRecommended: true}, p.WalletLimitations.ImportOptions[0])
	var names []string
	for _, fn := range p.Functions {
		names = append(names, fn.Name)
		assert.True(t, fn.Operational)
	}
	assert.Equal(t, []string{"fetchTransactions", "fetchTokenTransfers"}, names)
	require.Len(t, eth.Connections, 1)
	assert.JSONEq(t, `{"chainId":"ethereum","address":"`+EthereumTestAddress+`","status":"active"}`, string(eth.Connections[0]))
	assert.Empty(t, eth.CSVUploads)

	csv, err := f.user.GetIntegration(ctx, f.csv.ID)
	require.NoError(t, err)
	require.Len(t, csv.CSVUploads, 1)
	up := csv.CSVUploads[0]
	assert.Equal(t, "ledger-export.csv", up.FileName)
	assert.Equal(t, 40, up.RowCount)
	assert.Equal(t, "text/csv", up.FileType)
	assert.Equal(t, f.csv.CreatedAt, up.UploadedAt)
	assert.JSONEq(t, `{"imported":40,"skipped":0,"errors":0}`, string(up.Summary))
	assert.Empty(t, csv.Connections)
	assert.Equal(t, []string{"importFile"}, []string{csv.Provider.Functions[0].Name})

	_, err = f.user.GetIntegration(ctx, "wallet-nope")
	require.ErrorIs(t, err, kryptos.ErrNotFound)
	var apiErr *kryptos.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "NOT_FOUND", apiErr.Code)
	assert.Equal(t, "Integration not found", apiErr.Message)
}

func TestIntegrationSearchAndSyncStatus(t *testing.T) {
	t.Parallel()
	f := newIntegrationsFixture(t)
	found, err := f.user.SearchIntegrations(ctx, kryptos.SearchIntegrationsParams{Query: "kRaKeN"})
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, kryptos.IntegrationSummary{ID: f.kraken.ID, Alias: "Kraken", ProviderID: "kraken", ProviderName: "Kraken",
		ProviderPublicName: "Kraken", Logo: f.kraken.Provider.Logo, TransactionCount: 10}, found[0])
	found, err = f.user.SearchIntegrations(ctx, kryptos.SearchIntegrationsParams{Query: "0x47c2", WorkspaceID: f.grant.WorkspaceID})
	require.NoError(t, err)
	assert.Equal(t, []string{f.eth.ID}, []string{found[0].ID}, "an address matches; the token's own workspace is accepted")
	found, err = f.user.SearchIntegrations(ctx, kryptos.SearchIntegrationsParams{Query: "nothing like it"})
	require.NoError(t, err)
	assert.Empty(t, found)
	_, err = f.user.SearchIntegrations(ctx, kryptos.SearchIntegrationsParams{Query: "x", WorkspaceID: "ws_someone_else"})
	require.ErrorIs(t, err, kryptos.ErrForbidden)
	status, _, body := raw(t, f.srv, http.MethodGet, "/v1/integrations/search", map[string]string{"Authorization": "Bearer " + f.grant.AccessToken.Reveal()}, "")
	assert.Equal(t, http.StatusBadRequest, status, "q is required")
	assert.Equal(t, "VALIDATION_ERROR", body["code"])

	st, err := f.user.GetSyncStatus(ctx, kryptos.SyncStatusParams{})
	require.NoError(t, err)
	assert.Equal(t, f.failedResyncAt, st.LastSyncedAt, "the latest sync of the workspace")
	st, err = f.user.GetSyncStatus(ctx, kryptos.SyncStatusParams{PortfolioID: f.kraken.PrimaryPortfolioID})
	require.NoError(t, err)
	assert.Equal(t, f.kraken.LastSyncedAt, st.LastSyncedAt, "the Trading portfolio holds only Kraken")
	_, err = f.user.GetSyncStatus(ctx, kryptos.SyncStatusParams{PortfolioID: "pf_nope"})
	require.ErrorIs(t, err, kryptos.ErrNotFound)
}

func TestIntegrationAssetsFilters(t *testing.T) {
	t.Parallel()
	f := newIntegrationsFixture(t)
	all := func(p kryptos.IntegrationAssetsParams) []kryptos.IntegrationAsset {
		var out []kryptos.IntegrationAsset
		for a, err := range f.user.ListIntegrationAssets(ctx, f.eth.ID, p) {
			require.NoError(t, err)
			out = append(out, a)
		}
		return out
	}
	plain := all(kryptos.IntegrationAssetsParams{})
	require.NotEmpty(t, plain)
	for i := 1; i < len(plain); i++ {
		assert.GreaterOrEqual(t, plain[i-1].Value, plain[i].Value, "most valuable first")
	}
	for _, a := range plain {
		assert.Equal(t, "ethereum", a.ChainID)
		q, ok := a.Quantity.Float(64)
		require.True(t, ok)
		v, _ := q.Float64()
		assert.InDelta(t, v*a.Price, a.Value, 0.01, a.Symbol)
		assert.NotEmpty(t, a.Raw)
	}
	withSpam := all(kryptos.IntegrationAssetsParams{IncludeSpam: true})
	spam := slices.IndexFunc(withSpam, func(a kryptos.IntegrationAsset) bool { return a.IsSpam })
	if spam >= 0 {
		assert.Len(t, withSpam, len(plain)+1, "the airdropped scam token")
	} else {
		assert.Equal(t, plain, withSpam, "no airdrop in this history")
	}
	usd := all(kryptos.IntegrationAssetsParams{Query: "usd"})
	require.Len(t, usd, 1)
	assert.Equal(t, "USDC", usd[0].Symbol, "symbol or name")
	threshold := plain[len(plain)/2].Value
	rich := all(kryptos.IntegrationAssetsParams{MinValue: &threshold})
	assert.Equal(t, plain[:len(plain)/2+1], rich)

	page, err := f.user.ListIntegrationAssetsPage(ctx, f.eth.ID, kryptos.IntegrationAssetsParams{Limit: 1, Page: 2})
	require.NoError(t, err)
	assert.Equal(t, len(plain), page.Total)
	assert.Equal(t, plain[1].AssetID, page.Items[0].AssetID)

	_, err = f.user.ListIntegrationAssetsPage(ctx, "wallet-nope", kryptos.IntegrationAssetsParams{})
	require.ErrorIs(t, err, kryptos.ErrNotFound)
	token := map[string]string{"Authorization": "Bearer " + f.grant.AccessToken.Reveal()}
	status, _, body := raw(t, f.srv, http.MethodGet, "/v1/integrations/"+f.eth.ID+"/assets?q="+strings.Repeat("x", 101), token, "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "VALIDATION_ERROR", body["code"])
	status, _, _ = raw(t, f.srv, http.MethodGet, "/v1/integrations/"+f.eth.ID+"/assets?minValue=lots", token, "")
	assert.Equal(t, http.StatusBadRequest, status)
}

func TestIntegrationRoutesRefuseWhatTheDocsRefuse(t *testing.T) {
	t.Parallel()
	f := newIntegrationsFixture(t)
	token := map[string]string{"Authorization": "Bearer " + f.grant.AccessToken.Reveal()}
	for _, bad := range []string{"providerType=bank", "status=deleted", "sortBy=name", "sortOrder=up", "fields=all",
		"hasMissingBalance=maybe", "includeProviderCounts=yes", "page=0", "limit=0"} {
		status, _, body := raw(t, f.srv, http.MethodGet, "/v1/integrations?"+bad, token, "")
		assert.Equal(t, http.StatusBadRequest, status, bad)
		assert.Equal(t, "VALIDATION_ERROR", body["code"], bad)
		assert.Equal(t, false, body["success"], bad)
	}
	// Page-number lists clamp a larger limit silently; the SDK refuses it.
	status, _, body := raw(t, f.srv, http.MethodGet, "/v1/integrations?limit=500", token, "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, float64(100), body["data"].(map[string]any)["pagination"].(map[string]any)["limit"])
	_, err := f.user.ListIntegrationsPage(ctx, kryptos.IntegrationsParams{Limit: 500})
	require.ErrorIs(t, err, kryptos.ErrInvalidParams)
	_, err = f.user.ListIntegrationsPage(ctx, kryptos.IntegrationsParams{WorkspaceID: "ws_someone_else"})
	require.ErrorIs(t, err, kryptos.ErrForbidden)
	page, err := f.user.ListIntegrationsPage(ctx, kryptos.IntegrationsParams{WorkspaceID: f.grant.WorkspaceID})
	require.NoError(t, err)
	assert.Equal(t, 4, page.Total, "the token's own workspace is accepted")

	// A grant without integrations:read reaches none of the family's routes.
	lt, err := f.c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.Scopes{kryptos.ScopeOpenID, kryptos.ScopePortfoliosRead}})
	require.NoError(t, err)
	public, err := f.srv.CompleteLink(lt.Token, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	require.NoError(t, err)
	narrow, err := f.c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	_, err = f.c.User(narrow.Credential()).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
	require.ErrorIs(t, err, kryptos.ErrInsufficientScope)
	assert.Contains(t, err.Error(), "Missing: integrations:read")
	for _, path := range []string{"/v1/integrations", "/v1/integrations/" + f.eth.ID, "/v1/integrations/search?q=x",
		"/v1/integrations/sync-status", "/v1/integrations/" + f.eth.ID + "/assets", "/v1/sync", "/v1/sync/sync_x"} {
		status, _, body := raw(t, f.srv, http.MethodGet, path, map[string]string{"Authorization": "Bearer " + narrow.AccessToken.Reveal()}, "")
		assert.Equal(t, http.StatusForbidden, status, path)
		assert.Equal(t, "insufficient_scope", body["error"], path)
	}
	status, _, body = raw(t, f.srv, http.MethodGet, "/v1/integrations", nil, "")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "unauthorized", body["error"])
}

// DATA-API.md §4: "partner limit-change resync fans out to at most 100
// integrations per call". The sandbox queued a from-start resync of every
// integration of the user, however many.
func TestLimitChangeResyncFansOutToAtMost100(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithPortfolioSize(1))
	defer srv.Close()
	c := srv.Client(fast...)
	var wallets []Wallet
	for i := range 101 {
		wallets = append(wallets, Wallet{Provider: "csv", Address: fmt.Sprintf("export-%03d.csv", i)})
	}
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: wallets})
	limit, err := c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](50)})
	require.NoError(t, err)
	require.NotNil(t, limit.Resync)
	assert.LessOrEqual(t, len(limit.Resync.Triggered), 100, "resyncs queued by one limit change")
	assert.Equal(t, 101, len(limit.Resync.Triggered)+len(limit.Resync.Failed)+limit.Resync.Skipped,
		"every integration is accounted for in triggered, failed or skipped")
}

// TestIntegrationAssetCountsTransactionsNotLegs: an integration's asset row
// and its share of a holding (DATA-API.md §5.3, assetDistribution entry
// "transactionCount num") count the same thing, the integration's
// transactions in the asset. A transaction with two legs in one asset (a
// send of ETH that pays its fee in ETH) is one transaction, not two.
func TestIntegrationAssetCountsTransactionsNotLegs(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	user := c.User(g.Credential())

	shares := map[string]int{} // asset id -> the wallet's share's transactionCount
	var wallet string
	for h, err := range user.ListHoldings(ctx, kryptos.HoldingsParams{IncludeSpam: valueRef(true)}) {
		require.NoError(t, err)
		require.Len(t, h.AssetDistribution, 1)
		wallet = h.AssetDistribution[0].IntegrationID
		shares[h.AssetID] = h.AssetDistribution[0].TransactionCount
	}
	require.NotEmpty(t, shares)
	n := 0
	for a, err := range user.ListIntegrationAssets(ctx, wallet, kryptos.IntegrationAssetsParams{IncludeSpam: true}) {
		require.NoError(t, err)
		want, ok := shares[a.AssetID]
		require.True(t, ok, a.Symbol)
		// The transactions list agrees with the holding's share.
		page, err := user.ListTransactionsPage(ctx, kryptos.TransactionsParams{WalletIDs: []string{wallet},
			AssetIDs: []string{a.AssetID}, IncludeSpam: valueRef(true), IncludeIgnored: valueRef(true), Limit: 1})
		require.NoError(t, err)
		require.Equal(t, want, page.Total, "%s: the share counts the wallet's transactions in the asset", a.Symbol)
		assert.Equal(t, want, a.TransactionCount, "%s: transactions, as the holding's share counts them", a.Symbol)
		n++
	}
	assert.Equal(t, len(shares), n)
}
