package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httputil"
	"net/url"
	"syscall"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/connecthttp"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

func testKey(id string, b byte) connecthttp.Key {
	return connecthttp.Key{ID: id, Secret: bytes.Repeat([]byte{b}, 32)}
}

func testDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := openDB(filepath.Join(t.TempDir(), "webapp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func sqlStore(t *testing.T, db *sql.DB, primary connecthttp.Key, older ...connecthttp.Key) *connecthttp.SQLStore {
	t.Helper()
	keys, err := connecthttp.NewKeyring(primary, older...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := connecthttp.NewSQLStore(db, keys)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSQLStoreOverSQLite runs connecthttp.SQLStore against a real SQLite
// database (connecthttp's own tests have no SQL driver): save, load,
// replace, rotate the key and reseal, delete.
func TestSQLStoreOverSQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testDB(t)
	k1, k2 := testKey("2026-01", 1), testKey("2026-11", 2)
	store := sqlStore(t, db, k1)

	at := time.Date(2026, 11, 2, 10, 30, 0, 123e6, time.UTC)
	conn := func(n string) connecthttp.Connection {
		return connecthttp.Connection{AccessToken: kryptos.NewSecret("cat_token_" + n), GrantID: "cgrant_" + n,
			WorkspaceID: "ws_" + n, Scopes: kryptos.DefaultScopes(), ConnectedAt: at}
	}
	for _, u := range []string{"alice", "bob"} {
		if err := store.Put(ctx, u, conn(u)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.Get(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken.Reveal() != "cat_token_alice" || got.GrantID != "cgrant_alice" || got.WorkspaceID != "ws_alice" ||
		got.Scopes.String() != kryptos.DefaultScopes().String() || !got.ConnectedAt.Equal(at) {
		t.Fatalf("Get(alice) = %+v, want what was put", got)
	}
	var sealed string
	if err := db.QueryRow(`SELECT sealed_token FROM kryptos_connections WHERE user_id = 'alice'`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "cat_token") {
		t.Fatalf("the access token is stored in clear: %q", sealed)
	}
	if _, err := store.Get(ctx, "carol"); !errors.Is(err, connecthttp.ErrNoConnection) {
		t.Fatalf("Get(carol) = %v, want ErrNoConnection", err)
	}

	// A sealed token is bound to its row: copied to another user, it does not open.
	if _, err := db.Exec(`INSERT INTO kryptos_connections SELECT 'mallory', key_id, sealed_token, grant_id, workspace_id, scopes, connected_at
		FROM kryptos_connections WHERE user_id = 'alice'`); err != nil {
		t.Fatal(err)
	}
	if c, err := store.Get(ctx, "mallory"); err == nil || errors.Is(err, connecthttp.ErrNoConnection) {
		t.Fatalf("Get(mallory) with alice's sealed token = %v, %v; want a decryption error", c, err)
	}
	if err := store.Delete(ctx, "mallory"); err != nil {
		t.Fatal(err)
	}

	// Put replaces.
	next := conn("alice2")
	if err := store.Put(ctx, "alice", next); err != nil {
		t.Fatal(err)
	}
	if got, err := store.Get(ctx, "alice"); err != nil || got.AccessToken.Reveal() != "cat_token_alice2" || got.GrantID != "cgrant_alice2" {
		t.Fatalf("Get(alice) after a second Put = %+v, %v", got, err)
	}

	// Rotate: k2 seals, k1 still opens; Reseal moves every row to k2.
	rotated := sqlStore(t, db, k2, k1)
	if got, err := rotated.Get(ctx, "bob"); err != nil || got.AccessToken.Reveal() != "cat_token_bob" {
		t.Fatalf("Get(bob) under the rotated keyring = %+v, %v", got, err)
	}
	if n, err := rotated.Reseal(ctx); err != nil || n != 2 {
		t.Fatalf("Reseal = %d, %v; want 2 rows", n, err)
	}
	if n, err := rotated.Reseal(ctx); err != nil || n != 0 {
		t.Fatalf("second Reseal = %d, %v; want 0 rows", n, err)
	}
	onlyNew := sqlStore(t, db, k2)
	for _, u := range []string{"alice", "bob"} {
		if _, err := onlyNew.Get(ctx, u); err != nil {
			t.Fatalf("Get(%s) with the old key dropped: %v", u, err)
		}
	}
	got, err = store.Get(ctx, "bob")
	if !errors.Is(err, connecthttp.ErrUnknownKey) || !errors.Is(err, connecthttp.ErrUnreadable) {
		t.Fatalf("Get(bob) with only the old key = %v, want ErrUnknownKey and ErrUnreadable", err)
	}
	if got == nil || got.GrantID != "cgrant_bob" || got.AccessToken.Reveal() != "" {
		t.Fatalf("Get(bob) with only the old key = %+v; want the grant still named, without the token", got)
	}

	// A row under a key the keyring no longer has does not stop Reseal:
	// every other row is resealed, and the stuck one is reported.
	stray, k3 := testKey("run-1", 9), testKey("2027-01", 3)
	if err := sqlStore(t, db, stray).Put(ctx, "ghost", conn("ghost")); err != nil {
		t.Fatal(err)
	}
	n, err := sqlStore(t, db, k3, k2).Reseal(ctx)
	if n != 2 || !errors.Is(err, connecthttp.ErrUnreadable) {
		t.Fatalf("Reseal past an unreadable row = %d, %v; want 2 rows and ErrUnreadable", n, err)
	}
	for _, u := range []string{"alice", "bob"} {
		if _, err := sqlStore(t, db, k3).Get(ctx, u); err != nil {
			t.Fatalf("Get(%s) after Reseal past an unreadable row: %v", u, err)
		}
	}
	if err := store.Delete(ctx, "ghost"); err != nil {
		t.Fatal(err)
	}
	onlyNew = sqlStore(t, db, k3)

	// Concurrent writers: WAL and the busy timeout keep SQLite from "database is locked".
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			u := "user" + string(rune('a'+i))
			if err := onlyNew.Put(ctx, u, conn(u)); err != nil {
				errs <- err
				return
			}
			if _, err := onlyNew.Get(ctx, u); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if err := onlyNew.Delete(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := onlyNew.Get(ctx, "alice"); !errors.Is(err, connecthttp.ErrNoConnection) {
		t.Fatalf("Get(alice) after Delete = %v, want ErrNoConnection", err)
	}
	if err := onlyNew.Delete(ctx, "alice"); err != nil {
		t.Fatalf("deleting a missing connection: %v", err)
	}
}

// webapp is the app under test, on loopback, with its own sandbox.
type webapp struct {
	sandbox *kryptostest.Server
	url     string
	// calls counts the requests the app received, by "METHOD path".
	mu    sync.Mutex
	calls map[string]int
}

func (a *webapp) count(route string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[route]
}

func startApp(t *testing.T) *webapp {
	t.Helper()
	sandbox := kryptostest.NewServer()
	t.Cleanup(sandbox.Close)
	keys, err := connecthttp.NewKeyring(testKey("test", 7))
	if err != nil {
		t.Fatal(err)
	}
	h, err := newApp(context.Background(), config{Client: sandbox.Client(), DB: testDB(t), Keys: keys,
		WidgetScriptURL: sandbox.WidgetScriptURL()})
	if err != nil {
		t.Fatal(err)
	}
	a := &webapp{sandbox: sandbox, calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.calls[r.Method+" "+r.URL.Path]++
		a.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

const (
	exchangeRoute  = "POST /api/kryptos/exchange-token"
	linkTokenRoute = "POST /api/kryptos/create-link-token"
)

func TestThePageAsksForASignInAndTheRoutesForAUser(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	resp, err := http.Get(a.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	_ = resp.Body.Close()
	if !strings.Contains(body.String(), `id="signin"`) || strings.Contains(body.String(), "sdk.js") {
		t.Errorf("the page of a signed-out visitor should ask for a sign-in and not load the widget:\n%s", body.String())
	}
	for _, route := range []string{"/holdings", "/api/kryptos/status"} {
		resp, err := http.Get(a.url + route)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without a user = %d, want 401", route, resp.StatusCode)
		}
	}
}

// browser starts a headless Chromium for one test; the whole test, browser
// included, ends after timeout.
func browser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("these tests drive a real browser: apt-get install chromium (%v)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1000, 760))
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)
	return ctx
}

func browse(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v\nthe page's log:\n%s", err, pageLog(ctx))
	}
}

// pageLog is the page's #log, for failure messages.
func pageLog(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("log") || {}).textContent || ""`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// logSays waits until the page's log holds line.
func logSays(line string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`document.getElementById("log").textContent.split("\n").includes(` + jsString(line) + `)`)
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// signIn signs user in with the page's form and waits for the widget's button.
func signIn(a *webapp, user string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(a.url+"/"),
		chromedp.SendKeys(chromedp.CSS("#signin-user"), user),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitVisible(chromedp.CSS("#kc-connect-button")),
		chromedp.Poll[chromedp.Void](`document.getElementById("status").textContent === "not connected"`),
	)
}

// connectAsGuest goes through the widget as a new Guest user, from the open
// widget to the holdings on the page.
var connectAsGuest = chromedp.Steps(toConsent, chromedp.Click(chromedp.CSS("#kc-allow")), untilConnected)

// toConsent goes from the open widget to its consent screen as a new Guest
// user with the Ethereum test wallet.
var toConsent = chromedp.Steps(
	chromedp.Click(chromedp.CSS("#kc-guest")),
	chromedp.Click(chromedp.CSS("#kc-provider-ethereum")),
	chromedp.Click(chromedp.CSS("#kc-submit")),
	chromedp.WaitVisible(chromedp.CSS("#kc-scopes")),
)

// untilConnected waits, after Allow, for the holdings on the page.
var untilConnected = chromedp.Steps(
	chromedp.WaitNotPresent(chromedp.CSS("#kc-modal")),
	chromedp.WaitVisible(chromedp.CSS("#holdings tbody tr")),
	chromedp.Poll[chromedp.Void](`document.getElementById("status").textContent === "connected"`),
)

func exchanged(t *testing.T, a *webapp, want int) {
	t.Helper()
	st := a.sandbox.Stats()
	if st.TokensExchanged != want || st.ByRoute["POST /token/exchange"] != want {
		t.Errorf("the sandbox exchanged %d public tokens in %d calls, want %d", st.TokensExchanged, st.ByRoute["POST /token/exchange"], want)
	}
}

func TestANewGuestUserConnectsAndSeesHoldings(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	ctx := browser(t, 45*time.Second)
	browse(t, ctx,
		signIn(a, "alice"),
		chromedp.Click(chromedp.CSS("#kc-connect-button")),
		connectAsGuest,
		logSays("generateLinkToken isAuthorized=false"),
		logSays("onConnectSuccess public_token"),
		logSays("exchange-token exchanged=true"),
	)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("#holdings tbody tr")].map(tr => tr.cells[0].textContent)`))
	if err != nil || len(rows) == 0 {
		t.Fatalf("holdings rows = %v, %v", rows, err)
	}
	t.Logf("holdings: %v", rows)
	exchanged(t, a, 1)
	if n := a.count(exchangeRoute); n != 1 {
		t.Errorf("the page posted exchange-token %d times, want 1", n)
	}
	if regexp.MustCompile(`public_[0-9a-f]{8}`).MatchString(pageLog(ctx)) {
		t.Errorf("the page logged a public token:\n%s", pageLog(ctx))
	}

	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(artifactDir(t), "connected.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the connected page: %s (kept with go test -artifacts on Go 1.26+)", shot)
	if os.Getenv("UPDATE_SCREENSHOT") == "1" {
		if err := os.WriteFile(filepath.Join("testdata", "screenshot.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAReturningUserIsAuthorizedAndNotExchangedAgain(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	ctx := browser(t, 45*time.Second)
	browse(t, ctx,
		signIn(a, "bob"),
		chromedp.Click(chromedp.CSS("#kc-connect-button")),
		connectAsGuest,
		// A new visit: the stored grant is in SQLite, the page starts afresh.
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("#holdings tbody tr")),
		chromedp.Click(chromedp.CSS("#kc-connect-button")),
		logSays("generateLinkToken isAuthorized=true"),
		// A returning user skips sign-in and consent: straight to the integrations.
		chromedp.Click(chromedp.CSS("#kc-provider-ethereum")),
		chromedp.Click(chromedp.CSS("#kc-submit")),
		chromedp.WaitNotPresent(chromedp.CSS("#kc-modal")),
		logSays("onConnectSuccess null"),
		logSays("exchange-token exchanged=false"),
		chromedp.WaitVisible(chromedp.CSS("#holdings tbody tr")),
	)
	if strings.Contains(pageLog(ctx), "isAuthorized=false") {
		t.Errorf("the returning visit was not authorized:\n%s", pageLog(ctx))
	}
	exchanged(t, a, 1)
}

func TestClosingTheWidgetReportsAnExitAndExchangesNothing(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	ctx := browser(t, 45*time.Second)
	browse(t, ctx,
		signIn(a, "carol"),
		// The newer API: onConnectError with the dismissal.
		chromedp.Click(chromedp.CSS("#kc-connect-button")),
		chromedp.Click(chromedp.CSS("#kc-close")),
		chromedp.WaitNotPresent(chromedp.CSS("#kc-modal")),
		logSays("onConnectError The user closed the widget"),
		// The older API: onExit with no error.
		chromedp.Click(chromedp.CSS("#connect-older")),
		chromedp.Click(chromedp.CSS("#kc-close")),
		chromedp.WaitNotPresent(chromedp.CSS("#kc-modal")),
		logSays("onExit closed"),
		// The button works again after a dismissal.
		chromedp.Poll[chromedp.Void](`!document.getElementById("kc-connect-button").disabled`),
	)
	if status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#status"))); err != nil || status != "not connected" {
		t.Errorf("status = %q, %v; want not connected", status, err)
	}
	exchanged(t, a, 0)
	if n := a.count(exchangeRoute); n != 0 {
		t.Errorf("the page posted exchange-token %d times, want 0", n)
	}
}

// doubleClick double-clicks where the element matching sel is now, as a
// user does: two clicks at one spot, the second with clickCount 2. The
// spot is taken once, so the second click lands there even when the first
// has already removed or replaced the element (the widget closes as soon
// as Allow answers), where a click aimed at the node itself would fail.
func doubleClick(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		at, err := chromedp.Evaluate[[]float64](`(() => {
			const e = document.querySelector(`+jsString(sel)+`);
			e.scrollIntoView({block: "center"});
			const r = e.getBoundingClientRect();
			return [r.x + r.width / 2, r.y + r.height / 2];
		})()`)(ctx, t)
		if err != nil {
			return fmt.Errorf("finding %s: %w", sel, err)
		}
		if _, err := chromedp.MouseClickXY(at[0], at[1])(ctx, t); err != nil {
			return err
		}
		_, err = chromedp.MouseClickXY(at[0], at[1], chromedp.ClickCount(2))(ctx, t)
		return err
	})
}

func TestDoubleClicksAndADoubleSubmitExchangeOnce(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	ctx := browser(t, 45*time.Second)
	browse(t, ctx, signIn(a, "dave"))
	// The page's exchange-token POST goes out twice at once, as from a
	// frontend that submits twice or a proxy that repeats a request:
	// connecthttp must spend the public token once and answer both.
	browse(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const send = window.fetch;
		window.exchangeStatuses = [];
		window.fetch = (url, init) => {
			if (!String(url).endsWith("/exchange-token")) return send(url, init);
			return Promise.all([send(url, init), send(url, init)]).then(rs => {
				window.exchangeStatuses = rs.map(r => r.status);
				return rs[1];
			});
		};
	})()`))
	browse(t, ctx, doubleClick("#kc-connect-button"), chromedp.WaitVisible(chromedp.CSS("#kc-guest")))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#kc-modal").length`)); err != nil || n != 1 {
		t.Fatalf("%d widgets open after a double click (%v), want 1", n, err)
	}
	// And a double click on Allow: the widget answers once.
	browse(t, ctx, toConsent)
	browse(t, ctx, doubleClick("#kc-allow"), untilConnected, logSays("exchange-token exchanged=true"))
	if n := a.sandbox.Stats().ByRoute["POST /widget/complete"]; n != 1 {
		t.Errorf("the widget sent %d completions after a double click on Allow, want 1", n)
	}
	statuses, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`window.exchangeStatuses`))
	if err != nil || len(statuses) != 2 || statuses[0] != 200 || statuses[1] != 200 {
		t.Errorf("the two exchange-token answers = %v, %v; want 200 twice", statuses, err)
	}
	if n := a.count(linkTokenRoute); n != 1 {
		t.Errorf("create-link-token was called %d times after a double click, want 1", n)
	}
	if n := a.count(exchangeRoute); n != 2 {
		t.Errorf("the app received exchange-token %d times, want 2 (the double submit)", n)
	}
	exchanged(t, a, 1)
}

