package kryptos

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMeDecodesTheDocumentedProfile(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/users/me", reply(200, golden(t, "users.me.json")))
	me, err := api.user().Me(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Profile{
		UID: "user_9f2c8a", Email: "alex@example.com", FirstName: "Alex", LastName: "",
		Active: true, ClientType: []ClientType{ClientTypeRetail}, PreferredLanguage: "en",
		CreatedAt: time.Date(2026, 1, 4, 11, 2, 0, 0, time.UTC),
		UpdatedAt: time.Date(2026, 8, 1, 9, 30, 0, 0, time.UTC),
	}, *me)
	req := api.rec.last(t)
	assert.Equal(t, http.MethodGet, req.Method)
	assert.Equal(t, "/v1/users/me", req.Path)
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"))
}

func TestMeTurnsTheGuestAnswerIntoAGuestProfile(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/users/me", reply(404, golden(t, "users.me.guest.404.json")))
	var resp Response
	me, err := api.user().Me(context.Background(), CaptureResponse(&resp))
	require.NoError(t, err, "a Guest's 404 is an expected answer, not a failure")
	assert.Equal(t, Profile{Guest: true}, *me, "nothing but Guest is set")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, 1, api.rec.count(), "a 404 is not retried")
}

func TestMeKeepsOtherFailuresAsErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		responder httpmock.Responder
		want      Error
		is        error
	}{
		{"a 404 that is not the API's JSON", reply(404, "<html>no such route</html>", "Content-Type", "text/html"),
			Error{StatusCode: 404, Message: "Not Found (text/html body of 26 bytes, not the API's JSON)"}, ErrNotFound},
		{"a 404 with another message", reply(404, `{"success":false,"error":"Workspace not found","code":"WORKSPACE_NOT_FOUND"}`),
			Error{StatusCode: 404, Code: "WORKSPACE_NOT_FOUND", Message: "Workspace not found"}, ErrWorkspaceNotFound},
		{"the scope is missing", reply(403, `{"error":"insufficient_scope","error_description":"Missing: users:read"}`),
			Error{StatusCode: 403, Code: "insufficient_scope", Message: "Missing: users:read"}, ErrInsufficientScope},
		{"the token is refused", reply(401, `{"error":"unauthorized","error_description":"the access token is expired or invalid"}`),
			Error{StatusCode: 401, Code: "unauthorized", Message: "the access token is expired or invalid"}, ErrUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.onData(http.MethodGet, "/v1/users/me", tc.responder)
			me, err := api.user().Me(context.Background())
			require.Error(t, err)
			assert.Nil(t, me)
			require.ErrorIs(t, err, tc.is)
			var apiErr *Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.want.StatusCode, apiErr.StatusCode)
			assert.Equal(t, tc.want.Code, apiErr.Code)
			assert.Equal(t, tc.want.Message, apiErr.Message)
		})
	}
}

func TestMeTakesAnAPIKey(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/users/me", reply(200, golden(t, "users.me.json")))
	const key = "kryptos_live_KEY_never_printed"
	me, err := api.client.User(APIKey(key)).Me(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "user_9f2c8a", me.UID)
	req := api.rec.last(t)
	assert.Equal(t, key, req.Header.Get("X-Api-Key"))
	assert.Empty(t, req.Header.Get("Authorization"), "a key is sent instead of a bearer token, never both")
}

func TestMeRejectsAnAnswerWithoutAProfile(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"success":true,"data":null}`, `{"success":true,"data":{"email":"a@b.c"}}`, `{"success":true}`} {
		api := newMockAPI(t)
		api.onData(http.MethodGet, "/v1/users/me", reply(200, body))
		_, err := api.user().Me(context.Background())
		require.ErrorIs(t, err, ErrMalformedResponse, body)
	}
}

func TestMeKeepsClientTypesItDoesNotKnow(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/users/me", reply(200,
		`{"success":true,"data":{"uid":"u1","email":"a@b.c","firstName":null,"lastName":"Lee","active":false,"clientType":["accountant","auditor"],"preferredLanguage":"de"}}`))
	me, err := api.user().Me(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []ClientType{ClientTypeAccountant, "auditor"}, me.ClientType)
	assert.Equal(t, "", me.FirstName)
	assert.Equal(t, "Lee", me.LastName)
	assert.False(t, me.Active)
	assert.False(t, me.Guest)
}
