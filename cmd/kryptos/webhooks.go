package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"

	"github.com/kryptos-connect/kryptos-go/webhook"
	"github.com/spf13/cobra"
)

// Settings of webhooks listen.
const (
	// listenAddr is beside the sandbox's 127.0.0.1:8088, so that both run
	// side by side with their defaults.
	listenAddr = "127.0.0.1:8089"
	// webhookSecretEnv names the variable the signing secret is read from,
	// as in the webhook package's documentation.
	webhookSecretEnv = "KRYPTOS_WEBHOOK_SECRET"
	// forwardTimeout is how long Kryptos waits for an endpoint's answer
	// (API.md §7): an endpoint slower than that fails in production too.
	forwardTimeout = 10 * time.Second
	// answerLimit caps the forward target's answer passed back to the
	// sender, who reads only its status.
	answerLimit = 64 << 10
	// attemptMemory bounds the delivery ids remembered to count attempts.
	attemptMemory = 10000
)

func (a *app) webhooksCommand() *cobra.Command {
	return group("webhooks", "Receive webhooks on this machine while you build your endpoint", a.webhooksListenCommand())
}

func (a *app) webhooksListenCommand() *cobra.Command {
	var addr, forwardTo, secretEnv string
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "listen",
		Short: "Verify and print each webhook delivery, and forward it to your endpoint",
		Long: `Receive webhook deliveries on a local address while you build your
endpoint, as stripe listen does. Each delivery's signature is checked with
the signing secret, read from the environment variable KRYPTOS_WEBHOOK_SECRET
(or the one --webhook-secret-env names; it is never printed), and one line is
printed per delivery: when it arrived, the event, the delivery id, the grant
id and a summary. A delivery whose signature fails is answered 401, printed
as rejected, and not forwarded. With --json, each line is an object with
received_at, outcome (received, forwarded, forward_failed or rejected),
status (the answer the sender got), id, event, grant_id, workspace_id,
timestamp, attempt, summary, warnings, error, data (the event's data) and,
with --forward-to, forward {url, status, duration_ms, error}.

With --forward-to URL, each verified delivery is sent on to your endpoint
with its exact body and X-Webhook-* headers, so that your handler verifies it
with the same secret, and the sender gets your endpoint's status: a 5xx makes
Kryptos (or the sandbox) retry, as in production. An endpoint that refuses
the connection or does not answer within --forward-timeout (10s, as long as
Kryptos waits) gets the sender a 502. Without --forward-to, every verified
delivery is answered 200.

Have the sandbox deliver to it, signing with the secret in the same
variable:
  kryptos sandbox --webhook-url http://127.0.0.1:8089
or expose the address through a tunnel and register the tunnel's URL as the
webhook endpoint. Ctrl+C stops accepting deliveries and lets the forwards
under way finish.`,
		Example: `  kryptos webhooks listen --forward-to http://localhost:3000/webhooks
  kryptos webhooks listen --json | jq .`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := a.newListener(forwardTo, secretEnv, timeout)
			if err != nil {
				return err
			}
			return l.serve(cmd.Context(), addr)
		},
	}
	f := c.Flags()
	f.StringVar(&addr, "addr", listenAddr, "address to listen on (port 0 picks a free one)")
	f.StringVar(&forwardTo, "forward-to", "", "send each verified delivery on to this http(s) URL, and answer with its status")
	f.StringVar(&secretEnv, "webhook-secret-env", webhookSecretEnv, "name of the environment variable that holds the webhook signing secret")
	f.DurationVar(&timeout, "forward-timeout", forwardTimeout, "how long to wait for the --forward-to endpoint's answer before answering 502")
	return c
}

// listener receives deliveries: it verifies, prints, and forwards them.
type listener struct {
	secret    string
	secretEnv string
	forward   *url.URL // nil: verify and print only
	client    *http.Client
	timeout   time.Duration
	stdout    io.Writer
	stderr    io.Writer
	jsonOut   bool
	inFlight  atomic.Int32

	mu       sync.Mutex // serializes the lines, guards attempts
	attempts map[string]int
}

// signingSecret reads the webhook signing secret from the environment
// variable env (the value of --webhook-secret-env), so that it never shows
// on a command line; "" when the variable is unset. It refuses a secret
// with white space around it, which would sign or verify every delivery
// wrongly.
func (a *app) signingSecret(env string) (string, error) {
	if env == "" {
		return "", usagef("--webhook-secret-env must name an environment variable")
	}
	secret := a.getenv(env)
	if strings.TrimSpace(secret) != secret {
		return "", usagef("the webhook signing secret in %s starts or ends with white space (a newline read from a file?): remove it", env)
	}
	return secret, nil
}

