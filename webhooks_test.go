package kryptos

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testWebhookSecret = "whsec_test_secret"

// Webhook bodies with every field API.md §7 documents.
const (
	sampleIntegrationEvent = `{"id":"whd_1","event":"integration.updated","timestamp":"2026-05-01T10:00:00Z",
		"grant_id":"cgrant_1","workspace_id":"ws_1","data":{"provider":"ethereum","providerPublicName":"Ethereum",
		"publicAddress":"0x47c2e31e9ce22437bcf6313d2b9e98245a7bfcfa","walletId":"wallet-1","logoUrl":"https://x/eth.png",
		"isContract":false,"alias":"Main","status":"FAILED","errorMessage":"provider timeout","addedOn":"2026-04-01T00:00:00Z",
		"lastSyncedAt":"2026-05-01T09:59:00Z","category":"blockchain","type":"wallet","totalTransactions":1234}}`
	sampleTransferEvent = `{"id":"whd_2","event":"transfer_detection.completed","timestamp":"2026-05-01T10:00:00Z",
		"grant_id":"cgrant_1","workspace_id":"ws_1","data":{"action":"detect","status":"completed","reason":"","timestamp":"2026-05-01T10:00:00Z"}}`
	sampleCostBasisEvent = `{"id":"whd_3","event":"costbasis.failed","timestamp":"2026-05-01T10:00:00Z",
		"grant_id":"cgrant_1","workspace_id":"ws_1","data":{"action":"recalculate","status":"failed","reason":"missing prices","timestamp":"2026-05-01T10:00:01Z"}}`
)

// sign is the HMAC the sender computes; the known-answer test checks it
// against openssl.
func sign(body, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestVerifyWebhookSignatureKnownAnswers(t *testing.T) {
	t.Parallel()
	// Computed independently: printf '%s' BODY | openssl dgst -sha256 -hmac SECRET
	body := `{"id":"whd_1","event":"integration.created"}`
	want := "84a578e822224918e7c6ed1da49f7cde074b7d56e695f2ae6ceaa72228d74ca3"
	require.NoError(t, VerifyWebhookSignature([]byte(body), want, testWebhookSecret))
	require.NoError(t, VerifyWebhookSignature([]byte(body), strings.ToUpper(want), testWebhookSecret), "hex is case-insensitive")
	require.NoError(t, VerifyWebhookSignature([]byte(body), "sha256="+want, testWebhookSecret))
	require.NoError(t, VerifyWebhookSignature(nil, "8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620", "k"), "an empty body")
	assert.Equal(t, want, sign(body, testWebhookSecret))
}

func TestVerifyWebhookSignatureRejects(t *testing.T) {
	t.Parallel()
	body := []byte(sampleIntegrationEvent)
	good := sign(sampleIntegrationEvent, testWebhookSecret)
	cases := []struct {
		name    string
		body    []byte
		sig     string
		secrets []string
		want    error
	}{
		{"tampered body", append([]byte(nil), append(body[:len(body)-2], '0', '}')...), good, []string{testWebhookSecret}, ErrWebhookSignatureMismatch},
		{"wrong secret", body, good, []string{"whsec_other"}, ErrWebhookSignatureMismatch},
		{"missing", body, "", []string{testWebhookSecret}, ErrWebhookSignatureMissing},
		{"truncated", body, good[:40], []string{testWebhookSecret}, ErrWebhookSignatureMalformed},
		{"not hex", body, strings.Repeat("zz", 32), []string{testWebhookSecret}, ErrWebhookSignatureMalformed},
		{"too long", body, good + "00", []string{testWebhookSecret}, ErrWebhookSignatureMalformed},
	}
	for _, tc := range cases {
		err := VerifyWebhookSignature(tc.body, tc.sig, tc.secrets...)
		require.ErrorIs(t, err, tc.want, tc.name)
		assert.ErrorIs(t, err, ErrWebhookSignature, tc.name)
	}
	err := VerifyWebhookSignature(body, good)
	require.ErrorIs(t, err, ErrInvalidParams, "no secret at all is a configuration error")
	require.ErrorIs(t, VerifyWebhookSignature(body, good, ""), ErrInvalidParams)
}

func TestVerifyWebhookSignatureAcceptsRotatedSecrets(t *testing.T) {
	t.Parallel()
	body := []byte(sampleIntegrationEvent)
	oldSig, newSig := sign(sampleIntegrationEvent, "whsec_old"), sign(sampleIntegrationEvent, "whsec_new")
	for _, sig := range []string{oldSig, newSig} {
		require.NoError(t, VerifyWebhookSignature(body, sig, "whsec_new", "whsec_old"))
	}
	require.ErrorIs(t, VerifyWebhookSignature(body, oldSig, "whsec_new"), ErrWebhookSignatureMismatch, "after the rotation ends")
}

// delivery builds a signed webhook request.
func delivery(body string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/kryptos", strings.NewReader(body))
	r.Header.Set(HeaderWebhookSignature, sign(body, testWebhookSecret))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

func TestParseWebhookDecodesEveryFamily(t *testing.T) {
	t.Parallel()
	ev, err := ParseWebhook(delivery(sampleIntegrationEvent, HeaderWebhookEvent, "integration.updated",
		HeaderWebhookID, "whd_1", HeaderWebhookTimestamp, "2026-05-01T10:00:02Z"), testWebhookSecret)
	require.NoError(t, err)
	assert.Equal(t, "whd_1", ev.ID)
	assert.Equal(t, EventIntegrationUpdated, ev.Event)
	assert.Equal(t, "integration", ev.Family())
	assert.Equal(t, "cgrant_1", ev.GrantID)
	assert.Equal(t, "ws_1", ev.WorkspaceID)
	assert.Equal(t, time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), ev.Timestamp)
	assert.Equal(t, time.Date(2026, 5, 1, 10, 0, 2, 0, time.UTC), ev.DeliveredAt)
	in, err := ev.Integration()
	require.NoError(t, err)
	assert.Equal(t, WebhookIntegration{WalletID: "wallet-1", Provider: "ethereum", ProviderPublicName: "Ethereum",
		PublicAddress: "0x47c2e31e9ce22437bcf6313d2b9e98245a7bfcfa", Alias: "Main", Type: "wallet", Category: "blockchain",
		Status: IntegrationFailed, ErrorMessage: "provider timeout", LogoURL: "https://x/eth.png", TotalTransactions: 1234,
		AddedOn: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), LastSyncedAt: time.Date(2026, 5, 1, 9, 59, 0, 0, time.UTC)}, *in)
	_, err = ev.CostBasis()
	require.ErrorIs(t, err, ErrWebhookWrongFamily)

	ev, err = ParseWebhook(delivery(sampleTransferEvent), testWebhookSecret)
	require.NoError(t, err)
	td, err := ev.TransferDetection()
	require.NoError(t, err)
	assert.Equal(t, ProcessEvent{Action: "detect", Status: "completed", Timestamp: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}, *td)
	_, err = ev.Integration()
	require.ErrorIs(t, err, ErrWebhookWrongFamily)

	ev, err = ParseWebhook(delivery(sampleCostBasisEvent), testWebhookSecret)
	require.NoError(t, err)
	cb, err := ev.CostBasis()
	require.NoError(t, err)
	assert.Equal(t, "missing prices", cb.Reason)
	_, err = ev.TransferDetection()
	require.ErrorIs(t, err, ErrWebhookWrongFamily)

	ev, err = ParseWebhook(delivery(`{"id":"whd_9","event":"report.generated","data":{"report":"r1"}}`), testWebhookSecret)
	require.NoError(t, err, "an unknown event still decodes")
	assert.JSONEq(t, `{"report":"r1"}`, string(ev.Data))
	assert.Equal(t, "report", ev.Family())
}

func TestParseWebhookRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		req  *http.Request
		want error
	}{
		{"unsigned", func() *http.Request {
			r := delivery(sampleTransferEvent)
			r.Header.Del(HeaderWebhookSignature)
			return r
		}(), ErrWebhookSignatureMissing},
		{"header event disagrees", delivery(sampleTransferEvent, HeaderWebhookEvent, "costbasis.failed"), ErrWebhookMalformed},
		{"header id disagrees", delivery(sampleTransferEvent, HeaderWebhookID, "whd_other"), ErrWebhookMalformed},
		{"no id anywhere", delivery(`{"event":"costbasis.started","data":{}}`), ErrWebhookMalformed},
		{"bad timestamp header", delivery(sampleTransferEvent, HeaderWebhookTimestamp, "yesterday"), ErrWebhookMalformed},
		{"not JSON", delivery(`<xml/>`), ErrWebhookMalformed},
		{"no event", delivery(`{"id":"whd_1","data":{}}`), ErrWebhookMalformed},
		{"too large", delivery(`{"id":"whd_1","event":"x","pad":"` + strings.Repeat("a", DefaultMaxWebhookBytes) + `"}`), ErrWebhookTooLarge},
	}
	for _, tc := range cases {
		_, err := ParseWebhook(tc.req, testWebhookSecret)
		require.ErrorIs(t, err, tc.want, tc.name)
	}
	ev, err := ParseWebhook(delivery(`{"event":"costbasis.started","data":{}}`, HeaderWebhookID, "whd_h"), testWebhookSecret)
	require.NoError(t, err)
	assert.Equal(t, "whd_h", ev.ID, "the header gives the id when the body has none")
	_, err = ev.CostBasis()
	require.NoError(t, err)
	ev.Data = []byte(`[1]`)
	_, err = ev.CostBasis()
	require.ErrorIs(t, err, ErrWebhookMalformed)
}

func TestCheckAge(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 10, 5, 0, 0, time.UTC)
	ev := &WebhookEvent{DeliveredAt: now.Add(-4 * time.Minute)}
	require.NoError(t, ev.CheckAge(5*time.Minute, now))
	require.ErrorIs(t, ev.CheckAge(time.Minute, now), ErrWebhookStale)
	require.ErrorIs(t, (&WebhookEvent{}).CheckAge(time.Hour, now), ErrWebhookStale, "no timestamp proves no freshness")
}

