package kryptos_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// TestMeOnAWrongDataURLIsAnErrorNotAGuest: a newcomer who takes the older
// docs' data base URL (API.md §8: "Older docs: base
// https://connect.kryptos.io/api") reaches a Kryptos server that answers
// the unknown route with its JSON 404 NOT_FOUND. Me's doc says "Any other
// 404 ... is returned as an error that matches ErrNotFound"; DATA-API.md
// §5.1 documents the Guest answer as 404 {"success": false, "error": "User
// not found"} only. Me instead reports this Linked user as a Guest, with no
// error, hiding the misconfiguration and the user's profile.
func TestMeOnAWrongDataURLIsAnErrorNotAGuest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	client := srv.Client()
	grant := connectUser(t, srv, client, kryptostest.LinkUser{Email: "alex@example.com"})

	wrong, err := kryptos.NewClient(srv.ClientID, srv.ClientSecret,
		kryptos.WithEndpoints(kryptos.Endpoints{Connect: srv.URL, Data: srv.URL + "/api"}))
	require.NoError(t, err)
	me, err := wrong.User(grant.Credential()).Me(ctx)
	require.ErrorIs(t, err, kryptos.ErrNotFound, "a wrong base URL is an error")
	assert.Nil(t, me, "a Linked user is not reported as a Guest")

	// The right URL still tells a Guest from a Linked user.
	me, err = client.User(grant.Credential()).Me(ctx)
	require.NoError(t, err)
	assert.False(t, me.Guest)
	assert.Equal(t, "alex@example.com", me.Email)
}
