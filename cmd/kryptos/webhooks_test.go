package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
	"github.com/kryptos-connect/kryptos-go/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const listenSecret = "whsec_listen_test_5f2b9c"

// listening is a run of kryptos webhooks listen on a free loopback port.
type listening struct {
	url            string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
	code           int
	stopped        bool
}

// listen starts kryptos webhooks listen with args, the signing secret in
// KRYPTOS_WEBHOOK_SECRET unless env says otherwise, and waits for it to
// print its URL. It is stopped at the end of the test, which checks that
// the secret was never printed.
func listen(t *testing.T, env map[string]string, args ...string) *listening {
	t.Helper()
	if env == nil {
		env = map[string]string{"KRYPTOS_WEBHOOK_SECRET": listenSecret}
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &listening{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		l.done <- runContext(ctx, append([]string{"webhooks", "listen", "--addr", "127.0.0.1:0"}, args...),
			func(k string) string { return env[k] }, l.stdout, l.stderr, false)
	}()
	at := regexp.MustCompile(`Listening for Kryptos webhooks on (http://127\.0\.0\.1:\d+)`)
	require.Eventually(t, func() bool {
		select {
		case code := <-l.done:
			require.FailNow(t, "webhooks listen ended", "exit %d: %s", code, l.stderr.String())
		default:
		}
		return at.MatchString(l.stderr.String())
	}, 5*time.Second, 2*time.Millisecond)
	l.url = at.FindStringSubmatch(l.stderr.String())[1]
	assert.NotRegexp(t, `:0\b`, l.url, "the actual port is printed")
	t.Cleanup(func() {
		l.stop(t)
		for _, out := range []string{l.stdout.String(), l.stderr.String()} {
			assert.NotContains(t, out, listenSecret, "webhooks listen printed the secret")
		}
	})
	return l
}

// stop interrupts the listener, as Ctrl+C does, and returns its exit code.
func (l *listening) stop(t *testing.T) int {
	t.Helper()
	if !l.stopped {
		l.cancel()
		select {
		case l.code = <-l.done:
		case <-time.After(20 * time.Second):
			require.FailNow(t, "webhooks listen did not stop")
		}
		l.stopped = true
	}
	return l.code
}

// lines returns the lines printed so far on stdout.
func (l *listening) lines() []string {
	s := strings.TrimSuffix(l.stdout.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// waitLines waits until n lines are printed, and returns them.
func (l *listening) waitLines(t *testing.T, n int) []string {
	t.Helper()
	require.Eventually(t, func() bool { return len(l.lines()) >= n }, 5*time.Second, 2*time.Millisecond,
		"waiting for %d line(s); got:\n%s", n, l.stdout.String())
	return l.lines()
}

// endpoint is the developer's webhook endpoint that deliveries are
// forwarded to: it records each request and answers with status.
type endpoint struct {
	srv    *httptest.Server
	status atomic.Int32
	// hold, when set, blocks each request until it is closed.
	hold    chan struct{}
	mu      sync.Mutex
	got     []forwardedRequest
	arrived chan struct{}
}

type forwardedRequest struct {
	path   string
	header http.Header
	body   []byte
}

func newEndpoint(t *testing.T, status int) *endpoint {
	t.Helper()
	e := &endpoint{arrived: make(chan struct{}, 100)}
	e.status.Store(int32(status))
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.got = append(e.got, forwardedRequest{r.URL.Path, r.Header.Clone(), body})
		e.mu.Unlock()
		e.arrived <- struct{}{}
		if e.hold != nil {
			<-e.hold
		}
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(int(e.status.Load()))
		_, _ = io.WriteString(w, "endpoint's answer")
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) requests() []forwardedRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]forwardedRequest(nil), e.got...)
}

