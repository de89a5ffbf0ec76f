// Package redact keeps secrets and forged lines out of the texts the SDK
// logs and returns: a server's error message, a webhook function's error.
package redact

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Mark replaces a secret.
const Mark = "[redacted]"

// tokenPattern matches the API's token formats, so that a text that echoes
// one does not carry it into logs.
var tokenPattern = regexp.MustCompile(`\b(cat|crt|public|link)_[A-Za-z0-9._~+/=-]+`)

// Secrets hides each of secrets, and anything shaped like a token, in s.
func Secrets(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, Mark)
		}
	}
	return tokenPattern.ReplaceAllString(s, "${1}_"+Mark)
}

// OneLine escapes control characters, CR and LF among them, so that a text
// cannot break a log line or forge another.
func OneLine(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