// newListener checks the flags and the secret before anything listens.
func (a *app) newListener(forwardTo, secretEnv string, timeout time.Duration) (*listener, error) {
	secret, err := a.signingSecret(secretEnv)
	if err != nil {
		return nil, err
	}
	if secret == "" {
		return nil, usagef("no webhook signing secret: set the environment variable %s to the secret the deliveries are signed with (the Developer Portal's, or the sandbox's: %s unless kryptos sandbox found another in its environment)", secretEnv, sandboxWebhookSecret)
	}
	if timeout <= 0 {
		return nil, usagef("--forward-timeout must be positive, such as 10s")
	}
	l := &listener{
		secret: secret, secretEnv: secretEnv, timeout: timeout,
		stdout: a.stdout, stderr: a.stderr, jsonOut: a.jsonOut,
		attempts: map[string]int{},
	}
	if forwardTo != "" {
		u, err := url.Parse(forwardTo)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usagef("--forward-to must be an absolute http:// or https:// URL, such as http://localhost:3000/webhooks")
		}
		l.forward = u
		l.client = &http.Client{
			Timeout:   timeout,
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
			// A redirect is the endpoint's answer: the sender gets it, as
			// Kryptos would, and the line shows it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return l, nil
}

// serve listens on addr until ctx ends, then stops accepting deliveries
// and waits for those under way, forwards included.
func (l *listener) serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%w; choose another address with --addr", err)
	}
	if l.forwardsToItself(ln.Addr()) {
		_ = ln.Close()
		return usagef("--forward-to %s is this listener's own address: each delivery would be forwarded to itself; give your endpoint's URL", l.forward.Redacted())
	}
	srv := &http.Server{
		Handler:           l,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(l.stderr, "kryptos webhooks listen: ", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	l.banner(ln.Addr())

	select {
	case err := <-served:
		return fmt.Errorf("webhooks listen: %w", err)
	case <-ctx.Done():
	}
	if n := l.inFlight.Load(); n > 0 {
		fmt.Fprintf(l.stderr, "Stopping: finishing %d delivery(ies) under way.\n", n)
	}
	stop, cancel := context.WithTimeout(context.Background(), l.timeout+5*time.Second)
	defer cancel()
	err = srv.Shutdown(stop)
	if l.client != nil {
		l.client.CloseIdleConnections()
	}
	if err != nil {
		return fmt.Errorf("webhooks listen: stopping: %w", err)
	}
	return nil
}

// forwardsToItself reports whether the --forward-to URL names addr, the
// listener's own address, on which every delivery would be forwarded
// again without end.
func (l *listener) forwardsToItself(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	if l.forward == nil || !ok {
		return false
	}
	port := l.forward.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[l.forward.Scheme]
	}
	if port != strconv.Itoa(tcp.Port) {
		return false
	}
	host := l.forward.Hostname()
	ip := net.ParseIP(host)
	if tcp.IP.IsUnspecified() { // every address of this machine
		return host == "localhost" || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified()))
	}
	return (host == "localhost" && tcp.IP.IsLoopback()) || (ip != nil && ip.Equal(tcp.IP))
}

// banner says where to send deliveries, on stderr so that stdout holds
// only the deliveries' lines.
func (l *listener) banner(addr net.Addr) {
	u := "http://" + addr.String()
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		u = "http://" + net.JoinHostPort("localhost", strconv.Itoa(tcp.Port))
	}
	fmt.Fprintf(l.stderr, "Listening for Kryptos webhooks on %s, checking signatures with the secret in $%s\n", u, l.secretEnv)
	sandbox := "kryptos sandbox --webhook-url " + u
	if l.secretEnv != webhookSecretEnv {
		sandbox += " --webhook-secret-env " + l.secretEnv
	}
	fmt.Fprintf(l.stderr, "  Deliver to it: %s\n", sandbox)
	fmt.Fprintln(l.stderr, "  or register a tunnel to it as your webhook endpoint.")
	if l.forward != nil {
		fmt.Fprintf(l.stderr, "Forwarding verified deliveries to %s\n", l.forward.Redacted())
	} else {
		fmt.Fprintln(l.stderr, "Answering verified deliveries 200 (pass --forward-to URL to send them to your endpoint).")
	}
	fmt.Fprintln(l.stderr, "Press Ctrl+C to stop.")
}

// delivery is what happened to one request: a line of output, or a JSON
// object with --json. For a rejected delivery, ID and Event are what its
// headers claim.
type delivery struct {
	ReceivedAt time.Time `json:"received_at"`
	// Outcome is received (verified, answered 200), forwarded,
	// forward_failed (answered 502) or rejected (not forwarded).
	Outcome string `json:"outcome"`
	// Status is the answer the sender got.
	Status      int        `json:"status"`
	ID          string     `json:"id,omitempty"`
	Event       string     `json:"event,omitempty"`
	GrantID     string     `json:"grant_id,omitempty"`
	WorkspaceID string     `json:"workspace_id,omitempty"`
	Timestamp   time.Time  `json:"timestamp,omitzero"`
	Attempt     int        `json:"attempt,omitempty"`
	Summary     string     `json:"summary,omitempty"`
	Warnings    []string   `json:"warnings,omitempty"`
	Error       string     `json:"error,omitempty"`
	Forward     *forwarded `json:"forward,omitempty"`
	// Data is the event's data, as signed.
	Data json.RawMessage `json:"data,omitempty"`
}

