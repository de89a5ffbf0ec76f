package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

type backendTest struct {
	t       *testing.T
	sandbox *kryptostest.Server
	app     *httptest.Server
	logs    *bytes.Buffer
}

func newBackendTest(t *testing.T) *backendTest {
	t.Helper()
	sandbox := kryptostest.NewServer()
	t.Cleanup(sandbox.Close)
	logs := &bytes.Buffer{}
	h := &Handler{
		Client: sandbox.Client(), Store: NewMemoryStore(), Log: slog.New(slog.NewTextHandler(logs, nil)),
		UserID: func(r *http.Request) string { return r.Header.Get("X-User-Id") },
	}
	app := httptest.NewServer(h.Routes())
	t.Cleanup(app.Close)
	return &backendTest{t: t, sandbox: sandbox, app: app, logs: logs}
}

// call sends a request as user and decodes the JSON answer.
func (b *backendTest) call(method, path, user, body string) (int, map[string]any) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.app.URL+path, strings.NewReader(body))
	require.NoError(b.t, err)
	if user != "" {
		req.Header.Set("X-User-Id", user)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(b.t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func TestTheBackendServesTheWebSDKFlow(t *testing.T) {
	t.Parallel()
	b := newBackendTest(t)

	// generateLinkToken for a new user.
	status, lt := b.call(http.MethodPost, "/api/kryptos/create-link-token", "alice", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, false, lt["isAuthorized"])
	token, _ := lt["link_token"].(string)
	require.True(t, strings.HasPrefix(token, "link_"))

	// The widget, then onConnectSuccess posts the public token.
	public, err := b.sandbox.CompleteLink(kryptos.NewSecret(token), kryptostest.LinkUser{Guest: true})
	require.NoError(t, err)
	status, ok := b.call(http.MethodPost, "/api/kryptos/exchange-token", "alice", `{"public_token":"`+public+`"}`)
	require.Equal(t, http.StatusOK, status, ok)
	assert.Equal(t, true, ok["success"])

	status, s := b.call(http.MethodGet, "/api/kryptos/session", "alice", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, s["connected"])

	// The returning user: isAuthorized comes from has_existing_grant.
	_, lt = b.call(http.MethodPost, "/api/kryptos/create-link-token", "alice", "")
	assert.Equal(t, true, lt["isAuthorized"])
	_, other := b.call(http.MethodPost, "/api/kryptos/create-link-token", "bob", "")
	assert.Equal(t, false, other["isAuthorized"], "another user has no grant")

	// A public token works once.
	status, _ = b.call(http.MethodPost, "/api/kryptos/exchange-token", "alice", `{"public_token":"`+public+`"}`)
	assert.Equal(t, http.StatusBadRequest, status)

	// Disconnect revokes the grant: the stored token stops working.
	status, _ = b.call(http.MethodPost, "/api/kryptos/disconnect", "alice", "")
	require.Equal(t, http.StatusOK, status)
	_, s = b.call(http.MethodGet, "/api/kryptos/session", "alice", "")
	assert.Equal(t, false, s["connected"])
	_, lt = b.call(http.MethodPost, "/api/kryptos/create-link-token", "alice", "")
	assert.Equal(t, false, lt["isAuthorized"])

	assert.NotContains(t, b.logs.String(), public, "no token reaches the logs")
	assert.NotContains(t, b.logs.String(), b.sandbox.ClientSecret)
}

func TestTheBackendRejectsBadRequests(t *testing.T) {
	t.Parallel()
	b := newBackendTest(t)
	status, _ := b.call(http.MethodPost, "/api/kryptos/create-link-token", "", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	for _, body := range []string{"", "{", `{"public_token":null}`, `{"public_token":""}`} {
		status, _ = b.call(http.MethodPost, "/api/kryptos/exchange-token", "alice", body)
		assert.Equal(t, http.StatusBadRequest, status, body)
	}
	status, _ = b.call(http.MethodPost, "/api/kryptos/exchange-token", "alice", `{"public_token":"public_unknown"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	status, s := b.call(http.MethodGet, "/api/kryptos/session", "nobody", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "not_connected", s["reason"])
	status, _ = b.call(http.MethodPost, "/api/kryptos/disconnect", "nobody", "")
	assert.Equal(t, http.StatusOK, status, "disconnecting twice is fine")
}
