package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kryptos-connect/kryptos-go/connecthttp"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// TestAFrontendOnATrustedOriginGetsALinkToken drives a real browser: a page
// served from one origin calls a connecthttp.Handler on another origin that
// Config.TrustedOrigins names ("origins other than the app's own allowed to
// call the routes from a browser, such as a frontend served from another
// host"), as its generateLinkToken would.
func TestAFrontendOnATrustedOriginGetsALinkToken(t *testing.T) {
	t.Parallel()
	sandbox := kryptostest.NewServer()
	t.Cleanup(sandbox.Close)
	// The frontend: http://localhost:PORT; the backend: http://127.0.0.1:PORT2.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	frontendOrigin := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	h, err := connecthttp.New(connecthttp.Config{Client: sandbox.Client(), Store: connecthttp.NewMemoryStore(),
		UserID:         func(*http.Request) (string, error) { return "u1", nil },
		TrustedOrigins: []string{frontendOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	backend := httptest.NewServer(http.StripPrefix("/api/kryptos", h))
	t.Cleanup(backend.Close)
	frontend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><pre id="log"></pre><script>
fetch(%q, {method: "POST", credentials: "include", headers: {"Content-Type": "application/json"}, body: "null"})
  .then(r => r.json()).then(j => { document.getElementById("log").textContent = "link " + (j.link_token || JSON.stringify(j)); })
  .catch(e => { document.getElementById("log").textContent = "failed " + e.message; });
</script>`, backend.URL+"/api/kryptos/create-link-token")
	}))
	frontend.Listener.Close()
	frontend.Listener = ln
	frontend.Start()
	t.Cleanup(frontend.Close)

	ctx := browser(t, 30*time.Second)
	browse(t, ctx,
		chromedp.Navigate(frontendOrigin+"/"),
		chromedp.Poll[chromedp.Void](`document.getElementById("log").textContent !== ""`),
	)
	if log := pageLog(ctx); len(log) < 10 || log[:10] != "link link_" {
		t.Fatalf("the trusted frontend's generateLinkToken: %q; want a link token", log)
	}
}
