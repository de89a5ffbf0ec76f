package connecthttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

var ctx = context.Background()

// app is a backend that mounts the Handler, with the sandbox behind it.
type app struct {
	sandbox *kryptostest.Server
	store   TokenStore
	srv     *httptest.Server
}

func newApp(t *testing.T, edit ...func(*Config)) *app {
	t.Helper()
	return newAppOf(t, kryptostest.NewServer(), edit...)
}

// newAppOf is newApp with a sandbox of the test's own.
func newAppOf(t *testing.T, sandbox *kryptostest.Server, edit ...func(*Config)) *app {
	t.Helper()
	t.Cleanup(sandbox.Close)
	a := &app{sandbox: sandbox, store: NewMemoryStore()}
	cfg := Config{
		Client: sandbox.Client(kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond})),
		Store:  a.store,
		// The X-User header stands in for the app's session.
		UserID: func(r *http.Request) (string, error) { return r.Header.Get("X-User"), nil },
	}
	for _, e := range edit {
		e(&cfg)
	}
	h, err := New(cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/kryptos/", http.StripPrefix("/api/kryptos", h))
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a
}

// post sends a same-origin JSON POST as a browser would, for user.
func (a *app) post(t *testing.T, user, route, body string, header ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.srv.URL+"/api/kryptos"+route, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if user != "" {
		req.Header.Set("X-User", user)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return a.do(t, req)
}

func (a *app) get(t *testing.T, user, route string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.srv.URL+"/api/kryptos"+route, nil)
	require.NoError(t, err)
	req.Header.Set("X-User", user)
	return a.do(t, req)
}

func (a *app) do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	assert.NotContains(t, string(raw), a.sandbox.ClientSecret, "the client secret never reaches the browser")
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	return resp.StatusCode, out
}

// widget plays the user in the widget for a link token, returning the
// public token the frontend's onConnectSuccess gets ("" for null).
func (a *app) widget(t *testing.T, linkToken any) string {
	t.Helper()
	public, err := a.sandbox.CompleteLink(kryptos.NewSecret(linkToken.(string)), kryptostest.LinkUser{Guest: true,
		Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
	require.NoError(t, err)
	return public
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestTheWidgetFlowForANewAndAReturningUser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	status, body := a.post(t, "u1", "/create-link-token", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, false, body["isAuthorized"])
	assert.Regexp(t, "^link_", body["link_token"])

	public := a.widget(t, body["link_token"])
	status, body = a.post(t, "u1", "/exchange-token", `{"public_token":"`+public+`"}`)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, map[string]any{"connected": true, "exchanged": true}, body)
	conn, err := a.store.Get(ctx, "u1")
	require.NoError(t, err)
	assert.Regexp(t, "^cat_", conn.AccessToken.Reveal())
	assert.Regexp(t, "^cgrant_", conn.GrantID)

	// The same user comes back: the stored token makes the link authorized,
	// and the widget's null needs no exchange.
	status, body = a.post(t, "u1", "/create-link-token", "{}")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, body["isAuthorized"])
	assert.Empty(t, a.widget(t, body["link_token"]))
	status, body = a.post(t, "u1", "/exchange-token", `{"public_token":null}`)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, map[string]any{"connected": true, "exchanged": false}, body)
	status, _ = a.post(t, "u1", "/exchange-token", `null`)
	assert.Equal(t, http.StatusOK, status, "a bare null too")

	status, body = a.get(t, "u1", "/status")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, body["connected"])
	assert.Contains(t, body["scopes"], "portfolios:read")
}

// TestIsAuthorizedComesFromTheAPINotFromHavingAToken: a stored token that
// was revoked yields a plain link token.
func TestIsAuthorizedComesFromTheAPINotFromHavingAToken(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	_, body := a.post(t, "u1", "/create-link-token", "")
	a.post(t, "u1", "/exchange-token", `{"public_token":"`+a.widget(t, body["link_token"])+`"}`)
	conn, _ := a.store.Get(ctx, "u1")
	require.NoError(t, a.sandbox.Client().RevokeGrant(ctx, conn.GrantID))

	_, body = a.post(t, "u1", "/create-link-token", "")
	assert.Equal(t, false, body["isAuthorized"])
	_, body = a.get(t, "u1", "/status")
	assert.Equal(t, map[string]any{"connected": false, "reason": "grant_revoked"}, body)
}

