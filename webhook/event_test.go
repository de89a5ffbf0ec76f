package webhook

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// golden reads a sample of testdata (see testdata/README.md).
func golden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

// signed returns the headers Kryptos sends with body; pairs of extra
// headers are set after them (an empty value deletes).
func signed(body []byte, extra ...string) http.Header {
	h := http.Header{}
	h.Set(HeaderSignature, Sign(body, testSecret))
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			h.Del(extra[i])
			continue
		}
		h.Set(extra[i], extra[i+1])
	}
	return h
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestGoldenSamplesDecode(t *testing.T) {
	t.Parallel()
	envelope := func(id string, typ EventType, ts, workspace string) Event {
		return Event{ID: id, Type: typ, Timestamp: utc(ts), GrantID: "cgrant_abc123xyz789", WorkspaceID: workspace}
	}
	process := func(action ProcessAction, status ProcessStatus, reason, ts string) *Process {
		return &Process{Action: action, Status: status, Reason: reason, Timestamp: utc(ts)}
	}
	cases := []struct {
		file        string
		envelope    Event
		integration *Integration
		process     *Process
	}{
		{"integration.created.json", envelope("whd_abc123def456", EventIntegrationCreated, "2026-02-19T12:00:00Z", "ws_12ab"),
			&Integration{WalletID: "wallet_abc123", Provider: "binance", ProviderPublicName: "Binance", PublicAddress: "",
				LogoURL: "https://...", IsContract: false, Alias: "Main Trading Account", Status: StatusQueued,
				Category: CategoryExchange, Type: TypeAPI, TotalTransactions: 0,
				AddedOn: utc("2022-01-01T00:00:00Z"), LastSyncedAt: utc("2023-01-01T00:00:00Z")}, nil},
		{"integration.failed.json", envelope("whd_fail0001", EventIntegrationFailed, "2026-02-19T12:05:00Z", "ws_12ab"),
			&Integration{WalletID: "wallet_def456", Provider: "ethereum", ProviderPublicName: "Ethereum",
				PublicAddress: "0x47c2e31e9ce22437bcf6313d2b9e98245a7bfcfa", LogoURL: "https://...", Status: StatusFailed,
				ErrorMessage: "Provider did not respond", Category: CategoryBlockchain, Type: TypeAPI,
				AddedOn: utc("2022-01-01T00:00:00Z"), LastSyncedAt: time.Time{}}, nil},
		{"integration.updated.older-docs.json", envelope("whd_old0001", EventIntegrationUpdated, "2026-02-19T12:00:00Z", ""),
			&Integration{WalletID: "wallet_abc123", Provider: "binance", ProviderPublicName: "Binance",
				LogoURL: "https://...", Alias: "Main Trading Account", Status: StatusSyncing,
				Category: CategoryExchange, Type: TypeAPI, TotalTransactions: 1234,
				AddedOn: utc("2022-01-01T00:00:00Z"), LastSyncedAt: utc("2023-01-01T00:00:00Z")}, nil},
		{"transfer_detection.started.json", envelope("whd_td0001", EventTransferDetectionStarted, "2026-02-19T12:10:00Z", "ws_12ab"),
			nil, process(ActionDetectTransfer, ProcessStarted, "", "2026-02-19T12:10:00Z")},
		{"transfer_detection.completed.json", envelope("whd_td0002", EventTransferDetectionCompleted, "2026-02-19T12:10:05Z", "ws_12ab"),
			nil, process(ActionDetectTransfer, ProcessCompleted, "", "2026-02-19T12:10:05Z")},
		{"costbasis.started.json", envelope("whd_cb0001", EventCostBasisStarted, "2026-02-19T12:10:06Z", "ws_12ab"),
			nil, process(ActionAccountManager, ProcessStarted, "", "2026-02-19T12:10:06Z")},
		{"costbasis.completed.json", envelope("whd_cb0002", EventCostBasisCompleted, "2026-02-19T12:10:09Z", "ws_12ab"),
			nil, process(ActionAccountManager, ProcessCompleted, "", "2026-02-19T12:10:09Z")},
		{"costbasis.failed.json", envelope("whd_cb0003", EventCostBasisFailed, "2026-02-19T12:10:09Z", ""),
			nil, process(ActionAccountManager, ProcessFailed, "Missing prices for 3 assets", "2026-02-19T12:10:09Z")},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			body := golden(t, tc.file)
			ev, err := Parse(body, signed(body, HeaderID, tc.envelope.ID, HeaderEvent, string(tc.envelope.Type),
				HeaderTimestamp, "2026-02-19T12:00:01.5Z"), testSecret)
			require.NoError(t, err)
			assert.Empty(t, ev.Warnings, "a documented sample is read without a warning")
			var raw map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(body, &raw))
			assert.Equal(t, string(raw["data"]), string(ev.Data), "Data is kept as sent")
			want := tc.envelope
			want.DeliveredAt = time.Date(2026, 2, 19, 12, 0, 1, 5e8, time.UTC)
			want.Integration, want.Process, want.Data = tc.integration, tc.process, ev.Data
			assert.Equal(t, want, *ev)
		})
	}
	for _, f := range []string{"integration.created.json", "integration.failed.json"} {
		ev, err := Parse(golden(t, f), signed(golden(t, f)), testSecret)
		require.NoError(t, err)
		assert.False(t, ev.Integration.IsContract, "isContract is always false")
		assert.Equal(t, FamilyIntegration, ev.Type.Family())
	}
}

