package kryptostest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

// defiSolanaWallet is the Solana wallet the DeFi and NFT tests connect
// beside ethWallet.
var defiSolanaWallet = Wallet{Provider: "solana", Address: SolanaTestAddress, Alias: "Phantom"}

// defiUser connects a Guest with an Ethereum and a Solana wallet, and
// returns their data API handle and bearer token.
func defiUser(t *testing.T, srv *Server) (*kryptos.UserClient, string) {
	t.Helper()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet, defiSolanaWallet}})
	return c.User(g.Credential()), g.AccessToken.Reveal()
}

// defiAnswer sends a raw request and decodes its JSON answer.
func defiAnswer(t *testing.T, srv *Server, token, pathAndQuery string) (int, map[string]any) {
	t.Helper()
	resp := get(t, srv, token, pathAndQuery)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out), "%s", b)
	return resp.StatusCode, out
}

func TestDeFiAnswersHaveTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	_, token := defiUser(t, srv)
	// §5.4's field table: debtValue is sent "where the position has debt";
	// the sandbox sends null for a position without debt (§8.18).
	listOpts := golden.Options{Nullable: []string{"data[].debtValue"}}
	for _, path := range []string{"/v1/defi", "/v1/defi/lending", "/v1/defi/staking?includeSpam=true", "/v1/defi?category=vesting"} {
		sameShapeAsSample(t, "defi.list.json", get(t, srv, token, path), listOpts)
	}
	sameShapeAsSample(t, "defi.totals.json", get(t, srv, token, "/v1/defi/totals"), golden.Options{})
	sameShapeAsSample(t, "defi.totals.json", get(t, srv, token, "/v1/defi/totals?includeSpam=1"), golden.Options{})
	sameShapeAsSample(t, "defimetadata.list.json", get(t, srv, token, "/v1/defi-metadata"), golden.Options{})
	sameShapeAsSample(t, "defimetadata.get.404.json", get(t, srv, token, "/v1/defi-metadata/no-such-protocol"), golden.Options{})

	pf := defiMainPortfolio(t, srv, token)
	for _, path := range []string{"/v1/defi/portfolio/" + pf, "/v1/defi/portfolio/" + pf + "/farming"} {
		sameShapeAsSample(t, "defi.list.json", get(t, srv, token, path), listOpts)
	}
	sameShapeAsSample(t, "defi.totals.json", get(t, srv, token, "/v1/defi/portfolio/"+pf+"/totals"), golden.Options{})
}

// defiMainPortfolio is the id of the user's default portfolio, which holds
// the wallets they connected.
func defiMainPortfolio(t *testing.T, srv *Server, token string) string {
	t.Helper()
	status, body := defiAnswer(t, srv, token, "/v1/portfolios/default")
	require.Equal(t, http.StatusOK, status)
	return body["data"].(map[string]any)["portfolio"].(map[string]any)["id"].(string)
}

func TestDeFiPositionsThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	user, token := defiUser(t, srv)

	page, err := user.ListDeFiPage(ctx, kryptos.DeFiParams{Limit: 1000})
	require.NoError(t, err)
	all := page.Items
	require.Equal(t, len(all), page.Total)
	assert.False(t, page.HasNext())
	// Ethereum: 3 core positions and at least 2 more; Solana: 2 and at
	// least 1; the spam one is hidden.
	require.GreaterOrEqual(t, len(all), 8)

	var paged []kryptos.DeFiPosition
	before := srv.Stats().ByRoute["GET /v1/defi"]
	for p, err := range user.ListDeFi(ctx, kryptos.DeFiParams{Limit: 3}) {
		require.NoError(t, err)
		paged = append(paged, p)
	}
	assert.Equal(t, all, paged, "three at a time, the same positions in the same order")
	assert.Equal(t, (len(all)+2)/3, srv.Stats().ByRoute["GET /v1/defi"]-before, "pages of three, and no call after the last")

	wallets := map[string]string{} // provider -> wallet id
	for i, p := range all {
		wallets[p.Owner.Provider] = p.Owner.WalletID
		assert.NotContains(t, p.Tags, "spam", "spam is hidden by default")
		assert.True(t, p.IsActive)
		assert.NotEmpty(t, p.DetailTypes)
		assert.True(t, kryptos.DeFiCategory(p.Category).Known(), p.Category)
		require.NotNil(t, p.TotalValue)
		require.NotNil(t, p.NetValue)
		debt := 0.0
		if p.DebtValue != nil {
			debt = p.DebtValue.Price
			assert.Positive(t, debt, "a debtValue is sent only where there is debt")
		}
		assert.InDelta(t, p.TotalValue.Price-debt, p.NetValue.Price, 0.011, "net = total - debt")
		assert.Equal(t, p.PositionTimestamp, p.TotalValue.Timestamp)
		assert.WithinDuration(t, time.Now(), p.PositionTimestamp, time.Hour)
		assert.Equal(t, "USD", p.TotalValue.BaseCurrency)
		var portfolio struct {
			Supply []struct{ Symbol string } `json:"supplyTokenList"`
		}
		require.NoError(t, json.Unmarshal(p.Portfolio, &portfolio), "the protocol-defined object is JSON")
		var pool struct{ ProjectID string }
		require.NoError(t, json.Unmarshal(p.Pool, &pool))
		assert.Equal(t, p.ProtocolID, pool.ProjectID)
		if i > 0 {
			assert.GreaterOrEqual(t, all[i-1].NetValue.Price, p.NetValue.Price, "the largest net value first")
		}
	}
	require.Len(t, wallets, 2)

	// The documented examples are there: an Aave USDC supply with an ETH
	// borrow, Lido staking, a Uniswap pool whose index is its NFT's id, a
	// Solana vesting position.
	aave := defiFind(t, all, "aave-v3", "ethereum")
	assert.Equal(t, kryptos.DeFiLending, aave.Category)
	require.NotNil(t, aave.DebtValue, "the Aave supply has a borrow")
	assert.Equal(t, "0", aave.PositionIndex)
	assert.Equal(t, kryptos.DeFiStaking, defiFind(t, all, "lido", "ethereum").Category)
	uni := defiFind(t, all, "uniswap-v3", "ethereum")
	assert.Equal(t, kryptos.DeFiFarming, uni.Category)
	assert.Len(t, uni.PositionIndex, 6)
	assert.Equal(t, kryptos.DeFiStaking, defiFind(t, all, "marinade", "solana").Category)
	vesting := defiFind(t, all, "jupiter", "solana")
	assert.Contains(t, []kryptos.DeFiCategory{kryptos.DeFiVesting, kryptos.DeFiGovernance}, vesting.Category)

	// The same answers on a second read: positions are computed, not drawn.
	again, err := user.ListDeFiPage(ctx, kryptos.DeFiParams{Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, all, again.Items)

	t.Run("filters", func(t *testing.T) {
		tests := []struct {
			name   string
			params kryptos.DeFiParams
			keep   func(kryptos.DeFiPosition) bool
		}{
			{"staking shortcut", kryptos.DeFiParams{Category: kryptos.DeFiStaking}, func(p kryptos.DeFiPosition) bool { return p.Category == kryptos.DeFiStaking }},
			{"lending shortcut", kryptos.DeFiParams{Category: kryptos.DeFiLending}, func(p kryptos.DeFiPosition) bool { return p.Category == kryptos.DeFiLending }},
			{"farming shortcut", kryptos.DeFiParams{Category: kryptos.DeFiFarming}, func(p kryptos.DeFiPosition) bool { return p.Category == kryptos.DeFiFarming }},
			{"vesting", kryptos.DeFiParams{Category: kryptos.DeFiVesting}, func(p kryptos.DeFiPosition) bool { return p.Category == kryptos.DeFiVesting }},
			{"a category nobody holds", kryptos.DeFiParams{Category: kryptos.DeFiInsuranceBuyer}, func(kryptos.DeFiPosition) bool { return false }},
			{"detail type", kryptos.DeFiParams{DetailType: "lending"}, func(p kryptos.DeFiPosition) bool { return slices.Contains(p.DetailTypes, "lending") }},
			{"network", kryptos.DeFiParams{NetworkID: "solana"}, func(p kryptos.DeFiPosition) bool { return p.Chain == "solana" }},
			{"integration", kryptos.DeFiParams{IntegrationID: wallets["ethereum"]}, func(p kryptos.DeFiPosition) bool { return p.Owner.WalletID == wallets["ethereum"] }},
			{"search, any case", kryptos.DeFiParams{Search: "aAvE"}, func(p kryptos.DeFiPosition) bool { return p.ProtocolName == "Aave V3" }},
			{"combined", kryptos.DeFiParams{Category: kryptos.DeFiLending, NetworkID: "ethereum"},
				func(p kryptos.DeFiPosition) bool { return p.Category == kryptos.DeFiLending && p.Chain == "ethereum" }},
		}
		for _, tt := range tests {
			var want []string
			for _, p := range all {
				if tt.keep(p) {
					want = append(want, p.ID)
				}
			}
			var got []string
			for p, err := range user.ListDeFi(ctx, tt.params) {
				require.NoError(t, err, tt.name)
				got = append(got, p.ID)
			}
			assert.Equal(t, want, got, tt.name)
		}
	})

	t.Run("spam", func(t *testing.T) {
		withSpam, err := user.ListDeFiPage(ctx, kryptos.DeFiParams{IncludeSpam: defiFlag(true)})
		require.NoError(t, err)
		assert.Equal(t, len(all)+1, withSpam.Total, "one spam position on the Ethereum wallet")
		var spam []kryptos.DeFiPosition
		for _, p := range withSpam.Items {
			if slices.Contains(p.Tags, "spam") {
				spam = append(spam, p)
			}
		}
		require.Len(t, spam, 1)
		assert.Equal(t, "claim-rewards-xyz", spam[0].ProtocolID)
		explicitFalse, err := user.ListDeFiPage(ctx, kryptos.DeFiParams{IncludeSpam: defiFlag(false)})
		require.NoError(t, err)
		assert.Equal(t, len(all), explicitFalse.Total)
	})

	t.Run("a shortcut is ?category=", func(t *testing.T) {
		for _, c := range []string{"staking", "lending", "farming"} {
			_, viaRoute := defiAnswer(t, srv, token, "/v1/defi/"+c)
			_, viaQuery := defiAnswer(t, srv, token, "/v1/defi?category="+c)
			assert.Equal(t, viaRoute, viaQuery, c)
			_, same := defiAnswer(t, srv, token, "/v1/defi/"+c+"?category="+c)
			assert.Equal(t, viaRoute, same, c)
		}
	})

	t.Run("paging fields", func(t *testing.T) {
		status, body := defiAnswer(t, srv, token, "/v1/defi?offset=2&limit=3")
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, map[string]any{"totalCount": float64(len(all)), "offset": 2.0, "limit": 3.0, "hasMore": true},
			map[string]any{"totalCount": body["totalCount"], "offset": body["offset"], "limit": body["limit"], "hasMore": body["hasMore"]})
		_, body = defiAnswer(t, srv, token, "/v1/defi")
		assert.Equal(t, 50.0, body["limit"], "the default page size")
		last, err := user.ListDeFiPage(ctx, kryptos.DeFiParams{Offset: len(all) - 1, Limit: 5})
		require.NoError(t, err)
		assert.Equal(t, all[len(all)-1:], last.Items)
		assert.False(t, last.HasNext())
		beyond, err := user.ListDeFiPage(ctx, kryptos.DeFiParams{Offset: len(all) + 10})
		require.NoError(t, err)
		assert.Empty(t, beyond.Items)
		assert.Equal(t, len(all), beyond.Total)
	})
}

