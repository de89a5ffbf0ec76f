package kryptos

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The headers of a webhook delivery.
const (
	// HeaderWebhookSignature holds the hex HMAC-SHA256 of the raw body,
	// keyed with the webhook's signing secret.
	HeaderWebhookSignature = "X-Webhook-Signature"
	HeaderWebhookEvent     = "X-Webhook-Event"
	// HeaderWebhookID is unique per delivery and repeated on its retries:
	// deduplicate on it.
	HeaderWebhookID = "X-Webhook-Id"
	// HeaderWebhookTimestamp is when the delivery was sent (ISO 8601). The
	// signature does not cover it.
	HeaderWebhookTimestamp = "X-Webhook-Timestamp"
)

// The webhook events Kryptos sends.
const (
	EventIntegrationCreated        = "integration.created"
	EventIntegrationUpdated        = "integration.updated"
	EventIntegrationDeleted        = "integration.deleted"
	EventIntegrationFailed         = "integration.failed"
	EventTransferDetectionStarted  = "transfer_detection.started"
	EventTransferDetectionComplete = "transfer_detection.completed"
	EventTransferDetectionFailed   = "transfer_detection.failed"
	EventCostBasisStarted          = "costbasis.started"
	EventCostBasisCompleted        = "costbasis.completed"
	EventCostBasisFailed           = "costbasis.failed"
)

// DefaultMaxWebhookBytes caps the body of a webhook delivery.
const DefaultMaxWebhookBytes = 1 << 20

// Webhook errors. The signature errors all match ErrWebhookSignature.
var (
	ErrWebhookSignature         = errors.New("kryptos: webhook signature not valid")
	ErrWebhookSignatureMissing  = fmt.Errorf("%w: missing", ErrWebhookSignature)
	ErrWebhookSignatureMismatch = fmt.Errorf("%w: it matches none of the secrets (wrong secret, or the body was changed)", ErrWebhookSignature)
	// ErrWebhookSignatureMalformed is a signature that is not 64 hex digits.
	ErrWebhookSignatureMalformed = fmt.Errorf("%w: malformed", ErrWebhookSignature)
	// ErrWebhookTooLarge is a body over the size cap.
	ErrWebhookTooLarge = errors.New("kryptos: webhook body too large")
	// ErrWebhookMalformed is a signed body that is not a webhook event, or
	// whose headers contradict it.
	ErrWebhookMalformed = errors.New("kryptos: malformed webhook")
	// ErrWebhookStale is a delivery older than the accepted age.
	ErrWebhookStale = errors.New("kryptos: stale webhook")
	// ErrWebhookWrongFamily is asking an event for the data of another
	// family, such as calling Integration on a costbasis event.
	ErrWebhookWrongFamily = errors.New("kryptos: webhook event of another family")
)

// VerifyWebhookSignature checks that signatureHex is the hex HMAC-SHA256 of
// body under one of secrets, comparing in constant time. Pass the current
// and the previous secret while rotating, so that no delivery is dropped.
// A "sha256=" prefix is accepted. The error matches ErrWebhookSignature.
func VerifyWebhookSignature(body []byte, signatureHex string, secrets ...string) error {
	sig := strings.TrimPrefix(strings.TrimSpace(signatureHex), "sha256=")
	if sig == "" {
		return ErrWebhookSignatureMissing
	}
	want, err := hex.DecodeString(sig)
	if err != nil || len(want) != sha256.Size {
		return fmt.Errorf("%w: want %d hex digits", ErrWebhookSignatureMalformed, 2*sha256.Size)
	}
	configured, valid := false, false
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		configured = true
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		// Every secret is tried, so the time taken does not tell which.
		valid = hmac.Equal(mac.Sum(nil), want) || valid
	}
	switch {
	case !configured:
		return fmt.Errorf("kryptos: VerifyWebhookSignature: %w", &ParamError{"secrets", "give at least one signing secret"})
	case !valid:
		return ErrWebhookSignatureMismatch
	}
	return nil
}

