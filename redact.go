package kryptos

import (
	"fmt"
	"io"
	"strings"
)

// redactedMark replaces a secret wherever a value is printed or logged.
const redactedMark = "[redacted]"

// redact hides a token but keeps its kind: "cat_abc" becomes "cat_[redacted]".
func redact(s string) string {
	if s == "" {
		return ""
	}
	if i := strings.IndexByte(s, '_'); i > 0 && i < 8 {
		return s[:i+1] + redactedMark
	}
	return redactedMark
}

// formatRedacted prints view, a copy of a value whose secrets are already
// redacted and whose type has no methods, as fmt would print the original
// for f and verb; for %#v it names the original type.
func formatRedacted(f fmt.State, verb rune, name string, view any) {
	s := fmt.Sprintf(fmt.FormatString(f, verb), view)
	if verb == 'v' && f.Flag('#') {
		s = strings.Replace(s, fmt.Sprintf("%T", view), "kryptos."+name, 1)
	}
	_, _ = io.WriteString(f, s)
}
