package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
	"github.com/stretchr/testify/require"
)

// run runs one command line with no terminal and returns its exit code.
// getenv reads the environment (a map).
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, getenv, stdout, stderr, false)
}

func itoa(n int) string { return strconv.Itoa(n) }

type netListen struct{}

// free returns a loopback address with a port no one listens on.
func (netListen) free() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// guest connects a Guest user with the Ethereum test wallet to the sandbox
// at url, as a backend and the widget would over HTTP, and returns the
// user's access token, user ID and wallet ID.
func guest(t *testing.T, url string) (token, userID, walletID string) {
	t.Helper()
	ctx := context.Background()
	client, err := kryptos.NewClient("sandbox_client", "sandbox_secret", kryptos.WithSandbox(url))
	require.NoError(t, err)
	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url+"/widget/complete", strings.NewReader(
		`{"guest": true, "wallets": [{"provider": "ethereum", "address": "`+kryptostest.EthereumTestAddress+`"}]}`))
	require.NoError(t, err)
	req.Header.Set("X-LINK-TOKEN", lt.Token.Reveal())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var answer struct {
		Data struct {
			PublicToken string `json:"public_token"`
		} `json:"data"`
	}
	require.NoError(t, decodeJSON(resp, &answer))
	grant, err := client.ExchangePublicToken(ctx, answer.Data.PublicToken)
	require.NoError(t, err)
	session, err := client.CheckSession(ctx, grant.AccessToken.Reveal())
	require.NoError(t, err)
	for in, err := range client.User(grant.Credential()).ListIntegrations(ctx, kryptos.IntegrationsParams{}) {
		require.NoError(t, err)
		walletID = in.ID
	}
	require.NotEmpty(t, walletID)
	return grant.AccessToken.Reveal(), session.UserID, walletID
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return &httpStatusError{resp.Status, string(b)}
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

type httpStatusError struct{ status, body string }

func (e *httpStatusError) Error() string { return e.status + ": " + e.body }
