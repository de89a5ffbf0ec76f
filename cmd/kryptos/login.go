package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/oauth"
	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
)

// kryptos login: "Sign in with Kryptos" for a developer's own token, like gh
// auth login. The CLI is a native app (RFC 8252): it listens on a random
// port of 127.0.0.1, sends the browser to the provider with a PKCE S256
// challenge and a redirect back to that port, and exchanges the code it
// receives there. The tokens go to a file only the developer can read
// (tokenfile.go); the data commands use and refresh them when no access
// token is in the environment.

type loginFlags struct {
	clientID, secretEnv, scopes string
	noBrowser                   bool
	port                        int
	timeout                     time.Duration
}

func (a *app) loginCommand() *cobra.Command {
	var f loginFlags
	c := &cobra.Command{
		Use:   "login",
		Short: "Sign in with Kryptos in your browser; the data commands then read your own data",
		Long: `Sign in with Kryptos in your browser and save your own token, like gh auth login.

kryptos login opens the Kryptos sign-in page in your browser (and prints its URL,
to open elsewhere), waits for the browser to come back to a port on 127.0.0.1
(OAuth 2.0 authorization code with PKCE, RFC 8252), and saves your tokens in
kryptos/login.json in your config directory, or in $KRYPTOS_TOKEN_FILE, readable
only by you. The data commands use it when KRYPTOS_ACCESS_TOKEN is not set, and
refresh it when it expires. kryptos logout revokes and deletes it.

The OAuth client is your app's, from the Kryptos Developer Portal: its ID in
KRYPTOS_OAUTH_CLIENT_ID (or --oauth-client-id), its secret, which Kryptos
requires at its token endpoint, in KRYPTOS_OAUTH_CLIENT_SECRET (or the variable
--oauth-client-secret-env names); refreshing and revoking read it from the same
variable. Against a sandbox (--sandbox, KRYPTOS_SANDBOX_URL) they are the
sandbox's client ID and secret.

Over SSH, open the URL on your machine after forwarding the port:
  ssh -L 8765:127.0.0.1:8765 host   then   kryptos login --no-browser --port 8765`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.login(cmd.Context(), f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.clientID, "oauth-client-id", "", "your app's OAuth client ID (default $KRYPTOS_OAUTH_CLIENT_ID)")
	fl.StringVar(&f.secretEnv, "oauth-client-secret-env", "KRYPTOS_OAUTH_CLIENT_SECRET", "name of the environment variable that holds the OAuth client secret")
	fl.StringVar(&f.scopes, "scopes", oauth.DefaultScopes().String(), "scopes to ask for, space-separated: openid is required, offline_access keeps the login fresh")
	fl.BoolVar(&f.noBrowser, "no-browser", false, "do not open a browser: only print the URL to open")
	fl.IntVar(&f.port, "port", 0, "port of 127.0.0.1 to receive the browser's answer on (default: a free one)")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "how long to wait for the browser")
	return c
}

