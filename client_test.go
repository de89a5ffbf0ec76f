package kryptos

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

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
	}
	for _, tc := range cases {
		c, err := NewClient(tc.id, tc.secret)
		assert.Nil(t, c)
		var pe *ParamError
		require.ErrorAs(t, err, &pe, "%q/%q", tc.id, tc.secret)
		assert.Equal(t, tc.field, pe.Field)
		assert.ErrorIs(t, err, ErrInvalidParams)
		assert.NotContains(t, err.Error(), "secret\n")
	}
}

func TestNewClientRejectsBadOptions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		opt   Option
		field string
	}{
		{"plain http to a remote host", WithBaseURL("http://connect-api.kryptos.io"), "baseURL"},
		{"ftp", WithBaseURL("ftp://127.0.0.1"), "baseURL"},
		{"relative", WithBaseURL("connect-api.kryptos.io"), "baseURL"},
		{"empty", WithBaseURL(""), "baseURL"},
		{"unparsable", WithBaseURL("https://[::1"), "baseURL"},
		{"credentials in the URL", WithBaseURL("https://id:secret@connect-api.kryptos.io"), "baseURL"},
		{"query", WithBaseURL("https://connect-api.kryptos.io/?x=1"), "baseURL"},
		{"fragment", WithBaseURL("https://connect-api.kryptos.io/#x"), "baseURL"},
		{"nil http client", WithHTTPClient(nil), "httpClient"},
		{"negative retries", WithRetryPolicy(RetryPolicy{MaxRetries: -1}), "RetryPolicy.MaxRetries"},
		{"absurd retries", WithRetryPolicy(RetryPolicy{MaxRetries: 1000}), "RetryPolicy.MaxRetries"},
		{"negative wait", WithRetryPolicy(RetryPolicy{MinWait: -time.Second}), "RetryPolicy"},
		{"max below min", WithRetryPolicy(RetryPolicy{MinWait: time.Minute, MaxWait: time.Second}), "RetryPolicy.MaxWait"},
		{"zero timeout", WithTimeout(0), "perAttempt"},
		{"empty app info", WithUserAgent(" "), "appInfo"},
		{"app info with CRLF", WithUserAgent("app\r\nX-Evil: 1"), "appInfo"},
		{"zero body cap", WithMaxResponseBytes(0), "maxResponseBytes"},
		{"plain http data API", WithDataAPIBaseURL("http://api-v2.kryptos.io"), "dataAPIBaseURL"},
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

func TestWithBaseURLAcceptsHTTPSAndLoopback(t *testing.T) {
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
		c, err := NewClient("id", "secret", WithBaseURL(raw))
		require.NoError(t, err, raw)
		assert.Equal(t, want, c.BaseURL(), raw)
	}
	c, err := NewClient("id", "secret", nil)
	require.NoError(t, err, "a nil option is skipped")
	assert.Equal(t, DefaultBaseURL, c.BaseURL())
	assert.Equal(t, DefaultDataAPIBaseURL, c.DataAPIBaseURL())
	assert.Equal(t, "id", c.ClientID())
}

func TestClientKeepsTheCallersTransport(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "yes", r.Header.Get("X-Traced"))
		_, _ = w.Write([]byte(seedGrants))
	}))
	defer srv.Close()
	traced := &headerTransport{name: "X-Traced", value: "yes"}
	hc := &http.Client{Transport: traced}
	c, err := NewClient("id", "secret", WithBaseURL(srv.URL), WithHTTPClient(hc))
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

	c, err := NewClient("id", testClientSecret, WithBaseURL(api.URL))
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
	c, err := NewClient("id", "secret", WithBaseURL(srv.URL),
		WithHTTPClient(&http.Client{Timeout: 30 * time.Millisecond}),
		WithRetryPolicy(RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
	require.NoError(t, err)
	start := time.Now()
	_, err = c.ListGrants(context.Background())
	require.ErrorIs(t, err, ErrAttemptTimeout)
	assert.Contains(t, err.Error(), "no answer after 2 attempt(s)")
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestClientPrintsWithoutItsSecret(t *testing.T) {
	t.Parallel()
	c, err := NewClient(testClientID, testClientSecret)
	require.NoError(t, err)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		out := fmt.Sprintf(verb, c)
		assert.NotContains(t, out, "SECRET", verb)
		assert.Contains(t, out, testClientID, verb)
	}
	assert.Equal(t, `kryptos.Client{ClientID:"client_test_123", BaseURL:"https://connect-api.kryptos.io"}`, fmt.Sprint(c))
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("made", "client", c)
	assert.Contains(t, buf.String(), "client.client_id=client_test_123 client.base_url=https://connect-api.kryptos.io")
	assert.NotContains(t, buf.String(), "SECRET")
}
