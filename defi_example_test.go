package kryptos_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// defiExampleUser links a sandbox Guest with the Ethereum test wallet and
// returns their data API handle.
func defiExampleUser(ctx context.Context, srv *kryptostest.Server) *kryptos.UserClient {
	client := srv.Client() // kryptos.NewClient(id, secret) in production
	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	if err != nil {
		log.Fatal(err)
	}
	public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true,
		Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
	if err != nil {
		log.Fatal(err)
	}
	grant, err := client.ExchangePublicToken(ctx, public)
	if err != nil {
		log.Fatal(err)
	}
	return client.User(grant.Credential())
}

// This example lists a user's staking positions (GET /v1/defi/staking) and
// reads each protocol's entry in the shared catalogue.
func ExampleUserClient_ListDeFi() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	user := defiExampleUser(ctx, srv)

	for p, err := range user.ListDeFi(ctx, kryptos.DeFiParams{Category: kryptos.DeFiStaking}) {
		if err != nil {
			log.Fatal(err)
		}
		protocol, err := user.GetDeFiMetadata(ctx, p.ProtocolID)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s on %s: %s (%s), with debt: %t\n", p.ProtocolName, p.Chain, p.PositionName, protocol.SiteURL, p.DebtValue != nil)
	}
	// Output: Lido on ethereum: stETH (https://lido.fi), with debt: false
}

// This example reads one collection's row of a user's NFTs, with the
// estimated value of all their NFTs beside it.
func ExampleUserClient_ListNFTCollectionsPage() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	user := defiExampleUser(ctx, srv)

	page, err := user.ListNFTCollectionsPage(ctx, kryptos.NFTParams{CollectionID: "boredapeyachtclub"})
	if err != nil {
		log.Fatal(err)
	}
	row := page.Items[0]
	fmt.Printf("%s: %d token(s), worth at least its floor: %t\n", row.Name, row.ItemCount, row.TotalValueUSD >= 18400)
	fmt.Println("all NFTs worth more:", page.Summary.TotalEstimatedValueUSD > row.TotalValueUSD)
	// Output:
	// Bored Ape Yacht Club: 1 token(s), worth at least its floor: true
	// all NFTs worth more: true
}
