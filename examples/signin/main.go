// Command signin is a small web app with "Sign in with Kryptos": a sign-in
// button, the callback (with a friendly page when the user declines), and a
// profile page that shows the verified ID token, the provider's UserInfo and
// the user's holdings, read from the data API with the user's OAuth token.
// A refresh button forces a token refresh and shows the new expiry.
//
// With no environment it starts the embedded sandbox (kryptostest) as both
// the OpenID Connect provider and the data API, with a user whose Ethereum
// wallet is already connected, and needs no network and no credentials:
//
//	cd examples/signin && go run .
//	# open the URL it prints, click "Sign in with Kryptos", then Allow
//
// With KRYPTOS_CLIENT_ID and KRYPTOS_CLIENT_SECRET it signs users in with
// Kryptos itself; register http://127.0.0.1:8080/auth/callback (or the
// -addr you choose) as the client's redirect URI.
//
// Sessions live in memory: a cookie names a session, which holds the user's
// tokens in an oauth.MemoryStore. A real app keeps them encrypted in its
// database (an oauth.TokenStore of its own).
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
	"github.com/kryptos-connect/kryptos-go/oauth"
)

// sandboxEmail is the user the sandbox's consent page offers by default; the
// sandbox connects a wallet for it at start, so that its profile has
// holdings to show.
const sandboxEmail = "alex@example.com"

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "the address to serve the app on")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "signin:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	cfg, closeBackend, err := backend(base)
	if err != nil {
		return err
	}
	defer closeBackend()
	h, err := newApp(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("Open %s/ and click \"Sign in with Kryptos\".\n", base)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	// Ctrl+C or SIGTERM: stop taking requests, let those in flight finish,
	// then close the backend (the deferred call above).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdownErr := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdownErr <- srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-shutdownErr
}

// backend returns the app's configuration for the app served at base: the
// embedded sandbox, or Kryptos when the environment has credentials.
func backend(base string) (appConfig, func(), error) {
	stateKey := make([]byte, 32)
	_, _ = rand.Read(stateKey)
	auth := oauth.Config{RedirectURL: base + "/auth/callback", StateKey: stateKey}

	if id, secret := os.Getenv("KRYPTOS_CLIENT_ID"), os.Getenv("KRYPTOS_CLIENT_SECRET"); id != "" || secret != "" {
		data, err := kryptos.NewClient(id, secret, kryptos.WithUserAgent("kryptos-signin-example"))
		if err != nil {
			return appConfig{}, nil, err
		}
		auth.ClientID, auth.ClientSecret = id, secret
		return appConfig{Auth: auth, Data: data}, func() {}, nil
	}

	srv := kryptostest.NewServer()
	cfg, err := sandboxConfig(srv, auth)
	if err != nil {
		srv.Close()
		return appConfig{}, nil, err
	}
	fmt.Printf("Using the embedded Kryptos sandbox at %s as the sign-in provider and the data API.\n", srv.URL)
	fmt.Printf("(Set KRYPTOS_CLIENT_ID and KRYPTOS_CLIENT_SECRET to sign in with Kryptos itself.)\n")
	return cfg, srv.Close, nil
}

// sandboxConfig completes auth (RedirectURL and StateKey set) with the
// sandbox srv as the provider and the data API, and gives the sandbox a
// user to sign in as.
func sandboxConfig(srv *kryptostest.Server, auth oauth.Config) (appConfig, error) {
	if err := seedSandboxUser(srv, sandboxEmail); err != nil {
		return appConfig{}, err
	}
	// The sandbox takes any absolute redirect URI for its client: there is
	// nothing to register.
	auth.Provider = oauth.KryptosAt(srv.Issuer())
	auth.ClientID, auth.ClientSecret = srv.ClientID, srv.ClientSecret
	return appConfig{Auth: auth, Data: srv.Client(kryptos.WithUserAgent("kryptos-signin-example"))}, nil
}

// seedSandboxUser makes email a sandbox user with a connected Ethereum
// wallet, as if they had linked it in the widget earlier: signing in as
// email then finds the same user, with holdings.
func seedSandboxUser(srv *kryptostest.Server, email string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := srv.Client()
	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.DefaultScopes()})
	if err != nil {
		return fmt.Errorf("seed the sandbox user: create a link token: %w", err)
	}
	_, err = srv.CompleteLink(lt.Token, kryptostest.LinkUser{Email: email, Wallets: []kryptostest.Wallet{
		{Provider: "ethereum", Address: kryptostest.EthereumTestAddress, Alias: "Main wallet"},
	}})
	if err != nil {
		return fmt.Errorf("seed the sandbox user: connect a wallet: %w", err)
	}
	return nil
}

