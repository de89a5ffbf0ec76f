package kryptos

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// TestATokenSourcesTokenIsMaskedInTheAPIsMessages: an OAuth access
// token sent through TokenSource is as secret as one sent through
// AccessToken, whose value the error masks if the API echoes it. The first
// token (refused) and the second (sent once more) are both masked.
func TestATokenSourcesTokenIsMaskedInTheAPIsMessages(t *testing.T) {
	t.Parallel()
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"
	const path = DefaultDataURL + "/v1/users/me"

	api := newMockAPI(t)
	api.mock.RegisterResponder(http.MethodGet, path, fail(403, "insufficient_scope", "token "+jwt+" lacks users:read"))
	_, err := api.client.User(TokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: jwt}))).Me(context.Background())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), jwt, "the OAuth access token leaks into the error")

	api = newMockAPI(t)
	api.mock.RegisterResponder(http.MethodGet, path, fail(401, "unauthorized", "token jwt.first.old is expired").
		Then(fail(401, "unauthorized", "token jwt.second.new is revoked")))
	src := &refusableSource{tokens: []string{"jwt.first.old", "jwt.second.new"}}
	_, err = api.client.User(TokenSource(src)).Me(context.Background())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "jwt.second.new", "the token of the call sent once more leaks into the error")
}
