package kryptos

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/kryptos-connect/kryptos-go/internal/redact"
)

// Secret is a token or credential: an access, refresh, link or public token.
// It never shows its value when printed, logged or encoded: fmt's verbs,
// slog (at any depth, JSON handlers included) and encoding/json all see
// "cat_[redacted]", keeping only the kind of token. Call Reveal to get the
// value, to store it (encrypted) or to hand a link token to the widget.
//
// It holds its value behind a pointer, so that even where fmt cannot call
// its methods (a Secret inside an unexported field of your own struct, or
// behind a pointer in a slice printed with %s) it prints an address, never
// the value. Compare secrets with Reveal, not ==.
//
// Because json.Marshal never writes the value, a struct that holds a Secret
// (an AccessGrant, say) cannot carry a token into a log line, an API answer
// or an error report by accident; the same is true of storing it that way,
// so store Reveal()'s value instead. Decoding JSON that holds the redacted
// form fails, rather than yielding a token that does not work.
type Secret struct{ value *string }

// NewSecret returns a Secret holding value, such as an access token read
// from your store.
func NewSecret(value string) Secret {
	if value == "" {
		return Secret{}
	}
	return Secret{&value}
}

// redactedMark replaces a secret wherever a value is printed or logged.
const redactedMark = redact.Mark

// Reveal returns the secret's value; "" for the zero Secret.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// IsZero reports whether s holds no value.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

// String returns the redacted form, such as "cat_[redacted]"; "" for the
// zero Secret.
func (s Secret) String() string { return masked(s.Reveal()) }

// GoString returns the redacted form as Go syntax, for %#v.
func (s Secret) GoString() string { return "kryptos.NewSecret(" + strconv.Quote(s.String()) + ")" }

// Format prints the redacted form for every verb.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, s.GoString())
	case verb == 'q':
		_, _ = io.WriteString(f, strconv.Quote(s.String()))
	default:
		_, _ = io.WriteString(f, s.String())
	}
}

// LogValue logs the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText encodes the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// errRedactedSecret is the error of decoding a secret that was written in
// its redacted form.
var errRedactedSecret = errors.New("kryptos: this value is a redacted secret, written by an encoder that never writes secrets; store Secret.Reveal() instead")

// UnmarshalText decodes a secret, refusing one in its redacted form.
func (s *Secret) UnmarshalText(b []byte) error {
	if strings.HasSuffix(string(b), redactedMark) {
		return errRedactedSecret
	}
	*s = NewSecret(string(b))
	return nil
}

// UnmarshalJSON decodes a JSON string, refusing a secret in its redacted
// form. null leaves s unchanged.
func (s *Secret) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("kryptos: a secret must be a JSON string: %w", err)
	}
	return s.UnmarshalText([]byte(v))
}

// masked hides a token but keeps its kind: "cat_abc" becomes "cat_[redacted]".
func masked(s string) string {
	if s == "" {
		return ""
	}
	if i := strings.IndexByte(s, '_'); i > 0 && i < 8 {
		return s[:i+1] + redactedMark
	}
	return redactedMark
}
