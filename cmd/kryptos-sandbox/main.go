// Command kryptos-sandbox serves the Kryptos Connect sandbox from kryptostest
// as a standalone program, like stripe-mock: frontend developers and
// backends in any language can point at it instead of the real API.
//
//	go run ./cmd/kryptos-sandbox -addr 127.0.0.1:8088
//
// It prints its URL and client credentials, then serves until interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kryptos-sandbox:", err)
		os.Exit(1)
	}
}

// run serves the sandbox until ctx ends or the process is interrupted.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("kryptos-sandbox", flag.ContinueOnError)
	fs.SetOutput(out)
	addr := fs.String("addr", "127.0.0.1:8088", "address to listen on")
	clientID := fs.String("client-id", "sandbox_client", "client ID to register")
	clientSecret := fs.String("client-secret", "sandbox_secret", "client secret to register")
	liveMode := fs.Bool("live-mode", false, "allow any provider and address, as a client out of sandbox mode")
	noLimits := fs.Bool("no-rate-limits", false, "do not enforce the per-client rate limits")
	webhookURL := fs.String("webhook-url", "", "deliver signed webhooks to this URL")
	webhookSecret := fs.String("webhook-secret", "whsec_sandbox", "secret that signs the webhooks")
	if err := fs.Parse(args); err != nil {
		return err
	}

	opts := []kryptostest.Option{
		kryptostest.WithCredentials(*clientID, *clientSecret),
		kryptostest.WithSandboxMode(!*liveMode),
	}
	if *noLimits {
		opts = append(opts, kryptostest.WithRateLimits(kryptostest.RateLimits{}))
	}
	srv, err := kryptostest.Listen(*addr, opts...)
	if err != nil {
		return err
	}
	defer srv.Close()
	if *webhookURL != "" {
		srv.RegisterWebhook(*webhookURL, *webhookSecret)
		fmt.Fprintf(out, "Delivering webhooks to %s, signed with %s\n", *webhookURL, *webhookSecret)
	}

	fmt.Fprintf(out, `Kryptos Connect sandbox listening on %s
  Connect API and data API: %s
  KRYPTOS_CLIENT_ID=%s
  KRYPTOS_CLIENT_SECRET=%s
  KRYPTOS_SANDBOX_URL=%s
Widget step without a browser (X-LINK-TOKEN: <link token>):
  POST %s/widget/complete {"guest": true, "wallets": [{"provider": "ethereum", "address": "%s"}]}
  or sign in: POST /widget/otp/request {"email"}, POST /widget/otp/verify {"email", "otp": "%s"}
Press Ctrl+C to stop.
`, srv.URL, srv.URL, srv.ClientID, srv.ClientSecret, srv.URL, srv.URL, kryptostest.EthereumTestAddress, kryptostest.SandboxOTP)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