// forwarded is how the --forward-to endpoint answered.
type forwarded struct {
	URL        string `json:"url"`
	Status     int    `json:"status,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error,omitempty"`
}

// The outcomes of a delivery.
const (
	outcomeReceived      = "received"
	outcomeForwarded     = "forwarded"
	outcomeForwardFailed = "forward_failed"
	outcomeRejected      = "rejected"
)

// ServeHTTP receives one delivery.
func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.inFlight.Add(1)
	defer l.inFlight.Add(-1)
	d := &delivery{ReceivedAt: time.Now()}
	defer l.print(d)

	reject := func(status int, why string) {
		d.Outcome, d.Status, d.Error = outcomeRejected, status, why
		d.ID, d.Event = r.Header.Get(webhook.HeaderID), r.Header.Get(webhook.HeaderEvent)
		answer(w, status)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reject(http.StatusMethodNotAllowed, r.Method+" "+r.URL.Path+" is not a delivery: deliveries are POSTs")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, webhook.DefaultBodyLimit+1))
	switch {
	case err != nil:
		reject(http.StatusInternalServerError, "could not read the body: "+err.Error())
		return
	case len(body) > webhook.DefaultBodyLimit:
		reject(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes", webhook.DefaultBodyLimit))
		return
	}
	ev, err := webhook.Parse(body, r.Header, l.secret)
	switch {
	case errors.Is(err, webhook.ErrSignatureMismatch):
		// As webhook.Handler answers: Kryptos does not retry it.
		reject(http.StatusUnauthorized, err.Error()+"; check that $"+l.secretEnv+" holds the secret the sender signs with")
		return
	case errors.Is(err, webhook.ErrSignature):
		reject(http.StatusUnauthorized, err.Error())
		return
	case err != nil:
		reject(http.StatusBadRequest, err.Error())
		return
	}
	d.ID, d.Event, d.GrantID, d.WorkspaceID = ev.ID, string(ev.Type), ev.GrantID, ev.WorkspaceID
	d.Timestamp, d.Summary, d.Warnings, d.Data = ev.Timestamp, summary(ev), ev.Warnings, ev.Data
	d.Attempt = l.attempt(ev.ID)
	if l.forward == nil {
		d.Outcome, d.Status = outcomeReceived, http.StatusOK
		answer(w, http.StatusOK)
		return
	}
	l.forwardTo(w, r, body, d)
}

// forwardTo sends a verified delivery on to the endpoint and answers the
// sender with the endpoint's status, or 502 if it did not answer.
func (l *listener) forwardTo(w http.ResponseWriter, r *http.Request, body []byte, d *delivery) {
	d.Forward = &forwarded{URL: l.forward.Redacted()}
	// The forward goes on if the sender hangs up, as the endpoint's work
	// would in production; Ctrl+C waits for it. The client's timeout
	// bounds it.
	req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), http.MethodPost, l.forward.String(), bytes.NewReader(body))
	if err != nil {
		d.Outcome, d.Status, d.Forward.Error = outcomeForwardFailed, http.StatusBadGateway, err.Error()
		answer(w, http.StatusBadGateway)
		return
	}
	for k, v := range r.Header {
		if strings.HasPrefix(k, "X-Webhook-") || k == "Content-Type" || k == "User-Agent" {
			req.Header[k] = append([]string(nil), v...)
		}
	}
	start := time.Now()
	resp, err := l.client.Do(req)
	var answerBody []byte
	if err == nil {
		answerBody, _ = io.ReadAll(io.LimitReader(resp.Body, answerLimit))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, answerLimit)) // lets the connection be reused
		_ = resp.Body.Close()
	}
	d.Forward.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		d.Outcome, d.Status, d.Forward.Error = outcomeForwardFailed, http.StatusBadGateway, l.forwardError(err)
		answer(w, http.StatusBadGateway)
		return
	}
	d.Outcome, d.Status, d.Forward.Status = outcomeForwarded, resp.StatusCode, resp.StatusCode
	for _, k := range []string{"Content-Type", "Retry-After"} {
		if v := resp.Header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answerBody)
}

// forwardError says why the endpoint did not answer.
func (l *listener) forwardError(err error) string {
	var ue *url.Error
	switch {
	case errors.As(err, &ue) && ue.Timeout():
		return fmt.Sprintf("no answer within %s (Kryptos waits 10s)", l.timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is your endpoint running on " + l.forward.Host + "?)"
	case errors.As(err, &ue):
		return ue.Err.Error()
	}
	return err.Error()
}

