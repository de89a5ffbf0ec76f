package kryptos

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewClientRejectsBadCredentials(t *testing.T) {
	t.Parallel()
	cases := []struct{ id, secret, field string }{
		{"", "s", "clientID"},
		{"id", "", "clientSecret"},
		{"id\r\nX-Evil: 1", "s", "clientID"},
		{"id", "secret\n", "clientSecret"},
		{"id", " secret", "clientSecret"},
		{"id", "sec\x00ret", "clientSecret"},
		{"id", "\xff\xfe", "clientSecret"},
		{"id", strings.Repeat("s", 1<<20), "clientSecret"},
	}
	for _, tc := range cases {
		c, err := NewClient(tc.id, tc.secret)
		assert.Nil(t, c)
		var pe *ParamError
		require.ErrorAs(t, err, &pe, "%q/%.20q", tc.id, tc.secret)
		assert.Equal(t, tc.field, pe.Field)
		assert.ErrorIs(t, err, ErrInvalidParams)
		assert.NotContains(t, err.Error(), "secret\n")
	}
}

// TestNewClientRejectsBadOptions: every option value that could fail later
// fails at construction instead, with a *ParamError naming it.
func TestNewClientRejectsBadOptions(t *testing.T) {
	t.Parallel()
	local := "http://127.0.0.1:8088"
	cases := []struct {
		name  string
		opt   Option
		field string
	}{
		{"plain http to a remote host", WithSandbox("http://connect-api.kryptos.io"), "Endpoints.Connect"},
		{"ftp", WithSandbox("ftp://127.0.0.1"), "Endpoints.Connect"},
		{"relative", WithSandbox("connect-api.kryptos.io"), "Endpoints.Connect"},
		{"empty", WithSandbox(""), "Endpoints.Connect"},
		{"unparsable", WithSandbox("https://[::1"), "Endpoints.Connect"},
		{"credentials in the URL", WithSandbox("https://id:secret@connect-api.kryptos.io"), "Endpoints.Connect"},
		{"query", WithSandbox("https://connect-api.kryptos.io/?x=1"), "Endpoints.Connect"},
		{"fragment", WithSandbox("https://connect-api.kryptos.io/#x"), "Endpoints.Connect"},
		{"plain http data API", WithEndpoints(Endpoints{Connect: DefaultConnectURL, Data: "http://api-v2.kryptos.io"}), "Endpoints.Data"},
		{"no data API", WithEndpoints(Endpoints{Connect: DefaultConnectURL}), "Endpoints.Data"},
		{"sandbox Connect, production data", WithEndpoints(Endpoints{Connect: local, Data: DefaultDataURL}), "Endpoints"},
		{"production Connect, sandbox data", WithEndpoints(Endpoints{Connect: DefaultConnectURL, Data: local}), "Endpoints"},
		{"nil http client", WithHTTPClient(nil), "httpClient"},
		{"negative retries", WithRetryPolicy(RetryPolicy{MaxRetries: -1}), "RetryPolicy.MaxRetries"},
		{"absurd retries", WithRetryPolicy(RetryPolicy{MaxRetries: 1000}), "RetryPolicy.MaxRetries"},
		{"negative wait", WithRetryPolicy(RetryPolicy{MinWait: -time.Second}), "RetryPolicy"},
		{"max below min", WithRetryPolicy(RetryPolicy{MinWait: time.Minute, MaxWait: time.Second}), "RetryPolicy.MaxWait"},
		{"zero timeout", WithTimeout(0), "perAttempt"},
		{"empty app info", WithUserAgent(" "), "appInfo"},
		{"app info with CRLF", WithUserAgent("app\r\nX-Evil: 1"), "appInfo"},
		{"zero body cap", WithMaxResponseBytes(0), "maxResponseBytes"},
		{"nil limiter", WithLimiter(nil), "limiter"},
		{"negative quota wait", WithMaxQuotaWait(-time.Second), "maxQuotaWait"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewClient("id", "secret", tc.opt)
			var pe *ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.field, pe.Field)
			assert.NotContains(t, err.Error(), "id:secret")
		})
	}
}

