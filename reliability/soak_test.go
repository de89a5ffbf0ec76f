package kryptos_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	soakCalls     = 160 // per worker: 10,240 in all
	soakFaultRate = 0.10
	soakSeed      = 20261121
)

// soakQuotas bind within the soak's few seconds: the client-side limiter is
// busy, and the server enforces the same quotas.
var soakQuotas = kryptostest.RateLimits{
	LinkToken: kryptos.Quota{Requests: 200, Per: time.Second},
	Exchange:  kryptos.Quota{Requests: 150, Per: time.Second},
	DataAPI:   kryptos.Quota{Requests: 1500, Per: time.Second},
}

// soakWorker is one goroutine's user: a grant, a wallet, and public tokens
// to exchange.
type soakWorker struct {
	grant   *kryptos.AccessGrant
	userID  string
	wallet  string
	publics []string
	lastJob string
}

// tally counts outcomes across workers.
type tally struct {
	calls, failures                    atomic.Int64
	exchangeOK, exchangeUnknown        atomic.Int64
	resyncOK, resyncUnknown            atomic.Int64
	apiErrors, unknowns, transportErrs atomic.Int64
	untyped                            sync.Map // error text -> true
}

// TestSoakUnderRandomFaults drives many goroutines through one Client while
// the sandbox fails a seeded tenth of all requests, then checks: no panic,
// no race, no goroutine left behind, no one-time operation done twice, every
// failure a typed error, and no quota exceeded at the server.
func TestSoakUnderRandomFaults(t *testing.T) {
	// Not parallel: the leak check needs a quiet process.
	leaks := watchGoroutines()
	ctx := context.Background()
	srv := kryptostest.NewServer(kryptostest.WithRateLimits(soakQuotas), kryptostest.WithSyncTimings(5*time.Millisecond, 5*time.Millisecond))
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = soakWorkers

	limiter, err := kryptos.NewQuotaLimiter(map[kryptos.Operation]kryptos.Quota{
		kryptos.OpCreateLinkToken:     soakQuotas.LinkToken,
		kryptos.OpExchangePublicToken: soakQuotas.Exchange,
		kryptos.OpListIntegrations:    {Requests: soakQuotas.DataAPI.Requests / 2, Per: soakQuotas.DataAPI.Per},
		kryptos.OpGetSyncJob:          {Requests: soakQuotas.DataAPI.Requests / 2, Per: soakQuotas.DataAPI.Per},
	})
	require.NoError(t, err)
	// Every Client of the client ID shares the Limiter, as the quotas are
	// the client's at the server.
	setup := srv.Client(kryptos.WithLimiter(limiter))
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

	c := srv.Client(kryptos.WithLimiter(limiter), kryptos.WithHTTPClient(&http.Client{Transport: transport}),
		kryptos.WithTimeout(250*time.Millisecond), kryptos.WithMaxResponseBytes(256<<10),
		kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 50 * time.Millisecond}))
	srv.InjectRandomFaults(soakSeed, soakFaultRate,
		kryptostest.Fault{Drop: true},
		kryptostest.Fault{Drop: true, AfterProcessing: true},
		kryptostest.Fault{Delay: time.Second}, // longer than the per-attempt timeout
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

	var tl tally
	var wg sync.WaitGroup
	start := time.Now()
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range soakCalls {
				tl.record(w.step(ctx, c, i, &tl))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	srv.InjectRandomFaults(0, 0)
	after := srv.Stats()

	calls := tl.calls.Load()
	exchanged := int64(after.TokensExchanged - before.TokensExchanged)
	queued := int64(after.ResyncsQueued - before.ResyncsQueued)
	t.Logf("soak: %d calls by %d goroutines in %s; %d faults injected in %d requests; %d calls failed (%d API errors, %d outcome unknown, %d transport); exchanges %d ok + %d unknown -> %d at the server; resyncs %d ok + %d unknown -> %d at the server; %d quota 429s",
		calls, soakWorkers, elapsed.Round(time.Millisecond), after.FaultsInjected, after.Requests-before.Requests, tl.failures.Load(),
		tl.apiErrors.Load(), tl.unknowns.Load(), tl.transportErrs.Load(),
		tl.exchangeOK.Load(), tl.exchangeUnknown.Load(), exchanged, tl.resyncOK.Load(), tl.resyncUnknown.Load(), queued, after.RateLimited)

	assert.GreaterOrEqual(t, calls, int64(10000))
	assert.InDelta(t, soakFaultRate, float64(after.FaultsInjected)/float64(after.Requests-before.Requests), 0.03)
	// A success had its effect once; an unknown outcome at most once: more
	// effects than that means an operation was done twice.
	assert.GreaterOrEqual(t, exchanged, tl.exchangeOK.Load())
	assert.LessOrEqual(t, exchanged, tl.exchangeOK.Load()+tl.exchangeUnknown.Load(), "a public token exchanged twice")
	assert.GreaterOrEqual(t, queued, tl.resyncOK.Load())
	assert.LessOrEqual(t, queued, tl.resyncOK.Load()+tl.resyncUnknown.Load(), "a resync queued twice")
	assert.Equal(t, 0, after.RateLimited, "a client exceeded a quota at the server")
	tl.untyped.Range(func(k, _ any) bool {
		t.Errorf("untyped failure: %s", k)
		return true
	})

	srv.Close()
	transport.CloseIdleConnections()
	leaks(t)
}

// step makes worker call number i, and reports its outcome.
func (w *soakWorker) step(ctx context.Context, c *kryptos.Client, i int, tl *tally) error {
	switch i % 8 {
	case 0:
		_, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: w.grant.AccessToken})
		return err
	case 1:
		_, err := c.CheckSession(ctx, w.grant.AccessToken)
		return err
	case 2:
		_, err := c.ListGrants(ctx)
		return err
	case 3:
		_, err := c.UpdateTransactionLimit(ctx, w.grant.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr(int64(1000 + i))})
		return err
	case 4:
		job, err := c.ResyncIntegration(ctx, w.wallet, kryptos.ResyncParams{UserID: w.userID, Mode: kryptos.ResyncLatest})
		tl.oneShot(err, &tl.resyncOK, &tl.resyncUnknown)
		if err == nil {
			w.lastJob = job.JobID
		}
		return err
	case 5:
		_, err := c.ListIntegrations(ctx, w.grant.AccessToken)
		return err
	case 6:
		if len(w.publics) == 0 {
			_, err := c.CheckSession(ctx, w.grant.AccessToken)
			return err
		}
		public := w.publics[0]
		w.publics = w.publics[1:]
		_, err := c.ExchangePublicToken(ctx, public)
		tl.oneShot(err, &tl.exchangeOK, &tl.exchangeUnknown)
		return err
	default:
		if w.lastJob == "" {
			_, err := c.ListGrants(ctx)
			return err
		}
		_, err := c.GetSyncJob(ctx, w.grant.AccessToken, w.lastJob)
		return err
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

// record counts a call and classifies its failure: every failure must be an
// *kryptos.Error, an unknown outcome, or a transport error, and say it is
// the SDK's.
func (tl *tally) record(err error) {
	tl.calls.Add(1)
	if err == nil {
		return
	}
	tl.failures.Add(1)
	var apiErr *kryptos.Error
	var urlErr *url.Error
	switch {
	case !strings.HasPrefix(err.Error(), "kryptos: "):
		tl.untyped.Store(fmt.Sprintf("%T %v", err, err), true)
	case errors.Is(err, kryptos.ErrOutcomeUnknown):
		tl.unknowns.Add(1)
	case errors.As(err, &apiErr):
		tl.apiErrors.Add(1)
	case errors.As(err, &urlErr):
		tl.transportErrs.Add(1)
	default:
		tl.untyped.Store(fmt.Sprintf("%T %v", err, err), true)
	}
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
