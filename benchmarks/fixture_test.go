package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

const (
	clientID     = "client_bench"
	clientSecret = "secret_bench"
	accessToken  = "cat_bench_token"
)

const publicToken = "public_bench_token"

// sample is the docs' sample name (testdata/golden), compacted as a server
// sends it: what the benchmark server answers.
func sample(tb testing.TB, name string) []byte {
	tb.Helper()
	raw, err := golden.Load(name)
	if err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// grantsAnswer is a ListGrants answer with n grants.
func grantsAnswer(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"success":true,"data":{"grants":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"grant_id":"cgrant_%024d","workspace_id":"uuid-workspace-123","scopes":"transactions:read balances:read","created_at":"2024-01-15T10:00:00Z","expires_at":"2039-01-15T10:00:00Z"}`, i)
	}
	fmt.Fprintf(&b, `],"count":%d}}`, n)
	return b.Bytes()
}

// server is a loopback API that answers with fixed bodies and counts the
// connections it saw opened.
type server struct {
	*httptest.Server
	opened atomic.Int64
}

func newServer(tb testing.TB, grants []byte) *server {
	tb.Helper()
	s := &server{}
	mux := http.NewServeMux()
	answer := func(body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			_, _ = w.Write(body)
		}
	}
	mux.Handle("POST /link-token/check-session", answer(sample(tb, "connect.session.valid.json")))
	mux.Handle("POST /link-token", answer(sample(tb, "connect.link_token.json")))
	mux.Handle("POST /token/exchange", answer(sample(tb, "connect.exchange.json")))
	mux.Handle("GET /token/grants", answer(grants))
	s.Server = httptest.NewUnstartedServer(mux)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.opened.Add(1)
		}
	}
	s.Start()
	tb.Cleanup(s.Close)
	return s
}

// sdk returns a Client of the server, with the default limiter (no quota on
// these classes).
func (s *server) sdk(tb testing.TB, opts ...kryptos.Option) *kryptos.Client {
	tb.Helper()
	c, err := kryptos.NewClient(clientID, clientSecret, append([]kryptos.Option{kryptos.WithSandbox(s.URL)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// baseline is the hand-written client the SDK replaces: net/http and
// encoding/json, the same headers and body, the answer decoded into an
// equivalent struct, the body drained and closed. It uses the same pooled
// transport settings as the SDK's default, so both reuse connections alike,
// and no http.Client.Timeout: a timeout costs net/http about ten
// allocations per call, which would hide the SDK's own.
type baseline struct {
	hc   *http.Client
	base string
}

func (s *server) baseline() *baseline {
	return &baseline{hc: &http.Client{Transport: httpcore.PooledTransport(http.DefaultTransport.(*http.Transport))}, base: s.URL}
}

type sessionData struct {
	HasValidSession bool   `json:"has_valid_session"`
	Reason          string `json:"reason"`
	UserID          string `json:"user_id"`
	WorkspaceID     string `json:"workspace_id"`
	WorkspaceName   string `json:"workspace_name"`
	GrantedScopes   string `json:"granted_scopes"`
	GrantID         string `json:"grant_id"`
}

type linkTokenData struct {
	LinkToken        string    `json:"link_token"`
	ExpiresAt        time.Time `json:"expires_at"`
	UserID           string    `json:"user_id"`
	WorkspaceID      string    `json:"workspace_id"`
	HasExistingGrant bool      `json:"has_existing_grant"`
}

type exchangeData struct {
	AccessToken  string `json:"access_token"`
	GrantID      string `json:"grant_id"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	WorkspaceID  string `json:"workspace_id"`
	RefreshToken string `json:"refresh_token"`
}

