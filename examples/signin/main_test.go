package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fmt"

	"os/signal"
	"syscall"

	"github.com/chromedp/chromedp/kb"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
	"github.com/kryptos-connect/kryptos-go/oauth"
)

// stepTimeout bounds each part of a browser test once the browser runs.
const stepTimeout = 20 * time.Second

// startApp serves the app on loopback, with a sandbox as its provider and
// data API, and returns its base URL.
func startApp(t *testing.T) string {
	t.Helper()
	srv := kryptostest.NewServer()
	t.Cleanup(srv.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg, err := sandboxConfig(srv, oauth.Config{RedirectURL: base + "/auth/callback", StateKey: []byte(rand.Text() + rand.Text())})
	if err != nil {
		t.Fatal(err)
	}
	h, err := newApp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	app := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	app.Start()
	t.Cleanup(app.Close)
	return base
}

// newBrowser starts a headless Chromium for the test and returns its
// context, bounded by stepTimeout.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the browser tests need Chromium, which is not on PATH (%v): apt-get install chromium", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1000, 800))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	// The first run starts the browser, which lives as long as the context
	// of that run: so it gets no timeout, and the steps get one after.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start Chromium at %s: %v", path, err)
	}
	ctx, cancel := context.WithTimeout(browser, stepTimeout)
	t.Cleanup(cancel)
	return ctx
}

// signInAndDecide opens the app, clicks "Sign in with Kryptos", and on the
// sandbox's consent page clicks the button with id decision.
func signInAndDecide(t *testing.T, ctx context.Context, base, decision string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID(decision)),
		chromedp.SetValue(chromedp.ID("email"), sandboxEmail),
		chromedp.Click(chromedp.ID(decision)),
	)
	if err != nil {
		t.Fatalf("sign in and %s: %v", decision, err)
	}
}

// screenshot saves the whole page as name in the test's artifact
// directory, and returns the PNG.
func screenshot(t *testing.T, ctx context.Context, name string) []byte {
	t.Helper()
	img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if _, err := png.Decode(bytes.NewReader(img)); err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	path := filepath.Join(artifactDir(t), name)
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the final page: %s", path)
	return img
}

func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		t.Fatalf("read #%s: %v", id, err)
	}
	return strings.TrimSpace(s)
}

func TestSignInAllowShowsTheProfileAndRefreshes(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	ctx := newBrowser(t)

	signInAndDecide(t, ctx, base, "allow")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("holdings"))); err != nil {
		t.Fatalf("the profile page did not show: %v", err)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Location()); got != base+"/profile" {
		t.Errorf("after allowing, the browser is at %s, want %s/profile", got, base)
	}
	if email := text(t, ctx, "email"); !strings.HasPrefix(email, sandboxEmail) {
		t.Errorf("the profile shows email %q, want %s", email, sandboxEmail)
	}
	holdings := text(t, ctx, "holdings")
	for _, want := range []string{"Ethereum", "ETH", "Total"} {
		if !strings.Contains(holdings, want) {
			t.Errorf("the holdings table lacks %q:\n%s", want, holdings)
		}
	}
	if p := text(t, ctx, "portfolio"); p != "Main" {
		t.Errorf("the default portfolio is %q, want Main", p)
	}
	before := text(t, ctx, "expiry")

	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("refresh")),
		chromedp.WaitVisible(chromedp.ID("refreshed")),
	)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	after := text(t, ctx, "expiry")
	if after == before || after == "" {
		t.Errorf("the expiry after a refresh is %q, want a new one (before: %q)", after, before)
	}
	if email := text(t, ctx, "email"); !strings.HasPrefix(email, sandboxEmail) {
		t.Errorf("after the refresh the profile shows email %q, want %s", email, sandboxEmail)
	}

	img := screenshot(t, ctx, "profile.png")
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		if err := os.WriteFile(filepath.Join("testdata", "profile.png"), img, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote testdata/profile.png")
	}
}

func TestSignInDenyShowsTheDeclinedPage(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	ctx := newBrowser(t)

	signInAndDecide(t, ctx, base, "deny")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("declined"))); err != nil {
		t.Fatalf("the declined page did not show: %v", err)
	}
	if h := text(t, ctx, "declined"); h != "You declined" {
		t.Errorf("the declined page's heading is %q", h)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(got, base+"/auth/callback?") {
		t.Errorf("after denying, the browser is at %s, want the callback", got)
	}
	// No session was started: the profile sends the browser back home.
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/profile"),
		chromedp.WaitVisible(chromedp.ID("signin")),
	)
	if err != nil {
		t.Errorf("after denying, /profile does not lead to the sign-in button: %v", err)
	}
	signInAndDecide(t, ctx, base, "deny")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("declined"))); err != nil {
		t.Fatalf("the declined page did not show: %v", err)
	}
	screenshot(t, ctx, "declined.png")
}