// appConfig is what the app needs: how to sign users in (Auth.RedirectURL
// must be the app's /auth/callback), and the data API to read their
// holdings from.
type appConfig struct {
	Auth oauth.Config
	Data *kryptos.Client
}

// sessionCookie names the cookie that holds a browser's session id.
const sessionCookie = "signin_session"

type app struct {
	auth *oauth.Client
	data *kryptos.Client

	mu       sync.Mutex
	sessions map[string]*session
}

// session is one signed-in browser.
type session struct {
	idToken *oauth.IDToken
	scopes  kryptos.Scopes
	// store keeps the user's tokens; every TokenSource of the session
	// loads from it and saves each rotated refresh token to it.
	store *oauth.MemoryStore
	// lock makes the session's refreshes go one at a time, so that two
	// requests never spend the same refresh token.
	lock refreshLock
}

// newApp returns the app's handler.
func newApp(cfg appConfig) (http.Handler, error) {
	if cfg.Data == nil {
		return nil, errors.New("signin: appConfig.Data is nil: give the kryptos.Client of the data API")
	}
	auth, err := oauth.New(cfg.Auth)
	if err != nil {
		return nil, err
	}
	a := &app{auth: auth, data: cfg.Data, sessions: map[string]*session{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.Handle("GET /auth/signin", auth.SignInHandler())
	mux.Handle("GET /auth/callback", auth.CallbackHandler(a.signedIn, a.signInFailed))
	mux.HandleFunc("GET /profile", a.profile)
	mux.HandleFunc("POST /refresh", a.refresh)
	mux.HandleFunc("POST /signout", a.signOut)
	// The forms post to the app itself: a POST from another site (a
	// page that signs the user out, or refreshes their token) is refused.
	// SameSite=Lax keeps the session cookie from such a POST, but not the
	// Set-Cookie of its answer, which clears it.
	return http.NewCrossOriginProtection().Handler(mux), nil
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	if a.session(r) != nil {
		http.Redirect(w, r, "/profile", http.StatusFound)
		return
	}
	render(w, http.StatusOK, "home", nil)
}

// signedIn starts a session for the user who just signed in.
func (a *app) signedIn(w http.ResponseWriter, r *http.Request, in *oauth.SignIn) {
	if in.IDToken == nil {
		renderError(w, http.StatusBadGateway, "The provider sent no ID token, so the app cannot tell who signed in.")
		return
	}
	id := randomID()
	a.mu.Lock()
	a.sessions[id] = &session{idToken: in.IDToken, scopes: in.Scopes, store: oauth.NewMemoryStore(in.Token), lock: make(refreshLock, 1)}
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/profile", http.StatusFound)
}

// signInFailed explains a callback that did not sign anyone in.
func (a *app) signInFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, kryptos.ErrAccessDenied):
		render(w, http.StatusOK, "declined", nil)
	case errors.Is(err, oauth.ErrState) && a.session(r) != nil:
		// A signed-in user who went Back to the consent page and allowed
		// again, or reloaded the callback: they are signed in already.
		http.Redirect(w, r, "/profile", http.StatusFound)
	case errors.Is(err, oauth.ErrState):
		renderError(w, http.StatusBadRequest, "This sign-in expired, was already used, or was started in another browser. Please sign in again.")
	default:
		log.Printf("signin: callback: %v", err)
		renderError(w, http.StatusBadGateway, "Kryptos could not sign you in: "+err.Error())
	}
}

// profileView is what the profile page shows.
type profileView struct {
	IDToken   *oauth.IDToken
	Claims    []claim
	Scopes    kryptos.Scopes
	UserInfo  *oauth.UserInfo
	Portfolio *kryptos.Portfolio
	Holdings  []kryptos.Holding
	Total     *float64
	Expiry    string
	Refreshed bool
	// Problems are the parts of the page that could not be read.
	Problems []string
}

type claim struct{ Name, Value string }

// claimValue shows a claim as JSON sent it, without the exponent that
// fmt gives the large numbers of exp and iat.
func claimValue(v any) string {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	return fmt.Sprint(v)
}

