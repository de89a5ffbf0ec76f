package kryptos_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// guest is a Guest user connected through the sandbox with the Ethereum
// test wallet.
type guest struct {
	grant    *kryptos.AccessGrant
	userID   string
	walletID string
}

// linkGuest plays a new Guest user through the widget and returns the public
// token to exchange.
func linkGuest(tb testing.TB, srv *kryptostest.Server, c *kryptos.Client) string {
	tb.Helper()
	lt, err := c.CreateLinkToken(context.Background(), kryptos.LinkTokenParams{})
	require.NoError(tb, err)
	public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true,
		Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
	require.NoError(tb, err)
	return public
}

// connectGuest connects a new Guest user and reads back the ids the
// operations under test need.
func connectGuest(tb testing.TB, srv *kryptostest.Server, c *kryptos.Client) guest {
	tb.Helper()
	ctx := context.Background()
	grant, err := c.ExchangePublicToken(ctx, linkGuest(tb, srv, c))
	require.NoError(tb, err)
	s, err := c.CheckSession(ctx, grant.AccessToken)
	require.NoError(tb, err)
	ints, err := c.ListIntegrations(ctx, grant.AccessToken)
	require.NoError(tb, err)
	return guest{grant: grant, userID: s.UserID, walletID: ints[0].WalletID}
}