func (a *app) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Revoke the login kryptos login saved, and delete it",
		Long: `Revoke the login kryptos login saved, at the provider, and delete its file.
Revoking needs the OAuth client secret in the variable the login was made with;
without it the file is deleted all the same. Logging out twice is not an error.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.logout(cmd.Context()) },
	}
}

// issuer is the OpenID Connect issuer of the API the flags and the
// environment point at, in the order options picks that API: the
// --sandbox flag's /oidc, else KRYPTOS_SANDBOX_URL's /oidc, else
// KRYPTOS_OAUTH_ISSUER when set (beside KRYPTOS_CONNECT_URL and
// KRYPTOS_DATA_URL, for a proxy or a staging stack), else production. A
// sandbox URL beats KRYPTOS_OAUTH_ISSUER as it beats the other two: the
// data commands call the sandbox then, and a login is sent only to the API
// of its issuer.
func (a *app) issuer() string {
	if sandbox := a.sandbox(); sandbox != "" {
		return strings.TrimRight(sandbox, "/") + "/oidc"
	}
	if iss := a.getenv("KRYPTOS_OAUTH_ISSUER"); iss != "" {
		return strings.TrimRight(iss, "/")
	}
	return oauth.KryptosIssuer
}

// advised is an error whose message says what to do; it still matches its
// cause, for the exit code.
type advised struct {
	msg string
	err error
}

func (e advised) Error() string { return e.msg }
func (e advised) Unwrap() error { return e.err }

func (a *app) login(ctx context.Context, f loginFlags) error {
	clientID := f.clientID
	if clientID == "" {
		clientID = a.getenv("KRYPTOS_OAUTH_CLIENT_ID")
	}
	if clientID == "" {
		return usagef("no OAuth client ID: set KRYPTOS_OAUTH_CLIENT_ID or pass --oauth-client-id (your app's client from the Kryptos Developer Portal; a sandbox's is its KRYPTOS_CLIENT_ID)")
	}
	if f.secretEnv == "" {
		return usagef("--oauth-client-secret-env must name an environment variable")
	}
	secret := a.getenv(f.secretEnv)
	if secret == "" {
		return usagef("no OAuth client secret: set the environment variable %s (Kryptos requires the client's secret at its token endpoint)", f.secretEnv)
	}
	scopes, err := kryptos.ParseScopes(f.scopes)
	if err != nil {
		return usagef("--scopes: %v", err)
	}
	if !scopes.Has(kryptos.ScopeOpenID) {
		return usagef("--scopes must include openid: Kryptos signs in with OpenID Connect")
	}
	if f.timeout <= 0 {
		return usagef("--timeout must be more than 0")
	}
	if f.port < 0 || f.port > 65535 {
		return usagef("--port must be between 0 (a free one) and 65535")
	}
	path, err := a.tokenPath()
	if err != nil {
		return err
	}
	issuer := a.issuer()
	auth, err := oauth.New(oauth.Config{Provider: oauth.KryptosAt(issuer), ClientID: clientID, ClientSecret: secret,
		Scopes: scopes, Native: true})
	if err != nil {
		return err
	}

	// Loopback only (RFC 8252 §7.3, §8.3): no other machine can answer.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(f.port)))
	if err != nil {
		return fmt.Errorf("cannot listen on 127.0.0.1 for the browser's answer (%w); pass another --port", err)
	}
	redirect := "http://" + ln.Addr().String() + "/callback"
	signIn, err := auth.StartNativeSignIn(redirect)
	if err != nil {
		ln.Close()
		return err
	}
	calls := make(chan callback, 1)
	done := make(chan struct{})
	srv := &http.Server{Handler: callbackHandler(calls, done), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		close(done)
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(shutdown) != nil {
			_ = srv.Close()
		}
	}()

	fmt.Fprintf(a.stderr, "Sign in with Kryptos in your browser:\n\n  %s\n\n", signIn.URL())
	var opened chan error
	if !f.noBrowser {
		open := a.openBrowser
		if open == nil {
			open = systemBrowser
		}
		opened = make(chan error, 1)
		go func() { opened <- open(signIn.URL()) }()
	}
	fmt.Fprintf(a.stderr, "Waiting up to %s for the browser to come back to %s (Ctrl+C to stop).\n", f.timeout, redirect)

	wait, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	for {
		select {
		case err := <-opened:
			if err != nil {
				fmt.Fprintf(a.stderr, "Could not open a browser (%s): open the URL above yourself.\n", oneLine(err.Error()))
			}
			opened = nil
		case cb := <-calls:
			l, err := a.finishLogin(ctx, signIn, cb.query, path, clientID, f.secretEnv, issuer)
			cb.reply <- err
			if err != nil {
				return err
			}
			return a.printLogin(l, path)
		case <-wait.Done():
			if err := ctx.Err(); err != nil {
				return err
			}
			return fmt.Errorf("no answer from the browser within %s: run kryptos login again (--timeout waits longer)", f.timeout)
		}
	}
}

// finishLogin checks the browser's answer, exchanges the code and saves the
// login.
func (a *app) finishLogin(ctx context.Context, signIn *oauth.NativeSignIn, q url.Values, path, clientID, secretEnv, issuer string) (*login, error) {
	in, err := signIn.Finish(ctx, q)
	switch {
	case errors.Is(err, oauth.ErrState):
		return nil, advised{"the browser's answer is not for this sign-in (its state does not match: forged, or from an earlier attempt), so nothing was saved: run kryptos login again", err}
	case errors.Is(err, kryptos.ErrAccessDenied):
		return nil, advised{"you declined access in the browser, so nothing was saved: to sign in, run kryptos login again and choose Allow", err}
	case errors.Is(err, kryptos.ErrInvalidClient):
		return nil, advised{fmt.Sprintf("the provider refused the OAuth client: check KRYPTOS_OAUTH_CLIENT_ID (or --oauth-client-id) and the secret in %s", secretEnv), err}
	case err != nil:
		return nil, fmt.Errorf("signing in: %w", err)
	}
	l := &login{Issuer: issuer, ClientID: clientID, SecretEnv: secretEnv, Scope: in.Scopes.String(), Token: in.Token}
	if in.IDToken != nil {
		l.Subject, l.Email = in.IDToken.Subject, in.IDToken.Email
	}
	if err := writeLogin(path, l); err != nil {
		return nil, err
	}
	return l, nil
}

// printLogin says who signed in and where the login is: never a token.
func (a *app) printLogin(l *login, path string) error {
	refreshable := l.Token.RefreshToken != ""
	if a.jsonOut {
		return json.NewEncoder(a.stdout).Encode(map[string]any{
			"issuer": l.Issuer, "subject": l.Subject, "email": l.Email, "scope": l.Scope,
			"expires_at": l.Token.Expiry.UTC(), "refreshable": refreshable, "token_file": path,
		})
	}
	who := l.Email
	switch {
	case who == "":
		who = "user " + l.Subject
	case l.Subject != "":
		who += " (user " + l.Subject + ")"
	}
	fmt.Fprintf(a.stdout, "Signed in to %s as %s.\n", l.Issuer, who)
	fmt.Fprintf(a.stdout, "Saved the login to %s (readable only by you); the data commands use it when %s is not set.\n", path, a.accessTokenEnv)
	if !refreshable {
		fmt.Fprintf(a.stderr, "No refresh token was granted (ask for offline_access): run kryptos login again after %s.\n",
			l.Token.Expiry.UTC().Format(time.RFC3339))
	}
	return nil
}

// callback is a request to the loopback redirect URL, and where to send
// what became of it, for the page the browser shows.
type callback struct {
	query url.Values
	reply chan error
}

// callbackHandler serves the redirect URL: it hands the first request's
// query to the login and shows the browser the outcome. Later requests (a
// reload) are told the sign-in has its answer. done closes when the login
// stops waiting.
func callbackHandler(calls chan<- callback, done <-chan struct{}) http.Handler {
	var taken atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if !taken.CompareAndSwap(false, true) {
			showPage(w, http.StatusConflict, "This sign-in already has its answer", "Return to the terminal.")
			return
		}
		cb := callback{query: r.URL.Query(), reply: make(chan error, 1)}
		calls <- cb // the channel holds one, and only the first request gets here
		var outcome error
		select {
		case outcome = <-cb.reply:
		case <-done:
			// The login replies before it stops: an answer that came with
			// the end is still the outcome.
			select {
			case outcome = <-cb.reply:
			default:
				showPage(w, http.StatusServiceUnavailable, "kryptos login stopped", "Return to the terminal.")
				return
			}
		case <-r.Context().Done():
			return
		}
		if outcome != nil {
			showPage(w, http.StatusBadRequest, "Sign-in failed", oneLine(outcome.Error())+". Return to the terminal.")
			return
		}
		showPage(w, http.StatusOK, "Signed in to Kryptos", "You can close this tab and return to the terminal.")
	})
	return mux
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · kryptos</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Text}}</p></body></html>
`))

