package kryptos_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

// TestACredentialOfTheWrongKindIsRefusedBeforeSending: the README says
// "Every argument is checked before anything is sent: ... a token of the
// wrong kind (cat_, public_, cgrant_)", and the Credentials table takes for
// AccessToken "a stored Connect access token (cat_…) or an OAuth access
// token", for APIKey "a user's own API key (kryptos_live_…)". A newcomer who
// stores the widget's public token, the grant id or the crt_ refresh token
// instead of the access token (or swaps the access token and the API key)
// gets the single-use or long-lived token sent in a header to the data API,
// and a 401 "expired or invalid" that points at the wrong fix.
func TestACredentialOfTheWrongKindIsRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	var sent atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		sent.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer api.Close()
	client, err := kryptos.NewClient("client_id", "client_secret_value", kryptos.WithSandbox(api.URL),
		kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 0}))
	require.NoError(t, err)

	for name, cred := range map[string]kryptos.Credential{
		"a public token as access token":  kryptos.AccessToken("public_95e41537f620505ad398c955e59512a5"),
		"a link token as access token":    kryptos.AccessToken("link_45255492e6735b13f28b8d0d466de666"),
		"a grant id as access token":      kryptos.AccessToken("cgrant_2e4858802e9ff7f2cae8bb26"),
		"a refresh token as access token": kryptos.AccessToken("crt_0123456789abcdef0123456789abcdef"),
		"an API key as access token":      kryptos.AccessToken("kryptos_live_0123456789abcdef0123456789"),
		"an access token as API key":      kryptos.APIKey("cat_cbb7699e2c31c606907bc3773226499c215c91d7"),
	} {
		_, err := client.User(cred).Me(context.Background())
		require.ErrorIs(t, err, kryptos.ErrInvalidParams, name)
		assert.Contains(t, err.Error(), "right kind of token", name)
		_, err = kryptos.NewUserClient(cred)
		assert.ErrorIs(t, err, kryptos.ErrInvalidParams, name+" (NewUserClient)")
	}
	assert.Zero(t, sent.Load(), "no token of the wrong kind reached the API")

	// The right kinds, and tokens of no Kryptos kind (an OAuth JWT, another
	// provider's opaque token), are still sent.
	for _, cred := range []kryptos.Credential{
		kryptos.AccessToken("cat_cbb7699e2c31c606907bc3773226499c215c91d7"),
		kryptos.AccessToken("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"),
		kryptos.AccessToken("ya29.opaque-token-of-another-provider"),
		kryptos.APIKey("kryptos_live_0123456789abcdef0123456789"),
	} {
		_, err := client.User(cred).Me(context.Background())
		assert.ErrorIs(t, err, kryptos.ErrUnauthorized)
	}
	assert.EqualValues(t, 4, sent.Load())
}
