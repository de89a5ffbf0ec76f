package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/connecthttp"
)

// TestSQLStoreKeepsAnOlderAPIsRefreshToken: the refresh token and expiry of
// an older API's connection survive SQLite, sealed like the access token;
// a row written before (the access token alone) still opens.
func TestSQLStoreKeepsAnOlderAPIsRefreshToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testDB(t)
	store := sqlStore(t, db, testKey("k", 5))
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	in := connecthttp.Connection{AccessToken: kryptos.NewSecret("cat_legacy"), RefreshToken: kryptos.NewSecret("crt_legacy"),
		GrantID: "cgrant_x", Scopes: kryptos.DefaultScopes(), ConnectedAt: at, ExpiresAt: at.Add(24 * time.Hour)}
	if err := store.Put(ctx, "u", in); err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken.Reveal() != "cat_legacy" || got.RefreshToken.Reveal() != "crt_legacy" || !got.ExpiresAt.Equal(in.ExpiresAt) {
		t.Fatalf("Get = access %q refresh %q expires %v; want what was put", got.AccessToken.Reveal(), got.RefreshToken.Reveal(), got.ExpiresAt)
	}
	var sealed string
	if err := db.QueryRow(`SELECT sealed_token FROM kryptos_connections WHERE user_id = 'u'`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "crt_") || strings.Contains(sealed, "cat_") {
		t.Fatalf("a token is stored in clear: %q", sealed)
	}
	// A connection with only its access token.
	plain := connecthttp.Connection{AccessToken: kryptos.NewSecret("cat_plain"), ConnectedAt: at}
	if err := store.Put(ctx, "v", plain); err != nil {
		t.Fatal(err)
	}
	if got, err := store.Get(ctx, "v"); err != nil || got.AccessToken.Reveal() != "cat_plain" || got.RefreshToken.Reveal() != "" {
		t.Fatalf("Get(v) = %+v, %v", got, err)
	}
}