// hookedWorld is a world whose sandbox moves sync jobs only when its clock
// is advanced, and delivers its webhooks to url.
func hookedWorld(t *testing.T, url string) (*world, *kryptostest.FakeClock) {
	t.Helper()
	clock := kryptostest.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	w := newWorld(t, kryptostest.WithClock(clock), kryptostest.WithSyncTimings(time.Minute, time.Minute))
	w.srv.RegisterWebhook(url, listenSecret, kryptostest.WithWebhookRetryWait(time.Millisecond))
	return w, clock
}

// resync queues a resync of the world's wallet: the sandbox announces
// integration.updated (QUEUED) at once.
func (w *world) resync(t *testing.T) {
	t.Helper()
	_, err := w.srv.Client().ResyncIntegration(context.Background(), w.walletID, kryptos.ResyncParams{UserID: w.userID, Mode: kryptos.ResyncLatest})
	require.NoError(t, err)
}

// post sends body to url signed with secret, as Kryptos does.
func post(t *testing.T, url string, body []byte, secret string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(webhook.HeaderSignature, webhook.Sign(body, secret))
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(answer)
}

// listenLines replaces what changes from run to run in the listener's
// lines (times, ids, durations) with placeholders.
func listenLines(s string) string {
	s = sameLength(s)
	for _, r := range []struct{ re, repl string }{
		{`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`, "YYYY-MM-DD hh:mm:ss"},
		{`\d+ms`, "Nms"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.repl)
	}
	return regexp.MustCompile(`whd_[0-9a-f]+`).ReplaceAllStringFunc(s, func(m string) string {
		return "whd_" + strings.Repeat("x", len(m)-len("whd_"))
	})
}

func TestWebhooksListenForwardsTheSandboxsDeliveries(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, http.StatusOK)
	l := listen(t, nil, "--forward-to", ep.srv.URL+"/webhooks")
	assert.Contains(t, l.stderr.String(), "Forwarding verified deliveries to "+ep.srv.URL+"/webhooks")
	assert.Contains(t, l.stderr.String(), "Deliver to it: kryptos sandbox --webhook-url "+l.url+"\n")
	w, clock := hookedWorld(t, l.url)

	w.resync(t)
	l.waitLines(t, 1)
	clock.Advance(time.Minute)
	l.waitLines(t, 2)
	clock.Advance(time.Minute)
	lines := l.waitLines(t, 7)
	golden(t, "webhooks-listen.txt", l.stdout.String(), listenLines)

	// The sandbox records a delivery once its answer is back, which may be
	// just after the listener printed the line.
	var deliveries []kryptostest.Delivery
	require.Eventually(t, func() bool {
		deliveries = w.srv.WebhookDeliveries()
		return len(deliveries) == 7
	}, 5*time.Second, 2*time.Millisecond)
	got := ep.requests()
	require.Len(t, got, 7)
	for i, d := range deliveries {
		assert.Equal(t, http.StatusOK, d.Status, "the endpoint's answer reached the sandbox")
		assert.Equal(t, 1, d.Attempts)
		assert.Contains(t, lines[i], d.Event+" ")
		assert.Contains(t, lines[i], d.ID)
		assert.Contains(t, lines[i], w.grant.GrantID)

		// The endpoint verifies the forward with the same secret: the body
		// is the signed one, byte for byte, with the sender's headers.
		r := got[i]
		assert.Equal(t, "/webhooks", r.path)
		ev, err := webhook.Parse(r.body, r.header, listenSecret)
		require.NoError(t, err)
		assert.Equal(t, d.ID, ev.ID)
		assert.Equal(t, d.ID, r.header.Get(webhook.HeaderID))
		assert.Equal(t, d.Event, r.header.Get(webhook.HeaderEvent))
		assert.NotEmpty(t, r.header.Get(webhook.HeaderTimestamp))
		assert.Equal(t, "application/json", r.header.Get("Content-Type"))
		assert.Empty(t, ev.Warnings)
	}
	assert.Equal(t, 0, l.stop(t), l.stderr.String())
}