// defiFlag is a *bool for the params' optional flags.
func defiFlag(v bool) *bool { return &v }

func defiFind(t *testing.T, all []kryptos.DeFiPosition, protocol, chain string) kryptos.DeFiPosition {
	t.Helper()
	for _, p := range all {
		if p.ProtocolID == protocol && p.Chain == chain {
			return p
		}
	}
	t.Fatalf("no %s position on %s", protocol, chain)
	return kryptos.DeFiPosition{}
}

func TestDeFiTotalsAndNetworksFollowThePositions(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	user, _ := defiUser(t, srv)

	for _, spam := range []bool{false, true} {
		var positions []kryptos.DeFiPosition
		for p, err := range user.ListDeFi(ctx, kryptos.DeFiParams{IncludeSpam: defiFlag(spam)}) {
			require.NoError(t, err)
			positions = append(positions, p)
		}
		var balance, borrowed float64
		protocols := map[string]bool{}
		wallets := map[string]map[string]bool{}
		for _, p := range positions {
			balance += p.TotalValue.Price
			if p.DebtValue != nil {
				borrowed += p.DebtValue.Price
			}
			protocols[p.ProtocolID] = true
			if wallets[p.Chain] == nil {
				wallets[p.Chain] = map[string]bool{}
			}
			wallets[p.Chain][p.Owner.WalletID] = true
		}
		totals, err := user.DeFiTotals(ctx, kryptos.DeFiTotalsParams{IncludeSpam: defiFlag(spam)})
		require.NoError(t, err)
		assert.InDelta(t, balance, totals.TotalBalance, 0.05, "spam %t", spam)
		assert.InDelta(t, borrowed, totals.Borrowed, 0.05, "spam %t", spam)
		assert.Positive(t, totals.Borrowed)
		assert.Positive(t, totals.EarnedRewards)
		assert.Less(t, totals.EarnedRewards, totals.TotalBalance)
		assert.Equal(t, len(protocols), totals.ConnectedProtocols, "spam %t", spam)
		assert.Equal(t, "USD", totals.BaseCurrency)

		networks, err := user.DeFiNetworks(ctx, kryptos.DeFiNetworksParams{IncludeSpam: defiFlag(spam)})
		require.NoError(t, err)
		require.Len(t, networks, len(wallets))
		for i, n := range networks {
			assert.Equal(t, len(wallets[n.ProviderID]), n.WalletCount, n.ProviderID)
			assert.NotEmpty(t, n.Name)
			assert.Contains(t, n.LogoURL, n.ProviderID)
			if i > 0 {
				assert.GreaterOrEqual(t, networks[i-1].WalletCount, n.WalletCount, "most wallets first")
			}
		}
	}
	plain, err := user.DeFiTotals(ctx, kryptos.DeFiTotalsParams{})
	require.NoError(t, err)
	withSpam, err := user.DeFiTotals(ctx, kryptos.DeFiTotalsParams{IncludeSpam: defiFlag(true)})
	require.NoError(t, err)
	assert.Greater(t, withSpam.TotalBalance, plain.TotalBalance, "the spam position has a (fake) value")
	assert.Equal(t, plain.ConnectedProtocols+1, withSpam.ConnectedProtocols)

	// One integration's networks: the Solana wallet is on Solana only.
	solana, err := user.ListDeFiPage(ctx, kryptos.DeFiParams{NetworkID: "solana", Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, solana.Items)
	networks, err := user.DeFiNetworks(ctx, kryptos.DeFiNetworksParams{IntegrationID: solana.Items[0].Owner.WalletID})
	require.NoError(t, err)
	assert.Equal(t, []kryptos.DeFiNetwork{{ProviderID: "solana", Name: "Solana",
		LogoURL: "https://sandbox.kryptos.invalid/providers/solana.png", WalletCount: 1}}, networks)
	networks, err = user.DeFiNetworks(ctx, kryptos.DeFiNetworksParams{IntegrationID: "wallet-unknown"})
	require.NoError(t, err)
	assert.Empty(t, networks)
}

func TestDeFiOfOnePortfolio(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSandboxMode(false))
	defer srv.Close()
	c := srv.Client(fast...)
	// An exchange as the second integration goes to the Trading
	// portfolio; it holds no DeFi, so Trading has none.
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet, {Provider: "binance", Address: "acct-1"}}})
	user := c.User(g.Credential())
	var main, trading string
	for pf, err := range user.ListPortfolios(ctx, kryptos.PortfoliosParams{}) {
		require.NoError(t, err)
		if pf.IsDefault {
			main = pf.ID
		} else {
			trading = pf.ID
		}
	}

	all, err := user.ListDeFiPage(ctx, kryptos.DeFiParams{})
	require.NoError(t, err)
	inMain, err := user.ListPortfolioDeFiPage(ctx, main, kryptos.DeFiParams{})
	require.NoError(t, err)
	assert.Equal(t, all.Items, inMain.Items, "the Ethereum wallet is in Main")
	for _, c := range []kryptos.DeFiCategory{kryptos.DeFiStaking, kryptos.DeFiLending, kryptos.DeFiFarming, kryptos.DeFiReward} {
		viaPortfolio := collectDeFi(t, user.ListPortfolioDeFi(ctx, main, kryptos.DeFiParams{Category: c}))
		viaWorkspace := collectDeFi(t, user.ListDeFi(ctx, kryptos.DeFiParams{Category: c}))
		assert.Equal(t, viaWorkspace, viaPortfolio, c)
	}
	totals, err := user.DeFiTotals(ctx, kryptos.DeFiTotalsParams{})
	require.NoError(t, err)
	mainTotals, err := user.PortfolioDeFiTotals(ctx, main, kryptos.DeFiTotalsParams{})
	require.NoError(t, err)
	assert.Equal(t, totals, mainTotals)

	inTrading, err := user.ListPortfolioDeFiPage(ctx, trading, kryptos.DeFiParams{Category: kryptos.DeFiStaking})
	require.NoError(t, err)
	assert.Empty(t, inTrading.Items)
	assert.Equal(t, 0, inTrading.Total)
	tradingTotals, err := user.PortfolioDeFiTotals(ctx, trading, kryptos.DeFiTotalsParams{IncludeSpam: defiFlag(true)})
	require.NoError(t, err)
	assert.Equal(t, &kryptos.DeFiTotals{BaseCurrency: "USD"}, tradingTotals)

	_, err = user.ListPortfolioDeFiPage(ctx, "pf_unknown", kryptos.DeFiParams{Category: kryptos.DeFiLending})
	require.ErrorIs(t, err, kryptos.ErrNotFound)
	_, err = user.PortfolioDeFiTotals(ctx, "pf_unknown", kryptos.DeFiTotalsParams{})
	require.ErrorIs(t, err, kryptos.ErrNotFound)
}

