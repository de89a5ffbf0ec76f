package webhook_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/kryptos-connect/kryptos-go/webhook"
)

// A receiver: the handler verifies, deduplicates and decodes each delivery,
// and the function sees each event once.
func ExampleNewHandler() {
	secrets := []string{"whsec_example"} // in production: os.Getenv("KRYPTOS_WEBHOOK_SECRET")
	h, err := webhook.NewHandler(secrets, func(ctx context.Context, ev *webhook.Event) error {
		switch {
		case ev.Integration != nil:
			fmt.Println(ev.Type, ev.GrantID, ev.Integration.WalletID, ev.Integration.Status, ev.Integration.Status.Terminal())
		case ev.Process != nil:
			fmt.Println(ev.Type, ev.GrantID, ev.Process.Status)
		}
		return nil // handled: Kryptos gets a 200
	}, webhook.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/kryptos", h)

	// What Kryptos sends, twice: a delivery and its retry.
	body := []byte(`{"id":"whd_1","event":"integration.updated","timestamp":"2026-02-19T12:00:00.000Z",
		"grant_id":"cgrant_1","workspace_id":"ws_1","data":{"walletId":"wallet_1","status":"COMPLETED",
		"addedOn":1640995200000,"lastSyncedAt":1672531200000,"category":"exchange","type":"api"}}`)
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/kryptos", strings.NewReader(string(body)))
		req.Header.Set(webhook.HeaderSignature, webhook.Sign(body, "whsec_example"))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		fmt.Println(w.Code)
	}
	// Output:
	// integration.updated cgrant_1 wallet_1 COMPLETED true
	// 200
	// 200
}

// An unset secret is refused when the handler is built, instead of
// refusing every delivery with a status Kryptos never retries.
func ExampleNewHandler_unsetSecret() {
	_, err := webhook.NewHandler([]string{os.Getenv("KRYPTOS_WEBHOOK_SECRET_UNSET")}, func(context.Context, *webhook.Event) error {
		return nil
	})
	fmt.Println(err)
	// Output:
	// webhook: NewHandler: invalid secrets[0]: is empty or blank: is the variable it is read from set?
}

// Sign signs a body as Kryptos does, to test your receiver.
func ExampleSign() {
	body := []byte(`{"id":"whd_1","event":"integration.created"}`)
	sig := webhook.Sign(body, "whsec_test_secret")
	fmt.Println(sig)
	fmt.Println(webhook.Verify(body, sig, "whsec_test_secret"))
	// Output:
	// 84a578e822224918e7c6ed1da49f7cde074b7d56e695f2ae6ceaa72228d74ca3
	// <nil>
}

// Parse verifies and decodes a delivery for a receiver of your own; the
// docs' sample sends times as Unix milliseconds.
func ExampleParse() {
	body, _ := os.ReadFile("testdata/integration.created.json")
	header := http.Header{}
	header.Set(webhook.HeaderSignature, webhook.Sign(body, "whsec_example"))

	ev, err := webhook.Parse(body, header, "whsec_example")
	if err != nil {
		log.Fatal(err)
	}
	in := ev.Integration
	fmt.Println(ev.ID, ev.Type, ev.GrantID, ev.WorkspaceID)
	fmt.Println(in.Provider, in.WalletID, in.Status, in.Category, in.Type)
	fmt.Println(in.AddedOn, in.LastSyncedAt.Year())
	// Output:
	// whd_abc123def456 integration.created cgrant_abc123xyz789 ws_12ab
	// binance wallet_abc123 QUEUED exchange api
	// 2022-01-01 00:00:00 +0000 UTC 2023
}