func showPage(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = page.Execute(w, struct{ Title, Text string }{title, text})
}

func (a *app) logout(ctx context.Context) error {
	path, err := a.tokenPath()
	if err != nil {
		return err
	}
	l, err := readLogin(path)
	revoked := false
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if a.jsonOut {
			return a.printJSON(map[string]any{"signed_out": false, "revoked": false, "token_file": path})
		}
		fmt.Fprintf(a.stdout, "Not signed in: there is no login at %s.\n", path)
		return nil
	case err != nil:
		fmt.Fprintf(a.stderr, "Cannot read the login to revoke it (%s); deleting it all the same.\n", oneLine(err.Error()))
	default:
		if err := a.revoke(ctx, l); err != nil {
			fmt.Fprintf(a.stderr, "Could not revoke the login at %s (%s): it stays valid until it expires, unless you remove the app's access in your Kryptos account.\n",
				l.Issuer, oneLine(err.Error()))
		} else {
			revoked = true
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting the login: %w", err)
	}
	if a.jsonOut {
		return a.printJSON(map[string]any{"signed_out": true, "revoked": revoked, "token_file": path})
	}
	fmt.Fprintf(a.stdout, "Signed out: deleted %s.\n", path)
	return nil
}

// revoke ends the login's grant at the provider (RFC 7009): revoking the
// refresh token ends the access token with it.
func (a *app) revoke(ctx context.Context, l *login) error {
	// The secret in the environment is the client's of the API the
	// environment points at: it goes to no other issuer, as a login goes
	// to no other API (loginUser).
	if want := a.issuer(); l.Issuer != want {
		return fmt.Errorf("the login is for %s, not %s, and this environment's client secret is not sent to another issuer: run kryptos logout with the environment the login was made in", l.Issuer, want)
	}
	secret := ""
	if l.SecretEnv != "" {
		secret = a.getenv(l.SecretEnv)
	}
	if secret == "" {
		return fmt.Errorf("revoking needs the OAuth client secret in %s", cmp.Or(l.SecretEnv, "the environment"))
	}
	auth, err := oauth.New(oauth.Config{Provider: oauth.KryptosAt(l.Issuer), ClientID: l.ClientID, ClientSecret: secret, Native: true})
	if err != nil {
		return err
	}
	token, hint := l.Token.RefreshToken, "refresh_token"
	if token == "" {
		token, hint = l.Token.AccessToken, "access_token"
	}
	return auth.Revoke(ctx, token, hint)
}

