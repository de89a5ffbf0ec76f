package kryptos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Scope is one permission a user grants to the client, such as
// "transactions:read".
type Scope string

// Core scopes.
const (
	// ScopeOpenID is required in every link token request.
	ScopeOpenID        Scope = "openid"
	ScopeProfile       Scope = "profile"
	ScopeEmail         Scope = "email"
	ScopeOfflineAccess Scope = "offline_access"
)

// Resource scopes: read and write for each kind of data (API.md §4). There
// is no separate balances, defi or nft scope: portfolios covers holdings,
// balances, DeFi and NFTs.
const (
	// ScopePortfoliosRead covers holdings, balances, DeFi, NFTs and
	// portfolios.
	ScopePortfoliosRead  Scope = "portfolios:read"
	ScopePortfoliosWrite Scope = "portfolios:write"
	// ScopeTransactionsRead covers transactions, ledgers and spam (labels
	// need no scope).
	ScopeTransactionsRead  Scope = "transactions:read"
	ScopeTransactionsWrite Scope = "transactions:write"
	// ScopeIntegrationsRead covers wallets, exchanges, syncs and CSV imports.
	ScopeIntegrationsRead  Scope = "integrations:read"
	ScopeIntegrationsWrite Scope = "integrations:write"
	// ScopeContactsRead covers contacts and counter-parties. It is not in the
	// default set: the client must be registered with it and ask for it.
	ScopeContactsRead    Scope = "contacts:read"
	ScopeContactsWrite   Scope = "contacts:write"
	ScopeTaxRead         Scope = "tax:read"
	ScopeTaxWrite        Scope = "tax:write"
	ScopeAccountingRead  Scope = "accounting:read"
	ScopeAccountingWrite Scope = "accounting:write"
	ScopeReportsRead     Scope = "reports:read"
	ScopeReportsWrite    Scope = "reports:write"
	ScopeWorkspaceRead   Scope = "workspace:read"
	ScopeWorkspaceWrite  Scope = "workspace:write"
	ScopeUsersRead       Scope = "users:read"
	ScopeUsersWrite      Scope = "users:write"
)

// knownScopes holds every documented scope. It is never modified.
var knownScopes = func() map[Scope]bool {
	m := make(map[Scope]bool)
	for _, s := range []Scope{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeOfflineAccess} {
		m[s] = true
	}
	for _, r := range []string{"portfolios", "transactions", "integrations", "contacts", "tax", "accounting", "reports", "workspace", "users"} {
		m[Scope(r+":read")], m[Scope(r+":write")] = true, true
	}
	return m
}()

// Known reports whether s is a scope the API documents. A scope the package
// does not know may still be sent: the API adds scopes over time.
func (s Scope) Known() bool { return knownScopes[s] }

// wellFormed reports whether s is a scope token as OAuth 2.0 defines it
// (RFC 6749 §3.3): printable ASCII without spaces, quotes or backslashes.
func (s Scope) wellFormed() bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// Scopes is a set of scopes. It travels as one space-separated string, in
// JSON as on the wire: "openid profile portfolios:read".
type Scopes []Scope

// DefaultScopes returns the scopes a new client is given by default:
// openid profile offline_access email portfolios:read transactions:read
// integrations:read tax:read accounting:read reports:read workspace:read
// users:read.
func DefaultScopes() Scopes {
	return Scopes{
		ScopeOpenID, ScopeProfile, ScopeOfflineAccess, ScopeEmail,
		ScopePortfoliosRead, ScopeTransactionsRead, ScopeIntegrationsRead, ScopeTaxRead,
		ScopeAccountingRead, ScopeReportsRead, ScopeWorkspaceRead, ScopeUsersRead,
	}
}

// ParseScopes parses a space-separated list of scopes, such as one read from
// configuration. Each must be well-formed; scopes the package does not know
// are kept, as the API adds scopes over time (Scope.Known tells them
// apart). A repeated scope is kept once. It fails with a *ParamError that
// names the first malformed scope.
func ParseScopes(s string) (Scopes, error) {
	fields := strings.Fields(s)
	out := make(Scopes, 0, len(fields))
	for _, f := range fields {
		sc := Scope(f)
		if !sc.wellFormed() {
			return nil, fmt.Errorf("kryptos: %w", &ParamError{"scopes", fmt.Sprintf("malformed scope %q", f)})
		}
		if !out.Has(sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// Has reports whether s contains scope.
func (s Scopes) Has(scope Scope) bool {
	for _, x := range s {
		if x == scope {
			return true
		}
	}
	return false
}

// String joins the scopes with spaces, as the API expects them.
func (s Scopes) String() string {
	var b strings.Builder
	for i, x := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(x))
	}
	return b.String()
}

// validate checks scopes a caller is about to send: at least openid, and
// every one well-formed. Scopes the package does not know are sent as they
// are.
func (s Scopes) validate(field string) error {
	if len(s) > 256 {
		return &ParamError{field, "holds more than 256 scopes"}
	}
	for _, x := range s {
		if !x.wellFormed() {
			return &ParamError{field, fmt.Sprintf("%q is not a scope: scopes are single words of printable ASCII, such as portfolios:read", string(x))}
		}
	}
	if !s.Has(ScopeOpenID) {
		return &ParamError{field, "must include openid"}
	}
	return nil
}

// splitScopes splits a whitespace-separated list into scopes that share its
// memory, allocating only the slice. A list in ASCII, the API's form, is cut
// byte by byte, with a third fewer instructions than strings.FieldsSeq,
// which also knows Unicode's spaces and is left to lists that are not.
func splitScopes(text string) Scopes {
	out := make(Scopes, 0, strings.Count(text, " ")+1)
	start := 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			if start < i {
				out = append(out, Scope(text[start:i]))
			}
			start = i + 1
		default:
			if c >= utf8.RuneSelf {
				out = out[:0]
				for f := range strings.FieldsSeq(text) {
					out = append(out, Scope(f))
				}
				return out
			}
		}
	}
	if start < len(text) {
		out = append(out, Scope(text[start:]))
	}
	return out
}

// MarshalJSON encodes the scopes as one space-separated string.
func (s Scopes) MarshalJSON() ([]byte, error) {
	// Documented scopes need no escaping: quote them in one allocation.
	n := 2
	for _, x := range s {
		n += len(x) + 1
		for i := 0; i < len(x); i++ {
			if c := x[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
				return json.Marshal(s.String())
			}
		}
	}
	b := make([]byte, 0, n)
	b = append(b, '"')
	for i, x := range s {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, x...)
	}
	return append(b, '"'), nil
}

// UnmarshalJSON decodes a space-separated string, or an array of strings, or
// null. Scopes the package does not know are kept: the API may add some.
func (s *Scopes) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	// The common case, a plain string without escapes, is split in place:
	// one string for the whole list, and scopes that share it. ListGrants
	// decodes one list per grant.
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 && bytes.IndexByte(b[1:len(b)-1], '"') < 0 {
		*s = splitScopes(string(b[1 : len(b)-1]))
		return nil
	}
	var text string
	if err := json.Unmarshal(b, &text); err == nil {
		*s = splitScopes(text)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("kryptos: scopes must be a string or an array of strings: %w", err)
	}
	out := make(Scopes, 0, len(list))
	for _, f := range list {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, Scope(f))
		}
	}
	*s = out
	return nil
}