// TestNewUserClient: a user's credential alone reads that user's data and
// sends no client credentials; a nil credential or a bad option fails at
// construction.
func TestNewUserClient(t *testing.T) {
	t.Parallel()
	_, err := NewUserClient(nil)
	var pe *ParamError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "cred", pe.Field)
	_, err = NewUserClient(AccessToken("cat_x"), WithSandbox("ftp://127.0.0.1"))
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "Endpoints.Connect", pe.Field)
	assert.Contains(t, err.Error(), "NewUserClient")

	var got http.Header
	profile := golden(t, "users.me.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, profile)
	}))
	defer srv.Close()
	user, err := NewUserClient(AccessToken("cat_abc"), WithSandbox(srv.URL))
	require.NoError(t, err)
	_, err = user.Me(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "Bearer cat_abc", got.Get("Authorization"))
	assert.Empty(t, got.Get("X-Client-Id"))
	assert.Empty(t, got.Get("X-Client-Secret"))
	assert.Equal(t, "kryptos.UserClient{kryptos.AccessToken(cat_[redacted])}", fmt.Sprint(user))
}

func TestEndpointsAcceptHTTPSAndLoopback(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://connect-api.kryptos.io":         "https://connect-api.kryptos.io",
		"https://proxy.example.com/kryptos/":     "https://proxy.example.com/kryptos",
		"http://127.0.0.1:8088":                  "http://127.0.0.1:8088",
		"http://127.5.0.1:8088/":                 "http://127.5.0.1:8088",
		"http://[::1]:9000":                      "http://[::1]:9000",
		"http://localhost:8088":                  "http://localhost:8088",
		" https://connect-api.kryptos.io/ ":      "https://connect-api.kryptos.io",
		"HTTPS://connect-api.kryptos.io/prefix/": "https://connect-api.kryptos.io/prefix",
	} {
		c, err := NewClient("id", "secret", WithSandbox(raw))
		require.NoError(t, err, raw)
		assert.Equal(t, Endpoints{Connect: want, Data: want}, c.Endpoints(), raw)
	}
	c, err := NewClient("id", "secret", nil)
	require.NoError(t, err, "a nil option is skipped")
	assert.Equal(t, ProductionEndpoints(), c.Endpoints())
	assert.Equal(t, "id", c.ClientID())

	staging := Endpoints{Connect: "https://connect.staging.example", Data: "https://data.staging.example/api"}
	c, err = NewClient("id", "secret", WithEndpoints(staging))
	require.NoError(t, err, "two non-loopback hosts of your choosing are fine")
	assert.Equal(t, staging, c.Endpoints())
}

// TestASandboxClientSendsNothingToProduction: WithSandbox points both APIs
// at the sandbox, so a user's token never leaves the machine.
func TestASandboxClientSendsNothingToProduction(t *testing.T) {
	t.Parallel()
	var hosts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts = append(hosts, r.Host)
		_, _ = w.Write([]byte(`{"success":true,"data":{"integrations":[],"pagination":{"page":1,"limit":50,"total":0,"totalPages":0,"hasMore":false}}}`))
	}))
	defer srv.Close()
	c, err := NewClient("id", "secret", WithSandbox(srv.URL))
	require.NoError(t, err)
	_, err = c.User(AccessToken(testAccessToken)).ListIntegrationsPage(context.Background(), IntegrationsParams{})
	require.NoError(t, err)
	assert.Equal(t, []string{strings.TrimPrefix(srv.URL, "http://")}, hosts)
}

func TestClientKeepsTheCallersTransport(t *testing.T) {
	t.Parallel()
	grants := golden(t, "connect.grants.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "yes", r.Header.Get("X-Traced"))
		_, _ = w.Write([]byte(grants))
	}))
	defer srv.Close()
	traced := &headerTransport{name: "X-Traced", value: "yes"}
	hc := &http.Client{Transport: traced}
	c, err := NewClient("id", "secret", WithSandbox(srv.URL), WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = c.ListGrants(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int32(1), traced.calls.Load())
	assert.Same(t, traced, hc.Transport, "the caller's client is not modified")
	assert.Nil(t, hc.CheckRedirect)
}

// headerTransport stands for instrumentation: it adds a header and counts.
type headerTransport struct {
	name, value string
	calls       atomic.Int32
}

func (h *headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h.calls.Add(1)
	r = r.Clone(r.Context())
	r.Header.Set(h.name, h.value)
	return http.DefaultTransport.RoundTrip(r)
}

