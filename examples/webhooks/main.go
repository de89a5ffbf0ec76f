// Command webhooks is a Kryptos webhook receiver wired to the embedded
// sandbox: it connects a user's wallet, resyncs it, and prints each event the
// sandbox delivers, from queued to completed, then exits.
//
//	go run ./examples/webhooks
//
// The receiver is webhook.NewHandler: it verifies each signature, hands each
// delivery id to a function once, and answers so that Kryptos retries only
// what failed.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
	"github.com/kryptos-connect/kryptos-go/webhook"
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
	handler, ended, err := newReceiver(secret, out)
	if err != nil {
		return err // a secret read from an unset variable is refused here
	}
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
	case t := <-ended:
		if t != webhook.EventCostBasisCompleted {
			return fmt.Errorf("the resync failed: %s", t)
		}
		fmt.Fprintln(out, "The resync is complete.")
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the resync's webhooks: %w", ctx.Err())
	}
}

// newReceiver returns the webhook receiver, which prints each event, and
// the channel that gets the resync's last event: cost basis completed, or
// a failure.
func newReceiver(secret string, out io.Writer) (http.Handler, <-chan webhook.EventType, error) {
	// The function runs once per delivery id, but another grant of the
	// user, or another resync, sends such an event again: only the first
	// ends the wait.
	ended := make(chan webhook.EventType, 1)
	end := func(t webhook.EventType) {
		select {
		case ended <- t:
		default:
		}
	}
	handler, err := webhook.NewHandler([]string{secret}, func(_ context.Context, ev *webhook.Event) error {
		switch {
		case ev.Integration != nil: // integration.created, .updated, .deleted, .failed
			fmt.Fprintf(out, "%-28s %s %s\n", ev.Type, ev.Integration.WalletID, ev.Integration.Status)
		case ev.Process != nil: // transfer_detection.* and costbasis.*
			fmt.Fprintf(out, "%-28s %s\n", ev.Type, ev.Process.Status)
		default: // an event this receiver does not know: acknowledge it
			fmt.Fprintf(out, "%-28s\n", ev.Type)
		}
		switch ev.Type {
		case webhook.EventCostBasisCompleted, webhook.EventCostBasisFailed,
			webhook.EventTransferDetectionFailed, webhook.EventIntegrationFailed:
			end(ev.Type)
		}
		return nil
	}, webhook.WithMaxAge(5*time.Minute), webhook.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))))
	return handler, ended, err
}
