package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// EventType is the name of an event, such as "integration.created", kept
// exactly as sent, including names this package does not know yet.
type EventType string

// The events Kryptos sends (API.md §7).
const (
	EventIntegrationCreated         EventType = "integration.created"
	EventIntegrationUpdated         EventType = "integration.updated"
	EventIntegrationDeleted         EventType = "integration.deleted"
	EventIntegrationFailed          EventType = "integration.failed"
	EventTransferDetectionStarted   EventType = "transfer_detection.started"
	EventTransferDetectionCompleted EventType = "transfer_detection.completed"
	EventTransferDetectionFailed    EventType = "transfer_detection.failed"
	EventCostBasisStarted           EventType = "costbasis.started"
	EventCostBasisCompleted         EventType = "costbasis.completed"
	EventCostBasisFailed            EventType = "costbasis.failed"
)

// The families of events, which decide the shape of their data.
const (
	FamilyIntegration       = "integration"
	FamilyTransferDetection = "transfer_detection"
	FamilyCostBasis         = "costbasis"
)

// Family returns the part of the name before the dot, such as
// "integration": events of one family carry data of one shape, so an event
// added to a family later still decodes.
func (t EventType) Family() string {
	family, _, _ := strings.Cut(string(t), ".")
	return family
}

// Event is one verified delivery. Exactly one of Integration and Process is
// set for the documented families; neither for an event of another family,
// whose data stays in Data.
type Event struct {
	// ID is the delivery's id ("whd_..."). Kryptos reuses it on the
	// delivery's retries: it is the key of deduplication.
	ID string
	// Type is the event's name.
	Type EventType
	// Timestamp is when the event happened, from the signed body.
	Timestamp time.Time
	// GrantID is the grant the event belongs to: attribute the event to a
	// user through it, as the data carries no user id.
	GrantID string
	// WorkspaceID is the grant's workspace; "" for grants issued before v2.
	WorkspaceID string
	// DeliveredAt is the X-Webhook-Timestamp header: when this attempt was
	// sent. The signature does not cover it; zero when absent.
	DeliveredAt time.Time
	// Integration is the data of an integration.* event.
	Integration *Integration
	// Process is the data of a transfer_detection.* or costbasis.* event.
	Process *Process
	// Data is the event's data exactly as sent.
	Data json.RawMessage
	// Warnings lists what was not in its documented form: a field of an
	// unexpected JSON type (left at its zero value, or read from its other
	// form, such as a number in a string), a header that disagrees with the
	// body. They never hold a value of the body. The Handler logs them; the
	// event is still handled, as refusing it would lose it for good.
	Warnings []string
}

// Integration is the data of an integration.* event: the integration's
// state when the event happened. It is the webhook's own shape, not the
// data API's.
type Integration struct {
	// WalletID identifies the integration; kryptos.Client.ResyncIntegration
	// takes it.
	WalletID           string
	Provider           string
	ProviderPublicName string
	// PublicAddress is the wallet's address; "" for an exchange or a CSV.
	PublicAddress string
	LogoURL       string
	IsContract    bool
	Alias         string
	Status        IntegrationStatus
	// ErrorMessage says why, when Status is StatusFailed.
	ErrorMessage string
	Category     Category
	Type         IntegrationType
	// TotalTransactions is the number of transactions synced so far.
	TotalTransactions int64
	// AddedOn is when the integration was connected; zero when unknown.
	AddedOn time.Time
	// LastSyncedAt is when it last synced; zero when never.
	LastSyncedAt time.Time
}

// IntegrationStatus is an integration's state in a webhook. The webhook has
// its own vocabulary, in capitals: do not compare it with the data API's
// sync statuses. A status this package does not know is kept as sent.
type IntegrationStatus string

// The documented integration statuses.
const (
	StatusQueued  IntegrationStatus = "QUEUED"
	StatusSyncing IntegrationStatus = "SYNCING"
	// StatusCompleted ends a sync, a partial one included.
	StatusCompleted IntegrationStatus = "COMPLETED"
	// StatusFailed ends a failed or cancelled sync; ErrorMessage says why.
	StatusFailed   IntegrationStatus = "FAILED"
	StatusDeleting IntegrationStatus = "DELETING"
	StatusDeleted  IntegrationStatus = "DELETED"
	StatusInactive IntegrationStatus = "INACTIVE"
)

// Terminal reports whether s ends the integration's current work, so that
// nothing more happens until a resync: COMPLETED, FAILED, DELETED or
// INACTIVE. It is false for a status this package does not know.
func (s IntegrationStatus) Terminal() bool {
	switch s {
	case StatusCompleted, StatusFailed, StatusDeleted, StatusInactive:
		return true
	}
	return false
}