func TestWebhooksListenForwardsTheExactRequest(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, http.StatusAccepted)
	l := listen(t, nil, "--forward-to", ep.srv.URL+"/hooks?source=kryptos")
	// Spacing, key order and escapes that a re-encoding would change.
	body := []byte("{\"event\":\"costbasis.failed\",  \"id\":\"whd_exact1\",\n\"timestamp\":\"2026-02-19T12:00:00.000Z\"," +
		"\"grant_id\":\"cgrant_exact\",\"workspace_id\":null,\"data\":{\"action\":\"ACCOUNT_MANAGER\",\"status\":\"failed\"," +
		"\"reason\":\"caf\\u00e9 \u2603\",\"timestamp\":1771502400000}}")
	header := map[string]string{
		webhook.HeaderID: "whd_exact1", webhook.HeaderEvent: "costbasis.failed",
		webhook.HeaderTimestamp: "2026-02-19T12:00:01.000Z", "X-Webhook-Extra": "kept",
	}
	resp, answer := post(t, l.url+"/any/path", body, listenSecret, header)
	assert.Equal(t, http.StatusAccepted, resp.StatusCode, "the endpoint's status")
	assert.Equal(t, "endpoint's answer", answer)
	assert.Equal(t, "7", resp.Header.Get("Retry-After"))

	got := ep.requests()
	require.Len(t, got, 1)
	r := got[0]
	assert.Equal(t, "/hooks", r.path)
	assert.Equal(t, string(body), string(r.body), "the raw body, untouched")
	for k, v := range header {
		assert.Equal(t, []string{v}, r.header.Values(k), k)
	}
	assert.Equal(t, webhook.Sign(body, listenSecret), r.header.Get(webhook.HeaderSignature))

	line := l.waitLines(t, 1)[0]
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  costbasis\.failed +whd_exact1  cgrant_exact  ACCOUNT_MANAGER failed: café ☃ +-> 202 in \d+ms$`, line)
}

func TestWebhooksListenRejectsBadDeliveries(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, http.StatusOK)
	l := listen(t, nil, "--forward-to", ep.srv.URL)
	body := []byte(`{"id":"whd_bad","event":"integration.created","grant_id":"cgrant_1","data":{}}`)
	for i, tc := range []struct {
		name   string
		body   []byte
		secret string
		header map[string]string
		status int
		line   string
	}{
		{"wrong secret", body, "whsec_someone_else", map[string]string{webhook.HeaderID: "whd_bad"}, http.StatusUnauthorized,
			`rejected 401  X-Webhook-Id whd_bad: webhook: signature not valid: it matches none of the secrets .*; check that \$KRYPTOS_WEBHOOK_SECRET holds the secret`},
		{"no signature", body, "", nil, http.StatusUnauthorized, `rejected 401: webhook: signature not valid: no X-Webhook-Signature header; not forwarded$`},
		{"the secret in a header", body, "whsec_someone_else", map[string]string{webhook.HeaderID: "whd_" + listenSecret}, http.StatusUnauthorized,
			`rejected 401  X-Webhook-Id whd_\[secret\]: `},
		{"signed, not a delivery", []byte(`["not an object"]`), listenSecret, nil, http.StatusBadRequest, `rejected 400: webhook: malformed delivery: `},
	} {
		resp, _ := post(t, l.url, tc.body, tc.secret, tc.header)
		assert.Equal(t, tc.status, resp.StatusCode, tc.name)
		lines := l.waitLines(t, i+1)
		assert.Regexp(t, tc.line, lines[i], tc.name)
		assert.Contains(t, lines[i], "; not forwarded", tc.name)
	}
	resp, err := http.Get(l.url)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Contains(t, l.waitLines(t, 5)[4], "rejected 405: GET / is not a delivery")
	assert.Empty(t, ep.requests(), "nothing rejected is forwarded")
}

func TestWebhooksListenPassesTheEndpointsFailureBack(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, http.StatusInternalServerError)
	l := listen(t, nil, "--forward-to", ep.srv.URL)
	w, _ := hookedWorld(t, l.url)
	w.resync(t)

	// The sandbox retries a 500 twice, as Kryptos does: each attempt reaches
	// the endpoint.
	lines := l.waitLines(t, 3)
	require.Eventually(t, func() bool { return len(w.srv.WebhookDeliveries()) == 1 }, 5*time.Second, 2*time.Millisecond)
	d := w.srv.WebhookDeliveries()[0]
	assert.Equal(t, http.StatusInternalServerError, d.Status)
	assert.Equal(t, 3, d.Attempts)
	got := ep.requests()
	require.Len(t, got, 3)
	for i, r := range got {
		assert.Equal(t, d.ID, r.header.Get(webhook.HeaderID))
		assert.Equal(t, string(got[0].body), string(r.body))
		assert.Contains(t, lines[i], d.ID)
		assert.Contains(t, lines[i], "-> 500 in ")
	}
	assert.NotContains(t, lines[0], "attempt")
	assert.Contains(t, lines[1], "(attempt 2)")
	assert.Contains(t, lines[2], "(attempt 3)")
}

func TestWebhooksListenAnswers502WhenTheEndpointIsDown(t *testing.T) {
	t.Parallel()
	dead, err := (&netListen{}).free()
	require.NoError(t, err)
	l := listen(t, nil, "--forward-to", "http://"+dead+"/webhooks")
	w, _ := hookedWorld(t, l.url)
	w.resync(t)

	lines := l.waitLines(t, 3)
	require.Eventually(t, func() bool { return len(w.srv.WebhookDeliveries()) == 1 }, 5*time.Second, 2*time.Millisecond)
	d := w.srv.WebhookDeliveries()[0]
	assert.Equal(t, http.StatusBadGateway, d.Status, "502, which Kryptos retries")
	assert.Equal(t, 3, d.Attempts)
	assert.Regexp(t, `-> 502: forward failed after \d+ms: connection refused \(is your endpoint running on `+regexp.QuoteMeta(dead)+`\?\)$`, lines[0])
	assert.Regexp(t, `-> 502: .*  \(attempt 3\)$`, lines[2])
}

func TestWebhooksListenTimesOutASlowEndpoint(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, http.StatusOK)
	ep.hold = make(chan struct{})
	defer close(ep.hold)
	l := listen(t, nil, "--forward-to", ep.srv.URL, "--forward-timeout", "50ms")
	body := []byte(`{"id":"whd_slow","event":"integration.deleted","grant_id":"cgrant_1","data":{"provider":"binance","status":"DELETED"}}`)
	resp, _ := post(t, l.url, body, listenSecret, nil)
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Regexp(t, `-> 502: forward failed after \d+ms: no answer within 50ms \(Kryptos waits 10s\)$`, l.waitLines(t, 1)[0])
}

func TestWebhooksListenJSON(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, http.StatusOK)
	l := listen(t, map[string]string{"MY_HOOK_SECRET": listenSecret}, "--json", "--forward-to", ep.srv.URL, "--webhook-secret-env", "MY_HOOK_SECRET")
	assert.Contains(t, l.stderr.String(), "kryptos sandbox --webhook-url "+l.url+" --webhook-secret-env MY_HOOK_SECRET\n")
	assert.NotContains(t, l.stderr.String(), listenSecret)
	w, _ := hookedWorld(t, l.url)
	w.resync(t)
	l.waitLines(t, 1)
	resp, _ := post(t, l.url, []byte(`{}`), "whsec_wrong", map[string]string{webhook.HeaderID: "whd_forged"})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	lines := l.waitLines(t, 2)
	require.Len(t, lines, 2)

	var ok, rejected map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &ok), lines[0])
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &rejected), lines[1])
	require.Eventually(t, func() bool { return len(w.srv.WebhookDeliveries()) == 1 }, 5*time.Second, 2*time.Millisecond)
	d := w.srv.WebhookDeliveries()[0]
	assert.Equal(t, "forwarded", ok["outcome"])
	assert.EqualValues(t, 200, ok["status"])
	assert.Equal(t, d.ID, ok["id"])
	assert.Equal(t, "integration.updated", ok["event"])
	assert.Equal(t, w.grant.GrantID, ok["grant_id"])
	assert.Equal(t, w.grant.WorkspaceID, ok["workspace_id"])
	assert.Equal(t, "ethereum QUEUED", ok["summary"])
	assert.EqualValues(t, 1, ok["attempt"])
	for _, k := range []string{"received_at", "timestamp"} {
		_, err := time.Parse(time.RFC3339Nano, ok[k].(string))
		assert.NoError(t, err, k)
	}
	fwd, _ := ok["forward"].(map[string]any)
	require.NotNil(t, fwd, lines[0])
	assert.Equal(t, ep.srv.URL, fwd["url"])
	assert.EqualValues(t, 200, fwd["status"])
	assert.Contains(t, fwd, "duration_ms")
	data, _ := ok["data"].(map[string]any)
	assert.Equal(t, w.walletID, data["walletId"], "the event's data as sent")

	assert.Equal(t, "rejected", rejected["outcome"])
	assert.EqualValues(t, 401, rejected["status"])
	assert.Equal(t, "whd_forged", rejected["id"])
	assert.Contains(t, rejected["error"], "signature not valid")
	assert.NotContains(t, rejected, "forward")
}

func TestWebhooksListenWithoutForwardAnswers200(t *testing.T) {
	t.Parallel()
	l := listen(t, nil)
	assert.Contains(t, l.stderr.String(), "Answering verified deliveries 200")
	w, _ := hookedWorld(t, l.url)

	// A returning user connects another wallet: integration.created.
	ctx := context.Background()
	lt, err := w.srv.Client().CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: w.grant.AccessToken})
	require.NoError(t, err)
	_, err = w.srv.CompleteLink(lt.Token, kryptostest.LinkUser{Wallets: []kryptostest.Wallet{{Provider: "solana", Address: kryptostest.SolanaTestAddress}}})
	require.NoError(t, err)

	line := l.waitLines(t, 1)[0]
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  integration\.created +whd_[0-9a-f]+  `+w.grant.GrantID+`  solana COMPLETED$`, line)
	require.Eventually(t, func() bool { return len(w.srv.WebhookDeliveries()) == 1 }, 5*time.Second, 2*time.Millisecond)
	assert.Equal(t, http.StatusOK, w.srv.WebhookDeliveries()[0].Status)
}

