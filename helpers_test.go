package kryptos

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"

	goldenfile "github.com/kryptos-connect/kryptos-go/internal/golden"
)

// Credentials and tokens used across the tests. The redaction tests look for
// each of them in every output.
const (
	testClientID     = "client_test_123"
	testClientSecret = "sk_live_SECRET_never_printed"
	testAccessToken  = "cat_ACCESS_never_printed"
	testPublicToken  = "public_PUBLIC_never_printed"
	testLinkToken    = "link_LINK_never_printed"
	testRefreshToken = "crt_REFRESH_never_printed"
	testGrantID      = "cgrant_abc123xyz789"
)

// fastRetries keeps retry tests quick while still exercising the waits.
var fastRetries = RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 20 * time.Millisecond}

// recorder keeps every request that reaches the mock transport.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	Method  string
	Path    string // as sent on the wire, escaped
	Header  http.Header
	Body    string
	HasBody bool
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

func (r *recorder) count() int { return len(r.all()) }

// last returns the last request; the test fails when there was none.
func (r *recorder) last(t *testing.T) recorded {
	t.Helper()
	all := r.all()
	require.NotEmpty(t, all, "no request reached the transport")
	return all[len(all)-1]
}

// mockAPI is a client wired to a private httpmock transport that records
// every request.
type mockAPI struct {
	client *Client
	mock   *httpmock.MockTransport
	rec    *recorder
}

// newMockAPI returns a client for DefaultConnectURL whose requests go to a
// fresh mock transport, with fast retries and no client-side throttle unless
// opts say otherwise.
func newMockAPI(t *testing.T, opts ...Option) *mockAPI {
	t.Helper()
	mock := httpmock.NewMockTransport()
	rec := &recorder{}
	recording := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
			_ = req.Body.Close()
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recorded{
			Method: req.Method, Path: req.URL.EscapedPath(), Header: req.Header.Clone(),
			Body: string(body), HasBody: req.Body != nil && len(body) > 0,
		})
		rec.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(body))
		return mock.RoundTrip(req)
	})
	base := []Option{
		WithHTTPClient(&http.Client{Transport: recording}),
		WithRetryPolicy(fastRetries),
	}
	c, err := NewClient(testClientID, testClientSecret, append(base, opts...)...)
	require.NoError(t, err)
	return &mockAPI{client: c, mock: mock, rec: rec}
}

// on registers responder for method and path below DefaultConnectURL.
func (m *mockAPI) on(method, path string, r httpmock.Responder) {
	m.mock.RegisterResponder(method, DefaultConnectURL+path, r)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// reply answers with status and a JSON body, plus header pairs.
func reply(status int, body string, header ...string) httpmock.Responder {
	h := http.Header{"Content-Type": {"application/json"}}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return httpmock.NewStringResponder(status, body).HeaderSet(h)
}

// fail answers with the API's error envelope.
func fail(status int, code, message string, header ...string) httpmock.Responder {
	b, _ := json.Marshal(map[string]any{"success": false, "error": message, "code": code})
	return reply(status, string(b), header...)
}

// Transport failures as net/http reports them.
var (
	errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	errReset   = &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
)

// errorIs and errorAs are errors.Is and errors.As for assertions that must
// hold either way.
func errorIs(err, target error) bool { return errors.Is(err, target) }

func errorAs(err error, target any) bool { return errors.As(err, target) }

// httpmock504 answers like a gateway that timed out waiting for the API.
func httpmock504() httpmock.Responder { return reply(504, ``) }

// jsonRaw returns its arguments as raw JSON values.
func jsonRaw(values ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(values))
	for i, v := range values {
		out[i] = json.RawMessage(v)
	}
	return out
}

// golden returns a sample of the docs from testdata/golden.
func golden(t *testing.T, name string) string {
	t.Helper()
	b, err := goldenfile.Load(name)
	require.NoError(t, err)
	return string(b)
}

// onData registers responder for method and path below DefaultDataURL.
func (m *mockAPI) onData(method, path string, r httpmock.Responder) {
	m.mock.RegisterResponder(method, DefaultDataURL+path, r)
}

// user is the data API handle of a test user with the test access token.
func (m *mockAPI) user() *UserClient { return m.client.User(AccessToken(testAccessToken)) }

// collect drains an iterator, failing the test on an error.
func collect[T any](t *testing.T, seq iter.Seq2[T, error]) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

// untilError drains an iterator up to its first error: how many items came
// before it, and the error (nil when there was none).
func untilError[T any](seq iter.Seq2[T, error]) (int, error) {
	n := 0
	for _, err := range seq {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
