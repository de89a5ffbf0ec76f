package kryptostest

import (
	"net/http"
	"strings"
	"unicode"

	"github.com/kryptos-connect/kryptos-go"
)

// GET /v1/users/me (DATA-API.md §5.1): the profile of a Linked user, read
// with their access token or their API key (IssueAPIKey). A Guest has no
// Kryptos account, so no profile: 404 {"success": false, "error": "User not
// found"}, as documented.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeUsersRead, apiKey: true})
	if !ok {
		return
	}
	u := req.user
	if u.guest {
		writeNotFound(w, "User not found")
		return
	}
	first, last := namesFromEmail(u.email)
	writeData(w, http.StatusOK, map[string]any{
		"uid": u.id, "email": u.email, "firstName": first, "lastName": last, "active": true,
		"clientType": []string{"retail"}, "preferredLanguage": "en",
		// Nothing in the sandbox edits a profile after sign-up.
		"createdAt": iso(u.createdAt), "updatedAt": iso(u.createdAt),
	})
}

// namesFromEmail derives a first and a last name from an email's local
// part, as a sign-up form prefilled from it would: "alex.smith+test@…" is
// Alex Smith, "alex@…" is Alex with no last name, "12345@…" has neither.
// A missing name is nil, the API's null.
func namesFromEmail(email string) (first, last any) {
	local, _, _ := strings.Cut(email, "@")
	local, _, _ = strings.Cut(local, "+")
	var names []string
	for _, part := range strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' }) {
		part = strings.TrimFunc(part, func(r rune) bool { return !unicode.IsLetter(r) })
		if part == "" || strings.ContainsFunc(part, func(r rune) bool { return !unicode.IsLetter(r) }) {
			continue
		}
		runes := []rune(strings.ToLower(part))
		runes[0] = unicode.ToUpper(runes[0])
		names = append(names, string(runes))
	}
	switch len(names) {
	case 0:
		return nil, nil
	case 1:
		return names[0], nil
	}
	return names[0], names[len(names)-1]
}
