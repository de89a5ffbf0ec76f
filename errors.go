package kryptos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
	"github.com/kryptos-connect/kryptos-go/internal/redact"
)

// Error is a failed API call: the API answered with an error envelope
// ({"success": false, "error": ..., "code": ...} or the data API's other
// shapes), a 2xx with success false, a status without an envelope (a bare
// 401, a proxy's HTML page), a body that could not be read or decoded, or a
// success that lacks what the operation returns.
//
// Use errors.As to reach it, and errors.Is with the sentinels below to match
// its code:
//
//	var apiErr *kryptos.Error
//	if errors.As(err, &apiErr) { log.Println(apiErr.StatusCode, apiErr.Code, apiErr.RequestID) }
//	if errors.Is(err, kryptos.ErrTokenExpired) { /* create a new link token */ }
type Error struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code is the API's error code, such as "GRANT_NOT_FOUND", exactly as
	// sent, including codes this package does not know. It is empty when the
	// answer had none.
	Code string
	// Message is the API's human-readable message, or a description of an
	// answer that was not the API's JSON. It is one line: control characters
	// are escaped. Secrets the server echoed, and token-like values, are
	// masked.
	Message string
	// RequestID is the X-Request-Id header of the answer, for support.
	RequestID string
	// Details is the details object of a wrapped error, as sent, such as a
	// VALIDATION_ERROR's {"issues": [...]}, which names each field that
	// failed (DATA-API.md §3.2; the issues' shape is not documented); nil
	// when the answer had none. Secrets the server echoed, and token-like
	// values, are masked as in Message.
	Details json.RawMessage
	// RetryAfter is how long the server asked to wait (Retry-After or
	// retry_after), when it did.
	RetryAfter time.Duration

	cause error
}

// Error returns a one-line description without any secret.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "API error %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request " + e.RequestID + ")")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap returns the cause of a body that could not be read or decoded, such
// as ErrResponseTooLarge or ErrMalformedResponse, or the context error that
// ended the call while it waited to repeat this answer.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is a sentinel that matches e's status or code.
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	if !ok {
		return false
	}
	if s.status != 0 && e.StatusCode == s.status {
		return true
	}
	return s.code != "" && strings.EqualFold(e.Code, s.code)
}

// sentinel is an error value that an *Error matches through errors.Is when
// its status or its code is the sentinel's.
type sentinel struct {
	code   string
	status int
	text   string
}

func (s *sentinel) Error() string { return "kryptos: " + s.text }

func codeSentinel(code string) error { return &sentinel{code: code, text: code} }

// Sentinels for the API's documented error codes. Each matches an *Error
// whose Code is the one in its name (in any case), through errors.Is.
var (
	ErrInvalidClient              = codeSentinel("INVALID_CLIENT")
	ErrInvalidToken               = codeSentinel("INVALID_TOKEN")
	ErrTokenExpired               = codeSentinel("TOKEN_EXPIRED")
	ErrTokenAlreadyUsed           = codeSentinel("TOKEN_ALREADY_USED")
	ErrInvalidScope               = codeSentinel("INVALID_SCOPE")
	ErrInvalidGrant               = codeSentinel("INVALID_GRANT")
	ErrInsufficientPermissions    = codeSentinel("INSUFFICIENT_PERMISSIONS")
	ErrWorkspaceNotFound          = codeSentinel("WORKSPACE_NOT_FOUND")
	ErrGrantNotFound              = codeSentinel("GRANT_NOT_FOUND")
	ErrAccessDenied               = codeSentinel("ACCESS_DENIED")
	ErrNotAnonUser                = codeSentinel("NOT_ANON_USER")
	ErrIntegrationNotFound        = codeSentinel("INTEGRATION_NOT_FOUND")
	ErrCSVSourceMissing           = codeSentinel("CSV_SOURCE_MISSING")
	ErrCSVResyncLatestUnsupported = codeSentinel("CSV_RESYNC_LATEST_UNSUPPORTED")
	ErrCSVResyncUnsupported       = codeSentinel("CSV_RESYNC_UNSUPPORTED")
	ErrSyncDisabled               = codeSentinel("SYNC_DISABLED")
	ErrSandboxProviderNotAllowed  = codeSentinel("SANDBOX_PROVIDER_NOT_ALLOWED")
	ErrSandboxAddressNotAllowed   = codeSentinel("SANDBOX_ADDRESS_NOT_ALLOWED")
	ErrValidation                 = codeSentinel("VALIDATION_ERROR")
	ErrInternal                   = codeSentinel("INTERNAL_ERROR")
	ErrExternalService            = codeSentinel("EXTERNAL_SERVICE_ERROR")
	ErrOTPNotRequested            = codeSentinel("OTP_NOT_REQUESTED")
	ErrEmailMismatch              = codeSentinel("EMAIL_MISMATCH")
	ErrInvalidOTP                 = codeSentinel("INVALID_OTP")
)

