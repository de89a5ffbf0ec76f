package kryptos_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// connectUser plays the user through srv's widget with an Ethereum test
// wallet and exchanges the public token, as a backend does.
func connectUser(t *testing.T, srv *kryptostest.Server, client *kryptos.Client, user kryptostest.LinkUser) *kryptos.AccessGrant {
	t.Helper()
	ctx := context.Background()
	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	require.NoError(t, err)
	user.Wallets = []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}
	public, err := srv.CompleteLink(lt.Token, user)
	require.NoError(t, err)
	grant, err := client.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	return grant
}