// loginUser returns the data API handle of the developer who signed in with
// kryptos login: the data commands' credential when no access token is in
// the environment.
func (a *app) loginUser() (*kryptos.UserClient, error) {
	path, err := a.tokenPath()
	if err != nil {
		return nil, err
	}
	l, err := readLogin(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("no access token: set the environment variable %s to the user's access token, or sign in with kryptos login", a.accessTokenEnv)
	}
	if err != nil {
		return nil, usageError{err}
	}
	// A token goes only to the API of its issuer: a login at a sandbox is
	// not sent to the live API, nor the reverse.
	if want := a.issuer(); l.Issuer != want {
		return nil, usagef("the login in %s is for %s, not %s: run kryptos login for this API, or set %s", path, l.Issuer, want, a.accessTokenEnv)
	}
	secret := ""
	if l.SecretEnv != "" {
		secret = a.getenv(l.SecretEnv)
	}
	if secret == "" {
		// Refreshing needs the client secret; the access token serves
		// without it while it lasts.
		if !l.Token.Valid() {
			return nil, usagef("your login expired, and refreshing it needs the OAuth client secret: set %s, or run kryptos login again", cmp.Or(l.SecretEnv, "KRYPTOS_OAUTH_CLIENT_SECRET"))
		}
		return kryptos.NewUserClient(kryptos.AccessToken(l.Token.AccessToken), a.options()...)
	}
	auth, err := oauth.New(oauth.Config{Provider: oauth.KryptosAt(l.Issuer), ClientID: l.ClientID, ClientSecret: secret, Native: true})
	if err != nil {
		return nil, err
	}
	store := &tokenFile{path: path, login: *l}
	ts := auth.TokenSource(a.ctx, store, oauth.WithRefreshLock(newFileLock(path)))
	return kryptos.NewUserClient(kryptos.TokenSource(loginSource{ts}), a.options()...)
}

// loginSource says what to do when the saved login can no longer be
// refreshed. It passes on what kryptos.TokenSource asks of an
// oauth.TokenSource: the call's context, and a 401's refused token, so
// that a token the API ends before its saved expiry is refreshed and the
// call sent once more (OAUTH.md: "refresh, then retry once").
type loginSource struct{ ts *oauth.TokenSource }

func (s loginSource) Token() (*oauth2.Token, error) { return s.explain(s.ts.Token()) }

func (s loginSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	return s.explain(s.ts.TokenContext(ctx))
}

func (s loginSource) TokenRefused(accessToken string) { s.ts.TokenRefused(accessToken) }

func (s loginSource) explain(tok *oauth2.Token, err error) (*oauth2.Token, error) {
	var apiErr *kryptos.Error
	switch {
	case err == nil:
		return tok, nil
	case errors.Is(err, kryptos.ErrInvalidGrant) && errors.As(err, &apiErr):
		return nil, advised{fmt.Sprintf("your login has ended (%s): run kryptos login again", oneLine(apiErr.Message)), err}
	case errors.Is(err, oauth.ErrNoRefreshToken):
		return nil, advised{"your login expired and has no refresh token: run kryptos login again", err}
	}
	return nil, err
}
