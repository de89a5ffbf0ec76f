package kryptos

import (
	"fmt"
	"log/slog"
)

// UserClient reads one user's data from the data API with that user's
// Credential. It shares its Client's transport, retries, quotas and logger,
// and never sends the client secret. Get one with Client.User, or with
// NewUserClient in a program that has no client credentials; it is cheap,
// safe for concurrent use, and may be kept or made per request.
type UserClient struct {
	c    *Client
	cred Credential
}

// User returns the data API handle of the user whose credential cred is:
//
//	user := client.User(kryptos.AccessToken(storedToken)) // or grant.Credential()
//	for in, err := range user.ListIntegrations(ctx, kryptos.IntegrationsParams{}) { ... }
//
// A nil or malformed credential fails each call before anything is sent.
func (c *Client) User(cred Credential) *UserClient { return &UserClient{c: c, cred: cred} }

// Format prints the UserClient as its credential's kind, never its value.
func (u *UserClient) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "kryptos.UserClient{%v}", u.cred)
}

// LogValue logs the UserClient as its credential's kind.
func (u *UserClient) LogValue() slog.Value { return slog.StringValue(fmt.Sprint(u)) }
