package kryptos_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// TestAReturningUsersNullPublicTokenGetsAnErrorThatSaysWhy: WIDGET.md,
// "onConnectSuccess(null) for a returning user ... null means nothing to
// exchange". A backend that decodes the frontend's {"public_token": null}
// into a string and exchanges it gets "invalid publicToken: must not be
// empty", which reads as a broken frontend, not as the documented returning
// user whose connection is already stored.
func TestAReturningUsersNullPublicTokenGetsAnErrorThatSaysWhy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client()
	grant := connectUser(t, srv, client, kryptostest.LinkUser{Guest: true})

	// The user comes back and adds a wallet: the widget hands over null.
	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: grant.AccessToken})
	require.NoError(t, err)
	require.True(t, lt.HasExistingGrant)
	public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{
		Wallets: []kryptostest.Wallet{{Provider: "solana", Address: kryptostest.SolanaTestAddress}}})
	require.NoError(t, err)
	body, _ := json.Marshal(map[string]any{"public_token": nil}) // what the frontend posts
	var posted struct {
		PublicToken string `json:"public_token"`
	}
	require.NoError(t, json.Unmarshal(body, &posted))
	require.Equal(t, public, posted.PublicToken)

	_, err = client.ExchangePublicToken(ctx, posted.PublicToken)
	require.ErrorIs(t, err, kryptos.ErrInvalidParams)
	assert.Contains(t, err.Error(), "returning user", "the error names the documented case")
	assert.Contains(t, err.Error(), "nothing to exchange")
}