func TestADoubleSubmittedPublicTokenIsExchangedOnce(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	_, body := a.post(t, "u1", "/create-link-token", "")
	public := a.widget(t, body["link_token"])
	var wg sync.WaitGroup
	statuses := make([]int, 5)
	for i := range statuses {
		wg.Go(func() { statuses[i], _ = a.post(t, "u1", "/exchange-token", `{"public_token":"`+public+`"}`) })
	}
	wg.Wait()
	for _, s := range statuses {
		assert.Equal(t, http.StatusOK, s)
	}
	assert.Equal(t, 1, a.sandbox.Stats().TokensExchanged)
	status, _ := a.post(t, "u1", "/exchange-token", `{"public_token":"`+public+`"}`)
	assert.Equal(t, http.StatusOK, status, "a late duplicate too")
	assert.Equal(t, 1, a.sandbox.Stats().ByRoute["POST /token/exchange"])

	status, body = a.post(t, "u2", "/exchange-token", `{"public_token":"`+public+`"}`)
	assert.Equal(t, http.StatusConflict, status, "another user's token")
	assert.Equal(t, CodeLinkExpired, errorCode(body))
}

// TestADuplicateOnAnotherReplicaIsASuccess: two Handlers (two replicas)
// sharing a store; the second gets TOKEN_ALREADY_USED for the token the
// first exchanged, and answers success.
func TestADuplicateOnAnotherReplicaIsASuccess(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	other, err := New(Config{Client: a.sandbox.Client(), Store: a.store, UserID: func(r *http.Request) (string, error) { return r.Header.Get("X-User"), nil }})
	require.NoError(t, err)
	_, body := a.post(t, "u1", "/create-link-token", "")
	public := a.widget(t, body["link_token"])
	status, _ := a.post(t, "u1", "/exchange-token", `{"public_token":"`+public+`"}`)
	require.Equal(t, http.StatusOK, status)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/exchange-token", strings.NewReader(`{"public_token":"`+public+`"}`))
	req.Header.Set("X-User", "u1")
	other.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
}