// TestBackAfterSigningInKeepsTheUserSignedIn: after signing in, Back leads
// to the provider's consent page (the callback and the sign-in redirect
// are not history entries); allowing there again brings the browser to the
// callback with the state of the sign-in that already finished. The app
// told this signed-in user "This sign-in expired, was already used, or was
// started in another browser. Please sign in again." and answered 400,
// although their session is live: the profile is where they belong.
func TestBackAfterSigningInKeepsTheUserSignedIn(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	ctx := newBrowser(t)
	signInAndDecide(t, ctx, base, "allow")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("holdings"))); err != nil {
		t.Fatalf("the profile page did not show: %v", err)
	}
	err := chromedp.Do(ctx,
		chromedp.NavigateBack(),
		chromedp.WaitVisible(chromedp.ID("allow")),
		chromedp.Click(chromedp.ID("allow")),
		chromedp.WaitVisible("#error, #holdings"),
	)
	if err != nil {
		t.Fatalf("back to the consent page and allow again: %v", err)
	}
	msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if loc != base+"/profile" {
		t.Errorf("a signed-in user who went back and allowed again is at %s, shown:\n%s\nwant %s/profile", loc, msg, base)
	}
}

// TestEnterInTheEmailFieldDoesNotDeny: on the sandbox's consent page the
// user types their email and presses Enter, as in any sign-in form. Enter
// submits the form with its default button, the first submit button in
// tree order (HTML, "implicit submission"), which was Deny: the user who
// meant to sign in was told "You declined", and the app received
// error=access_denied.
func TestEnterInTheEmailFieldDoesNotDeny(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	ctx := newBrowser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Clear(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), sandboxEmail+kb.Enter),
		chromedp.WaitVisible("#declined, #holdings, #error"),
	)
	if err != nil {
		t.Fatalf("type the email and press Enter: %v", err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if loc != base+"/profile" {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
		t.Errorf("Enter in the email field led to %s:\n%s\nwant the profile (Allow)", loc, msg)
	}
}

// TestAnotherSiteCannotSignTheUserOut: the sign-out is a POST (the profile
// page's form), but nothing checks where the form came from. The session
// cookie's SameSite=Lax keeps it from being sent with another site's POST,
// yet the answer's Set-Cookie, which clears it, is applied all the same (a
// top-level navigation may set a Lax cookie): any page the user visits can
// sign them out (logout CSRF), and leave their session, tokens included,
// behind in the app's memory. localhost is another site than 127.0.0.1.
func TestAnotherSiteCannotSignTheUserOut(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	ctx := newBrowser(t)
	signInAndDecide(t, ctx, base, "allow")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("holdings"))); err != nil {
		t.Fatalf("the profile page did not show: %v", err)
	}

	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s/signout"></form>
<script>document.getElementById("f").submit()</script>`, base)
	}))
	t.Cleanup(evil.Close)
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
	if err := chromedp.Do(ctx, chromedp.Navigate(evilURL), chromedp.Sleep(time.Second)); err != nil {
		t.Fatalf("visit the other site: %v", err)
	}

	err := chromedp.Do(ctx, chromedp.Navigate(base+"/profile"), chromedp.WaitReady("body"))
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if loc != base+"/profile" {
		t.Errorf("after visiting a page of another site, /profile leads to %s: that site signed the user out", loc)
	}
	// The app's own sign-out button still works.
	if t.Failed() {
		return
	}
	err = chromedp.Do(ctx, chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("signin")))
	if err != nil {
		t.Errorf("the app's own sign-out button does not sign out: %v", err)
	}
}

// TestRunStopsGracefullyOnSIGTERM: the app as `go run .` starts it
// must stop on SIGTERM (what a process manager or `docker stop` sends) or
// Ctrl+C by shutting its server down, letting requests in flight finish,
// and closing its backend (the embedded sandbox), not be killed mid-request.
func TestRunStopsGracefullyOnSIGTERM(t *testing.T) {
	// Keep this test process alive when the app does not handle the signal.
	caught := make(chan os.Signal, 1)
	signal.Notify(caught, syscall.SIGTERM)
	defer signal.Stop(caught)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	done := make(chan error, 1)
	go func() { done <- run(addr) }()

	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/")
		if err == nil {
			_ = resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the app did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after SIGTERM = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after SIGTERM: the server has no graceful shutdown (the process would be killed with its requests in flight, and the backend never closed)")
	}
	if resp, err := http.Get("http://" + addr + "/"); err == nil {
		_ = resp.Body.Close()
		t.Error("the app still serves after run returned")
	}
}
