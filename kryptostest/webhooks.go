package kryptostest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/kryptos-connect/kryptos-go/webhook"
)

// Webhook delivery, as documented (API.md §7): a 10 s timeout, and 2
// retries on 429, 500, 502, 503 or 504. A failed connection or a timeout is
// retried too.
const (
	webhookTimeout   = 10 * time.Second
	webhookRetries   = 2
	webhookRetryWait = 50 * time.Millisecond
)

// The wire form of the webhooks is written here as the docs spell it, not
// taken from the webhook package: the sandbox is the docs' second witness,
// so that a misreading of them in the package shows up as a failing test
// (webhook/testdata holds the docs' samples). Only the signature comes from
// webhook.Sign, whose known answers are checked against openssl.

// webhookTime is the layout of the envelope's timestamp and of the
// X-Webhook-Timestamp header, as in the docs' sample.
const webhookTime = "2006-01-02T15:04:05.000Z07:00"

// Delivery is one webhook the sandbox sent, with its final outcome.
type Delivery struct {
	ID    string
	Event string
	// GrantID is the grant the delivery was for: an event of a user is
	// delivered once per active Connect grant of the user.
	GrantID string
	// Attempts made, retries included.
	Attempts int
	// Status is the receiver's last HTTP status, 0 if it never answered.
	Status int
	// Err is the last transport error (a timeout, a refused connection),
	// if any.
	Err error
}

// WebhookOption configures the delivery of RegisterWebhook.
type WebhookOption func(*webhookSink)

// WithWebhookTimeout sets how long the sandbox waits for the receiver's
// answer to one attempt before it gives up on it and retries (default 10 s,
// as documented). With a receiver slower than that, the retry arrives while
// the first attempt is still being handled, as it does from Kryptos: a
// short timeout tests that case without waiting 10 s.
func WithWebhookTimeout(d time.Duration) WebhookOption {
	return func(k *webhookSink) {
		if d > 0 {
			k.http.Timeout = d
		}
	}
}

// WithWebhookRetryWait sets the pause before a retry: n times d before the
// n-th (default 50 ms). Kryptos does not document its own.
func WithWebhookRetryWait(d time.Duration) WebhookOption {
	return func(k *webhookSink) {
		if d >= 0 {
			k.retryWait = d
		}
	}
}

// webhookSink delivers events to one registered endpoint, in order, from a
// goroutine of its own. Its queue is unbounded so that announcing an event
// under the sandbox's lock never waits for a receiver, which may itself be
// calling the sandbox.
type webhookSink struct {
	url, secret string
	clock       Clock
	retryWait   time.Duration
	http        *http.Client
	ctx         context.Context // cancelled by close, ending the attempt under way
	cancel      context.CancelFunc

	mu    sync.Mutex
	queue []outgoing
	sent  map[string]outgoing
	// held keeps, by public token, the events of a new connection until the
	// exchange of the token creates the grant they belong to.
	held      map[string]*heldEvents
	delivered []Delivery
	wake      chan struct{}
	stop      chan struct{}
	done      sync.WaitGroup
}

type outgoing struct {
	id, event, grantID string
	body               []byte
	// age backdates X-Webhook-Timestamp, to test stale deliveries.
	age time.Duration
}

// webhookEvent is an event before it is addressed to a grant.
type webhookEvent struct {
	name string
	at   time.Time
	data map[string]any
}

type heldEvents struct {
	expiresAt time.Time
	events    []webhookEvent
}