type grantData struct {
	GrantID     string    `json:"grant_id"`
	WorkspaceID string    `json:"workspace_id"`
	Scopes      string    `json:"scopes"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

type grantsData struct {
	Grants []grantData `json:"grants"`
	Count  int         `json:"count"`
}

// sdkGrantsAnswer is a ListGrants answer in the SDK's own types, as the SDK
// decodes it (its grantsAnswer is unexported).
type sdkGrantsAnswer struct {
	Success bool `json:"success"`
	Data    struct {
		Grants []kryptos.Grant `json:"grants"`
		Count  int             `json:"count"`
	} `json:"data"`
}

// envelope is the API's answer shape, for the baseline.
type envelope[T any] struct {
	Success bool   `json:"success"`
	Data    T      `json:"data"`
	Error   string `json:"error"`
	Code    string `json:"code"`
}

func (b *baseline) call(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("X-Client-Id", clientID)
	req.Header.Set("X-Client-Secret", clientSecret)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "baseline/1.0")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return json.Unmarshal(raw, out)
}

func (b *baseline) checkSession(ctx context.Context) error {
	var env envelope[sessionData]
	if err := b.call(ctx, http.MethodPost, "/link-token/check-session", map[string]string{"access_token": accessToken}, &env); err != nil {
		return err
	}
	if !env.Success || !env.Data.HasValidSession {
		return fmt.Errorf("unexpected answer %+v", env)
	}
	return nil
}

func (b *baseline) createLinkToken(ctx context.Context) error {
	var env envelope[linkTokenData]
	if err := b.call(ctx, http.MethodPost, "/link-token", map[string]string{"scopes": kryptos.DefaultScopes().String()}, &env); err != nil {
		return err
	}
	if !env.Success || env.Data.LinkToken == "" {
		return fmt.Errorf("unexpected answer %+v", env)
	}
	return nil
}

func (b *baseline) exchangePublicToken(ctx context.Context) error {
	var env envelope[exchangeData]
	if err := b.call(ctx, http.MethodPost, "/token/exchange", map[string]string{"public_token": publicToken}, &env); err != nil {
		return err
	}
	if !env.Success || env.Data.AccessToken == "" {
		return fmt.Errorf("unexpected answer %+v", env)
	}
	return nil
}

func (b *baseline) listGrants(ctx context.Context) ([]grantData, error) {
	var env envelope[grantsData]
	if err := b.call(ctx, http.MethodGet, "/token/grants", nil, &env); err != nil {
		return nil, err
	}
	return env.Data.Grants, nil
}

// calls are the four operations measured, by each implementation.
var calls = []struct {
	name     string
	sdk      func(context.Context, *kryptos.Client) error
	baseline func(*baseline, context.Context) error
}{
	{"CheckSession",
		func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.CheckSession(ctx, accessToken)
			return err
		},
		(*baseline).checkSession},
	{"CreateLinkToken",
		func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
			return err
		},
		(*baseline).createLinkToken},
	{"ExchangePublicToken",
		func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.ExchangePublicToken(ctx, publicToken)
			return err
		},
		(*baseline).exchangePublicToken},
	{"ListGrants",
		func(ctx context.Context, c *kryptos.Client) error { _, err := c.ListGrants(ctx); return err },
		func(b *baseline, ctx context.Context) error { _, err := b.listGrants(ctx); return err }},
}

// memURL is the base URL of memAPI: loopback, which the SDK accepts over
// plain HTTP; nothing is dialled.
const memURL = "http://127.0.0.1:1"

// memAPI answers the benchmark's requests from memory, with the loopback
// server's bodies and headers, so that a benchmark measures the client's own
// code. Both clients reach it through a net/http Transport, which hands it
// every plain-HTTP request (Transport.RegisterProtocol), so the SDK takes
// the path it takes with its default transport. Like the Transport's own
// connections, it derives a cancelable context from the request's for each
// request and waits on its Done channel, so that an SDK attempt's context
// costs here what it costs on the wire.
type memAPI struct {
	answers map[string][]byte
}

func newMemAPI(tb testing.TB) *memAPI {
	return &memAPI{answers: map[string][]byte{
		"/link-token/check-session": sample(tb, "connect.session.valid.json"),
		"/link-token":               sample(tb, "connect.link_token.json"),
		"/token/exchange":           sample(tb, "connect.exchange.json"),
		"/token/grants":             grantsAnswer(1),
	}}
}

func (m *memAPI) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	defer cancel(nil)
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	body, ok := m.answers[req.URL.Path]
	if !ok {
		return nil, fmt.Errorf("no answer for %s", req.URL.Path)
	}
	select {
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	default:
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(len(body))}},
		ContentLength: int64(len(body)),
		Body:          io.NopCloser(bytes.NewReader(body)),
		Request:       req,
	}, nil
}

// transport is a net/http Transport that sends every plain-HTTP request to m.
func (m *memAPI) transport() *http.Transport {
	t := &http.Transport{}
	t.RegisterProtocol("http", m)
	return t
}

// sdk returns a Client that sends through m.
func (m *memAPI) sdk(tb testing.TB, opts ...kryptos.Option) *kryptos.Client {
	tb.Helper()
	c, err := kryptos.NewClient(clientID, clientSecret,
		append([]kryptos.Option{kryptos.WithSandbox(memURL), kryptos.WithHTTPClient(&http.Client{Transport: m.transport()})}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// baseline returns the baseline client, sending through m.
func (m *memAPI) baseline() *baseline {
	return &baseline{hc: &http.Client{Transport: m.transport()}, base: memURL}
}