// WebhookEvent is one verified webhook delivery.
type WebhookEvent struct {
	// ID is the delivery's id (whd_...), the same in the body and the
	// X-Webhook-Id header, and repeated on retries of the delivery.
	ID          string
	Event       string
	Timestamp   time.Time
	GrantID     string
	WorkspaceID string
	// DeliveredAt is the X-Webhook-Timestamp header, when sent. The
	// signature does not cover it.
	DeliveredAt time.Time
	// Data is the event's payload as sent; the family methods decode it.
	Data json.RawMessage
}

// ProcessEvent is the payload of the transfer_detection.* and costbasis.*
// events.
type ProcessEvent struct {
	Action    string
	Status    string
	Reason    string
	Timestamp time.Time
}

// Family returns the part of the event name before the dot, such as
// "integration", "transfer_detection" or "costbasis".
func (e *WebhookEvent) Family() string {
	family, _, _ := strings.Cut(e.Event, ".")
	return family
}

// Integration decodes the payload of an integration.* event.
func (e *WebhookEvent) Integration() (*WebhookIntegration, error) {
	var in integrationJSON
	if err := e.decode("integration", &in); err != nil {
		return nil, err
	}
	out := in.integration()
	return &out, nil
}

// TransferDetection decodes the payload of a transfer_detection.* event.
func (e *WebhookEvent) TransferDetection() (*ProcessEvent, error) {
	return e.process("transfer_detection")
}

// CostBasis decodes the payload of a costbasis.* event.
func (e *WebhookEvent) CostBasis() (*ProcessEvent, error) { return e.process("costbasis") }

func (e *WebhookEvent) process(family string) (*ProcessEvent, error) {
	var p struct {
		Action    string    `json:"action"`
		Status    string    `json:"status"`
		Reason    string    `json:"reason"`
		Timestamp Timestamp `json:"timestamp"`
	}
	if err := e.decode(family, &p); err != nil {
		return nil, err
	}
	return &ProcessEvent{Action: p.Action, Status: p.Status, Reason: p.Reason, Timestamp: p.Timestamp.Time}, nil
}

func (e *WebhookEvent) decode(family string, v any) error {
	if e.Family() != family {
		return fmt.Errorf("%w: %s is not a %s event", ErrWebhookWrongFamily, e.Event, family)
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("%w: %s data: %w", ErrWebhookMalformed, e.Event, err)
	}
	return nil
}

// CheckAge returns ErrWebhookStale for a delivery sent more than maxAge
// before now, or one without an X-Webhook-Timestamp. The signature does not
// cover the timestamp, so a replayed delivery can carry a fresh one: combine
// this check with deduplication on ID.
func (e *WebhookEvent) CheckAge(maxAge time.Duration, now time.Time) error {
	if e.DeliveredAt.IsZero() {
		return fmt.Errorf("%w: no %s header", ErrWebhookStale, HeaderWebhookTimestamp)
	}
	if age := now.Sub(e.DeliveredAt); age > maxAge {
		return fmt.Errorf("%w: sent %s ago, more than %s", ErrWebhookStale, age.Round(time.Second), maxAge)
	}
	return nil
}

// ParseWebhook reads a delivery's body (at most DefaultMaxWebhookBytes),
// verifies its signature against secrets, decodes it, and checks that the
// X-Webhook-Event and X-Webhook-Id headers agree with the body. Event names
// it does not know still decode, with Data kept.
func ParseWebhook(r *http.Request, secrets ...string) (*WebhookEvent, error) {
	return parseWebhook(r, DefaultMaxWebhookBytes, secrets)
}

