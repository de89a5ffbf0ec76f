package reliability

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"runtime"
	"sort"
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

const (
	soakWorkers   = 64
	soakCalls     = 64 // per worker: 4,096 in all
	soakFaultRate = 0.10
	soakSpoilRate = 0.01 // answers whose body the client's transport cuts or stalls
	soakSeed      = 20261121
	soakTimeout   = 750 * time.Millisecond
)

// soakQuotas are the sandbox's quotas, one per quota class, which it
// enforces with its own counter; the client's Limiter keeps to the same
// numbers. Each class is shared by every operation in it: ClassData by
// ListIntegrations and GetSyncJob, ClassConnect by CheckSession, ListGrants,
// UpdateTransactionLimit and ResyncIntegration.
var soakQuotas = kryptostest.RateLimits{
	kryptos.ClassLinkToken: {Requests: 250, Per: time.Second},
	kryptos.ClassExchange:  {Requests: 60, Per: time.Second},
	kryptos.ClassConnect:   {Requests: 450, Per: time.Second},
	kryptos.ClassData:      {Requests: 200, Per: time.Second},
}

// soakRates pace each class at 80% of its quota, in bursts of at most 4:
// the pace is what holds the soak's calls (ClassConnect and ClassData most),
// and the quotas stay the hard bound behind it. A class paced below its
// quota reaches the server's count evenly, so a request counted up to a
// quarter of a window late cannot crowd a window. A Limiter on quotas alone
// releases each request the moment its window frees, 50 ms past the server's
// (the margin NewLimiter adds); on a loaded machine under -race, the sandbox
// counted some requests later than that, and drew 429s (RELIABILITY.md).
func soakRates() map[kryptos.QuotaClass]kryptos.Rate {
	rates := map[kryptos.QuotaClass]kryptos.Rate{}
	for class, q := range soakQuotas {
		rates[class] = kryptos.Rate{PerSecond: 0.8 * float64(q.Requests) / q.Per.Seconds(), Burst: 4}
	}
	return rates
}

// soakWorker is one goroutine's user: a grant, a wallet, and public tokens
// to exchange.
type soakWorker struct {
	grant   *kryptos.AccessGrant
	user    *kryptos.UserClient
	userID  string
	wallet  string
	publics []string
	lastJob string
}

// tally counts outcomes across workers.
type tally struct {
	calls, failures             atomic.Int64
	exchangeOK, exchangeUnknown atomic.Int64
	resyncOK, resyncUnknown     atomic.Int64
	apiErrors, unknowns         atomic.Int64
	timeouts, noAnswer          atomic.Int64
	byClass                     sync.Map // kryptos.QuotaClass -> *atomic.Int64
	untyped                     sync.Map // error text -> true
}