// Category is the kind of an integration's provider. A value this package
// does not know is kept as sent.
type Category string

// The documented categories.
const (
	CategoryExchange   Category = "exchange"
	CategoryWallet     Category = "wallet"
	CategoryBlockchain Category = "blockchain"
	CategoryUnknown    Category = "unknown"
)

// IntegrationType is how an integration's data arrives. A value this
// package does not know is kept as sent.
type IntegrationType string

// The documented integration types.
const (
	// TypeAPI is synced from the provider: a wallet's chain, an exchange's
	// API.
	TypeAPI IntegrationType = "api"
	// TypeCSV is imported from a file.
	TypeCSV IntegrationType = "csv"
)

// Process is the data of a transfer_detection.* or costbasis.* event.
type Process struct {
	Action ProcessAction
	Status ProcessStatus
	// Reason says why, when there is something to say (often on failure);
	// "" when null.
	Reason string
	// Timestamp is when the process reached Status.
	Timestamp time.Time
}

// ProcessAction is what ran a process. A value this package does not know
// is kept as sent.
type ProcessAction string

// The documented process actions.
const (
	ActionDetectTransfer ProcessAction = "DETECT_TRANSFER"
	ActionAccountManager ProcessAction = "ACCOUNT_MANAGER"
)

// ProcessStatus is where a process stands, in lower case. A value this
// package does not know is kept as sent.
type ProcessStatus string

// The documented process statuses.
const (
	ProcessStarted   ProcessStatus = "started"
	ProcessCompleted ProcessStatus = "completed"
	ProcessFailed    ProcessStatus = "failed"
)

// Terminal reports whether s ends the process: completed or failed.
func (s ProcessStatus) Terminal() bool { return s == ProcessCompleted || s == ProcessFailed }

// Parse verifies a delivery's signature against secrets (see Verify) and
// decodes it. header is the request's; body is its whole raw body, which
// the caller reads with a size limit of its choice. The error matches
// ErrSignature, ErrMalformed, or is a *kryptos.ParamError for unusable
// secrets. An event of a family this package does not know still decodes,
// with its Data kept; a field in an unexpected form is noted in Warnings
// instead of failing the delivery.
func Parse(body []byte, header http.Header, secrets ...string) (*Event, error) {
	if err := Verify(body, header.Get(HeaderSignature), secrets...); err != nil {
		return nil, err
	}
	return decode(body, header)
}

// decode reads a delivery whose signature was checked.
func decode(body []byte, header http.Header) (*Event, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil || env == nil {
		return nil, fmt.Errorf("%w: the body is not a JSON object", ErrMalformed)
	}
	r := reader{}
	ev := &Event{
		ID:          r.str("id", env["id"]),
		Type:        EventType(r.str("event", env["event"])),
		Timestamp:   r.time("timestamp", env["timestamp"]),
		GrantID:     r.str("grant_id", env["grant_id"]),
		WorkspaceID: r.str("workspace_id", env["workspace_id"]),
		Data:        env["data"],
	}
	// The headers are not signed: the body wins, and a disagreement is
	// noted. Only when the body lacks a value does a header give it.
	if h := header.Get(HeaderID); h != "" {
		switch {
		case ev.ID == "":
			ev.ID = h
			r.warn("id: missing from the body; taken from the " + HeaderID + " header")
		case h != ev.ID:
			r.warn("id: the " + HeaderID + " header disagrees with the body; the body's is used")
		}
	}
	if h := EventType(header.Get(HeaderEvent)); h != "" {
		switch {
		case ev.Type == "":
			ev.Type = h
			r.warn("event: missing from the body; taken from the " + HeaderEvent + " header")
		case h != ev.Type:
			r.warn("event: the " + HeaderEvent + " header disagrees with the body; the body's is used")
		}
	}
	switch {
	case ev.ID == "":
		return nil, fmt.Errorf("%w: no delivery id in the body or the %s header", ErrMalformed, HeaderID)
	case ev.Type == "":
		return nil, fmt.Errorf("%w: no event name in the body or the %s header", ErrMalformed, HeaderEvent)
	}
	if absent(env["grant_id"]) {
		r.warn("grant_id: missing: the event cannot be attributed to a user")
	}
	if h := header.Get(HeaderTimestamp); h != "" {
		t, err := time.Parse(time.RFC3339Nano, h)
		if err != nil {
			r.warn(HeaderTimestamp + ": not an ISO 8601 time")
		}
		ev.DeliveredAt = t
	}
	switch ev.Type.Family() {
	case FamilyIntegration:
		ev.Integration = r.integration(ev.Data)
	case FamilyTransferDetection, FamilyCostBasis:
		ev.Process = r.process(ev.Data)
	}
	ev.Warnings = r.warnings
	return ev, nil
}