func collectDeFi(t *testing.T, seq func(func(kryptos.DeFiPosition, error) bool)) []kryptos.DeFiPosition {
	t.Helper()
	var out []kryptos.DeFiPosition
	for p, err := range seq {
		require.NoError(t, err)
		out = append(out, p)
	}
	return out
}

func TestOnlyChainWalletsHoldDeFiAndNFTs(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSandboxMode(false))
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{
		{Provider: "binance", Address: "acct-1"}, {Provider: "ledger", Address: "ledger-export.csv"}, {Provider: "csv", Address: "trades.csv"},
		{Provider: "bitcoin", Address: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"},
	}})
	user := c.User(g.Credential())
	page, err := user.ListDeFiPage(ctx, kryptos.DeFiParams{IncludeSpam: defiFlag(true)})
	require.NoError(t, err)
	assert.Empty(t, page.Items)
	totals, err := user.DeFiTotals(ctx, kryptos.DeFiTotalsParams{})
	require.NoError(t, err)
	assert.Equal(t, &kryptos.DeFiTotals{BaseCurrency: "USD"}, totals)
	networks, err := user.DeFiNetworks(ctx, kryptos.DeFiNetworksParams{})
	require.NoError(t, err)
	assert.Empty(t, networks)
	nfts, err := user.ListNFTsPage(ctx, kryptos.NFTParams{IncludeSpam: defiFlag(true)})
	require.NoError(t, err)
	assert.Empty(t, nfts.Items)
	assert.Zero(t, nfts.Summary.TotalEstimatedValueUSD)
	collections, err := user.ListNFTCollectionsPage(ctx, kryptos.NFTParams{IncludeSpam: defiFlag(true)})
	require.NoError(t, err)
	assert.Empty(t, collections.Items)

	// A MetaMask wallet lives on Ethereum: it holds what an Ethereum
	// wallet holds.
	g = connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "metamask", Address: EthereumTestAddress}}})
	page, err = c.User(g.Credential()).ListDeFiPage(ctx, kryptos.DeFiParams{NetworkID: "ethereum"})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, page.Total, 3)
	assert.Equal(t, "metamask", page.Items[0].Owner.Provider)
}