func TestErrorsAreCodesTheFrontendCanActOn(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	cases := []struct {
		name, user, route, body string
		header                  []string
		status                  int
		code                    string
	}{
		{"not signed in", "", "/create-link-token", "", nil, 401, CodeNotSignedIn},
		{"not JSON", "u1", "/exchange-token", "public_token=x", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, CodeUnsupported},
		{"malformed JSON", "u1", "/exchange-token", `{"public_token":`, nil, 400, CodeBadRequest},
		{"a link token instead", "u1", "/exchange-token", `{"public_token":"link_abc"}`, nil, 400, CodeBadRequest},
		{"too large", "u1", "/exchange-token", `{"public_token":"public_` + strings.Repeat("x", 5000) + `"}`, nil, 413, CodeTooLarge},
		{"an unknown public token", "u1", "/exchange-token", `{"public_token":"public_unknown"}`, nil, 409, CodeLinkExpired},
		{"cross-site", "u1", "/create-link-token", "", []string{"Sec-Fetch-Site", "cross-site"}, 403, CodeCrossOrigin},
		{"another origin", "u1", "/disconnect", "", []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"}, 403, CodeCrossOrigin},
	}
	for _, tc := range cases {
		status, body := a.post(t, tc.user, tc.route, tc.body, tc.header...)
		assert.Equal(t, tc.status, status, tc.name)
		assert.Equal(t, tc.code, errorCode(body), tc.name)
	}
	assert.Equal(t, 1, a.sandbox.Stats().ByRoute["POST /token/exchange"], "only the unknown token reached the API")
}

func TestAnExchangeWhoseOutcomeIsUnknownIsNotRetried(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	_, body := a.post(t, "u1", "/create-link-token", "")
	public := a.widget(t, body["link_token"])
	a.sandbox.FailNext("/token/exchange", 1, kryptostest.Fault{Drop: true, AfterProcessing: true})
	status, body := a.post(t, "u1", "/exchange-token", `{"public_token":"`+public+`"}`)
	assert.Equal(t, http.StatusBadGateway, status)
	assert.Equal(t, CodeOutcomeUnknown, errorCode(body))
	status, body = a.post(t, "u1", "/exchange-token", `{"public_token":"`+public+`"}`)
	assert.Equal(t, CodeOutcomeUnknown, errorCode(body), "the same answer: the token is not sent twice")
	assert.Equal(t, http.StatusBadGateway, status)
	assert.Equal(t, 1, a.sandbox.Stats().ByRoute["POST /token/exchange"])
}

func TestNoSDKErrorTextReachesTheBrowser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	a.sandbox.FailNext("/link-token", 1, kryptostest.Fault{Status: 500, Code: "INTERNAL_ERROR", Message: "stack trace at db.go:42 SECRET_DETAIL"})
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/api/kryptos/create-link-token", nil)
	req.Header.Set("X-User", "u1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.NotContains(t, string(raw), "SECRET_DETAIL")
	assert.NotContains(t, string(raw), "INTERNAL_ERROR")
	assert.Contains(t, string(raw), CodeUnavailable)
}

func TestDisconnectRevokesAndForgets(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	_, body := a.post(t, "u1", "/create-link-token", "")
	a.post(t, "u1", "/exchange-token", `{"public_token":"`+a.widget(t, body["link_token"])+`"}`)
	conn, _ := a.store.Get(ctx, "u1")

	status, body := a.post(t, "u1", "/disconnect", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, map[string]any{"connected": false}, body)
	_, err := a.store.Get(ctx, "u1")
	require.ErrorIs(t, err, ErrNoConnection)
	s, err := a.sandbox.Client().CheckSession(ctx, conn.AccessToken.Reveal())
	require.NoError(t, err)
	assert.False(t, s.Valid, "the grant was revoked")
	status, _ = a.post(t, "u1", "/disconnect", "")
	assert.Equal(t, http.StatusOK, status, "disconnecting twice is fine")
}

// connect plays the whole widget flow for user, and returns the stored
// connection.
func (a *app) connect(t *testing.T, user string) *Connection {
	t.Helper()
	_, body := a.post(t, user, "/create-link-token", "")
	status, _ := a.post(t, user, "/exchange-token", `{"public_token":"`+a.widget(t, body["link_token"])+`"}`)
	require.Equal(t, http.StatusOK, status)
	conn, err := a.store.Get(ctx, user)
	require.NoError(t, err)
	return conn
}

// grantIDs lists the client's active grants.
func (a *app) grantIDs(t *testing.T) []string {
	t.Helper()
	grants, err := a.sandbox.Client().ListGrants(ctx)
	require.NoError(t, err)
	ids := []string{}
	for _, g := range grants {
		ids = append(ids, g.ID)
	}
	return ids
}

// TestConnectingAgainRevokesTheReplacedGrant: a user holds one connection;
// the grant of the one a new exchange replaces is revoked, not left active
// with nobody holding its token. Two link tokens taken before either is
// exchanged (two tabs) make two grants.
func TestConnectingAgainRevokesTheReplacedGrant(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	var public []string
	for range 2 {
		_, body := a.post(t, "u1", "/create-link-token", "")
		public = append(public, a.widget(t, body["link_token"]))
	}
	var grants []string
	for _, p := range public {
		status, _ := a.post(t, "u1", "/exchange-token", `{"public_token":"`+p+`"}`)
		require.Equal(t, http.StatusOK, status)
		conn, err := a.store.Get(ctx, "u1")
		require.NoError(t, err)
		grants = append(grants, conn.GrantID)
	}
	require.NotEqual(t, grants[0], grants[1])
	assert.Equal(t, []string{grants[1]}, a.grantIDs(t))

	a.post(t, "u1", "/disconnect", "")
	assert.Empty(t, a.grantIDs(t))
}

// meetingStore is a MemoryStore whose Get, once it has read the
// connection, waits up to a moment for a second Get to have read it too:
// two exchanges that could interleave do.
type meetingStore struct {
	*MemoryStore
	arrived chan struct{}
}

func (s meetingStore) Get(ctx context.Context, user string) (*Connection, error) {
	c, err := s.MemoryStore.Get(ctx, user)
	select {
	case s.arrived <- struct{}{}:
	case <-s.arrived:
	case <-time.After(200 * time.Millisecond):
	}
	return c, err
}

// TestTwoExchangesAtOnceLeaveOneGrant: two tabs hand over their public
// tokens at the same moment; the two exchanges take turns with the stored
// connection, so the second replaces the first and revokes its grant.
func TestTwoExchangesAtOnceLeaveOneGrant(t *testing.T) {
	t.Parallel()
	store := meetingStore{NewMemoryStore(), make(chan struct{})}
	a := newApp(t, func(c *Config) { c.Store = store })
	a.store = store
	var public []string
	for range 2 {
		_, body := a.post(t, "u1", "/create-link-token", "")
		public = append(public, a.widget(t, body["link_token"]))
	}
	var wg sync.WaitGroup
	for _, p := range public {
		wg.Go(func() {
			status, _ := a.post(t, "u1", "/exchange-token", `{"public_token":"`+p+`"}`)
			assert.Equal(t, http.StatusOK, status)
		})
	}
	wg.Wait()
	conn, err := store.MemoryStore.Get(ctx, "u1")
	require.NoError(t, err)
	assert.Equal(t, []string{conn.GrantID}, a.grantIDs(t))
}

// sameGrantAgain answers the next exchange with the access token it holds,
// as an API that gives a returning user the grant they have would.
type sameGrantAgain struct{ token atomic.Value }

func (s *sameGrantAgain) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	tok, _ := s.token.Load().(string)
	if err != nil || tok == "" || req.URL.Path != "/token/exchange" || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	var answer map[string]any
	err = json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	answer["data"].(map[string]any)["access_token"] = tok
	b, _ := json.Marshal(answer)
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// TestAReconnectWhoseGrantIsUnknownRevokesNothing: an older API's exchange
// names no grant, and the session that would name it fails for a moment;
// the new connection may hold the grant the old one did, so that grant is
// not revoked.
func TestAReconnectWhoseGrantIsUnknownRevokesNothing(t *testing.T) {
	t.Parallel()
	rt := &sameGrantAgain{}
	sandbox := kryptostest.NewServer(kryptostest.WithLegacyTokens())
	a := newAppOf(t, sandbox, func(c *Config) {
		c.Client = sandbox.Client(kryptos.WithHTTPClient(&http.Client{Transport: rt}),
			kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}))
	})
	first := a.connect(t, "u1")
	require.NotEmpty(t, first.GrantID)
	_, body := a.post(t, "u2", "/create-link-token", "")
	public := a.widget(t, body["link_token"])
	rt.token.Store(first.AccessToken.Reveal())
	sandbox.FailNext("/link-token/check-session", 3, kryptostest.Fault{Status: http.StatusServiceUnavailable})
	status, _ := a.post(t, "u1", "/exchange-token", `{"public_token":"`+public+`"}`)
	require.Equal(t, http.StatusOK, status)
	rt.token.Store("")
	_, st := a.get(t, "u1", "/status")
	assert.Equal(t, true, st["connected"], "the user just connected: %v", st)
}

