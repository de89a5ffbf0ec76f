package webhook

import (
	"errors"
	"fmt"
)

// ErrSignature matches every delivery whose signature is missing, malformed
// or made with none of the secrets. A Handler answers it 401, which Kryptos
// does not retry: when genuine deliveries fail this way (a secret that was
// rotated, or read from an unset variable), they are lost, so the Handler
// logs it at error level.
var ErrSignature = errors.New("webhook: signature not valid")

// Signature errors; each also matches ErrSignature.
var (
	// ErrSignatureMissing is a delivery without an X-Webhook-Signature.
	ErrSignatureMissing = fmt.Errorf("%w: no %s header", ErrSignature, HeaderSignature)
	// ErrSignatureMalformed is a signature that is not 64 hex digits.
	ErrSignatureMalformed = fmt.Errorf("%w: want 64 hex digits", ErrSignature)
	// ErrSignatureMismatch is a signature made with none of the secrets:
	// a wrong or outdated secret, or a body changed on the way.
	ErrSignatureMismatch = fmt.Errorf("%w: it matches none of the secrets (wrong or rotated secret, or a changed body)", ErrSignature)
)

// ErrMalformed matches a correctly signed body that is not a webhook
// delivery: not a JSON object, or without an event name or a delivery id.
var ErrMalformed = errors.New("webhook: malformed delivery")

// errStale is a delivery whose event is older than the Handler's
// WithMaxAge.
var errStale = errors.New("webhook: stale delivery")

// ErrLeaseLost is returned by a Deduplicator's Extend, and may be returned
// by its Done, when the claim of the given token has expired: another call
// may have claimed the id since.
var ErrLeaseLost = errors.New("webhook: the claim on this delivery id has expired")