func TestWebhooksListenFinishesForwardsOnInterrupt(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, http.StatusOK)
	ep.hold = make(chan struct{})
	l := listen(t, nil, "--forward-to", ep.srv.URL)
	body := []byte(`{"id":"whd_inflight","event":"integration.updated","grant_id":"cgrant_1","data":{"provider":"binance","status":"SYNCING"}}`)
	status := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, l.url, bytes.NewReader(body))
		req.Header.Set(webhook.HeaderSignature, webhook.Sign(body, listenSecret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	<-ep.arrived

	// Ctrl+C: the listener stops accepting, but the forward under way goes on.
	l.cancel()
	addr := strings.TrimPrefix(l.url, "http://")
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 5*time.Second, 2*time.Millisecond, "still accepting after the interrupt")
	select {
	case code := <-l.done:
		t.Fatalf("stopped (exit %d) before the forward under way ended", code)
	case <-time.After(20 * time.Millisecond):
	}
	close(ep.hold)
	assert.Equal(t, http.StatusOK, <-status, "the sender got the endpoint's answer")
	assert.Equal(t, 0, l.stop(t), l.stderr.String())
	assert.Contains(t, l.stderr.String(), "Stopping: finishing 1 delivery(ies) under way.")
	assert.Contains(t, l.lines()[0], "whd_inflight")
}

