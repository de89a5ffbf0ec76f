// Command kryptos is the operator's and developer's command line for Kryptos
// Connect: list and revoke grants, check a stored session, create a link
// token, set a Guest user's transaction limit, queue a resync and watch it
// finish, export one user's holdings, transactions and ledgers, and serve the
// sandbox.
//
//	kryptos sandbox &                  # prints KRYPTOS_CLIENT_ID, ..._SECRET, KRYPTOS_SANDBOX_URL
//	kryptos grants list
//	kryptos data transactions --format csv > transactions.csv
//
// Credentials come from the environment, never from a flag's value, so they
// stay out of shell history and process lists: the client ID from --client-id
// or KRYPTOS_CLIENT_ID, the client secret from the variable named by
// --client-secret-env (KRYPTOS_CLIENT_SECRET), a user's access token from the
// variable named by --access-token-env (KRYPTOS_ACCESS_TOKEN). Neither secret
// is ever printed. The API is the live one unless --sandbox URL,
// KRYPTOS_SANDBOX_URL, or KRYPTOS_CONNECT_URL and KRYPTOS_DATA_URL say
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
// terminal, and terminal detection is one os.File.Stat, so neither earns a
// dependency.
//
// Not done yet: webhooks listen, a test that exports
// 100,000 transactions while measuring memory, and a test of the progress
// output in a real terminal (tmux).
//
// It is its own module so that the SDK's users do not inherit cobra.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runContext(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, isTerminal(os.Stderr))
	stop()
	os.Exit(code)
}

// run runs one command line and returns its exit code. getenv reads the
// environment (os.Getenv, or a map in tests).
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, getenv, stdout, stderr, isTerminal(stderr))
}

// isTerminal reports whether w is a terminal: a character device, not a
// file or a pipe.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
