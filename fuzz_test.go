package kryptos

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseScopes checks that parsing accepts only well-formed scopes (known
// or not), keeps each once, and round-trips through String.
func FuzzParseScopes(f *testing.F) {
	for _, seed := range []string{"openid", "openid profile portfolios:read", "  openid\topenid\n", "",
		"wallets:read", "openid profile offline_access email portfolios:read transactions:read integrations:read tax:read accounting:read reports:read workspace:read users:read",
		"OPENID", "openid\x00profile", "\u00a0openid"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		scopes, err := ParseScopes(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidParams) {
				t.Fatalf("error %v does not match ErrInvalidParams", err)
			}
			return
		}
		seen := map[Scope]bool{}
		for _, sc := range scopes {
			if !sc.wellFormed() {
				t.Fatalf("accepted malformed scope %q", sc)
			}
			if seen[sc] {
				t.Fatalf("kept %q twice", sc)
			}
			seen[sc] = true
		}
		again, err := ParseScopes(scopes.String())
		if err != nil || again.String() != scopes.String() {
			t.Fatalf("round trip of %q gave %q, %v", scopes.String(), again.String(), err)
		}
	})
}

// FuzzSplitScopes checks that splitting a list byte by byte cuts it where
// strings.Fields does.
func FuzzSplitScopes(f *testing.F) {
	for _, seed := range []string{"openid profile", "  openid\topenid\n", "", " ", "a\vb\fc\rd", "openid\u00a0profile", "é openid", "openid\u2003x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := splitScopes(s)
		want := strings.Fields(s)
		if len(got) != len(want) {
			t.Fatalf("splitScopes(%q) = %q, want %q", s, got, want)
		}
		for i := range want {
			if string(got[i]) != want[i] {
				t.Fatalf("splitScopes(%q) = %q, want %q", s, got, want)
			}
		}
	})
}