func TestWebhooksListenChecksItsInputs(t *testing.T) {
	t.Parallel()
	secret := map[string]string{"KRYPTOS_WEBHOOK_SECRET": listenSecret}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		msg  string
	}{
		{"no secret", nil, nil, "set the environment variable KRYPTOS_WEBHOOK_SECRET"},
		{"no secret in the named variable", []string{"--webhook-secret-env", "MY_SECRET"}, secret, "set the environment variable MY_SECRET"},
		{"blank variable name", []string{"--webhook-secret-env", ""}, secret, "--webhook-secret-env must name"},
		{"secret with a newline", nil, map[string]string{"KRYPTOS_WEBHOOK_SECRET": listenSecret + "\n"}, "white space"},
		{"relative URL", []string{"--forward-to", "/webhooks"}, secret, "--forward-to must be an absolute http:// or https:// URL"},
		{"no scheme", []string{"--forward-to", "localhost:3000/webhooks"}, secret, "--forward-to must be"},
		{"not http", []string{"--forward-to", "ftp://localhost/webhooks"}, secret, "--forward-to must be"},
		{"no host", []string{"--forward-to", "http:///webhooks"}, secret, "--forward-to must be"},
		{"zero timeout", []string{"--forward-timeout", "0s"}, secret, "--forward-timeout must be positive"},
		{"an argument", []string{"extra"}, secret, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"webhooks", "listen", "--addr", "127.0.0.1:0"}, tc.args...),
				func(k string) string { return tc.env[k] }, &stdout, &stderr)
			assert.Equal(t, exitUsage, code, stderr.String())
			assert.Contains(t, stderr.String(), tc.msg)
			assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "the error is one line, and nothing listened: %q", stderr.String())
			assert.Empty(t, stdout.String())
			assert.NotContains(t, stderr.String(), listenSecret)
		})
	}

	// Forwarding to itself would loop.
	for _, to := range []string{"http://127.0.0.1:%s/webhooks", "http://localhost:%s"} {
		port := itoa(freePort(t))
		var stdout, stderr bytes.Buffer
		code := run([]string{"webhooks", "listen", "--addr", "127.0.0.1:" + port, "--forward-to", fmt.Sprintf(to, port)},
			func(k string) string { return secret[k] }, &stdout, &stderr)
		assert.Equal(t, exitUsage, code, stderr.String())
		assert.Contains(t, stderr.String(), "is this listener's own address")
	}

	// A busy address is not bad input, but says what to do.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	var stdout, stderr bytes.Buffer
	code := run([]string{"webhooks", "listen", "--addr", busy.Addr().String()}, func(k string) string { return secret[k] }, &stdout, &stderr)
	assert.Equal(t, exitOther, code)
	assert.Contains(t, stderr.String(), "choose another address with --addr")
}

// freePort returns a loopback port no one listens on.
func freePort(t *testing.T) int {
	t.Helper()
	addr, err := (&netListen{}).free()
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(addr)
	n, err := strconv.Atoi(port)
	require.NoError(t, err)
	return n
}

func TestWebhooksListenIsInTheHelp(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"--help"}, func(string) string { return "" }, &stdout, &stderr), stderr.String())
	assert.Regexp(t, `(?m)^  webhooks +Receive webhooks`, stdout.String())
	stdout.Reset()
	require.Equal(t, 0, run([]string{"webhooks", "listen", "--help"}, func(string) string { return "" }, &stdout, &stderr), stderr.String())
	for _, flag := range []string{"--addr", "--forward-to", "--webhook-secret-env", "--forward-timeout", "127.0.0.1:8089", "KRYPTOS_WEBHOOK_SECRET"} {
		assert.Contains(t, stdout.String(), flag)
	}
}