// Sentinels for the data API's OAuth-style error codes.
var (
	// ErrInsufficientScope is a grant without the scope the call needs: the
	// user must consent again with more scopes.
	ErrInsufficientScope = codeSentinel("insufficient_scope")
	// ErrForbidden is a credential bound to another workspace than the one
	// asked for, or a user who is not a member of it.
	ErrForbidden = codeSentinel("forbidden")
	// ErrBadRequest is a call that needs a workspace ID it was not given.
	ErrBadRequest = codeSentinel("bad_request")
)

// Sentinels for the OAuth 2.0 error codes (RFC 6749 §5.2) that have no
// Connect twin above; invalid_grant, invalid_client, invalid_scope,
// invalid_token and access_denied match ErrInvalidGrant, ErrInvalidClient,
// ErrInvalidScope, ErrInvalidToken and ErrAccessDenied, as codes match in any
// case.
var (
	// ErrInvalidRequest is a request the provider could not read.
	ErrInvalidRequest = codeSentinel("invalid_request")
	// ErrUnsupportedGrantType is a grant type the provider does not offer.
	ErrUnsupportedGrantType = codeSentinel("unsupported_grant_type")
	// ErrUnauthorizedClient is a client not allowed to use a grant type.
	ErrUnauthorizedClient = codeSentinel("unauthorized_client")
)

// ErrNotFound matches any answer with status 404 or code NOT_FOUND: the
// data API's single reads answer an unknown id with a 404 that may carry
// no code at all.
var ErrNotFound error = &sentinel{code: "NOT_FOUND", status: 404, text: "not found"}

// ErrRateLimited matches any answer with status 429 or code
// RATE_LIMIT_EXCEEDED. Its *Error carries the server's RetryAfter.
var ErrRateLimited error = &sentinel{code: "RATE_LIMIT_EXCEEDED", status: 429, text: "rate limited"}

// ErrUnauthorized matches any answer with status 401, with or without an
// envelope: the client credentials, or the token sent, were refused.
var ErrUnauthorized error = &sentinel{status: 401, text: "unauthorized"}

// ErrInvalidParams matches every argument rejected before a request is sent.
// The error is a *ParamError that names the field.
var ErrInvalidParams = errors.New("kryptos: invalid parameters")

// ErrOutcomeUnknown matches the failure of a call that has an effect the API
// performs only once (exchanging a public token, queueing a resync) when the
// request may have been processed: a timeout or reset after it was sent, a
// 5xx, or a success whose body was lost or lacked its result; the
// failure of a revoke whose retry found the grant gone; and a transaction
// limit change whose retry was answered "nothing changed". The effect may or
// may not have happened; the call is not repeated automatically, and
// repeating it by hand may fail or do it twice. The error also wraps the
// underlying cause. A call that was never sent (ctx ended, or the
// client-side quota refused it) never matches it.
var ErrOutcomeUnknown = errors.New("kryptos: outcome unknown")

// ErrNotSent matches the failure of a call that never reached the API: ctx
// ended or the client-side quota refused it before it was sent
// (ErrQuotaWait), or every attempt failed before it had a connection (a
// refused connection; through net/http's own Transport, also a one-shot
// call's dial cut off by a timeout). Such a call had no effect: repeating
// it cannot do anything twice. It never matches together with
// ErrOutcomeUnknown or an *Error.
var ErrNotSent = errors.New("kryptos: not sent")

// ErrResponseTooLarge is wrapped by the *Error of an answer whose body is
// larger than the cap set with WithMaxResponseBytes.
var ErrResponseTooLarge = httpcore.ErrBodyTooLarge

