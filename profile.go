package kryptos

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Profile is the user's own profile (DATA-API.md §5.1), or, for a Connect
// Guest, the mark that there is none: a Guest has no Kryptos account, so
// only Guest is set.
type Profile struct {
	// Guest reports that the credential belongs to a Connect Guest, who has
	// no profile: the API answers 404 "User not found", which Me returns as
	// a Profile with Guest true, every other field empty, and no error.
	Guest bool `json:"-"`
	// UID is the user's id; it equals the sub claim of their OIDC tokens.
	UID string `json:"uid"`
	// Email is unique across Kryptos.
	Email string `json:"email"`
	// FirstName and LastName are "" when the user has not given them (the
	// API's null).
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Active    bool   `json:"active"`
	// ClientType lists what kinds of client the user is: one or more of the
	// ClientType constants, or values this package does not know yet, kept
	// as sent.
	ClientType []ClientType `json:"clientType"`
	// PreferredLanguage is a language code; the API's default is "en".
	PreferredLanguage string    `json:"preferredLanguage"`
	CreatedAt         time.Time `json:"createdAt"`
	UpdatedAt         time.Time `json:"updatedAt"`
}

// ClientType is a kind of Kryptos user, as Profile.ClientType lists them.
type ClientType string

// The documented client types.
const (
	ClientTypeRetail     ClientType = "retail"
	ClientTypeEnterprise ClientType = "enterprise"
	ClientTypeAccountant ClientType = "accountant"
	ClientTypeDeveloper  ClientType = "developer"
)

// Me returns the profile of the user whose credential the UserClient has:
// GET /v1/users/me (scope users:read). It is the one data API call that
// also takes the user's API key (APIKey) instead of an access token.
//
// A Connect Guest has no profile: the API answers 404 {"success": false,
// "error": "User not found"}, which the docs call expected, not a failure.
// Me returns it as a *Profile whose Guest field is true, with nil error, so
// that
//
//	me, err := user.Me(ctx)
//	if err != nil { return err }
//	if me.Guest { /* an anonymous Connect user: no email, no name */ }
//
// Any other 404 is returned as an error that matches ErrNotFound: one that
// is not the API's JSON (a proxy's page for a wrong base URL), and one in
// the API's JSON whose message is not "User not found" and whose code is
// not USER_NOT_FOUND (a generic NOT_FOUND for an unknown route, say).
func (u *UserClient) Me(ctx context.Context, opts ...CallOption) (*Profile, error) {
	me, err := getObject(ctx, u.c, opMe, request{cred: u.cred}, opts, "profile (uid)", func(p *Profile) string { return p.UID })
	if isGuestProfileAnswer(err) {
		return &Profile{Guest: true}, nil
	}
	return me, err
}

// isGuestProfileAnswer reports whether err is the API's answer to a Guest's
// GET /v1/users/me: a 404 in the API's error envelope with the documented
// message "User not found" (DATA-API.md §5.1), with no code or a not-found
// one, or the specific USER_NOT_FOUND code. A 404 without the API's JSON
// (describeNonJSON's message), and a generic NOT_FOUND about something else
// (such as an unknown route, from a wrong base URL), are not it: they would
// make a Linked user look like a Guest.
func isGuestProfileAnswer(err error) bool {
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.cause != nil {
		return false
	}
	userNotFound := strings.EqualFold(strings.TrimSpace(apiErr.Message), "User not found")
	switch strings.ToUpper(apiErr.Code) {
	case "USER_NOT_FOUND":
		return true
	case "", "NOT_FOUND":
		return userNotFound
	}
	return false
}
