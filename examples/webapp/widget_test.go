package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTheWidgetFollowsIsAuthorized: the frontend SDK picks its flow from
// generateLinkToken's isAuthorized (WIDGET.md: "new user (`isAuthorized`
// false or absent): AUTH ... Returning user (`isAuthorized` true ...):
// INTEGRATION only"; seed 002: "isAuthorized: !!existingAccessToken, //
// true = skip auth, false = full flow"). WIDGET.md warns that the docs'
// !!existingAccessToken is wrong once the stored token is revoked: the
// stand-in must then behave as the real widget and skip sign-in, so that
// such a backend fails in the sandbox instead of passing. Here the page's
// backend answers isAuthorized=true for a plain link token (what the docs'
// sample answers for a revoked token).
func TestTheWidgetFollowsIsAuthorized(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	ctx := browser(t, 40*time.Second)
	browse(t, ctx,
		signIn(a, "grace"),
		// The docs' backend: isAuthorized from "we have a stored token".
		chromedp.Evaluate[chromedp.Void](`(() => {
			const send = window.fetch;
			window.fetch = (url, init) => send(url, init).then(r => {
				if (!String(url).endsWith("/create-link-token")) return r;
				return r.json().then(j => new Response(JSON.stringify(Object.assign(j, {isAuthorized: true})),
					{status: r.status, headers: {"Content-Type": "application/json"}}));
			});
		})()`),
		chromedp.Click(chromedp.CSS("#kc-connect-button")),
		logSays("generateLinkToken isAuthorized=true"),
		chromedp.WaitVisible(chromedp.CSS("#kc-modal .kc-panel button")),
		chromedp.Sleep(300*time.Millisecond),
	)
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](
		`[!!document.getElementById("kc-guest"), !!document.getElementById("kc-email"), !!document.getElementById("kc-provider-ethereum")]`))
	if err != nil {
		t.Fatal(err)
	}
	if shown[0] || shown[1] || !shown[2] {
		t.Fatalf("isAuthorized=true: the widget shows sign-in (guest %v, email %v) and the integrations %v; "+
			"want the integrations only, as the real widget skips authentication", shown[0], shown[1], shown[2])
	}
	// Without a user behind the link, the connection cannot be made: the
	// page hears of it, and nothing is exchanged.
	browse(t, ctx,
		chromedp.Click(chromedp.CSS("#kc-provider-ethereum")),
		chromedp.Click(chromedp.CSS("#kc-submit")),
		chromedp.WaitNotPresent(chromedp.CSS("#kc-modal")),
		chromedp.Poll[chromedp.Void](`document.getElementById("log").textContent.includes("onConnectError")`),
	)
	exchanged(t, a, 0)
}

// TestAWrongAddressCanBeCorrected: sandbox mode refuses any but the test
// addresses (API.md §5, "errors SANDBOX_PROVIDER_NOT_ALLOWED,
// SANDBOX_ADDRESS_NOT_ALLOWED"); the widget says so on its consent screen,
// where there is no address field and no way back: the user can only
// close the widget. The widget must take them back to the address.
func TestAWrongAddressCanBeCorrected(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	ctx := browser(t, 40*time.Second)
	browse(t, ctx,
		signIn(a, "heidi"),
		chromedp.Click(chromedp.CSS("#kc-connect-button")),
		chromedp.Click(chromedp.CSS("#kc-guest")),
		chromedp.Click(chromedp.CSS("#kc-provider-ethereum")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("kc-address").value = "0x0000000000000000000000000000000000000001"`),
		chromedp.Click(chromedp.CSS("#kc-submit")),
		chromedp.Click(chromedp.CSS("#kc-allow")),
		chromedp.Poll[chromedp.Void](`(document.getElementById("kc-error") || {}).textContent.includes("test address")`),
	)
	poll, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := chromedp.Run(poll, chromedp.WaitVisible(chromedp.CSS("#kc-address"))); err != nil {
		screen, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("kc-modal").innerText`))
		t.Fatalf("after SANDBOX_ADDRESS_NOT_ALLOWED the widget offers no way to correct the address:\n%s",
			strings.Join(strings.Fields(screen), " "))
	}
	browse(t, ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("kc-address").value = "0x47c2e31e9ce22437bcf6313d2b9e98245a7bfcfa"`),
		chromedp.Click(chromedp.CSS("#kc-submit")),
		chromedp.Click(chromedp.CSS("#kc-allow")),
		untilConnected,
	)
	exchanged(t, a, 1)
}

// TestNoHandoffWithoutABrowserFlow: HANDOFF means "User switched to browser
// flow" (seed 000, Events table); the widget emits it on every completion
// although nothing left the page, so an integrator's funnel counts a
// handoff for every connection.
func TestNoHandoffWithoutABrowserFlow(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	ctx := browser(t, 40*time.Second)
	browse(t, ctx,
		signIn(a, "ivan"),
		chromedp.Click(chromedp.CSS("#kc-connect-button")),
		connectAsGuest,
		logSays("event SUCCESS"),
	)
	if log := pageLog(ctx); strings.Contains(log, "event HANDOFF") {
		t.Errorf("the widget reported a HANDOFF in a flow that stayed in the page:\n%s", log)
	}
}
