package kryptos_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// The provider catalogue is public: a backend reads it without any user
// credential, for instance to offer a choice of providers and open the
// widget on one (the Web SDK's integrationName takes Provider.ID).
func ExampleClient_ListProviders() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client() // kryptos.NewClient(id, secret) in production

	for p, err := range client.ListProviders(ctx, kryptos.ProvidersParams{Featured: kryptos.Ptr(true)}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(p.ID, p.Type, "NFTs:", p.Supports(kryptos.CapabilityNFT))
	}
	// Output:
	// binance exchange NFTs: false
	// coinbase exchange NFTs: false
	// ethereum blockchain NFTs: true
	// solana blockchain NFTs: true
}

// Contacts and counter-parties need the scope contacts:read, which is not
// among the default scopes: ask for it when creating the link token.
func ExampleUserClient_ListContacts() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client()

	scopes := append(kryptos.DefaultScopes(), kryptos.ScopeContactsRead)
	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: scopes})
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

	user := client.User(grant.Credential())
	for c, err := range user.ListContacts(ctx, kryptos.ContactsParams{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.Name, "-", c.Type)
	}
	// Output:
	// Acme Hosting GmbH - company
	// Alice Martin - individual
	// Bob Okafor - individual
	// Chen Wei - individual
	// Northwind Design Ltd - company
}
