package kryptos_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// TestTheSandboxServesEveryOperation sends one request per row of the
// operation table to the sandbox, with the credential the row names and
// placeholder path parameters: every route exists for its method and
// answers JSON, so that no method of the SDK has nothing to talk to.
func TestTheSandboxServesEveryOperation(t *testing.T) {
	srv := kryptostest.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.DefaultScopes()})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true, Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
	require.NoError(t, err)
	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)

	param := regexp.MustCompile(`\{[^}]+\}`)
	routes := kryptos.OperationRoutes()
	require.NotEmpty(t, routes)
	for _, r := range routes {
		base := c.Endpoints().Connect
		if r.Data {
			base = c.Endpoints().Data
		}
		url := strings.TrimRight(base, "/") + param.ReplaceAllString(r.Path, "x")
		var body io.Reader
		if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
			body = strings.NewReader("{}")
		}
		req, err := http.NewRequest(r.Method, url, body)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		switch {
		case r.ByClient:
			req.Header.Set("X-Client-Id", srv.ClientID)
			req.Header.Set("X-Client-Secret", srv.ClientSecret)
		case r.ByUser:
			req.Header.Set("Authorization", "Bearer "+g.AccessToken.Reveal())
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err, r.Name)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.NotContains(t, []int{http.StatusMethodNotAllowed, http.StatusNotImplemented}, resp.StatusCode, "%s %s %s", r.Name, r.Method, r.Path)
		assert.Contains(t, resp.Header.Get("Content-Type"), "json", "%s answers JSON: %s", r.Name, raw)
		if resp.StatusCode == http.StatusNotFound {
			// A placeholder id may be unknown; the route itself must exist.
			assert.NotContains(t, string(raw), "404 page not found", r.Name)
		}
	}
	t.Logf("%d operations served", len(routes))
}