func (a *app) profile(w http.ResponseWriter, r *http.Request) {
	s := a.session(r)
	if s == nil {
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	ctx := r.Context()
	ts := a.tokens(ctx, s)
	v := profileView{IDToken: s.idToken, Scopes: s.scopes, Refreshed: r.URL.Query().Get("refreshed") == "1"}
	for _, name := range slices.Sorted(maps.Keys(s.idToken.Claims)) {
		v.Claims = append(v.Claims, claim{name, claimValue(s.idToken.Claims[name])})
	}
	problem := func(what string, err error) { v.Problems = append(v.Problems, what+": "+err.Error()) }

	var err error
	if v.UserInfo, err = a.auth.UserInfo(ctx, ts); err != nil {
		problem("UserInfo", err)
	}
	user := a.data.User(kryptos.TokenSource(ts))
	if v.Portfolio, err = user.GetDefaultPortfolio(ctx); err != nil {
		problem("default portfolio", err)
	}
	page, err := user.ListHoldingsPage(ctx, kryptos.HoldingsParams{SortBy: kryptos.HoldingsByValue, SortOrder: kryptos.HoldingsDescending, Limit: 20})
	if err != nil {
		problem("holdings", err)
	} else {
		v.Holdings, v.Total = page.Items, page.Summary.TotalValue
	}
	if tok, err := s.store.Load(ctx); err == nil && tok != nil {
		v.Expiry = formatExpiry(tok.Expiry)
	}
	render(w, http.StatusOK, "profile", v)
}

// refresh forces a refresh of the session's token, however fresh it is,
// through a TokenSource that refreshes any token expiring before the
// current one does (plus a minute).
func (a *app) refresh(w http.ResponseWriter, r *http.Request) {
	s := a.session(r)
	if s == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	cur, err := s.store.Load(ctx)
	if err != nil || cur == nil {
		renderError(w, http.StatusInternalServerError, "The session holds no token: please sign in again.")
		return
	}
	ahead := time.Until(cur.Expiry) + time.Minute
	if _, err := a.auth.TokenSource(ctx, s.store, oauth.WithRefreshLock(s.lock), oauth.WithRefreshAhead(ahead)).TokenContext(ctx); err != nil {
		log.Printf("signin: refresh: %v", err)
		renderError(w, http.StatusBadGateway, "The token could not be refreshed: "+err.Error())
		return
	}
	http.Redirect(w, r, "/profile?refreshed=1", http.StatusSeeOther)
}

func (a *app) signOut(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, ck.Value)
		a.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// session returns the session of the request's browser, or nil.
func (a *app) session(r *http.Request) *session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sessions[ck.Value]
}

// tokens returns a token source of the session for one request. Each
// loads the latest token from the session's store, and the session's lock
// keeps two requests from refreshing at once.
func (a *app) tokens(ctx context.Context, s *session) *oauth.TokenSource {
	return a.auth.TokenSource(ctx, s.store, oauth.WithRefreshLock(s.lock))
}

// refreshLock is an oauth.RefreshLock within one process: a channel with
// room for one holder.
type refreshLock chan struct{}

func (l refreshLock) Lock(ctx context.Context) (func(), error) {
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// formatExpiry shows an expiry to the millisecond, so that a refresh within
// the same second still shows a new one.
func formatExpiry(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000 MST")
}

func render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		log.Printf("signin: render %s: %v", name, err)
	}
}

func renderError(w http.ResponseWriter, status int, message string) {
	render(w, status, "error", message)
}

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"money": func(v float64, currency string) string { return fmt.Sprintf("%.2f %s", v, currency) },
	"qty":   func(v float64) string { return fmt.Sprintf("%.6g", v) },
	"when":  formatExpiry,
}).Parse(pageTemplates))