func parseWebhook(r *http.Request, maxBytes int64, secrets []string) (*WebhookEvent, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the body: %w", ErrWebhookMalformed, err)
	}
	if int64(len(body)) > maxBytes {
		return nil, fmt.Errorf("%w: over %d bytes", ErrWebhookTooLarge, maxBytes)
	}
	if err := VerifyWebhookSignature(body, r.Header.Get(HeaderWebhookSignature), secrets...); err != nil {
		return nil, err
	}
	ev, err := decodeWebhook(body)
	if err != nil {
		return nil, err
	}
	if h := r.Header.Get(HeaderWebhookEvent); h != "" && h != ev.Event {
		return nil, fmt.Errorf("%w: header says event %q, body says %q", ErrWebhookMalformed, h, ev.Event)
	}
	switch h := r.Header.Get(HeaderWebhookID); {
	case h != "" && ev.ID != "" && h != ev.ID:
		return nil, fmt.Errorf("%w: header says id %q, body says %q", ErrWebhookMalformed, h, ev.ID)
	case ev.ID == "" && h == "":
		return nil, fmt.Errorf("%w: no delivery id", ErrWebhookMalformed)
	case ev.ID == "":
		ev.ID = h
	}
	if h := r.Header.Get(HeaderWebhookTimestamp); h != "" {
		if ev.DeliveredAt, err = time.Parse(time.RFC3339Nano, h); err != nil {
			return nil, fmt.Errorf("%w: %s is not ISO 8601", ErrWebhookMalformed, HeaderWebhookTimestamp)
		}
	}
	return ev, nil
}

// decodeWebhook decodes a webhook body.
func decodeWebhook(body []byte) (*WebhookEvent, error) {
	var raw struct {
		ID          string          `json:"id"`
		Event       string          `json:"event"`
		Timestamp   Timestamp       `json:"timestamp"`
		GrantID     string          `json:"grant_id"`
		WorkspaceID string          `json:"workspace_id"`
		Data        json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWebhookMalformed, err)
	}
	if raw.Event == "" {
		return nil, fmt.Errorf("%w: no event name", ErrWebhookMalformed)
	}
	return &WebhookEvent{
		ID: raw.ID, Event: raw.Event, Timestamp: raw.Timestamp.Time,
		GrantID: raw.GrantID, WorkspaceID: raw.WorkspaceID, Data: raw.Data,
	}, nil
}

// WebhookDeduplicator remembers which deliveries were handled, so that a
// retried delivery is acknowledged without being handled twice. Back it with
// a shared store (Redis, your database) when several replicas receive
// webhooks.
type WebhookDeduplicator interface {
	// Begin claims id; it returns false when id was handled already or is
	// being handled now.
	Begin(ctx context.Context, id string) (bool, error)
	// Done ends the claim: a handled id is remembered, an unhandled one is
	// released, so that the retry of the delivery is handled.
	Done(ctx context.Context, id string, handled bool) error
}

// NewMemoryDeduplicator returns a WebhookDeduplicator in memory that
// remembers handled ids for ttl (Kryptos retries a delivery twice, within
// minutes; a day is ample).
func NewMemoryDeduplicator(ttl time.Duration) WebhookDeduplicator {
	return &memoryDedup{ttl: ttl, ids: map[string]time.Time{}}
}

type memoryDedup struct {
	ttl time.Duration
	mu  sync.Mutex
	// ids maps a claimed id to when it may be forgotten; the zero time
	// means it is being handled.
	ids   map[string]time.Time
	calls int
}

func (m *memoryDedup) Begin(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if m.calls++; m.calls%1024 == 0 {
		for k, until := range m.ids {
			if !until.IsZero() && now.After(until) {
				delete(m.ids, k)
			}
		}
	}
	if until, seen := m.ids[id]; seen && (until.IsZero() || now.Before(until)) {
		return false, nil
	}
	m.ids[id] = time.Time{}
	return true, nil
}

func (m *memoryDedup) Done(_ context.Context, id string, handled bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if handled {
		m.ids[id] = time.Now().Add(m.ttl)
	} else {
		delete(m.ids, id)
	}
	return nil
}

// WebhookOption configures NewWebhookHandler.
type WebhookOption func(*webhookHandler)

// WithWebhookMaxBytes replaces DefaultMaxWebhookBytes.
func WithWebhookMaxBytes(n int64) WebhookOption { return func(h *webhookHandler) { h.maxBytes = n } }

// WithWebhookMaxAge rejects deliveries sent longer ago than maxAge (see
// WebhookEvent.CheckAge). Off by default.
func WithWebhookMaxAge(maxAge time.Duration) WebhookOption {
	return func(h *webhookHandler) { h.maxAge = maxAge }
}

