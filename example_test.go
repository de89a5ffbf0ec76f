package kryptos_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// The examples run against the embedded sandbox; in production, build the
// client with kryptos.NewClient(clientID, clientSecret).

// This example walks a new user from link token to stored access token.
func Example() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client() // kryptos.NewClient(id, secret) in production

	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.DefaultScopes()})
	if err != nil {
		log.Fatal(err)
	}
	// The frontend opens the widget with lt.Token; the sandbox plays the user.
	public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true})
	if err != nil {
		log.Fatal(err)
	}
	grant, err := client.ExchangePublicToken(ctx, public)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token type:", grant.TokenType)
	fmt.Println("grant:", grant.GrantID != "")
	fmt.Println("printed redacted:", strings.HasPrefix(fmt.Sprint(grant), "&{cat_[redacted]"))
	// Output:
	// token type: Bearer
	// grant: true
	// printed redacted: true
}

func ExampleClient_CreateLinkToken() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client()

	// For a returning user, pass the access token you stored: the widget
	// then skips sign-in, and the frontend's isAuthorized is true.
	storedAccessToken := "" // none yet: a new user
	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: kryptos.NewSecret(storedAccessToken)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf(`{"link_token": %t, "isAuthorized": %t}`+"\n", !lt.Token.IsZero(), lt.HasExistingGrant)
	// Output: {"link_token": true, "isAuthorized": false}
}

func ExampleClient_ExchangePublicToken() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client()
	lt, _ := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	public, _ := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true})

	grant, err := client.ExchangePublicToken(ctx, public)
	switch {
	case errors.Is(err, kryptos.ErrOutcomeUnknown):
		// The token may be spent: do not send it again. Start a new link.
		log.Print(err)
	case errors.Is(err, kryptos.ErrTokenExpired), errors.Is(err, kryptos.ErrTokenAlreadyUsed):
		log.Print("start a new link: ", err)
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println("store for the user:", !grant.AccessToken.IsZero(), grant.GrantID != "")
	}
	// Output: store for the user: true true
}

func ExampleClient_CheckSession() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client()

	session, err := client.CheckSession(ctx, "cat_no_longer_valid")
	if err != nil {
		log.Fatal(err)
	}
	if !session.Valid {
		fmt.Println("ask the user to reconnect:", session.Reason)
	}
	// Output: ask the user to reconnect: invalid_token
}

func ExampleClient_ResyncIntegration() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client()
	lt, _ := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	public, _ := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true,
		Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
	grant, _ := client.ExchangePublicToken(ctx, public)
	session, _ := client.CheckSession(ctx, grant.AccessToken.Reveal())

	page, err := client.User(grant.Credential()).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
	if err != nil {
		log.Fatal(err)
	}
	// An integration's ID is the walletId the partner resync takes.
	job, err := client.ResyncIntegration(ctx, page.Items[0].ID, kryptos.ResyncParams{
		UserID: session.UserID,
		Mode:   kryptos.ResyncLatest,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.IntegrationType, job.Status)
	// Output: wallet queued
}

func ExampleClient_UpdateTransactionLimit() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client()
	lt, _ := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	public, _ := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true})
	grant, _ := client.ExchangePublicToken(ctx, public)

	limit, err := client.UpdateTransactionLimit(ctx, grant.GrantID, kryptos.TransactionLimitParams{
		TransactionLimit: kryptos.Ptr[int64](10000),
	})
	if errors.Is(err, kryptos.ErrNotAnonUser) {
		fmt.Println("only Guest users have limits")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("limit:", *limit.TransactionLimit)
	// Output: limit: 10000
}

func ExampleClient_RevokeGrant() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client()

	err := client.RevokeGrant(ctx, "cgrant_unknown")
	var apiErr *kryptos.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, errors.Is(err, kryptos.ErrGrantNotFound))
	}
	// Output: 404 GRANT_NOT_FOUND true
}

func ExampleNewClient() {
	client, err := kryptos.NewClient("my-client-id", "my-client-secret",
		kryptos.WithUserAgent("acme-backend/1.0"),
		kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 5}),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client) // the secret is never printed

	_, err = kryptos.NewClient("my-client-id", "secret\r\n")
	fmt.Println(err)
	// Output:
	// kryptos.Client{ClientID:"my-client-id", Connect:"https://connect-api.kryptos.io", Data:"https://api-v2.kryptos.io"}
	// kryptos: NewClient: invalid clientSecret: must not contain spaces or control characters such as CR or LF
}

func ExampleClient_User() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client()
	lt, _ := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	public, _ := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true,
		Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
	grant, _ := client.ExchangePublicToken(ctx, public)

	// Data calls are made as one user, with that user's credential: the
	// access token stored after the exchange, an OAuth token source, or an
	// API key where the data API accepts one.
	user := client.User(grant.Credential())
	for in, err := range user.ListIntegrations(ctx, kryptos.IntegrationsParams{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(in.Provider.PublicName, in.AccountStatus)
	}
	fmt.Println(user) // the token is never printed
	// Output:
	// Ethereum active
	// kryptos.UserClient{kryptos.AccessToken(cat_[redacted])}
}

func ExampleNewUserClient() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client()
	lt, _ := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	public, _ := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true,
		Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
	grant, _ := client.ExchangePublicToken(ctx, public)
	token := grant.AccessToken.Reveal() // what a script finds in its environment

	// A program with a user's token and no client credentials: a script,
	// a command line tool, an app that signs users in with Kryptos.
	user, err := kryptos.NewUserClient(kryptos.AccessToken(token), kryptos.WithSandbox(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	for in, err := range user.ListIntegrations(ctx, kryptos.IntegrationsParams{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(in.Provider.PublicName, in.AccountStatus)
	}
	// Output: Ethereum active
}

func ExampleCaptureResponse() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client()

	var resp kryptos.Response
	if _, err := client.ListGrants(ctx, kryptos.CaptureResponse(&resp)); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, resp.Attempts)
	// Output: 200 1
}