func TestDeFiPositionsAreDeterministicPerWallet(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	eth := providerByID("ethereum")
	a := defiPositionsOf(&integration{walletID: "wallet-0123456789abcdef", provider: eth}, at)
	b := defiPositionsOf(&integration{walletID: "wallet-0123456789abcdef", provider: eth}, at)
	other := defiPositionsOf(&integration{walletID: "wallet-fedcba9876543210", provider: eth}, at)
	require.NotEmpty(t, a)
	for i := range a {
		assert.Equal(t, a[i].id, b[i].id)
		assert.Equal(t, a[i].total(), b[i].total())
		assert.Equal(t, a[i].debt(), b[i].debt())
	}
	assert.NotEqual(t, a[0].id, other[0].id, "another wallet, other positions")
	assert.NotEqual(t, a[0].total(), other[0].total())
	// Every wallet, whatever its id, holds the core positions and at least
	// two more (one more on Solana).
	for _, p := range []string{"bitcoin", "binance", "csv", "ledger"} {
		assert.Empty(t, defiPositionsOf(&integration{walletID: "wallet-0123456789abcdef", provider: providerByID(p)}, at), p)
	}
	sol := providerByID("solana")
	for i := range 50 {
		id := "wallet-" + strconv.Itoa(7919*i)
		assert.GreaterOrEqual(t, len(defiPositionsOf(&integration{walletID: id, provider: eth}, at)), len(defiEthereumCore)+2, id)
		assert.GreaterOrEqual(t, len(defiPositionsOf(&integration{walletID: id, provider: sol}, at)), len(defiSolanaCore)+1, id)
	}
}