// reader reads the fields of a delivery leniently, noting what is not in
// its documented form.
type reader struct {
	warnings []string
	prefix   string
}

func (r *reader) warn(w string) { r.warnings = append(r.warnings, r.prefix+w) }

// odd notes a field of an unexpected JSON type, naming the type but never
// the value.
func (r *reader) odd(field, want string, raw json.RawMessage) {
	r.warn(fmt.Sprintf("%s: want %s, got %s", field, want, kind(raw)))
}

// fields reads a JSON object as its fields; anything else is noted and
// read as no fields.
func (r *reader) fields(raw json.RawMessage) map[string]json.RawMessage {
	var f map[string]json.RawMessage
	if json.Unmarshal(raw, &f) != nil || f == nil {
		r.odd("data", "an object", raw)
	}
	return f
}

func (r *reader) integration(raw json.RawMessage) *Integration {
	f := r.fields(raw)
	r.prefix = "data."
	defer func() { r.prefix = "" }()
	in := &Integration{
		WalletID:           r.str("walletId", f["walletId"]),
		Provider:           r.str("provider", f["provider"]),
		ProviderPublicName: r.str("providerPublicName", f["providerPublicName"]),
		PublicAddress:      r.str("publicAddress", f["publicAddress"]),
		LogoURL:            r.str("logoUrl", f["logoUrl"]),
		IsContract:         r.boolean("isContract", f["isContract"]),
		Alias:              r.str("alias", f["alias"]),
		Status:             IntegrationStatus(r.str("status", f["status"])),
		ErrorMessage:       r.str("errorMessage", f["errorMessage"]),
		Category:           Category(r.str("category", f["category"])),
		Type:               IntegrationType(r.str("type", f["type"])),
		TotalTransactions:  r.integer("totalTransactions", f["totalTransactions"]),
		AddedOn:            r.time("addedOn", f["addedOn"]),
		LastSyncedAt:       r.time("lastSyncedAt", f["lastSyncedAt"]),
	}
	return in
}

func (r *reader) process(raw json.RawMessage) *Process {
	f := r.fields(raw)
	r.prefix = "data."
	defer func() { r.prefix = "" }()
	return &Process{
		Action:    ProcessAction(r.str("action", f["action"])),
		Status:    ProcessStatus(r.str("status", f["status"])),
		Reason:    r.str("reason", f["reason"]),
		Timestamp: r.time("timestamp", f["timestamp"]),
	}
}

// absent reports whether raw is missing or null.
func absent(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// str reads a string; missing or null is "".
func (r *reader) str(field string, raw json.RawMessage) string {
	if absent(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		r.odd(field, "a string", raw)
	}
	return s
}

// boolean reads true or false; the strings "true" and "false" are read too,
// and noted.
func (r *reader) boolean(field string, raw json.RawMessage) bool {
	switch string(raw) {
	case "", "null", "false":
		return false
	case "true":
		return true
	case `"true"`, `"false"`:
		r.odd(field, "true or false", raw)
		return string(raw) == `"true"`
	}
	r.odd(field, "true or false", raw)
	return false
}

// integer reads a whole number; one in a string is read too, and noted.
func (r *reader) integer(field string, raw json.RawMessage) int64 {
	if absent(raw) {
		return 0
	}
	text := string(raw)
	if raw[0] == '"' {
		r.odd(field, "a number", raw)
		if json.Unmarshal(raw, &text) != nil {
			return 0
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(text, 64)
		if ferr != nil || f != f || f < -1<<63 || f >= 1<<63 {
			if raw[0] != '"' {
				r.odd(field, "a whole number", raw)
			}
			return 0
		}
		if raw[0] != '"' && f != float64(int64(f)) {
			r.odd(field, "a whole number", raw)
		}
		n = int64(f)
	}
	return n
}

// time reads a time in either documented form: Unix milliseconds (0 is
// "never", the zero time) or an ISO 8601 string, which older docs show.
func (r *reader) time(field string, raw json.RawMessage) time.Time {
	var t kryptos.Timestamp
	if err := t.UnmarshalJSON(raw); err != nil {
		r.odd(field, "Unix milliseconds or an ISO 8601 time", raw)
		return time.Time{}
	}
	return t.Time
}

// kind names the JSON type of raw.
func kind(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