const pageTemplates = `
{{define "top"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · Kryptos sign-in example</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1d2130; margin: 0; }
  main { max-width: 46rem; margin: 2.5rem auto; background: #fff; border-radius: 12px; padding: 2rem 2.2rem; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  h1 { font-size: 1.5rem; margin-top: 0; }
  h2 { font-size: 1.1rem; margin: 1.8rem 0 .6rem; }
  table { border-collapse: collapse; width: 100%; font-size: .92rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e6e7ec; vertical-align: top; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  th { color: #5b6075; font-weight: 600; }
  .button { font: inherit; display: inline-block; background: #3355ff; color: #fff; border: 0; border-radius: 6px; padding: .7rem 1.3rem; font-size: 1rem; text-decoration: none; cursor: pointer; }
  .button.quiet { background: #e8e9ee; color: #1d2130; }
  .row { display: flex; gap: .8rem; align-items: center; flex-wrap: wrap; }
  .note { background: #eef7ee; border-radius: 6px; padding: .6rem .8rem; }
  .problem { background: #fdeeee; border-radius: 6px; padding: .6rem .8rem; }
  code { font-size: .85rem; }
  .muted { color: #5b6075; font-size: .9rem; }
</style>
</head>
<body>
<main>
{{end}}

{{define "bottom"}}</main>
</body>
</html>
{{end}}

{{define "home"}}{{template "top" "Welcome"}}
<h1>Kryptos sign-in example</h1>
<p>Sign in with your Kryptos account to see your profile and your holdings.</p>
<p><a id="signin" class="button" href="/auth/signin">Sign in with Kryptos</a></p>
{{template "bottom"}}{{end}}

{{define "declined"}}{{template "top" "Sign-in declined"}}
<h1 id="declined">You declined</h1>
<p>You chose not to share your Kryptos account with this app, so you are not signed in. Nothing was shared.</p>
<p>Changed your mind? <a id="again" class="button quiet" href="/auth/signin">Sign in with Kryptos</a></p>
{{template "bottom"}}{{end}}

{{define "error"}}{{template "top" "Sign-in failed"}}
<h1 id="error">Something went wrong</h1>
<p class="problem" id="message">{{.}}</p>
<p><a class="button quiet" href="/">Back to the start</a></p>
{{template "bottom"}}{{end}}

{{define "profile"}}{{template "top" "Profile"}}
<h1>Hello, {{with .UserInfo}}{{or .Name .Email}}{{else}}{{or .IDToken.Name .IDToken.Email}}{{end}}</h1>
{{if .Refreshed}}<p class="note" id="refreshed">The access token was refreshed.</p>{{end}}
{{range .Problems}}<p class="problem">{{.}}</p>{{end}}
<table>
  <tr><th>Email</th><td id="email">{{.IDToken.Email}}{{if .IDToken.EmailVerified}} (verified){{end}}</td></tr>
  <tr><th>Subject</th><td><code>{{.IDToken.Subject}}</code></td></tr>
  <tr><th>Scopes granted</th><td>{{range $i, $s := .Scopes}}{{if $i}}, {{end}}{{$s}}{{end}}</td></tr>
  <tr><th>Access token expires</th><td id="expiry">{{.Expiry}}</td></tr>
</table>
<form class="row" method="post" style="margin-top: 1rem">
  <button id="refresh" class="button" formaction="/refresh">Refresh the token now</button>
  <button id="signout" class="button quiet" formaction="/signout">Sign out</button>
</form>

<h2>Holdings{{with .Portfolio}} <span class="muted">(default portfolio: <span id="portfolio">{{.Name}}</span>)</span>{{end}}</h2>
{{if .Holdings}}
<table id="holdings">
  <tr><th>Asset</th><th class="num">Quantity</th><th class="num">Price</th><th class="num">Value</th></tr>
  {{range .Holdings}}<tr><td>{{.Asset.PublicName}} <span class="muted">{{.Asset.Symbol}}</span></td><td class="num">{{qty .TotalQuantity}}</td><td class="num">{{money .MarketPrice .BaseCurrency}}</td><td class="num">{{money .MarketValue .BaseCurrency}}</td></tr>
  {{end}}{{with .Total}}<tr><th>Total</th><td></td><td></td><th class="num" id="total">{{money . (index $.Holdings 0).BaseCurrency}}</th></tr>{{end}}
</table>
{{else}}<p class="muted" id="holdings">No holdings yet: connect a wallet or an exchange in Kryptos.</p>{{end}}

<h2>UserInfo</h2>
{{with .UserInfo}}<table id="userinfo">
  <tr><th>Name</th><td>{{.Name}}</td></tr>
  <tr><th>Email</th><td>{{.Email}}</td></tr>
  {{with .PreferredUsername}}<tr><th>Username</th><td>{{.}}</td></tr>{{end}}
  {{with .Language}}<tr><th>Language</th><td>{{.}}</td></tr>{{end}}
  <tr><th>Access</th><td>{{range $k, $v := .Access}}{{if $v}}{{$k}} {{end}}{{end}}</td></tr>
</table>{{end}}

<h2>ID token claims</h2>
<table id="claims">
  {{range .Claims}}<tr><th><code>{{.Name}}</code></th><td><code>{{.Value}}</code></td></tr>
  {{end}}
</table>
<p class="muted">Issued {{when .IDToken.IssuedAt}} by {{.IDToken.Issuer}}.</p>
{{template "bottom"}}{{end}}
`