// attempt counts the deliveries of id: Kryptos retries with the same id.
func (l *listener) attempt(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.attempts) >= attemptMemory {
		clear(l.attempts)
	}
	l.attempts[id]++
	return l.attempts[id]
}

// answer writes the small JSON status webhook.Handler answers with.
func answer(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]bool{"received": status < 300})
}

// summary is the gist of an event's data: an integration's provider and
// status, a process's action and status, and why it failed.
func summary(ev *webhook.Event) string {
	var s, why string
	switch {
	case ev.Integration != nil:
		s, why = ev.Integration.Provider+" "+string(ev.Integration.Status), ev.Integration.ErrorMessage
	case ev.Process != nil:
		s, why = string(ev.Process.Action)+" "+string(ev.Process.Status), ev.Process.Reason
	}
	s = strings.TrimSpace(s)
	if why != "" {
		s += ": " + why
	}
	return s
}

// print writes a delivery's line, or its JSON object, to stdout.
func (l *listener) print(d *delivery) {
	l.clean(d)
	var line []byte
	if l.jsonOut {
		line, _ = json.Marshal(d) // every field marshals
	} else {
		line = []byte(l.text(d))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.stdout.Write(append(line, '\n'))
}

// text is a delivery's line.
func (l *listener) text(d *delivery) string {
	var b strings.Builder
	b.WriteString(d.ReceivedAt.Format(time.DateTime))
	if d.Outcome == outcomeRejected {
		fmt.Fprintf(&b, "  rejected %d", d.Status)
		if d.ID != "" {
			fmt.Fprintf(&b, "  %s %s", webhook.HeaderID, d.ID)
		}
		fmt.Fprintf(&b, ": %s; not forwarded", d.Error)
		return b.String()
	}
	// The event and the summary are padded to their usual widths, so that
	// the arrows of a run of deliveries line up.
	fmt.Fprintf(&b, "  %-28s  %s  %s  %-26s", d.Event, d.ID, orDash(d.GrantID), d.Summary)
	if f := d.Forward; f != nil {
		if f.Error != "" {
			fmt.Fprintf(&b, "  -> %d: forward failed after %dms: %s", d.Status, f.DurationMS, f.Error)
		} else {
			fmt.Fprintf(&b, "  -> %d in %dms", f.Status, f.DurationMS)
		}
	}
	if d.Attempt > 1 {
		fmt.Fprintf(&b, "  (attempt %d)", d.Attempt)
	}
	if len(d.Warnings) > 0 {
		b.WriteString("  (not as documented: " + strings.Join(d.Warnings, "; ") + ")")
	}
	return strings.TrimRight(b.String(), " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clean makes what came from the request safe to print: control characters
// escaped, long header values cut, and the secret masked wherever it turns
// up (a sender that knows it could put it in a header), so that it never
// reaches a terminal or a log.
func (l *listener) clean(d *delivery) {
	for _, s := range []*string{&d.ID, &d.Event, &d.GrantID, &d.WorkspaceID, &d.Summary, &d.Error} {
		*s = l.printable(*s)
	}
	for i := range d.Warnings {
		d.Warnings[i] = l.printable(d.Warnings[i])
	}
	if d.Forward != nil {
		d.Forward.Error = l.printable(d.Forward.Error)
	}
	if len(d.Data) > 0 {
		d.Data = l.maskData(d.Data)
	}
}

const maxPrinted = 200

func (l *listener) printable(s string) string {
	s = strings.ReplaceAll(s, l.secret, "[secret]")
	if len(s) > maxPrinted {
		s = s[:maxPrinted] + "..."
	}
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) }) >= 0 {
		q := strconv.QuoteToGraphic(s)
		s = q[1 : len(q)-1]
	}
	return s
}

// maskData masks the secret in the strings of a JSON value. The value is
// kept as it came unless one of its strings, once decoded, holds the
// secret.
func (l *listener) maskData(raw json.RawMessage) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil // Parse read it: not reached
	}
	masked := false
	var walk func(any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case string:
			if strings.Contains(v, l.secret) {
				masked = true
				return strings.ReplaceAll(v, l.secret, "[secret]")
			}
		case []any:
			for i := range v {
				v[i] = walk(v[i])
			}
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			for _, k := range keys {
				e := v[k]
				if strings.Contains(k, l.secret) {
					masked = true
					delete(v, k)
					k = strings.ReplaceAll(k, l.secret, "[secret]")
				}
				v[k] = walk(e)
			}
		}
		return v
	}
	v = walk(v)
	if !masked {
		return raw
	}
	out, _ := json.Marshal(v)
	return out
}