// unreadableStore is a MemoryStore whose connections can no longer be
// opened, as after their key was dropped: Get returns them without their
// token, and an error matching ErrUnreadable.
type unreadableStore struct{ *MemoryStore }

func (s unreadableStore) Get(ctx context.Context, user string) (*Connection, error) {
	c, err := s.MemoryStore.Get(ctx, user)
	if err != nil {
		return nil, err
	}
	c.AccessToken = kryptos.Secret{}
	return c, fmt.Errorf("%w: test", ErrUnreadable)
}

// TestAnUnreadableConnectionLetsTheUserConnectAgain: a stored connection
// that cannot be opened does not lock its user out: they are told they are
// not connected, can connect again, and can disconnect, which revokes the
// grant it still names.
func TestAnUnreadableConnectionLetsTheUserConnectAgain(t *testing.T) {
	t.Parallel()
	for _, next := range []string{"connect", "disconnect"} {
		t.Run(next, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			lost := a.connect(t, "u1")
			a.store = unreadableStore{a.store.(*MemoryStore)}
			h, err := New(Config{Client: a.sandbox.Client(), Store: a.store,
				UserID: func(r *http.Request) (string, error) { return r.Header.Get("X-User"), nil }})
			require.NoError(t, err)
			a.srv.Config.Handler = http.StripPrefix("/api/kryptos", h)

			status, body := a.get(t, "u1", "/status")
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, map[string]any{"connected": false, "reason": "unreadable"}, body)
			status, body = a.post(t, "u1", "/create-link-token", "")
			require.Equal(t, http.StatusOK, status, body)
			assert.Equal(t, false, body["isAuthorized"])

			if next == "connect" {
				status, _ = a.post(t, "u1", "/exchange-token", `{"public_token":"`+a.widget(t, body["link_token"])+`"}`)
				require.Equal(t, http.StatusOK, status)
				ids := a.grantIDs(t)
				assert.Len(t, ids, 1)
				assert.NotContains(t, ids, lost.GrantID, "the replaced grant is revoked")
				return
			}
			status, body = a.post(t, "u1", "/disconnect", "")
			require.Equal(t, http.StatusOK, status, body)
			assert.Empty(t, a.grantIDs(t))
			_, err = a.store.Get(ctx, "u1")
			require.ErrorIs(t, err, ErrNoConnection)
		})
	}
}

