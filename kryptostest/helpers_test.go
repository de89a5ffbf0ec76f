package kryptostest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

var (
	ctx   = context.Background()
	epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// fast keeps retries quick.
	fast = []kryptos.Option{
		kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}),
	}
	ethWallet = Wallet{Provider: "ethereum", Address: EthereumTestAddress}
)

// connect runs the flow for one user up to the exchange.
func connect(t *testing.T, srv *Server, c *kryptos.Client, u LinkUser) *kryptos.AccessGrant {
	t.Helper()
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, u)
	require.NoError(t, err)
	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	return g
}

// raw sends a request as a non-Go caller would and decodes the answer.
func raw(t *testing.T, srv *Server, method, path string, header map[string]string, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, resp.Header, out
}

func creds(srv *Server) map[string]string {
	return map[string]string{"X-Client-Id": srv.ClientID, "X-Client-Secret": srv.ClientSecret}
}
