package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK      = 0
	exitOther   = 1
	exitUsage   = 2
	exitAPI     = 3
	exitUnknown = 4
)

// app is one run of the command line: its environment, its outputs and the
// global flags.
type app struct {
	ctx            context.Context
	getenv         func(string) string
	stdout, stderr io.Writer
	// tty says stderr is a terminal: progress is drawn only then.
	tty bool
	// openBrowser opens a URL in the user's browser; systemBrowser when nil.
	openBrowser func(url string) error

	jsonOut         bool
	clientID        string
	clientSecretEnv string
	accessTokenEnv  string
	sandboxURL      string
}

// usageError is bad input: a flag, an argument, or a missing setting.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func runContext(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, tty bool) int {
	return (&app{ctx: ctx, getenv: getenv, stdout: stdout, stderr: stderr, tty: tty}).execute(args)
}

// execute runs one command line and returns its exit code.
func (a *app) execute(args []string) int {
	ctx := a.ctx
	stdout, stderr := a.stdout, a.stderr
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	initCompletion(root)
	root.SetContext(ctx)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	code, msg := explain(err)
	fmt.Fprintln(stderr, "kryptos: "+strings.TrimPrefix(oneLine(msg), "kryptos: "))
	return code
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "kryptos",
		Short: "Operate a Kryptos Connect client: grants, sessions, link tokens, limits, resyncs, user data, sandbox, webhooks",
		Long: `kryptos calls the Kryptos Connect API with your client's credentials.

Credentials come from the environment: KRYPTOS_CLIENT_ID (or --client-id) and
the client secret in KRYPTOS_CLIENT_SECRET (or the variable --client-secret-env
names); a user's access token in KRYPTOS_ACCESS_TOKEN (or --access-token-env),
or your own: kryptos login signs you in with Kryptos in your browser and saves
it for the data commands.
Set KRYPTOS_SANDBOX_URL, or pass --sandbox URL, to use a sandbox
(kryptos sandbox starts one).

Exit codes: 0 ok, 2 bad input, 3 API error, 4 outcome unknown, 1 other.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	f := root.PersistentFlags()
	f.BoolVar(&a.jsonOut, "json", false, "print machine-readable JSON instead of tables")
	f.StringVar(&a.clientID, "client-id", "", "client ID (default $KRYPTOS_CLIENT_ID)")
	f.StringVar(&a.clientSecretEnv, "client-secret-env", "KRYPTOS_CLIENT_SECRET", "name of the environment variable that holds the client secret")
	f.StringVar(&a.accessTokenEnv, "access-token-env", "KRYPTOS_ACCESS_TOKEN", "name of the environment variable that holds a user's access token")
	f.StringVar(&a.sandboxURL, "sandbox", "", "base URL of a sandbox to call instead of the live API (default $KRYPTOS_SANDBOX_URL)")

	root.AddCommand(a.grantsCommand(), a.sessionCommand(), a.linkCommand(), a.limitCommand(),
		a.resyncCommand(), a.dataCommand(), a.sandboxCommand(), a.webhooksCommand())
	root.AddCommand(a.loginCommand(), a.logoutCommand())
	// cobra's own help and completion commands answer an unknown topic or
	// shell with help and exit 0; here it is bad input, as everywhere else
	// (initCompletion).
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return usagef("unknown help topic %q; see kryptos --help", strings.Join(args, " "))
			}
			return cmd.Help()
		},
	})
	return root
}

// initCompletion adds cobra's completion command, which writes to the
// root's output as set when it is added, and makes an unknown shell bad
// input.
func initCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.Args, c.RunE = cobra.ArbitraryArgs, needsSubcommand
	}
}

// group is a command that only holds subcommands.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE:  needsSubcommand,
	}
	c.AddCommand(subs...)
	return c
}

// needsSubcommand is what a group runs: it was given no subcommand it has.
func needsSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q for %q; see %s --help", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return usagef("%s needs a subcommand; see %s --help", cmd.CommandPath(), cmd.CommandPath())
}

// noArgs and exactArgs check positional arguments as bad input (exit 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q for %q; see %s --help", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usagef("%s takes %d argument(s): <%s>; got %d", cmd.CommandPath(), len(names), strings.Join(names, "> <"), len(args))
		}
		return nil
	}
}

// sandbox is the base URL of the sandbox to call: the --sandbox flag, else
// KRYPTOS_SANDBOX_URL; "" for the live API. options and issuer both pick
// the API with it, so that a login goes to the API the data commands call.
func (a *app) sandbox() string {
	if a.sandboxURL != "" {
		return a.sandboxURL
	}
	return a.getenv("KRYPTOS_SANDBOX_URL")
}

// options returns the SDK options that point at the API the flags and the
// environment name.
func (a *app) options() []kryptos.Option {
	opts := []kryptos.Option{kryptos.WithUserAgent("kryptos-cli")}
	if sandbox := a.sandbox(); sandbox != "" {
		return append(opts, kryptos.WithSandbox(sandbox))
	}
	if connect, data := a.getenv("KRYPTOS_CONNECT_URL"), a.getenv("KRYPTOS_DATA_URL"); connect != "" || data != "" {
		e := kryptos.ProductionEndpoints()
		if connect != "" {
			e.Connect = connect
		}
		if data != "" {
			e.Data = data
		}
		opts = append(opts, kryptos.WithEndpoints(e))
	}
	return opts
}

// client returns a Client with the client's credentials, for the Connect
// backend API.
func (a *app) client() (*kryptos.Client, error) {
	id := a.clientID
	if id == "" {
		id = a.getenv("KRYPTOS_CLIENT_ID")
	}
	if id == "" {
		return nil, usagef("no client ID: set KRYPTOS_CLIENT_ID or pass --client-id")
	}
	if a.clientSecretEnv == "" {
		return nil, usagef("--client-secret-env must name an environment variable")
	}
	secret := a.getenv(a.clientSecretEnv)
	if secret == "" {
		return nil, usagef("no client secret: set the environment variable %s", a.clientSecretEnv)
	}
	return kryptos.NewClient(id, secret, a.options()...)
}

// accessToken reads a user's access token from the environment.
func (a *app) accessToken() (string, error) {
	if a.accessTokenEnv == "" {
		return "", usagef("--access-token-env must name an environment variable")
	}
	tok := a.getenv(a.accessTokenEnv)
	if tok == "" {
		return "", usagef("no access token: set the environment variable %s to the user's access token", a.accessTokenEnv)
	}
	return tok, nil
}

// user returns the data API handle of the user whose access token is in the
// environment, or else of the developer who signed in with kryptos login.
// The data API never receives the client's credentials, so none are needed:
// a developer with only a user's token can read that user's data.
func (a *app) user() (*kryptos.UserClient, error) {
	if a.accessTokenEnv != "" && a.getenv(a.accessTokenEnv) == "" {
		return a.loginUser()
	}
	tok, err := a.accessToken()
	if err != nil {
		return nil, err
	}
	return kryptos.NewUserClient(kryptos.AccessToken(tok), a.options()...)
}

// explain turns an error into an exit code and a message that says what to
// do.
func explain(err error) (int, string) {
	var apiErr *kryptos.Error
	var u usageError
	switch {
	case errors.As(err, &u):
		return exitUsage, err.Error()
	case strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "unknown flag"):
		return exitUsage, err.Error() + "; see kryptos --help"
	case errors.Is(err, kryptos.ErrInvalidParams):
		return exitUsage, err.Error() + "; fix the argument (see --help)"
	case errors.Is(err, kryptos.ErrOutcomeUnknown):
		return exitUnknown, err.Error() + "; the request may or may not have taken effect: check (kryptos grants list, the user's sync jobs) before repeating it"
	case errors.As(err, &apiErr):
		return exitAPI, err.Error() + apiAdvice(err, apiErr)
	case errors.Is(err, context.Canceled):
		if q := (queuedError{}); errors.As(err, &q) {
			return exitOther, "interrupted; " + q.Error()
		}
		return exitOther, "interrupted"
	}
	return exitOther, err.Error()
}

func apiAdvice(err error, e *kryptos.Error) string {
	var s string
	switch {
	case errors.Is(err, kryptos.ErrGrantNotFound):
		s = "; list the client's grants with: kryptos grants list"
	case errors.Is(err, kryptos.ErrInvalidClient), errors.Is(err, kryptos.ErrUnauthorized):
		s = "; check KRYPTOS_CLIENT_ID and the client secret (or the access token) and the API URL"
	case errors.Is(err, kryptos.ErrTokenExpired), errors.Is(err, kryptos.ErrInvalidToken):
		s = "; the user must connect again through the widget (kryptos link create)"
	case errors.Is(err, kryptos.ErrInsufficientScope):
		s = "; the grant lacks the scope: the user must consent again with it"
	case errors.Is(err, kryptos.ErrNotAnonUser):
		s = "; transaction limits apply to Guest users only"
	case errors.Is(err, kryptos.ErrRateLimited):
		s = fmt.Sprintf("; try again in %s", e.RetryAfter.Round(time.Second))
	}
	if e.RequestID != "" {
		s += " (request ID " + e.RequestID + ", for Kryptos support)"
	}
	return s
}

// oneLine keeps an error message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