// TestAnOlderAPIsGrantIsNamedAndRevoked: older API versions answer the
// exchange without a grant id; the session names it, so /disconnect still
// revokes the grant.
func TestAnOlderAPIsGrantIsNamedAndRevoked(t *testing.T) {
	t.Parallel()
	a := newAppOf(t, kryptostest.NewServer(kryptostest.WithLegacyTokens()))
	conn := a.connect(t, "u1")
	assert.Equal(t, a.grantIDs(t), []string{conn.GrantID})

	status, _ := a.post(t, "u1", "/disconnect", "")
	require.Equal(t, http.StatusOK, status)
	assert.Empty(t, a.grantIDs(t))
}

// brokenStore cannot save.
type brokenStore struct{ *MemoryStore }

func (brokenStore) Put(context.Context, string, Connection) error { return errors.New("disk full") }

// TestAGrantWhoseTokenCannotBeStoredIsRevoked: no grant is left working
// with nobody holding its token.
func TestAGrantWhoseTokenCannotBeStoredIsRevoked(t *testing.T) {
	t.Parallel()
	store := brokenStore{NewMemoryStore()}
	a := newApp(t, func(c *Config) { c.Store = store })
	_, body := a.post(t, "u1", "/create-link-token", "")
	status, body := a.post(t, "u1", "/exchange-token", `{"public_token":"`+a.widget(t, body["link_token"])+`"}`)
	assert.Equal(t, http.StatusBadGateway, status)
	assert.Equal(t, CodeUnavailable, errorCode(body))
	grants, err := a.sandbox.Client().ListGrants(ctx)
	require.NoError(t, err)
	assert.Empty(t, grants)
}

func TestTrustedOriginsMayCallAcrossSites(t *testing.T) {
	t.Parallel()
	a := newApp(t, func(c *Config) { c.TrustedOrigins = []string{"https://app.example.com"} })
	status, _ := a.post(t, "u1", "/create-link-token", "", "Sec-Fetch-Site", "cross-site", "Origin", "https://app.example.com")
	assert.Equal(t, http.StatusOK, status)
}

