// Command kryptos is the operator's and developer's command line for Kryptos
// Connect: list and revoke grants, check a stored session, create a link
// token, set a Guest user's transaction limit, queue a resync and watch it
// finish, export one user's integrations, holdings, transactions and
// ledgers, sign a developer in, serve the sandbox, and receive webhooks
// locally while building an endpoint.
//
//	kryptos sandbox &                  # prints KRYPTOS_CLIENT_ID, ..._SECRET, KRYPTOS_SANDBOX_URL
//	kryptos grants list
//	kryptos data transactions --format csv > transactions.csv
//	kryptos webhooks listen --forward-to http://localhost:3000/webhooks
//
// Credentials come from the environment, never from a flag's value, so they
// stay out of shell history and process lists: the client ID from --client-id
// or KRYPTOS_CLIENT_ID, the client secret from the variable named by
// --client-secret-env (KRYPTOS_CLIENT_SECRET), a user's access token from the
// variable named by --access-token-env (KRYPTOS_ACCESS_TOKEN), the webhook
// signing secret from the variable named by --webhook-secret-env
// (KRYPTOS_WEBHOOK_SECRET). None of them is ever printed. The API is the
// live one unless --sandbox URL, KRYPTOS_SANDBOX_URL, or KRYPTOS_CONNECT_URL
// and KRYPTOS_DATA_URL (and KRYPTOS_OAUTH_ISSUER for kryptos login) say
// otherwise, as in examples/quickstart.
//
// kryptos login signs a developer in with Kryptos in their browser, as gh
// auth login does (OAuth 2.0 code flow with PKCE to a loopback port, on the
// SDK's oauth.NativeSignIn), and keeps their own tokens in a file only they
// can read; the data commands use it when no access token is in the
// environment, and save each rotated refresh token before using it.
//
// Output is a table for people; --json (or --format json|csv on the data
// commands) is for programs. Progress (a resync's bar, an export's row
// counter) goes to stderr, and only when stderr is a terminal, so stdout
// stays clean for pipes. Exit codes: 0 ok, 2 bad input (a flag, an argument,
// or kryptos.ErrInvalidParams), 3 the API refused (*kryptos.Error), 4 the
// outcome is unknown (kryptos.ErrOutcomeUnknown: check before repeating),
// 1 anything else. An error is one line on stderr that says what to do.
//
// The CLI is built on github.com/spf13/cobra, the usual Go CLI framework
// (kubectl, gh, hugo): nested commands, help and shell completion
// (kryptos completion bash|zsh|fish) come with it instead of being written
// and kept up by hand. The progress bar and row counter are a few lines
// written here rather than a library: they need only a carriage return on a
// terminal. Terminal detection is golang.org/x/term, the Go team's own: a
// character device is not enough (/dev/null is one).
//
// Its tests run the built program too: an export of 100,000 transactions
// in a bounded memory (scale_test.go) and the progress bar on a real
// pseudo-terminal (terminal_test.go).
//
// It is its own module so that the SDK's users do not inherit cobra.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first Ctrl+C asks the command to stop cleanly; once it
		// has, the signals' default comes back, so a second one ends a
		// shutdown that takes too long.
		<-ctx.Done()
		stop()
	}()
	code := runContext(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, isTerminal(os.Stderr))
	stop()
	os.Exit(code)
}

// isTerminal reports whether w is a terminal, not a file, a pipe or
// /dev/null.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
