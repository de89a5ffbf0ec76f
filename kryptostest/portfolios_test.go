package kryptostest

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

func TestPortfolioAnswersHaveTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	g := connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	token := g.AccessToken.Reveal()
	// A portfolio may have a description and metadata; the samples' are null.
	opts := golden.Options{Nullable: []string{"data.portfolios[].description", "data.portfolios[].metadata"}}
	sameShapeAsSample(t, "portfolios.list.json", get(t, srv, token, "/v1/portfolios"), opts)
	// The default portfolio's sample is abbreviated; §5.6's field table has
	// the rest.
	sameShapeAsSample(t, "portfolios.default.json", get(t, srv, token, "/v1/portfolios/default"), golden.Options{
		Documented: []string{"data.portfolio.workspaceId", "data.portfolio.description", "data.portfolio.metadata",
			"data.portfolio.createdAt", "data.portfolio.updatedAt"}})
}

func TestPortfoliosThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	user := c.User(g.Credential())

	var all []kryptos.Portfolio
	for p, err := range user.ListPortfolios(ctx, kryptos.PortfoliosParams{Limit: 1}) {
		require.NoError(t, err)
		all = append(all, p)
	}
	require.Len(t, all, 2, "two pages of one")
	assert.Equal(t, "Main", all[0].Name)
	assert.True(t, all[0].IsDefault)
	assert.Equal(t, 1, all[0].IntegrationsCount)
	assert.Equal(t, g.WorkspaceID, all[0].WorkspaceID)

	def, err := user.GetDefaultPortfolio(ctx)
	require.NoError(t, err)
	assert.Equal(t, all[0].ID, def.ID)
	one, err := user.GetPortfolio(ctx, all[1].ID)
	require.NoError(t, err)
	assert.Equal(t, "Trading", one.Name)
	_, err = user.GetPortfolio(ctx, "pf_unknown")
	require.ErrorIs(t, err, kryptos.ErrNotFound)

	page, err := user.ListPortfoliosPage(ctx, kryptos.PortfoliosParams{Limit: 100})
	require.NoError(t, err)
	assert.Len(t, page.Items, 2)
	assert.Equal(t, 2, page.Total)
	assert.False(t, page.HasNext())
	// The API clamps a larger limit to 100 silently; the SDK says so first.
	resp := get(t, srv, g.AccessToken.Reveal(), "/v1/portfolios?limit=500")
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = user.ListPortfoliosPage(ctx, kryptos.PortfoliosParams{Limit: 500})
	require.ErrorIs(t, err, kryptos.ErrInvalidParams)
	_, err = user.ListPortfoliosPage(ctx, kryptos.PortfoliosParams{WorkspaceID: "ws_someone_else"})
	require.ErrorIs(t, err, kryptos.ErrForbidden)
}

func TestPortfoliosNeedTheirScope(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.Scopes{kryptos.ScopeOpenID, kryptos.ScopeTransactionsRead}})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, LinkUser{Guest: true})
	require.NoError(t, err)
	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	resp := get(t, srv, g.AccessToken.Reveal(), "/v1/portfolios")
	defer resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	_, err = c.User(g.Credential()).GetDefaultPortfolio(ctx)
	require.ErrorIs(t, err, kryptos.ErrInsufficientScope)
	assert.Contains(t, err.Error(), "Missing: portfolios:read")
}

// TestPortfolioNotFoundHasTheWrappedShape: DATA-API.md §3.2, the
// wrapped errors of "integrations and portfolios":
// { "success": false, "error": "Integration not found", "code": "NOT_FOUND", "details": {} }.
// The sandbox's integrations answer it with details; its portfolios did not.
func TestPortfolioNotFoundHasTheWrappedShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	token := connect(t, srv, srv.Client(fast...), LinkUser{Email: "pf404@example.com"}).AccessToken.Reveal()
	resp := get(t, srv, token, "/v1/portfolios/pf_unknown")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	sameShapeAsSample(t, "error.wrapped.json", resp, golden.Options{})
}
