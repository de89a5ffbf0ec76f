package oauth

import (
	"testing"

	"context"
	"errors"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// TestUserInfoRefreshesARefusedToken: "a 401 means the token
// expired: refresh it" (OAUTH.md, of the user-info call), and "A 401 ...
// means the access token expired: refresh, then retry once" (OAUTH.md,
// Errors). A token refused before its expiry says (revoked, or a clock
// ahead of the provider's) must not make every later UserInfo fail until
// that expiry passes: the data API's calls tell the TokenSource; UserInfo
// did not.
func TestUserInfoRefreshesARefusedToken(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	store := NewMemoryStore(in.Token)
	ts := c.TokenSource(ctx, store)
	// The access token stops working before its expiry (revoked alone:
	// the grant and its refresh token stay good).
	require.NoError(t, c.Revoke(ctx, in.Token.AccessToken, "access_token"))

	info, err := c.UserInfo(ctx, ts)
	require.NoError(t, err, "UserInfo refreshes the refused token and asks once more")
	assert.NotEmpty(t, info.Subject)
	saved, _ := store.Load(ctx)
	assert.NotEqual(t, in.Token.AccessToken, saved.AccessToken)
	assert.NotEqual(t, in.Token.RefreshToken, saved.RefreshToken, "the rotated refresh token is saved")
}

// UserInfo refuses a nil token source with an error; a source that yields a
// nil token and no error (oauth2.StaticTokenSource(nil), say) must fail the
// same way, not panic. kryptos.TokenSource fails the call for it too.
func TestUserInfoNilTokenIsAnError(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Provider: KryptosAt("http://127.0.0.1:1/oidc"), ClientID: "app", ClientSecret: "s", Native: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("UserInfo panicked on a token source that gave a nil token: %v", r)
		}
	}()
	_, err = c.UserInfo(context.Background(), oauth2.StaticTokenSource(nil))
	if !errors.Is(err, kryptos.ErrInvalidParams) {
		t.Fatalf("err = %v, want one matching kryptos.ErrInvalidParams", err)
	}
}