// TestSoakUnderRandomFaults drives many goroutines through one Client while
// the sandbox fails a seeded tenth of all requests, and the client's own
// transport cuts or stalls a seeded hundredth of the answers, then checks:
// no panic, no race, no goroutine left behind, no one-time operation done
// twice, every failure a typed error, and no quota exceeded at the server.
func TestSoakUnderRandomFaults(t *testing.T) {
	// Not parallel: the leak check needs a quiet process.
	if testing.Short() {
		t.Skip("soak: skipped under -short; run go test -race ./reliability/ to include it")
	}
	leaks := watchGoroutines()
	ctx := context.Background()
	srv := kryptostest.NewServer(kryptostest.WithRateLimits(soakQuotas), kryptostest.WithSyncTimings(5*time.Millisecond, 5*time.Millisecond))
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = soakWorkers
	spoiler := &spoilingTransport{next: transport, rng: rand.New(rand.NewPCG(soakSeed, 1))}

	inner, err := kryptos.NewLimiter(kryptos.LimiterConfig{Quotas: map[kryptos.QuotaClass]kryptos.Quota(soakQuotas), Rates: soakRates()})
	require.NoError(t, err)
	limiter := &timedLimiter{Limiter: inner}
	// Every Client of the client ID shares the Limiter, as the quotas are
	// the client's at the server.
	setup := srv.Client(kryptos.WithLimiter(limiter), kryptos.WithHTTPClient(&http.Client{Transport: transport}))
	setupStart := time.Now()
	workers := make([]*soakWorker, soakWorkers)
	for i := range workers {
		g := connectGuest(t, srv, setup)
		w := &soakWorker{grant: g.grant, userID: g.userID, wallet: g.walletID}
		for range 4 {
			w.publics = append(w.publics, linkGuest(t, srv, setup))
		}
		workers[i] = w
	}
	before := srv.Stats()
	t.Logf("soak: setup of %d users in %s", soakWorkers, time.Since(setupStart).Round(time.Millisecond))

	c := srv.Client(kryptos.WithLimiter(limiter), kryptos.WithHTTPClient(&http.Client{Transport: spoiler}),
		kryptos.WithTimeout(soakTimeout), kryptos.WithMaxResponseBytes(256<<10),
		kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 50 * time.Millisecond}))
	for _, w := range workers {
		w.user = c.User(w.grant.Credential())
	}
	srv.InjectRandomFaults(soakSeed, soakFaultRate,
		kryptostest.Fault{Drop: true},
		kryptostest.Fault{Drop: true, AfterProcessing: true},
		kryptostest.Fault{Delay: 2 * time.Second}, // longer than the per-attempt timeout
		kryptostest.Fault{Status: 500, Code: "INTERNAL_ERROR", Message: "boom"},
		kryptostest.Fault{Status: 502, Body: "<html>Bad Gateway</html>"},
		kryptostest.Fault{Status: 503, Header: http.Header{"Retry-After": {"0.01"}}},
		kryptostest.Fault{Status: 504},
		kryptostest.Fault{Status: 429, Code: "RATE_LIMIT_EXCEEDED", Message: "slow", Header: http.Header{"retry_after": {"0.01"}}},
		kryptostest.Fault{Truncate: true},
		kryptostest.Fault{Pad: 256<<10 + 1},
		kryptostest.Fault{Status: 200, Code: "VALIDATION_ERROR", Message: "nope"},
		kryptostest.Fault{Status: 401},
	)
	spoiler.on.Store(true)
	limiter.on.Store(true)

	var tl tally
	var wg sync.WaitGroup
	start := time.Now()
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range soakCalls {
				class, err := w.step(ctx, c, i, &tl)
				tl.record(class, err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	spoiler.on.Store(false)
	limiter.on.Store(false)
	srv.InjectRandomFaults(0, 0)
	after := srv.Stats()

	calls := tl.calls.Load()
	requests := after.Requests - before.Requests
	exchanged := int64(after.TokensExchanged - before.TokensExchanged)
	queued := int64(after.ResyncsQueued - before.ResyncsQueued)
	var classes []string
	tl.byClass.Range(func(k, v any) bool {
		w := limiter.stats(k.(kryptos.QuotaClass))
		classes = append(classes, fmt.Sprintf("%s %d calls, %d attempts held %s in all", k, v.(*atomic.Int64).Load(), w.held.Load(), time.Duration(w.waited.Load()).Round(time.Millisecond)))
		return true
	})
	sort.Strings(classes)
	t.Logf("soak: %d calls by %d goroutines in %s (by class: %s); %d requests at the server; faults: %d injected by the sandbox (%.1f%%) + %d answers cut and %d stalled by the transport; %d calls failed (%d API errors, %d outcome unknown, %d attempt timeouts, %d without an answer); exchanges %d ok + %d unknown -> %d at the server; resyncs %d ok + %d unknown -> %d at the server; %d quota 429s",
		calls, soakWorkers, elapsed.Round(time.Millisecond), strings.Join(classes, ", "), requests,
		after.FaultsInjected-before.FaultsInjected, 100*float64(after.FaultsInjected-before.FaultsInjected)/float64(requests),
		spoiler.cut.Load(), spoiler.stalled.Load(), tl.failures.Load(),
		tl.apiErrors.Load(), tl.unknowns.Load(), tl.timeouts.Load(), tl.noAnswer.Load(),
		tl.exchangeOK.Load(), tl.exchangeUnknown.Load(), exchanged, tl.resyncOK.Load(), tl.resyncUnknown.Load(), queued, after.RateLimited)

	assert.Equal(t, int64(soakWorkers*soakCalls), calls)
	assert.InDelta(t, soakFaultRate, float64(after.FaultsInjected-before.FaultsInjected)/float64(requests), 0.03)
	assert.Positive(t, spoiler.cut.Load(), "bodies were cut")
	assert.Positive(t, spoiler.stalled.Load(), "bodies stalled")
	assert.Positive(t, tl.exchangeOK.Load()+tl.exchangeUnknown.Load(), "exchanges were made")
	// A success had its effect once; an unknown outcome at most once: more
	// effects than that means an operation was done twice.
	assert.GreaterOrEqual(t, exchanged, tl.exchangeOK.Load())
	assert.LessOrEqual(t, exchanged, tl.exchangeOK.Load()+tl.exchangeUnknown.Load(), "a public token exchanged twice")
	assert.GreaterOrEqual(t, queued, tl.resyncOK.Load())
	assert.LessOrEqual(t, queued, tl.resyncOK.Load()+tl.resyncUnknown.Load(), "a resync queued twice")
	assert.Equal(t, 0, after.RateLimited, "a client exceeded a quota at the server")
	assert.Positive(t, limiter.stats(kryptos.ClassConnect).held.Load()+limiter.stats(kryptos.ClassData).held.Load(), "the Limiter held calls")
	tl.untyped.Range(func(k, _ any) bool {
		t.Errorf("untyped failure: %s", k)
		return true
	})

	srv.Close()
	transport.CloseIdleConnections()
	leaks(t)
}

// step makes worker call number i, and reports its quota class and outcome.
func (w *soakWorker) step(ctx context.Context, c *kryptos.Client, i int, tl *tally) (kryptos.QuotaClass, error) {
	switch i % 8 {
	case 0:
		_, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: w.grant.AccessToken})
		return kryptos.ClassLinkToken, err
	case 1:
		_, err := c.CheckSession(ctx, w.grant.AccessToken.Reveal())
		return kryptos.ClassConnect, err
	case 2:
		_, err := c.ListGrants(ctx)
		return kryptos.ClassConnect, err
	case 3:
		_, err := c.UpdateTransactionLimit(ctx, w.grant.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr(int64(1000 + i))})
		return kryptos.ClassConnect, err
	case 4:
		job, err := c.ResyncIntegration(ctx, w.wallet, kryptos.ResyncParams{UserID: w.userID, Mode: kryptos.ResyncLatest})
		tl.oneShot(err, &tl.resyncOK, &tl.resyncUnknown)
		if err == nil {
			w.lastJob = job.JobID
		}
		return kryptos.ClassConnect, err
	case 5:
		_, err := w.user.ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
		return kryptos.ClassData, err
	case 6:
		if len(w.publics) == 0 {
			_, err := c.CheckSession(ctx, w.grant.AccessToken.Reveal())
			return kryptos.ClassConnect, err
		}
		public := w.publics[0]
		w.publics = w.publics[1:]
		_, err := c.ExchangePublicToken(ctx, public)
		tl.oneShot(err, &tl.exchangeOK, &tl.exchangeUnknown)
		return kryptos.ClassExchange, err
	default:
		if w.lastJob == "" {
			_, err := w.user.ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
			return kryptos.ClassData, err
		}
		_, err := w.user.GetSyncJob(ctx, w.lastJob)
		return kryptos.ClassData, err
	}
}

