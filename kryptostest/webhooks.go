package kryptostest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// Webhook delivery, as documented: a 10 s timeout and 2 retries on 429, 5xx
// or a failed connection.
const (
	webhookTimeout = 10 * time.Second
	webhookRetries = 2
)

// Delivery is one webhook the sandbox sent, with its final outcome.
type Delivery struct {
	ID    string
	Event string
	// Attempts made, retries included.
	Attempts int
	// Status is the receiver's last HTTP status, 0 if it never answered.
	Status int
	// Err is the last transport error, if any.
	Err error
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

	mu        sync.Mutex
	queue     []outgoing
	sent      map[string]outgoing
	delivered []Delivery
	wake      chan struct{}
	stop      chan struct{}
	done      sync.WaitGroup
}

type outgoing struct {
	id, event string
	body      []byte
	// age backdates X-Webhook-Timestamp, to test stale deliveries.
	age time.Duration
}

// RegisterWebhook makes the sandbox deliver its events to url, signed with
// secret: integration.created when a user connects an integration,
// integration.updated as a sync job goes from queued to syncing to
// completed, integration.failed when it fails (Wallet.FailSync), and
// transfer_detection.completed and costbasis.completed after a completed
// sync. Deliveries carry the documented headers, time out after 10 s, and are
// retried twice on 429, 5xx or a failed connection.
func (s *Server) RegisterWebhook(url, secret string) {
	sink := &webhookSink{
		url: url, secret: secret, clock: s.cfg.clock, retryWait: 50 * time.Millisecond,
		http: &http.Client{Timeout: webhookTimeout},
		sent: map[string]outgoing{}, wake: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	s.mu.Lock()
	old := s.hooks
	s.hooks = sink
	s.mu.Unlock()
	if old != nil {
		old.close()
	}
	sink.done.Add(2)
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
// receiver's deduplication. A positive age backdates its X-Webhook-Timestamp,
// to test a receiver's freshness check.
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

// announce queues an event for the registered webhook, if any. The caller
// holds s.mu.
func (s *Server) announce(event, userID string, data any) {
	if s.hooks == nil {
		return
	}
	grantID := ""
	if g := s.state.activeGrant(s.ClientID, userID, s.cfg.clock.Now()); g != nil {
		grantID = g.id
	}
	id := "whd_" + randomHex(12)
	body, _ := json.Marshal(map[string]any{
		"id": id, "event": event, "timestamp": s.cfg.clock.Now().UTC().Format(time.RFC3339Nano),
		"grant_id": grantID, "workspace_id": s.state.users[userID].workspace.id, "data": data,
	})
	s.hooks.enqueue(outgoing{id: id, event: event, body: body})
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
			j.notified = st
			u := s.state.users[j.userID]
			in := u.integration(j.walletID)
			if in == nil || in.lastJob != j {
				continue // a later job of the integration speaks for it
			}
			data := s.integrationJSON(in, now)
			switch st {
			case syncFailed:
				s.announce(kryptos.EventIntegrationFailed, u.id, data)
			case syncCompleted, syncPartial:
				s.announce(kryptos.EventIntegrationUpdated, u.id, data)
				for _, ev := range []string{kryptos.EventTransferDetectionComplete, kryptos.EventCostBasisCompleted} {
					s.announce(ev, u.id, map[string]any{
						"action": "recalculate", "status": "completed", "reason": "sync " + j.id + " completed",
						"timestamp": now.UTC().Format(time.RFC3339Nano),
					})
				}
			default:
				s.announce(kryptos.EventIntegrationUpdated, u.id, data)
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
		d := k.deliver(*next)
		k.mu.Lock()
		k.sent[next.id] = outgoing{id: next.id, event: next.event, body: next.body}
		k.delivered = append(k.delivered, d)
		k.mu.Unlock()
	}
}

// deliver sends one event, retrying as documented.
func (k *webhookSink) deliver(out outgoing) Delivery {
	mac := hmac.New(sha256.New, []byte(k.secret))
	mac.Write(out.body)
	sig := hex.EncodeToString(mac.Sum(nil))
	d := Delivery{ID: out.id, Event: out.event}
	for d.Attempts = 1; ; d.Attempts++ {
		req, err := http.NewRequest(http.MethodPost, k.url, bytes.NewReader(out.body))
		if err != nil {
			d.Err = err
			return d
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(kryptos.HeaderWebhookSignature, sig)
		req.Header.Set(kryptos.HeaderWebhookEvent, out.event)
		req.Header.Set(kryptos.HeaderWebhookID, out.id)
		req.Header.Set(kryptos.HeaderWebhookTimestamp, k.clock.Now().Add(-out.age).UTC().Format(time.RFC3339Nano))
		resp, err := k.http.Do(req)
		d.Status, d.Err = 0, err
		if err == nil {
			d.Status = resp.StatusCode
			_ = resp.Body.Close()
		}
		retry := err != nil || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		if !retry || d.Attempts > webhookRetries {
			return d
		}
		select {
		case <-k.stop:
			return d
		case <-time.After(k.retryWait * time.Duration(d.Attempts)):
		}
	}
}

// close stops the sink after the deliveries under way.
func (k *webhookSink) close() {
	close(k.stop)
	k.done.Wait()
}
