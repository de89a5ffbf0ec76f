// Command webhooks is a Kryptos webhook receiver wired to the embedded
// sandbox: it connects a user's wallet, resyncs it, and prints each event the
// sandbox delivers, from queued to completed, then exits.
//
//	go run ./examples/webhooks
//
// The receiver is kryptos.NewWebhookHandler: it verifies each signature,
// acknowledges duplicates once, and hands every event to a function.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "webhooks:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	const secret = "whsec_example" // in production: from the Developer Portal, via your secret store

	// The receiver: in production, mount the handler at your HTTPS endpoint.
	done := make(chan struct{})
	handler := kryptos.NewWebhookHandler([]string{secret}, func(_ context.Context, ev *kryptos.WebhookEvent) error {
		switch ev.Family() {
		case "integration":
			in, err := ev.Integration()
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%-28s %s %s\n", ev.Event, in.WalletID, in.Status)
		case "transfer_detection":
			p, err := ev.TransferDetection()
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%-28s %s\n", ev.Event, p.Status)
		case "costbasis":
			p, err := ev.CostBasis()
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%-28s %s\n", ev.Event, p.Status)
			if ev.Event == kryptos.EventCostBasisCompleted {
				close(done) // the last event of a resync
			}
		default: // an event this receiver does not know: acknowledge it
			fmt.Fprintf(out, "%-28s\n", ev.Event)
		}
		return nil
	}, kryptos.WithWebhookMaxAge(5*time.Minute))
	receiver := httptest.NewServer(handler)
	defer receiver.Close()

	sandbox := kryptostest.NewServer(kryptostest.WithSyncTimings(200*time.Millisecond, 300*time.Millisecond))
	defer sandbox.Close()
	sandbox.RegisterWebhook(receiver.URL, secret)
	client := sandbox.Client()
	fmt.Fprintf(out, "Receiving Kryptos webhooks at %s from the sandbox at %s\n", receiver.URL, sandbox.URL)

	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	if err != nil {
		return err
	}
	public, err := sandbox.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true,
		Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
	if err != nil {
		return err
	}
	grant, err := client.ExchangePublicToken(ctx, public)
	if err != nil {
		return err
	}
	session, err := client.CheckSession(ctx, grant.AccessToken.Reveal())
	if err != nil {
		return err
	}
	page, err := client.User(grant.Credential()).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
	if err != nil {
		return err
	}
	// The data API's integration id is the walletId the partner resync takes.
	if _, err := client.ResyncIntegration(ctx, page.Items[0].ID, kryptos.ResyncParams{UserID: session.UserID, Mode: kryptos.ResyncLatest}); err != nil {
		return err
	}
	select {
	case <-done:
		fmt.Fprintln(out, "The resync is complete.")
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the resync's webhooks: %w", ctx.Err())
	}
}
