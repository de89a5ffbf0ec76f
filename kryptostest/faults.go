package kryptostest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Fault is a misbehaviour the sandbox applies to a request in place of, or
// on top of, its normal answer. Before the request is processed (the
// default), nothing it asks for happens; with AfterProcessing, it happens and
// only the answer is lost or mangled: the case that must not make a client
// do it twice.
type Fault struct {
	// Delay holds the request this long first (ended early if the client
	// goes away).
	Delay time.Duration
	// Status answers with this status: with the API's error envelope when
	// Code or Message is set (the nested {error: {code, message}} on the
	// transactions and ledgers endpoints, the wrapped one elsewhere), with
	// Body when that is set, else empty.
	Status  int
	Code    string
	Message string
	// Body is sent as it is, with ContentType (default text/html), such as
	// a proxy's error page.
	Body        string
	ContentType string
	// Header is added to the answer, such as Retry-After or retry_after.
	Header http.Header
	// Drop closes the connection without an answer.
	Drop bool
	// AfterProcessing processes the request first, then applies Status,
	// Body or Drop instead of sending the real answer.
	AfterProcessing bool
	// Truncate sends only the first half of the real answer's body; Pad
	// appends this many spaces to it, to exceed a client's size cap. Both
	// imply AfterProcessing.
	Truncate bool
	Pad      int
}

// Stats counts what the sandbox has done since it started.
type Stats struct {
	// Requests is every request received, faulted or not.
	Requests int
	// ByRoute counts requests per route pattern, such as
	// "POST /token/exchange".
	ByRoute map[string]int
	// FaultsInjected counts the requests a Fault applied to.
	FaultsInjected int
	// RateLimited counts the 429s the sandbox's own quotas answered.
	RateLimited int
	// TokensExchanged counts public tokens consumed by an exchange.
	TokensExchanged int
	// ResyncsQueued counts jobs queued by the resync endpoint.
	ResyncsQueued int
	// LimitUpdates counts transaction limits changed.
	LimitUpdates int
}

// Stats returns a copy of the sandbox's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.ByRoute = make(map[string]int, len(s.stats.ByRoute))
	for k, v := range s.stats.ByRoute {
		out.ByRoute[k] = v
	}
	return out
}

// AddClient registers another client of the same workspace, such as one
// whose grants the first client must not touch (ACCESS_DENIED).
func (s *Server) AddClient(clientID, clientSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.clients[clientID] = clientSecret
}

// faultTable holds the faults waiting for requests.
type faultTable struct {
	mu     sync.Mutex
	queued map[string][]Fault // by URL path; "" matches any path
	rng    *rand.Rand
	rate   float64
	random []Fault
}

// FailNext applies f to the next n requests whose URL path is path (such as
// "/token/exchange"), or to the next n requests of any path when path is "".
// Faults queued for one path are used in the order they were queued. A
// Status that is not an HTTP status (100 to 999) panics here.
func (s *Server) FailNext(path string, n int, f Fault) {
	f.check("FailNext")
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if s.faults.queued == nil {
		s.faults.queued = map[string][]Fault{}
	}
	for range n {
		s.faults.queued[path] = append(s.faults.queued[path], f)
	}
}

// InjectRandomFaults applies one of faults, chosen at random, to a fraction
// rate of all requests from now on, with a seeded generator so a run can be
// repeated. A rate of 0 stops it. A Status that is not an HTTP status
// panics here, as in FailNext.
func (s *Server) InjectRandomFaults(seed uint64, rate float64, faults ...Fault) {
	for _, f := range faults {
		f.check("InjectRandomFaults")
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.faults.rate, s.faults.random = rate, append([]Fault(nil), faults...)
}

// check panics, when the fault is queued, on a Status no HTTP answer can
// carry: net/http would panic on it in the handler of the request it
// applies to, and the client would see a dropped connection instead.
func (f Fault) check(caller string) {
	if f.Status != 0 && (f.Status < 100 || f.Status > 999) {
		panic(fmt.Sprintf("kryptostest: %s: Fault.Status %d is not an HTTP status", caller, f.Status))
	}
}

// next returns the fault for a request to path, if any.
func (t *faultTable) next(path string) (Fault, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, key := range []string{path, ""} {
		if q := t.queued[key]; len(q) > 0 {
			t.queued[key] = q[1:]
			return q[0], true
		}
	}
	if t.rate > 0 && len(t.random) > 0 && t.rng.Float64() < t.rate {
		return t.random[t.rng.IntN(len(t.random))], true
	}
	return Fault{}, false
}

// instrument counts each request and applies its fault around next.
func (s *Server) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, faulty := s.faults.next(r.URL.Path)
		s.mu.Lock()
		s.stats.Requests++
		if s.stats.ByRoute == nil {
			s.stats.ByRoute = map[string]int{}
		}
		s.stats.ByRoute[route]++
		if faulty {
			s.stats.FaultsInjected++
		}
		s.mu.Unlock()
		if !faulty {
			next.ServeHTTP(w, r)
			return
		}
		applyFault(w, r, f, next)
	})
}

func applyFault(w http.ResponseWriter, r *http.Request, f Fault, next http.Handler) {
	if f.Delay > 0 {
		// Read the body first: only then does the server notice a client
		// that gives up during the delay, and drop its request unprocessed.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	for k, v := range f.Header {
		w.Header()[http.CanonicalHeaderKey(k)] = v
	}
	after := f.AfterProcessing || f.Truncate || f.Pad > 0
	if !after && f.Status == 0 && !f.Drop {
		next.ServeHTTP(w, r) // a pure delay
		return
	}
	var real *httptest.ResponseRecorder
	if after {
		real = httptest.NewRecorder()
		next.ServeHTTP(real, r)
	}
	switch {
	case f.Drop:
		drop(w)
	case f.Status != 0:
		writeFault(w, r, f)
	default:
		body := real.Body.Bytes()
		if f.Truncate {
			body = body[:len(body)/2]
		}
		if f.Pad > 0 {
			body = append(body, bytes.Repeat([]byte(" "), f.Pad)...)
		}
		for k, v := range real.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(real.Code)
		_, _ = w.Write(body)
	}
}

func writeFault(w http.ResponseWriter, r *http.Request, f Fault) {
	switch {
	case (f.Code != "" || f.Message != "") && nestedFamily(r.URL.Path):
		// The transactions and ledgers family nests its errors.
		writeNested(w, f.Status, f.Code, f.Message)
	case f.Code != "" || f.Message != "":
		writeError(w, f.Status, f.Code, f.Message)
	case f.Body != "":
		ct := f.ContentType
		if ct == "" {
			ct = "text/html; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
	default:
		w.WriteHeader(f.Status)
	}
}

// drop closes the connection under the request without answering.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