// WithWebhookDeduplicator replaces the default in-memory deduplicator, which
// remembers ids for a day.
func WithWebhookDeduplicator(d WebhookDeduplicator) WebhookOption {
	return func(h *webhookHandler) { h.dedup = d }
}

// WithWebhookLogger records each delivery's id, event and outcome (never
// the body or the secret). By default nothing is logged.
func WithWebhookLogger(l *slog.Logger) WebhookOption { return func(h *webhookHandler) { h.log = l } }

// NewWebhookHandler returns an http.Handler that receives Kryptos webhooks:
// it verifies each delivery against secrets, decodes it, hands it to fn once
// per delivery id, and answers so that Kryptos retries only what failed:
//
//   - 405 for a method other than POST;
//   - 401 for a missing or wrong signature;
//   - 413 for a body over the cap, 400 for a malformed or stale delivery;
//   - 200 for a duplicate delivery, acknowledged without calling fn;
//   - 200 when fn succeeds, 500 when it fails (the id is released, so the
//     retry is handled).
//
// fn should be quick (Kryptos waits 10 s): queue long work.
func NewWebhookHandler(secrets []string, fn func(context.Context, *WebhookEvent) error, opts ...WebhookOption) http.Handler {
	if fn == nil {
		panic("kryptos: NewWebhookHandler needs a function to handle events")
	}
	h := &webhookHandler{
		secrets:  append([]string(nil), secrets...),
		fn:       fn,
		maxBytes: DefaultMaxWebhookBytes,
		dedup:    NewMemoryDeduplicator(24 * time.Hour),
		log:      slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(h)
	}
	return h
}

type webhookHandler struct {
	secrets  []string
	fn       func(context.Context, *WebhookEvent) error
	maxBytes int64
	maxAge   time.Duration
	dedup    WebhookDeduplicator
	log      *slog.Logger
}

func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.answer(w, r, http.StatusMethodNotAllowed, "", "", "method not allowed")
		return
	}
	ev, err := parseWebhook(r, h.maxBytes, h.secrets)
	if err == nil && h.maxAge > 0 {
		err = ev.CheckAge(h.maxAge, time.Now())
	}
	switch {
	case errors.Is(err, ErrWebhookSignature):
		h.answer(w, r, http.StatusUnauthorized, "", "", err.Error())
		return
	case errors.Is(err, ErrWebhookTooLarge):
		h.answer(w, r, http.StatusRequestEntityTooLarge, "", "", err.Error())
		return
	case err != nil:
		h.answer(w, r, http.StatusBadRequest, "", "", err.Error())
		return
	}
	first, err := h.dedup.Begin(r.Context(), ev.ID)
	switch {
	case err != nil:
		h.answer(w, r, http.StatusInternalServerError, ev.ID, ev.Event, "deduplication: "+err.Error())
		return
	case !first:
		h.answer(w, r, http.StatusOK, ev.ID, ev.Event, "duplicate")
		return
	}
	handled := false
	defer func() {
		// Release the id on failure and on panic, so the retry is handled.
		_ = h.dedup.Done(context.WithoutCancel(r.Context()), ev.ID, handled)
	}()
	if err := h.fn(r.Context(), ev); err != nil {
		h.answer(w, r, http.StatusInternalServerError, ev.ID, ev.Event, "handler failed: "+err.Error())
		return
	}
	handled = true
	h.answer(w, r, http.StatusOK, ev.ID, ev.Event, "handled")
}

// answer writes a small JSON status and logs the delivery's outcome. The
// outcome goes to the log only: the sender of a forged or failed delivery
// learns nothing of the handler's errors.
func (h *webhookHandler) answer(w http.ResponseWriter, r *http.Request, status int, id, event, outcome string) {
	level := slog.LevelInfo
	if status >= 400 {
		level = slog.LevelWarn
	}
	h.log.LogAttrs(r.Context(), level, "kryptos: webhook",
		slog.String("id", id), slog.String("event", event), slog.Int("status", status), slog.String("outcome", maskSecrets(outcome, nil)))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]bool{"received": status < 300})
}