func TestDeFiRefusesWhatTheAPIRefuses(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	_, token := defiUser(t, srv)
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{"/v1/defi?category=yield", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"/v1/defi?category=Lending", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"/v1/defi/staking?category=lending", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"/v1/defi?limit=0", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"/v1/defi?limit=1001", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"/v1/defi?offset=-1", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"/v1/defi?includeSpam=maybe", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"/v1/defi/totals?includeSpam=maybe", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"/v1/defi/networks?includeSpam=maybe", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"/v1/defi/borrowing", http.StatusNotFound, "NOT_FOUND"},
		{"/v1/defi/portfolio/pf_unknown", http.StatusNotFound, "NOT_FOUND"},
		{"/v1/defi/portfolio/pf_unknown/vesting", http.StatusNotFound, "NOT_FOUND"},
		{"/v1/defi?workspaceId=ws_someone_else", http.StatusForbidden, "forbidden"},
	}
	for _, tt := range tests {
		status, body := defiAnswer(t, srv, token, tt.path)
		assert.Equal(t, tt.status, status, tt.path)
		code := body["code"]
		if code == nil {
			code = body["error"]
		}
		assert.Equal(t, tt.code, code, tt.path)
		if tt.code == "VALIDATION_ERROR" {
			assert.Equal(t, "Validation failed", body["error"], tt.path)
		}
	}
}

func TestDeFiNeedsTheScopeButTheCatalogueDoesNot(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.Scopes{kryptos.ScopeOpenID, kryptos.ScopeTransactionsRead}})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	require.NoError(t, err)
	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	user := c.User(g.Credential())

	_, err = user.ListDeFiPage(ctx, kryptos.DeFiParams{Category: kryptos.DeFiStaking})
	defiRequireMissingScope(t, err)
	_, err = user.ListPortfolioDeFiPage(ctx, "pf_any", kryptos.DeFiParams{})
	defiRequireMissingScope(t, err)
	_, err = user.DeFiTotals(ctx, kryptos.DeFiTotalsParams{})
	defiRequireMissingScope(t, err)
	_, err = user.PortfolioDeFiTotals(ctx, "pf_any", kryptos.DeFiTotalsParams{})
	defiRequireMissingScope(t, err)
	_, err = user.DeFiNetworks(ctx, kryptos.DeFiNetworksParams{})
	defiRequireMissingScope(t, err)
	_, err = user.ListNFTsPage(ctx, kryptos.NFTParams{})
	defiRequireMissingScope(t, err)
	_, err = user.ListNFTCollectionsPage(ctx, kryptos.NFTParams{})
	defiRequireMissingScope(t, err)
	_, err = user.GetNFT(ctx, "0xbc4ca0eda7647a8ab7c2061c2e118a18a936f13d", "1")
	defiRequireMissingScope(t, err)

	// The protocol catalogue is shared reference data: any token reads it.
	p, err := user.GetDeFiMetadata(ctx, "aave-v3")
	require.NoError(t, err)
	assert.Equal(t, "Aave V3", p.Name)
	page, err := user.ListDeFiMetadataPage(ctx, kryptos.DeFiMetadataParams{Limit: 1})
	require.NoError(t, err)
	assert.Len(t, page.Items, 1)

	// Without a token, nothing.
	resp, err := http.Get(srv.URL + "/v1/defi-metadata")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func defiRequireMissingScope(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, kryptos.ErrInsufficientScope)
	var apiErr *kryptos.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusForbidden, apiErr.StatusCode)
	assert.Equal(t, "Missing: portfolios:read", apiErr.Message)
}
