package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/kryptos-connect/kryptos-go"
)

// The headers of a delivery (API.md §7).
const (
	// HeaderSignature holds the hex HMAC-SHA256 of the raw body, keyed with
	// the webhook's signing secret.
	HeaderSignature = "X-Webhook-Signature"
	// HeaderEvent repeats the body's event name.
	HeaderEvent = "X-Webhook-Event"
	// HeaderID repeats the body's delivery id, which retries reuse.
	HeaderID = "X-Webhook-Id"
	// HeaderTimestamp is when the delivery was sent (ISO 8601). The
	// signature does not cover it.
	HeaderTimestamp = "X-Webhook-Timestamp"
)

// Sign returns the signature Kryptos sends with body: the hex HMAC-SHA256 of
// body keyed with secret. Use it to sign deliveries in your tests; the
// kryptostest sandbox signs with it too.
func Sign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Verify checks that signature, the value of the X-Webhook-Signature header,
// is the hex HMAC-SHA256 of body under one of secrets. Pass the new and the
// old secret while rotating, so that no delivery is refused. Every secret is
// tried, and compared in constant time, so that the time taken tells nothing.
// Hex digits of either case and a "sha256=" prefix are accepted.
//
// The error matches ErrSignature, or is a *kryptos.ParamError (matching
// kryptos.ErrInvalidParams) when secrets is empty or holds an empty or blank
// secret: a configuration error, such as an unset environment variable,
// that would otherwise refuse every delivery.
func Verify(body []byte, signature string, secrets ...string) error {
	if err := checkSecrets(secrets); err != nil {
		return fmt.Errorf("webhook: Verify: %w", err)
	}
	sig := strings.TrimPrefix(strings.TrimSpace(signature), "sha256=")
	if sig == "" {
		return ErrSignatureMissing
	}
	want, err := hex.DecodeString(sig)
	if err != nil || len(want) != sha256.Size {
		return ErrSignatureMalformed
	}
	valid := false
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		valid = hmac.Equal(mac.Sum(nil), want) || valid
	}
	if !valid {
		return ErrSignatureMismatch
	}
	return nil
}

// checkSecrets refuses a list of signing secrets that would make every
// delivery fail: none at all, or one that is empty, blank, or wrapped in
// white space (read with its newline from a file).
func checkSecrets(secrets []string) error {
	if len(secrets) == 0 {
		return &kryptos.ParamError{Field: "secrets", Problem: "give at least one signing secret (from the Developer Portal)"}
	}
	for i, s := range secrets {
		field := fmt.Sprintf("secrets[%d]", i)
		switch {
		case strings.TrimSpace(s) == "":
			return &kryptos.ParamError{Field: field, Problem: "is empty or blank: is the variable it is read from set?"}
		case strings.TrimSpace(s) != s:
			return &kryptos.ParamError{Field: field, Problem: "starts or ends with white space (a newline read from a file?)"}
		}
	}
	return nil
}