func TestNewRefusesABadConfig(t *testing.T) {
	t.Parallel()
	sandbox := kryptostest.NewServer()
	defer sandbox.Close()
	userID := func(*http.Request) (string, error) { return "u", nil }
	good := Config{Client: sandbox.Client(), Store: NewMemoryStore(), UserID: userID}
	for name, edit := range map[string]func(*Config){
		"no client":        func(c *Config) { c.Client = nil },
		"no store":         func(c *Config) { c.Store = nil },
		"no user function": func(c *Config) { c.UserID = nil },
		"negative cap":     func(c *Config) { c.MaxBodyBytes = -1 },
		"a bad origin":     func(c *Config) { c.TrustedOrigins = []string{"not an origin"} },
	} {
		cfg := good
		edit(&cfg)
		_, err := New(cfg)
		require.ErrorIs(t, err, kryptos.ErrInvalidParams, name)
	}
	_, err := New(good)
	require.NoError(t, err)
}

// An older API answers the exchange with a 24-hour access token and a crt_
// refresh token (API.md §1): the only way to keep the connection past a
// day, so the stored Connection keeps it, and when the access token ends.
func TestAnOlderAPIsRefreshTokenIsKept(t *testing.T) {
	t.Parallel()
	a := newAppOf(t, kryptostest.NewServer(kryptostest.WithLegacyTokens()))
	conn := a.connect(t, "u1")
	assert.True(t, strings.HasPrefix(conn.RefreshToken.Reveal(), "crt_"), "the refresh token is kept")
	assert.WithinDuration(t, conn.ConnectedAt.Add(24*time.Hour), conn.ExpiresAt, time.Minute, "and when the access token ends")
}

// The widget hands over null for a returning user: "nothing to exchange"
// (WIDGET.md), which makes no connection. A user with none stored (another
// tab disconnected, or a frontend that always posts) is not told
// {"connected": true} while /status says not_connected.
func TestANullHandoverDoesNotClaimAConnection(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	status, body := a.post(t, "nobody-yet", "/exchange-token", `{"public_token":null}`)
	assert.Equal(t, http.StatusOK, status)
	_, st := a.get(t, "nobody-yet", "/status")
	assert.Equal(t, false, st["connected"])
	assert.Equal(t, map[string]any{"connected": false, "exchanged": false}, body, "the answer agrees with /status")

	a.connect(t, "u1")
	_, body = a.post(t, "u1", "/exchange-token", `null`)
	assert.Equal(t, map[string]any{"connected": true, "exchanged": false}, body)
}

// A call the client-side quota would hold too long is answered 429 with
// the wait the quota names, not a fixed minute.
func TestAQuotaWaitTellsTheBrowserHowLong(t *testing.T) {
	t.Parallel()
	limiter, err := kryptos.NewLimiter(kryptos.LimiterConfig{Quotas: map[kryptos.QuotaClass]kryptos.Quota{
		kryptos.ClassLinkToken: {Requests: 1, Per: time.Hour}}})
	require.NoError(t, err)
	sandbox := kryptostest.NewServer()
	a := newAppOf(t, sandbox, func(c *Config) {
		c.Client = sandbox.Client(kryptos.WithLimiter(limiter), kryptos.WithMaxQuotaWait(0))
	})
	status, _ := a.post(t, "u1", "/create-link-token", "")
	require.Equal(t, http.StatusOK, status)
	req, err := http.NewRequest(http.MethodPost, a.srv.URL+"/api/kryptos/create-link-token", nil)
	require.NoError(t, err)
	req.Header.Set("X-User", "u1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err)
	assert.Greater(t, secs, 3000, "about the hour the quota holds, not 60")
	assert.LessOrEqual(t, secs, 3700)
}

// A known route asked with another method is 405 with Allow, in the
// routes' JSON error shape; an unknown route is 404.
func TestAWrongMethodIsNotAMissingRoute(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	status, body := a.get(t, "u1", "/exchange-token")
	assert.Equal(t, http.StatusMethodNotAllowed, status, "%v", body)
	assert.Equal(t, CodeBadRequest, body["error"].(map[string]any)["code"])
	resp, err := http.Get(a.srv.URL + "/api/kryptos/disconnect")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "POST", resp.Header.Get("Allow"))
	status, _ = a.post(t, "u1", "/status", "")
	assert.Equal(t, http.StatusMethodNotAllowed, status)
	resp, err = http.Post(a.srv.URL+"/api/kryptos/status", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
	status, _ = a.get(t, "u1", "/nope")
	assert.Equal(t, http.StatusNotFound, status)
}