// TestThePageInitializesTheWidgetWithTheClientID: WIDGET.md gives the
// newer Web SDK's configuration as
// "KryptosConnect.init({ clientId, appName, appLogo?, theme?: ..., language?,
// authMethods?: [...], cssVars? })": clientId and appName are the two
// settings not marked optional. The page must pass the app's client ID (a
// public value; the secret never reaches the browser).
func TestThePageInitializesTheWidgetWithTheClientID(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	req, _ := http.NewRequest(http.MethodGet, a.url+"/", nil)
	req.AddCookie(&http.Cookie{Name: userCookie, Value: "alice"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	init := regexp.MustCompile(`KryptosConnect\.init\(\{[^}]*\}\)`).Find(body)
	if init == nil {
		t.Fatalf("the page does not call KryptosConnect.init:\n%s", body)
	}
	want := regexp.MustCompile(`clientId:\s*"` + regexp.QuoteMeta(a.sandbox.ClientID) + `"`)
	if !want.Match(init) {
		t.Errorf("the page calls %s; want clientId: %q in it", init, a.sandbox.ClientID)
	}
	if regexp.MustCompile(regexp.QuoteMeta(a.sandbox.ClientSecret)).Match(body) {
		t.Error("the page holds the client secret")
	}
}

// TestShutdownFinishesAnInFlightExchange: Ctrl+C (SIGINT) while a
// user's public token is being exchanged. http.Server.Shutdown lets the
// request finish, but run must not close the database under it: the public
// token is single use, so an exchange whose grant is not stored is a
// connection lost for good (API.md §1: "public_token (prefix public_, lives
// 30 min, single use)"; WIDGET.md: "POST /token/exchange once → store
// access_token and grant_id for that user").
func TestShutdownFinishesAnInFlightExchange(t *testing.T) {
	sandbox := kryptostest.NewServer()
	t.Cleanup(sandbox.Close)
	target, err := url.Parse(sandbox.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	// Kryptos, slow to answer the exchange.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token/exchange") {
			once.Do(func() { close(arrived) })
			<-release
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(api.Close)

	key := bytes.Repeat([]byte{9}, 32)
	t.Setenv("KRYPTOS_SANDBOX_URL", api.URL)
	t.Setenv("KRYPTOS_CLIENT_ID", sandbox.ClientID)
	t.Setenv("KRYPTOS_CLIENT_SECRET", sandbox.ClientSecret)
	t.Setenv("KRYPTOS_WEBAPP_KEY", base64.StdEncoding.EncodeToString(key))
	t.Setenv("KRYPTOS_WEBAPP_KEY_ID", "review")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	dbPath := filepath.Join(t.TempDir(), "webapp.db")
	done := make(chan error, 1)
	go func() { done <- run(addr, dbPath, slog.New(slog.DiscardHandler)) }()
	base := "http://" + addr

	post := func(route, body string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodPost, base+route, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: userCookie, Value: "alice"})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, []byte(err.Error())
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/")
		if err == nil {
			_ = resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the app did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	status, body := post("/api/kryptos/create-link-token", "null")
	var lt struct {
		LinkToken string `json:"link_token"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &lt) != nil {
		t.Fatalf("create-link-token = %d %s", status, body)
	}
	public, err := sandbox.CompleteLink(kryptos.NewSecret(lt.LinkToken), kryptostest.LinkUser{Guest: true,
		Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		body   []byte
	}
	exchanged := make(chan answer, 1)
	go func() {
		s, b := post("/api/kryptos/exchange-token", `{"public_token":"`+public+`"}`)
		exchanged <- answer{s, b}
	}()
	<-arrived
	// The operator stops the app (Ctrl+C) while Kryptos answers the exchange.
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	close(release)

	got := <-exchanged
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after SIGINT")
	}
	if got.status != http.StatusOK {
		t.Errorf("the exchange in flight at shutdown answered %d %s; want 200 (the single-use public token is spent: the user must connect again)", got.status, got.body)
	}
	db, err := openDB(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, err := connecthttp.NewKeyring(connecthttp.Key{ID: "review", Secret: key})
	if err != nil {
		t.Fatal(err)
	}
	store, err := connecthttp.NewSQLStore(db, keys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(context.Background(), "alice"); err != nil {
		grants, _ := sandbox.Client().ListGrants(context.Background())
		t.Errorf("after a graceful shutdown the exchanged grant is not stored: %v (Kryptos holds %d active grant(s) of the client: the connection the user just made is gone)", err, len(grants))
	}
}
