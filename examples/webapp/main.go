// Command webapp is a small web app that connects its users' crypto accounts
// with the Kryptos Connect widget (Web SDK) and shows their holdings: the
// page loads the widget script, the widget's generateLinkToken and
// onConnectSuccess call a connecthttp.Handler mounted at /api/kryptos/, the
// connections are kept sealed in SQLite (connecthttp.SQLStore over
// modernc.org/sqlite), and the holdings are read server-side with the
// user's stored grant.
//
//	go run .                      # embedded sandbox, database in a temp dir
//	go run . -addr 127.0.0.1:8080 -db ./webapp.db
//
// By default it starts the embedded sandbox (kryptostest), whose stand-in
// widget script the page loads, and prints the URL to open. To use a
// running sandbox program (kryptos sandbox, from cmd/kryptos) instead, set
// KRYPTOS_SANDBOX_URL, KRYPTOS_CLIENT_ID and KRYPTOS_CLIENT_SECRET.
//
// Sign-in is simulated: the page asks for a name and keeps it in the
// webapp_user cookie, which every route trusts as the signed-in user. A real
// app uses its own sessions instead (connecthttp.Config.UserID).
//
// Access tokens are sealed under KRYPTOS_WEBAPP_KEY (32 bytes, standard
// base64; its id in KRYPTOS_WEBAPP_KEY_ID, default "env"). Without it the
// app generates a key for this run only, so connections stored in a -db
// file by an earlier run cannot be opened: connect again, or set the key.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	_ "modernc.org/sqlite"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/connecthttp"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	dbPath := flag.String("db", "", "SQLite database file (default: a new one in a temp dir, removed at exit)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*addr, *dbPath, log); err != nil {
		log.Error("webapp", "err", err)
		os.Exit(1)
	}
}

