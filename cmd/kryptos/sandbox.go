package main

import (
	"fmt"

	"github.com/kryptos-connect/kryptos-go/kryptostest"
	"github.com/spf13/cobra"
)

func (a *app) sandboxCommand() *cobra.Command {
	var addr, clientID, clientSecret, webhookURL, secretEnv string
	var liveMode, noLimits bool
	var txPerWallet int
	c := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve the Kryptos Connect sandbox (kryptostest) on a fixed address",
		Long: `Serve the Kryptos Connect sandbox from kryptostest as a standalone
program, like stripe-mock: frontend developers and backends in any language
can point at it instead of the real API. It prints its URL and client
credentials (the sandbox's own, made up for it), then serves until
interrupted.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if txPerWallet < 1 {
				return usagef("--transactions-per-wallet must be 1 or more")
			}
			if clientID == "" || clientSecret == "" {
				return usagef("--client-id and --client-secret must not be empty")
			}
			var secret, signedWith string
			if webhookURL != "" {
				var err error
				if secret, signedWith, err = a.sandboxSigningSecret(secretEnv); err != nil {
					return err
				}
			}
			opts := []kryptostest.Option{
				kryptostest.WithCredentials(clientID, clientSecret),
				kryptostest.WithSandboxMode(!liveMode),
				kryptostest.WithPortfolioSize(txPerWallet),
			}
			if noLimits {
				opts = append(opts, kryptostest.WithRateLimits(kryptostest.RateLimits{}))
			}
			srv, err := kryptostest.Listen(addr, opts...)
			if err != nil {
				return err
			}
			defer srv.Close()
			if webhookURL != "" {
				srv.RegisterWebhook(webhookURL, secret)
			}
			if a.jsonOut {
				// The same facts as the text below, for a program that
				// starts the sandbox; the client secret is the sandbox's
				// own, made up for it, as the text shows it too.
				err := a.printJSON(map[string]any{
					"url": srv.URL, "client_id": srv.ClientID, "client_secret": srv.ClientSecret,
					"widget_demo_url": srv.WidgetDemoURL(), "widget_script_url": srv.WidgetScriptURL(),
					"webhook_url": webhookURL, "webhook_signed_with": signedWith,
				})
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stderr, "Press Ctrl+C to stop.")
				<-cmd.Context().Done()
				return nil
			}
			out := a.stdout
			fmt.Fprintf(out, `Kryptos Connect sandbox listening on %s
  Connect API and data API: %s
  export KRYPTOS_CLIENT_ID=%s
  export KRYPTOS_CLIENT_SECRET=%s
  export KRYPTOS_SANDBOX_URL=%s
  export KRYPTOS_OAUTH_CLIENT_ID=$KRYPTOS_CLIENT_ID KRYPTOS_OAUTH_CLIENT_SECRET=$KRYPTOS_CLIENT_SECRET  # for kryptos login
Widget in a browser: %s (script for your page: %s)
Widget step without a browser (X-LINK-TOKEN: <link token>):
  POST %s/widget/complete {"guest": true, "wallets": [{"provider": "ethereum", "address": "%s"}]}
  or sign in: POST /widget/otp/request {"email"}, POST /widget/otp/verify {"email", "otp": "%s"}
`, srv.URL, srv.URL, srv.ClientID, srv.ClientSecret, srv.URL, srv.WidgetDemoURL(), srv.WidgetScriptURL(), srv.URL,
				kryptostest.EthereumTestAddress, kryptostest.SandboxOTP)
			if webhookURL != "" {
				fmt.Fprintf(out, "Delivering webhooks to %s, signed with %s\n", webhookURL, signedWith)
			}
			fmt.Fprintln(out, "Press Ctrl+C to stop.")
			<-cmd.Context().Done()
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8088", "address to listen on")
	f.StringVar(&clientID, "client-id", "sandbox_client", "client ID to register")
	f.StringVar(&clientSecret, "client-secret", "sandbox_secret", "client secret to register (the sandbox's own, not a real one)")
	f.BoolVar(&liveMode, "live-mode", false, "allow any provider and address, as a client out of sandbox mode")
	f.BoolVar(&noLimits, "no-rate-limits", false, "do not enforce the per-client rate limits")
	f.IntVar(&txPerWallet, "transactions-per-wallet", kryptostest.DefaultTransactionsPerIntegration, "transactions in the history of each wallet a user connects (100000 for a scale test of an export)")
	f.StringVar(&webhookURL, "webhook-url", "", "deliver signed webhooks to this URL")
	f.StringVar(&secretEnv, "webhook-secret-env", webhookSecretEnv, "name of the environment variable that holds the secret the webhooks are signed with ("+sandboxWebhookSecret+" when it is unset)")
	return c
}

// sandboxWebhookSecret is the secret the sandbox signs webhooks with when
// the environment names none: made up, like its client credentials.
const sandboxWebhookSecret = "whsec_sandbox"

// sandboxSigningSecret reads the secret that signs the sandbox's webhooks
// as webhooks listen does, so that it never shows on a command line or in
// the output; signedWith says which it is.
func (a *app) sandboxSigningSecret(env string) (secret, signedWith string, err error) {
	secret, err = a.signingSecret(env)
	switch {
	case err != nil:
		return "", "", err
	case secret == "":
		return sandboxWebhookSecret, fmt.Sprintf("the sandbox's own secret %s ($%s is not set)", sandboxWebhookSecret, env), nil
	}
	return secret, "the secret in $" + env, nil
}