func TestParseReadsOtherFormsWithWarnings(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"whd_1","event":"integration.updated","timestamp":1771502400000,"workspace_id":null,
		"data":{"walletId":7,"isContract":"true","totalTransactions":"12","addedOn":"yesterday","lastSyncedAt":0,
		"status":"ARCHIVED","category":"defi","type":"oauth","errorMessage":null,"alias":null}}`)
	ev, err := Parse(body, signed(body, HeaderID, "whd_other", HeaderEvent, "integration.deleted", HeaderTimestamp, "soon"), testSecret)
	require.NoError(t, err, "a signed delivery in odd forms is still handed over, not refused")
	assert.Equal(t, "whd_1", ev.ID, "the signed body wins over the header")
	assert.Equal(t, EventIntegrationUpdated, ev.Type)
	assert.Equal(t, utc("2026-02-19T12:00:00Z"), ev.Timestamp, "the envelope's time in milliseconds too")
	in := ev.Integration
	require.NotNil(t, in)
	assert.Equal(t, "", in.WalletID)
	assert.True(t, in.IsContract)
	assert.Equal(t, int64(12), in.TotalTransactions)
	assert.True(t, in.AddedOn.IsZero())
	assert.True(t, in.LastSyncedAt.IsZero(), "0 is never")
	assert.Equal(t, IntegrationStatus("ARCHIVED"), in.Status, "unknown values are kept as sent")
	assert.Equal(t, Category("defi"), in.Category)
	assert.Equal(t, IntegrationType("oauth"), in.Type)
	assert.False(t, in.Status.Terminal())
	assert.ElementsMatch(t, []string{
		"id: the X-Webhook-Id header disagrees with the body; the body's is used",
		"event: the X-Webhook-Event header disagrees with the body; the body's is used",
		"grant_id: missing: the event cannot be attributed to a user",
		"X-Webhook-Timestamp: not an ISO 8601 time",
		"data.walletId: want a string, got a number",
		"data.isContract: want true or false, got a string",
		"data.totalTransactions: want a number, got a string",
		"data.addedOn: want Unix milliseconds or an ISO 8601 time, got a string",
	}, ev.Warnings)
	for _, w := range ev.Warnings {
		assert.NotContains(t, w, "yesterday", "a warning never quotes a value")
	}
}

func TestParseHeadersFillWhatTheBodyLacks(t *testing.T) {
	t.Parallel()
	body := []byte(`{"grant_id":"cgrant_1","data":{"action":"DETECT_TRANSFER","status":"started"}}`)
	ev, err := Parse(body, signed(body, HeaderID, "whd_h", HeaderEvent, "transfer_detection.started"), testSecret)
	require.NoError(t, err)
	assert.Equal(t, "whd_h", ev.ID)
	assert.Equal(t, EventTransferDetectionStarted, ev.Type)
	require.NotNil(t, ev.Process)
	assert.Equal(t, ProcessStarted, ev.Process.Status)
	assert.Len(t, ev.Warnings, 2)
}

func TestParseKeepsEventsOfUnknownFamilies(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"whd_9","event":"report.generated","grant_id":"cgrant_1","data":{"report":"r1"}}`)
	ev, err := Parse(body, signed(body), testSecret)
	require.NoError(t, err)
	assert.Equal(t, "report", ev.Type.Family())
	assert.Nil(t, ev.Integration)
	assert.Nil(t, ev.Process)
	assert.JSONEq(t, `{"report":"r1"}`, string(ev.Data))

	body = []byte(`{"id":"whd_10","event":"integration.archived","grant_id":"cgrant_1","data":[1]}`)
	ev, err = Parse(body, signed(body), testSecret)
	require.NoError(t, err)
	require.NotNil(t, ev.Integration, "a new event of a known family decodes by its family; data is never nil there")
	assert.Equal(t, []string{"data: want an object, got an array"}, ev.Warnings)
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		body   string
		header []string
		want   error
	}{
		{"not JSON", `<xml/>`, nil, ErrMalformed},
		{"not an object", `[1]`, nil, ErrMalformed},
		{"null", `null`, nil, ErrMalformed},
		{"no id anywhere", `{"event":"costbasis.started","data":{}}`, nil, ErrMalformed},
		{"no event anywhere", `{"id":"whd_1","data":{}}`, nil, ErrMalformed},
	}
	for _, tc := range cases {
		_, err := Parse([]byte(tc.body), signed([]byte(tc.body), tc.header...), testSecret)
		require.ErrorIs(t, err, tc.want, tc.name)
	}
	body := []byte(`{"id":"whd_1","event":"costbasis.started"}`)
	_, err := Parse(body, signed(body, HeaderSignature, ""), testSecret)
	require.ErrorIs(t, err, ErrSignatureMissing, "the signature is checked before anything is read")
}

func TestStatusesTellTerminalStatesApart(t *testing.T) {
	t.Parallel()
	terminal := map[IntegrationStatus]bool{StatusQueued: false, StatusSyncing: false, StatusDeleting: false,
		StatusCompleted: true, StatusFailed: true, StatusDeleted: true, StatusInactive: true, "completed": false}
	for s, want := range terminal {
		assert.Equal(t, want, s.Terminal(), s)
	}
	assert.False(t, ProcessStarted.Terminal())
	assert.True(t, ProcessCompleted.Terminal())
	assert.True(t, ProcessFailed.Terminal())
}