func run(addr, dbPath string, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var client *kryptos.Client
	var script string
	if url := os.Getenv("KRYPTOS_SANDBOX_URL"); url != "" {
		var err error
		client, err = kryptos.NewClient(os.Getenv("KRYPTOS_CLIENT_ID"), os.Getenv("KRYPTOS_CLIENT_SECRET"),
			kryptos.WithSandbox(url), kryptos.WithLogger(log))
		if err != nil {
			return fmt.Errorf("configuring the Kryptos client: %w", err)
		}
		script = url + "/widget/sdk.js"
	} else {
		sandbox := kryptostest.NewServer()
		defer sandbox.Close()
		client = sandbox.Client(kryptos.WithLogger(log))
		script = sandbox.WidgetScriptURL()
	}

	if dbPath == "" {
		dir, err := os.MkdirTemp("", "kryptos-webapp-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "webapp.db")
	}
	db, err := openDB(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()

	keys, err := keyringFromEnv(log)
	if err != nil {
		return err
	}
	h, err := newApp(ctx, config{Client: client, DB: db, Keys: keys, WidgetScriptURL: script, Logger: log})
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	// ListenAndServe returns as soon as Shutdown starts; the requests in
	// flight (an exchange whose grant is about to be stored) still need the
	// database and the client, which the deferred calls above close. So run
	// returns only once Shutdown has let them finish.
	shutdownErr := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdownErr <- srv.Shutdown(shutdown)
	}()
	fmt.Printf("Open http://%s/ (database %s, widget script %s)\n", addr, dbPath, script)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if err := <-shutdownErr; err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// openDB opens (creating it if need be) the SQLite database at path. WAL and
// a busy timeout let the handler's concurrent requests write without
// "database is locked".
func openDB(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}

// keyringFromEnv returns the keyring of KRYPTOS_WEBAPP_KEY, or of a key
// generated for this run.
func keyringFromEnv(log *slog.Logger) (*connecthttp.Keyring, error) {
	if b64 := os.Getenv("KRYPTOS_WEBAPP_KEY"); b64 != "" {
		secret, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, errors.New("KRYPTOS_WEBAPP_KEY must be 32 bytes in standard base64 (openssl rand -base64 32)")
		}
		id := os.Getenv("KRYPTOS_WEBAPP_KEY_ID")
		if id == "" {
			id = "env"
		}
		return connecthttp.NewKeyring(connecthttp.Key{ID: id, Secret: secret})
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	// A new id per run: a row sealed by an earlier run then fails with
	// ErrUnknownKey, not with a decryption error.
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	log.Warn("KRYPTOS_WEBAPP_KEY is not set: sealing access tokens under a key generated for this run only")
	return connecthttp.NewKeyring(connecthttp.Key{ID: "run-" + hex.EncodeToString(id), Secret: secret})
}

// config is what the app needs.
type config struct {
	// Client calls Kryptos with the app's client credentials.
	Client *kryptos.Client
	// DB is a SQLite database; newApp creates the store's table in it.
	DB *sql.DB
	// Keys seal the stored access tokens.
	Keys *connecthttp.Keyring
	// WidgetScriptURL is the widget script the page loads: the sandbox's
	// stand-in for @kryptos_connect/web-sdk.
	WidgetScriptURL string
	// Logger receives what went wrong; nothing when nil.
	Logger *slog.Logger
}

// app serves the page, the simulated sign-in, the holdings and the
// connecthttp routes.
type app struct {
	client *kryptos.Client
	store  *connecthttp.SQLStore
	script string
	log    *slog.Logger
}

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Parse(pageHTML))

// userCookie holds the simulated signed-in user's name.
const userCookie = "webapp_user"

var userName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,40}$`)

// newApp returns the app's handler, with the store's table created in
// cfg.DB.
func newApp(ctx context.Context, cfg config) (http.Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	store, err := connecthttp.NewSQLStore(cfg.DB, cfg.Keys)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		return nil, err
	}
	a := &app{client: cfg.Client, store: store, script: cfg.WidgetScriptURL, log: cfg.Logger}
	api, err := connecthttp.New(connecthttp.Config{Client: cfg.Client, Store: store, UserID: a.userID, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.page)
	mux.HandleFunc("POST /signin", a.signIn)
	mux.HandleFunc("POST /signout", a.signOut)
	mux.HandleFunc("GET /holdings", a.holdings)
	mux.Handle("/api/kryptos/", http.StripPrefix("/api/kryptos", api))
	// The sign-in form is the app's own; refuse it from other sites too.
	return http.NewCrossOriginProtection().Handler(mux), nil
}

// userID is the simulated signed-in user, or "".
func (a *app) userID(r *http.Request) (string, error) {
	c, err := r.Cookie(userCookie)
	if err != nil || !userName.MatchString(c.Value) {
		return "", nil
	}
	return c.Value, nil
}

func (a *app) page(w http.ResponseWriter, r *http.Request) {
	user, _ := a.userID(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The client ID is public: the widget's init needs it (the secret never
	// reaches the page).
	data := map[string]string{"User": user, "WidgetScriptURL": a.script, "ClientID": a.client.ClientID()}
	if err := page.Execute(w, data); err != nil {
		a.log.Error("webapp: rendering the page", "err", err)
	}
}

func (a *app) signIn(w http.ResponseWriter, r *http.Request) {
	name := r.PostFormValue("user")
	if !userName.MatchString(name) {
		http.Error(w, "a name is 1 to 40 letters, digits, '.', '_' or '-'", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: userCookie, Value: name, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) signOut(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: userCookie, Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// holdingRow is one line of the page's holdings table.
type holdingRow struct {
	Symbol   string  `json:"symbol"`
	Name     string  `json:"name"`
	Quantity float64 `json:"quantity"`
	Value    float64 `json:"value"`
	Currency string  `json:"currency"`
}

// maxHoldings caps the table; the page is a demo, not a portfolio tracker.
const maxHoldings = 50

// GET /holdings: the signed-in user's holdings, read with their stored
// grant; {"connected": false} when they have none or it stopped working.
func (a *app) holdings(w http.ResponseWriter, r *http.Request) {
	user, _ := a.userID(r)
	if user == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{"code": connecthttp.CodeNotSignedIn, "message": "sign in first"}})
		return
	}
	conn, err := a.store.Get(r.Context(), user)
	switch {
	case errors.Is(err, connecthttp.ErrNoConnection), errors.Is(err, connecthttp.ErrUnreadable):
		writeJSON(w, http.StatusOK, map[string]any{"connected": false})
		return
	case err != nil:
		a.unavailable(w, "reading the stored connection", err)
		return
	}
	rows := []holdingRow{}
	for h, err := range a.client.User(conn.Credential()).ListHoldings(r.Context(), kryptos.HoldingsParams{Limit: maxHoldings}) {
		if errors.Is(err, kryptos.ErrUnauthorized) {
			// Revoked or expired: the user can connect again.
			writeJSON(w, http.StatusOK, map[string]any{"connected": false})
			return
		}
		if err != nil {
			a.unavailable(w, "listing holdings", err)
			return
		}
		rows = append(rows, holdingRow{Symbol: h.Asset.Symbol, Name: h.Asset.PublicName, Quantity: h.TotalQuantity,
			Value: h.MarketValue, Currency: h.BaseCurrency})
		if len(rows) == maxHoldings {
			break
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"connected": true, "holdings": rows})
}

// unavailable logs err (SDK errors hold no secret) and answers without it.
func (a *app) unavailable(w http.ResponseWriter, what string, err error) {
	a.log.Error("webapp: "+what, "err", err)
	writeJSON(w, http.StatusBadGateway, map[string]any{"error": map[string]string{"code": connecthttp.CodeUnavailable, "message": "try again later"}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