func TestWebhookHandlerStatuses(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	fail := atomic.Bool{}
	var logs bytes.Buffer
	h := NewWebhookHandler([]string{testWebhookSecret}, func(_ context.Context, ev *WebhookEvent) error {
		calls.Add(1)
		if fail.Load() {
			return errors.New("database down; token " + testAccessToken)
		}
		return nil
	}, WithWebhookMaxAge(time.Minute), WithWebhookMaxBytes(4096), WithWebhookLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	fresh := time.Now().UTC().Format(time.RFC3339)
	serve := func(r *http.Request) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	w := serve(httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))

	bad := delivery(sampleTransferEvent, HeaderWebhookTimestamp, fresh)
	bad.Header.Set(HeaderWebhookSignature, sign(sampleTransferEvent, "whsec_wrong"))
	assert.Equal(t, http.StatusUnauthorized, serve(bad).Code)
	assert.Equal(t, http.StatusRequestEntityTooLarge, serve(delivery(strings.Repeat(" ", 5000))).Code)
	assert.Equal(t, http.StatusBadRequest, serve(delivery(`{"nope":1}`, HeaderWebhookTimestamp, fresh)).Code)
	stale := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	assert.Equal(t, http.StatusBadRequest, serve(delivery(sampleTransferEvent, HeaderWebhookTimestamp, stale)).Code, "stale")
	assert.Equal(t, int32(0), calls.Load(), "nothing invalid reaches the handler")

	// A failure answers 500 and releases the id; the retry is handled once.
	fail.Store(true)
	w = serve(delivery(sampleTransferEvent, HeaderWebhookTimestamp, fresh))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.NotContains(t, w.Body.String(), "database", "the handler's error stays in the log")
	fail.Store(false)
	assert.Equal(t, http.StatusOK, serve(delivery(sampleTransferEvent, HeaderWebhookTimestamp, fresh)).Code)
	w = serve(delivery(sampleTransferEvent, HeaderWebhookTimestamp, fresh))
	assert.Equal(t, http.StatusOK, w.Code, "a duplicate is acknowledged")
	assert.JSONEq(t, `{"received":true}`, w.Body.String())
	assert.Equal(t, int32(2), calls.Load(), "the failed attempt and the retry; not the duplicate")

	assert.Contains(t, logs.String(), "outcome=duplicate")
	assert.NotContains(t, logs.String(), testWebhookSecret)
	assert.NotContains(t, logs.String(), "missing prices", "no body in the logs")
	assert.NotContains(t, logs.String(), testAccessToken)
}

func TestWebhookHandlerReleasesTheIDWhenItPanics(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := NewWebhookHandler([]string{testWebhookSecret}, func(context.Context, *WebhookEvent) error {
		if calls.Add(1) == 1 {
			panic("bug")
		}
		return nil
	})
	assert.Panics(t, func() { h.ServeHTTP(httptest.NewRecorder(), delivery(sampleCostBasisEvent)) })
	w := httptest.NewRecorder()
	h.ServeHTTP(w, delivery(sampleCostBasisEvent))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, int32(2), calls.Load())
	assert.Panics(t, func() { NewWebhookHandler(nil, nil) })
}

func TestMemoryDeduplicatorForgetsAfterItsTTL(t *testing.T) {
	t.Parallel()
	d := NewMemoryDeduplicator(20 * time.Millisecond)
	ok, _ := d.Begin(context.Background(), "whd_1")
	require.True(t, ok)
	ok, _ = d.Begin(context.Background(), "whd_1")
	require.False(t, ok, "in progress")
	require.NoError(t, d.Done(context.Background(), "whd_1", true))
	ok, _ = d.Begin(context.Background(), "whd_1")
	require.False(t, ok, "handled")
	time.Sleep(30 * time.Millisecond)
	ok, _ = d.Begin(context.Background(), "whd_1")
	assert.True(t, ok, "forgotten after the TTL")
	for i := range 2048 { // the sweep of expired ids runs as it goes
		_, _ = d.Begin(context.Background(), "whd_x"+string(rune('a'+i%26)))
	}
}

func FuzzDecodeWebhook(f *testing.F) {
	for _, seed := range []string{sampleIntegrationEvent, sampleTransferEvent, sampleCostBasisEvent, `{}`, `{"event":"x","data":null}`, `[`, `{"event":1}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := decodeWebhook(body)
		if err != nil {
			if !errors.Is(err, ErrWebhookMalformed) {
				t.Fatalf("error %v does not match ErrWebhookMalformed", err)
			}
			return
		}
		if ev.Event == "" {
			t.Fatal("decoded an event without a name")
		}
		// The family decoders never panic, whatever the data.
		_, _ = ev.Integration()
		_, _ = ev.TransferDetection()
		_, _ = ev.CostBasis()
	})
}