// TestMockingWorksWithHTTPMockActivate replaces http.DefaultTransport for the
// whole process, as httpmock.Activate does (and as a tracing wrapper of the
// default transport would), so it does not run in parallel. NewClient must
// not panic, and the Client must send through the replacement, whether it
// was installed before or after the Client was built.
func TestMockingWorksWithHTTPMockActivate(t *testing.T) {
	before, err := NewClient("id", "secret")
	require.NoError(t, err)

	httpmock.Activate()
	defer httpmock.DeactivateAndReset()
	httpmock.RegisterResponder(http.MethodGet, DefaultConnectURL+"/token/grants", reply(200, golden(t, "connect.grants.json")))
	after, err := NewClient("id", "secret")
	require.NoError(t, err)
	viaHTTPClient, err := NewClient("id", "secret", WithHTTPClient(&http.Client{Timeout: time.Second}))
	require.NoError(t, err)

	for _, c := range []*Client{before, after, viaHTTPClient} {
		grants, err := c.ListGrants(context.Background())
		require.NoError(t, err)
		assert.Len(t, grants, 1)
	}
	assert.Equal(t, 3, httpmock.GetTotalCallCount())
}

func TestMockingWorksWithAMockTransport(t *testing.T) {
	t.Parallel()
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder(http.MethodGet, DefaultConnectURL+"/token/grants", reply(200, golden(t, "connect.grants.json")))
	c, err := NewClient("id", "secret", WithHTTPClient(&http.Client{Transport: mock}))
	require.NoError(t, err)
	grants, err := c.ListGrants(context.Background())
	require.NoError(t, err)
	assert.Len(t, grants, 1)
	assert.Equal(t, 1, mock.GetTotalCallCount())
}

// TestClientRefusesRedirects proves the client secret cannot be carried to
// another host by a redirect: net/http strips Authorization on such a
// redirect, but not a custom X-Client-Secret header.
func TestClientRefusesRedirects(t *testing.T) {
	t.Parallel()
	var stolen atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
	}))
	defer elsewhere.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/token/grants", http.StatusTemporaryRedirect)
	}))
	defer api.Close()

	c, err := NewClient("id", testClientSecret, WithSandbox(api.URL))
	require.NoError(t, err)
	_, err = c.ListGrants(context.Background())
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusTemporaryRedirect, apiErr.StatusCode)
	assert.Equal(t, int32(0), stolen.Load(), "the redirect was followed")
}

func TestHTTPClientTimeoutBoundsEachAttempt(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	c, err := NewClient("id", "secret", WithSandbox(srv.URL),
		WithHTTPClient(&http.Client{Timeout: 30 * time.Millisecond}),
		WithRetryPolicy(RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
	require.NoError(t, err)
	start := time.Now()
	_, err = c.ListGrants(context.Background())
	require.ErrorIs(t, err, ErrAttemptTimeout)
	assert.Contains(t, err.Error(), "no answer after 2 attempt(s): attempt timed out after 30ms")
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestANilLoggerKeepsTheDefault(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t, WithLogger(nil))
	api.on(http.MethodGet, "/token/grants", fail(429, "", "slow"))
	assert.NotPanics(t, func() { _, _ = api.client.ListGrants(context.Background()) }, "a 429 is logged")
}

func TestClientPrintsWithoutItsSecret(t *testing.T) {
	t.Parallel()
	c, err := NewClient(testClientID, testClientSecret)
	require.NoError(t, err)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for _, v := range []any{c, *c} { // a pointer, and a copy
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, "SECRET", verb)
			assert.Contains(t, out, testClientID, verb)
		}
	}
	assert.Equal(t, `kryptos.Client{ClientID:"client_test_123", Connect:"https://connect-api.kryptos.io", Data:"https://api-v2.kryptos.io"}`, fmt.Sprint(c))
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("made", "client", c)
	assert.Contains(t, buf.String(), "client.client_id=client_test_123 client.connect=https://connect-api.kryptos.io")
	assert.NotContains(t, buf.String(), "SECRET")
	buf.Reset()
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("made", "client", *c) // a copy, not a pointer
	assert.NotContains(t, buf.String(), "SECRET")
	assert.Contains(t, buf.String(), testClientID)
}