func (tl *tally) oneShot(err error, ok, unknown *atomic.Int64) {
	switch {
	case err == nil:
		ok.Add(1)
	case errors.Is(err, kryptos.ErrOutcomeUnknown):
		unknown.Add(1)
	}
}

// noAnswer is the SDK's text for a call that got no answer at all, every
// attempt cut on the wire after it may have been sent: there is no
// exported type for it, so it is recognised by its shape. One that never
// left matches kryptos.ErrNotSent.
var noAnswer = regexp.MustCompile(`^kryptos: [A-Za-z]+: no answer after [0-9]+ attempt\(s\): `)

// record counts a call and classifies its failure: every failure must name
// the SDK and its operation, and be an *kryptos.Error, an unknown outcome,
// an attempt timeout, or the SDK's "no answer" after its retries.
func (tl *tally) record(class kryptos.QuotaClass, err error) {
	tl.calls.Add(1)
	n, _ := tl.byClass.LoadOrStore(class, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	if err == nil {
		return
	}
	tl.failures.Add(1)
	var apiErr *kryptos.Error
	text := err.Error()
	switch {
	case !strings.HasPrefix(text, "kryptos: "), strings.ContainsAny(text, "\r\n"):
		tl.untyped.Store(fmt.Sprintf("%T %q", err, text), true)
	case errors.Is(err, kryptos.ErrOutcomeUnknown):
		tl.unknowns.Add(1)
	case errors.As(err, &apiErr):
		tl.apiErrors.Add(1)
	case errors.Is(err, kryptos.ErrAttemptTimeout):
		tl.timeouts.Add(1)
	case errors.Is(err, kryptos.ErrNotSent), noAnswer.MatchString(text):
		tl.noAnswer.Add(1)
	default:
		tl.untyped.Store(fmt.Sprintf("%T %q", err, text), true)
	}
}

// timedLimiter counts, while on, the attempts its Limiter held for a
// millisecond or more, and for how long in all, per class: the evidence
// that the quotas bound.
type timedLimiter struct {
	kryptos.Limiter
	on      atomic.Bool
	classes sync.Map // kryptos.QuotaClass -> *waits
}

type waits struct{ held, waited atomic.Int64 }

func (l *timedLimiter) stats(class kryptos.QuotaClass) *waits {
	w, _ := l.classes.LoadOrStore(class, new(waits))
	return w.(*waits)
}

func (l *timedLimiter) Wait(ctx context.Context, class kryptos.QuotaClass, maxWait time.Duration) error {
	start := time.Now()
	err := l.Limiter.Wait(ctx, class, maxWait)
	if d := time.Since(start); l.on.Load() && d >= time.Millisecond {
		w := l.stats(class)
		w.held.Add(1)
		w.waited.Add(int64(d))
	}
	return err
}

// spoilingTransport spoils, while on, a seeded fraction of the answers the
// server sent: it cuts the body short or stalls it until the attempt gives
// up, after the request took effect. (The fault matrix does the same on the
// wire, through a proxy; here the client's own transport does it, so that
// no extra hop delays requests on their way to the server's quota
// counter.)
type spoilingTransport struct {
	next         http.RoundTripper
	on           atomic.Bool
	mu           sync.Mutex
	rng          *rand.Rand
	cut, stalled atomic.Int64
}

func (s *spoilingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err != nil || !s.on.Load() {
		return resp, err
	}
	s.mu.Lock()
	spoil, stall := s.rng.Float64() < soakSpoilRate, s.rng.IntN(2) == 0
	s.mu.Unlock()
	if !spoil {
		return resp, nil
	}
	if stall {
		s.stalled.Add(1)
	} else {
		s.cut.Add(1)
	}
	resp.Body = &spoiledBody{ReadCloser: resp.Body, ctx: r.Context(), stall: stall}
	return resp, nil
}

// spoiledBody hands out the first few bytes of a body, then fails the way
// a broken connection does (io.ErrUnexpectedEOF), or blocks until the
// request's context ends, as a stalled one does.
type spoiledBody struct {
	io.ReadCloser
	ctx   context.Context
	stall bool
	read  int
}

func (b *spoiledBody) Read(p []byte) (int, error) {
	const keep = 8
	if b.read < keep {
		n, err := b.ReadCloser.Read(p[:min(len(p), keep-b.read)])
		b.read += n
		if err != io.EOF {
			return n, err
		}
	}
	if b.stall {
		<-b.ctx.Done()
		return 0, b.ctx.Err()
	}
	return 0, io.ErrUnexpectedEOF
}

// watchGoroutines notes the goroutines running now; the function it returns
// fails the test if others are still running a few seconds later.
func watchGoroutines() func(t *testing.T) {
	before := goroutines()
	return func(t *testing.T) {
		t.Helper()
		var extra []string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			extra = extra[:0]
			for id, stack := range goroutines() {
				if _, ok := before[id]; !ok {
					extra = append(extra, stack)
				}
			}
			if len(extra) == 0 {
				t.Logf("goroutines left behind: 0")
				return
			}
		}
		sort.Strings(extra)
		t.Errorf("%d goroutines left behind, such as:\n%s", len(extra), extra[0])
	}
}

var goroutineHeader = regexp.MustCompile(`^goroutine (\d+) `)

// goroutines returns the stack of every goroutine by id, leaving out the
// caller's.
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 {
			continue // this goroutine
		}
		if m := goroutineHeader.FindStringSubmatch(g); m != nil {
			out[m[1]] = g
		}
	}
	return out
}
