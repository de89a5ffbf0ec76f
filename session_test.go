package kryptos

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckSessionDecodesBothDocumentedAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
		want Session
	}{
		{"valid", golden(t, "connect.session.valid.json"), Session{
			Valid: true, UserID: "uuid-user-123", WorkspaceID: "uuid-workspace-456", WorkspaceName: "My Workspace",
			GrantedScopes: DefaultScopes(), GrantID: "cgrant_abc123"}},
		{"not valid", golden(t, "connect.session.invalid.json"), Session{Valid: false, Reason: "token_expired"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on(http.MethodPost, "/link-token/check-session", reply(200, tc.body))
			s, err := api.client.CheckSession(context.Background(), testAccessToken)
			require.NoError(t, err)
			assert.Equal(t, tc.want, *s)

			req := api.rec.last(t)
			assert.Equal(t, http.MethodPost, req.Method)
			assert.Equal(t, "/link-token/check-session", req.Path)
			assert.Equal(t, testClientID, req.Header.Get("X-Client-Id"))
			assert.JSONEq(t, `{"access_token":"`+testAccessToken+`"}`, req.Body)
		})
	}
}

func TestCheckSessionIsRetriedOnTransientFailures(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on(http.MethodPost, "/link-token/check-session",
		reply(502, "bad gateway", "Content-Type", "text/plain").Then(fail(503, "", "down")).Then(reply(200, golden(t, "connect.session.valid.json"))))
	s, err := api.client.CheckSession(context.Background(), testAccessToken)
	require.NoError(t, err)
	assert.True(t, s.Valid)
	assert.Equal(t, 3, api.rec.count())
}

func TestCheckSessionRejectsBadTokensBeforeSending(t *testing.T) {
	t.Parallel()
	for _, token := range []string{"", "cat_", testPublicToken, "cat_a\tb", "crt_x"} {
		api := newMockAPI(t)
		_, err := api.client.CheckSession(context.Background(), token)
		require.ErrorIs(t, err, ErrInvalidParams, "token %q", token)
		assert.Contains(t, err.Error(), "accessToken")
		assert.Equal(t, 0, api.rec.count())
	}
}