// ErrAttemptTimeout is wrapped by the error of a call whose last attempt ran
// longer than the WithTimeout bound.
var ErrAttemptTimeout = httpcore.ErrAttemptTimeout

// ErrMalformedResponse is wrapped by the error of a successful answer that
// is not valid JSON, is cut short, or lacks a field the operation cannot do
// without, such as a link token.
var ErrMalformedResponse = httpcore.ErrMalformed

// ParamError is an argument rejected before any request was sent. It matches
// ErrInvalidParams. It never repeats a rejected value that may be secret,
// such as a token or an id; a value that is not, such as a malformed scope,
// it may name, to be found.
type ParamError struct {
	// Field names the argument, as in "clientSecret" or "params.Mode".
	Field string
	// Problem says what is wrong with it.
	Problem string
}

// Error names the field and the problem.
func (e *ParamError) Error() string { return "invalid " + e.Field + ": " + e.Problem }

// Unwrap returns ErrInvalidParams.
func (e *ParamError) Unwrap() error { return ErrInvalidParams }

// outcomeError is the failure of a one-time operation that may have taken
// effect. It matches both ErrOutcomeUnknown and its cause.
type outcomeError struct {
	advice string
	cause  error
}

func (e *outcomeError) Error() string {
	return "outcome unknown: " + e.advice + ": " + e.cause.Error()
}

func (e *outcomeError) Unwrap() []error { return []error{ErrOutcomeUnknown, e.cause} }

// opError turns what the HTTP core returned into the errors this package
// documents. scrub lists the secrets the call carried, which a server might
// echo back in its message.
func opError(op *operation, err error, scrub []string) error {
	var (
		failure   *httpcore.Failure
		transport *httpcore.TransportError
		ambiguous bool
	)
	switch {
	case errors.As(err, &failure):
		ambiguous = failure.Ambiguous
		cause := failure.Err
		if errors.Is(cause, httpcore.ErrBodyCut) && failure.StatusCode >= 200 && failure.StatusCode < 300 {
			cause = fmt.Errorf("%w: %w", ErrMalformedResponse, cause)
		}
		err = &Error{
			StatusCode: failure.StatusCode,
			Code:       redact.OneLine(failure.Code),
			Message:    redact.OneLine(redact.Secrets(failure.Message, scrub)),
			RequestID:  redact.OneLine(failure.RequestID),
			Details:    redactDetails(failure.Details, scrub),
			RetryAfter: failure.RetryAfter,
			cause:      cause,
		}
	case errors.As(err, &transport):
		ambiguous = transport.Ambiguous
		if transport.Unreached {
			err = notSentError{err}
		}
	}
	return wrapOp(op, err, ambiguous)
}

// redactDetails masks secrets in every string of an error's details, keys
// included, once JSON escapes are undone (a secret sent as "\u0063at_..."
// is still a secret). Details that are not JSON are dropped.
func redactDetails(details json.RawMessage, scrub []string) json.RawMessage {
	if details == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(details))
	dec.UseNumber() // numbers kept as sent
	var v any
	if dec.Decode(&v) != nil {
		return nil
	}
	masked, err := json.Marshal(redactValue(v, scrub))
	if err != nil {
		return nil
	}
	return masked
}

func redactValue(v any, scrub []string) any {
	switch t := v.(type) {
	case string:
		return redact.Secrets(t, scrub)
	case []any:
		for i := range t {
			t[i] = redactValue(t[i], scrub)
		}
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[redact.Secrets(k, scrub)] = redactValue(x, scrub)
		}
		return m
	}
	return v
}

// notSentError is the failure of a call that never reached the API: it
// matches ErrNotSent, and reads as its cause.
type notSentError struct{ error }

func (e notSentError) Unwrap() []error { return []error{ErrNotSent, e.error} }

// wrapOp prefixes err with the operation's name, and makes it match
// ErrOutcomeUnknown when the operation's effect may have happened.
func wrapOp(op *operation, err error, ambiguous bool) error {
	if ambiguous {
		err = &outcomeError{advice: op.advice, cause: err}
	}
	return fmt.Errorf("kryptos: %s: %w", op.name, err)
}