// RegisterWebhook makes the sandbox deliver its events to url, signed with
// secret, as Kryptos does:
//
//   - integration.created when a user connects an integration;
//     integration.updated as a sync job goes from queued to syncing to
//     completed, then transfer_detection.started and .completed and
//     costbasis.started and .completed; integration.failed when a sync
//     fails (Wallet.FailSync).
//   - Each event of a user is delivered once per active Connect grant of
//     the user (not per OAuth grant of "Sign in with Kryptos", which
//     ListGrants leaves out too), with that grant's grant_id. The
//     integrations connected in a link that ends with a public token
//     belong to the grant its exchange creates: their
//     integration.created waits for that exchange (and is dropped if the
//     token is never exchanged), so that it carries the grant id like every
//     other delivery. Grants the user already had get it at once.
//   - The body and headers are those of the docs' sample; each attempt times
//     out after 10 s (WithWebhookTimeout), and is retried twice on 429, 500,
//     502, 503, 504, a timeout or a failed connection.
//
// Registering again replaces the endpoint: the events not sent yet go to
// the new one. Changes made before the first registration are not
// announced. After Close it does nothing.
func (s *Server) RegisterWebhook(url, secret string, opts ...WebhookOption) {
	sink := &webhookSink{
		url: url, secret: secret, clock: s.cfg.clock, retryWait: webhookRetryWait,
		http: &http.Client{Timeout: webhookTimeout},
		sent: map[string]outgoing{}, held: map[string]*heldEvents{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	sink.ctx, sink.cancel = context.WithCancel(context.Background())
	for _, o := range opts {
		o(sink)
	}
	sink.done.Add(2) // before another RegisterWebhook or Close can close it
	s.mu.Lock()
	if s.closed {
		// Close has stopped the deliveries for good: nothing would stop
		// this sink's goroutines.
		s.mu.Unlock()
		sink.cancel()
		return
	}
	old := s.hooks
	if old == nil {
		// No endpoint saw the jobs' changes so far: they happened before
		// this registration, and are not announced to it as if new.
		now := s.cfg.clock.Now()
		for _, j := range s.state.jobs {
			j.notified = j.status(&s.cfg, now)
		}
	} else {
		// Events held for an exchange go to the new endpoint.
		old.mu.Lock()
		sink.held, old.held = old.held, map[string]*heldEvents{}
		old.mu.Unlock()
	}
	s.hooks = sink
	s.mu.Unlock()
	if old != nil {
		// Once the old endpoint's loop has stopped, what it was not done
		// sending (the deliveries still queued, and the one it was sending
		// or waiting to retry) goes to the new one, ahead of anything
		// announced since; its record of what it sent carries over, for
		// WebhookDeliveries and ReplayWebhook.
		old.close()
		old.mu.Lock()
		pending, delivered, sent := old.queue, old.delivered, old.sent
		old.queue = nil
		old.mu.Unlock()
		sink.mu.Lock()
		sink.queue = append(pending, sink.queue...)
		sink.delivered = append(delivered, sink.delivered...)
		for id, out := range sent {
			if _, ok := sink.sent[id]; !ok {
				sink.sent[id] = out
			}
		}
		sink.mu.Unlock()
	}
	go sink.run()
	go s.watchJobs(sink)
}

// WebhookDeliveries returns the deliveries finished so far, in order.
func (s *Server) WebhookDeliveries() []Delivery {
	s.mu.Lock()
	sink := s.hooks
	s.mu.Unlock()
	if sink == nil {
		return nil
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	return append([]Delivery(nil), sink.delivered...)
}

// ReplayWebhook sends a delivery again with the same id and body, as Kryptos
// does when it did not see an acknowledgement: a duplicate for the
// receiver's deduplication. A positive age backdates its
// X-Webhook-Timestamp header (which the signature does not cover).
func (s *Server) ReplayWebhook(id string, age time.Duration) error {
	s.mu.Lock()
	sink := s.hooks
	s.mu.Unlock()
	if sink == nil {
		return errors.New("kryptostest: no webhook is registered")
	}
	sink.mu.Lock()
	out, ok := sink.sent[id]
	sink.mu.Unlock()
	if !ok {
		return fmt.Errorf("kryptostest: no delivery %q was sent", id)
	}
	out.age = age
	sink.enqueue(out)
	return nil
}

// announce delivers an event of userID to each of the user's active
// grants. The caller holds s.mu.
func (s *Server) announce(ev webhookEvent, userID string) {
	if s.hooks == nil {
		return
	}
	for _, g := range s.webhookGrants(userID, ev.at) {
		s.hooks.enqueue(s.addressed(ev, g.id))
	}
}

// announceConnected announces integration.created for an integration that
// a link connected. When the link ends with a public token, its exchange
// creates a grant that the integration belongs to too: the event waits for
// it (releaseWebhooks). The caller holds s.mu.
func (s *Server) announceConnected(in *integration, publicToken string) {
	now := s.cfg.clock.Now()
	ev := webhookEvent{name: "integration.created", at: now, data: s.webhookIntegration(in, now)}
	s.announce(ev, in.userID)
	if s.hooks == nil || publicToken == "" {
		return
	}
	k := s.hooks
	k.mu.Lock()
	defer k.mu.Unlock()
	for token, h := range k.held { // tokens never exchanged
		if !now.Before(h.expiresAt) {
			delete(k.held, token)
		}
	}
	h := k.held[publicToken]
	if h == nil {
		h = &heldEvents{expiresAt: now.Add(PublicTokenTTL)}
		k.held[publicToken] = h
	}
	h.events = append(h.events, ev)
}

// releaseWebhooks delivers the events held for publicToken to the grant its
// exchange created. The caller holds s.mu.
func (s *Server) releaseWebhooks(publicToken, grantID string) {
	if s.hooks == nil {
		return
	}
	k := s.hooks
	k.mu.Lock()
	h := k.held[publicToken]
	delete(k.held, publicToken)
	k.mu.Unlock()
	if h == nil {
		return
	}
	for _, ev := range h.events {
		k.enqueue(s.addressed(ev, grantID))
	}
}

// webhookGrants returns the active Connect grants of the sandbox's client
// for userID, oldest first: not the OAuth grants of "Sign in with Kryptos",
// which are not Connect grants (ListGrants leaves them out too).
func (s *Server) webhookGrants(userID string, now time.Time) []*grant {
	var out []*grant
	for _, g := range s.state.grants {
		if g.clientID == s.ClientID && g.userID == userID && g.active(now) && !g.oauth {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// addressed makes a delivery of ev for one grant: the docs' envelope, with
// the workspace of the grant's user. The caller holds s.mu.
func (s *Server) addressed(ev webhookEvent, grantID string) outgoing {
	workspaceID := s.state.users[s.state.grants[grantID].userID].workspace.id
	id := "whd_" + randomHex(12)
	body, _ := json.Marshal(map[string]any{
		"id": id, "event": ev.name, "timestamp": ev.at.UTC().Format(webhookTime),
		"grant_id": grantID, "workspace_id": workspaceID, "data": ev.data,
	})
	return outgoing{id: id, event: ev.name, grantID: grantID, body: body}
}

// webhookIntegration is an integration in the webhook's own shape (API.md
// §7), not the data API's: times in Unix milliseconds (0 for never), the
// webhook's status vocabulary, "" rather than null, errorMessage only
// when the status is FAILED, and totalTransactions as the data API counts
// them (what the latest finished sync saved).
func (s *Server) webhookIntegration(in *integration, now time.Time) map[string]any {
	// Connecting imports the history, so an integration without a job of
	// its own is synced as of when it was added (as the data API says).
	// Otherwise it last synced when its latest finished sync ended, whatever
	// its latest job is doing now.
	status, lastSynced, errorMessage := "COMPLETED", in.addedOn, ""
	if j := in.lastFinished(&s.cfg, now); j != nil {
		lastSynced = j.finishedAt(&s.cfg)
	}
	if j := in.lastJob; j != nil {
		switch j.status(&s.cfg, now) {
		case syncQueued:
			status = "QUEUED"
		case syncInProgress:
			status = "SYNCING"
		case syncFailed:
			status, errorMessage = "FAILED", "sandbox: the provider did not answer"
		}
	}
	typ, category, address := "api", "exchange", ""
	switch in.kind {
	case "wallet":
		category, address = "blockchain", in.address
	case "csv":
		typ, category = "csv", "unknown"
	}
	out := map[string]any{
		"provider": in.provider.id, "providerPublicName": in.provider.publicName, "publicAddress": address, "walletId": in.walletID,
		"logoUrl": in.provider.logo(), "isContract": false, "alias": in.alias,
		"status": status, "addedOn": unixMilli(in.addedOn), "lastSyncedAt": unixMilli(lastSynced),
		"category": category, "type": typ, "totalTransactions": len(in.visible(&s.cfg, now)),
	}
	if status == "FAILED" {
		out["errorMessage"] = errorMessage
	}
	return out
}

// webhookProcess is the data of a transfer_detection.* or costbasis.*
// event. The docs do not say which action goes with which family; the
// sandbox pairs DETECT_TRANSFER with transfer detection and ACCOUNT_MANAGER
// with cost basis.
func webhookProcess(action, status string, at time.Time) map[string]any {
	return map[string]any{"action": action, "status": status, "reason": nil, "timestamp": unixMilli(at)}
}

// unixMilli is t in Unix milliseconds, 0 for the zero time ("never").
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// watchJobs announces every change of a sync job's status, as the sandbox's
// clock moves jobs along.
func (s *Server) watchJobs(sink *webhookSink) {
	defer sink.done.Done()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-sink.stop:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		now := s.cfg.clock.Now()
		for _, j := range s.state.jobs {
			st := j.status(&s.cfg, now)
			if st == j.notified {
				continue
			}
			prev := j.notified
			j.notified = st
			u := s.state.users[j.userID]
			in := u.integration(j.walletID)
			if in == nil || in.lastJob != j {
				continue // a later job of the integration speaks for it
			}
			// Every step the job took since the last turn is announced,
			// dated when it was taken: the clock may have passed several.
			for _, step := range j.steps(&s.cfg, prev, st) {
				at := step.at
				changed := webhookEvent{name: "integration.updated", at: at, data: s.webhookIntegration(in, at)}
				if step.state == syncFailed {
					changed.name = "integration.failed"
				}
				s.announce(changed, u.id)
				if step.state == syncCompleted || step.state == syncPartial {
					for _, p := range []struct{ family, action string }{{"transfer_detection", "DETECT_TRANSFER"}, {"costbasis", "ACCOUNT_MANAGER"}} {
						for _, status := range []string{"started", "completed"} {
							s.announce(webhookEvent{name: p.family + "." + status, at: at, data: webhookProcess(p.action, status, at)}, u.id)
						}
					}
				}
			}
		}
		s.mu.Unlock()
	}
}

func (k *webhookSink) enqueue(out outgoing) {
	k.mu.Lock()
	k.queue = append(k.queue, out)
	k.mu.Unlock()
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// run delivers queued events one at a time, in order.
func (k *webhookSink) run() {
	defer k.done.Done()
	for {
		k.mu.Lock()
		var next *outgoing
		if len(k.queue) > 0 {
			next = &k.queue[0]
			k.queue = k.queue[1:]
		}
		k.mu.Unlock()
		if next == nil {
			select {
			case <-k.stop:
				return
			case <-k.wake:
				continue
			}
		}
		d, finished := k.deliver(*next)
		k.mu.Lock()
		if !finished {
			// Stopped before an answer that ends the delivery: it was not
			// sent, and goes back first in line for the next endpoint.
			k.queue = append([]outgoing{*next}, k.queue...)
			k.mu.Unlock()
			return
		}
		sent := *next
		sent.age = 0
		k.sent[next.id] = sent
		k.delivered = append(k.delivered, d)
		k.mu.Unlock()
	}
}

// retried reports whether Kryptos retries a delivery answered with status.
func retried(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// deliver sends one event, retrying as documented. finished is false when
// the sink was stopped before the delivery ended.
func (k *webhookSink) deliver(out outgoing) (d Delivery, finished bool) {
	sig := webhook.Sign(out.body, k.secret)
	d = Delivery{ID: out.id, Event: out.event, GrantID: out.grantID}
	for d.Attempts = 1; ; d.Attempts++ {
		if k.ctx.Err() != nil {
			return d, false
		}
		req, err := http.NewRequestWithContext(k.ctx, http.MethodPost, k.url, bytes.NewReader(out.body))
		if err != nil {
			d.Err = err
			return d, true
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Webhook-Signature", sig)
		req.Header.Set("X-Webhook-Event", out.event)
		req.Header.Set("X-Webhook-Id", out.id)
		req.Header.Set("X-Webhook-Timestamp", k.clock.Now().Add(-out.age).UTC().Format(webhookTime))
		resp, err := k.http.Do(req)
		d.Status, d.Err = 0, err
		if err == nil {
			d.Status = resp.StatusCode
			_ = resp.Body.Close()
		}
		if err != nil && k.ctx.Err() != nil {
			return d, false // cut short by close
		}
		if (err == nil && !retried(resp.StatusCode)) || d.Attempts > webhookRetries {
			return d, true
		}
		select {
		case <-k.stop:
			return d, false
		case <-time.After(k.retryWait * time.Duration(d.Attempts)):
		}
	}
}

// close stops the sink, cutting short the attempt under way.
func (k *webhookSink) close() {
	close(k.stop)
	k.cancel()
	k.done.Wait()
}

// jobStep is a status a sync job reached, and when.
type jobStep struct {
	state syncState
	at    time.Time
}

// steps returns the statuses j reached after from (none announced yet: "")
// up to and including to, in order, each with the time it was reached. A
// status the job never holds (no queue for a CSV, no syncing time) is
// left out.
func (j *job) steps(cfg *config, from, to syncState) []jobStep {
	all := make([]jobStep, 0, 3)
	if j.queuedFor(cfg) > 0 {
		all = append(all, jobStep{syncQueued, j.createdAt})
	}
	if cfg.syncingFor > 0 {
		all = append(all, jobStep{syncInProgress, j.startedAt(cfg)})
	}
	if to.done() {
		all = append(all, jobStep{to, j.finishedAt(cfg)})
	}
	var out []jobStep
	started := from == ""
	for _, step := range all {
		if started {
			out = append(out, step)
		}
		if step.state == from {
			started = true
		}
		if step.state == to {
			return out
		}
	}
	return out
}
