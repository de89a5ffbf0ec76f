package oauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/kryptos-connect/kryptos-go"
)

// heldLock is a RefreshLock that another replica holds: Lock waits until
// its ctx ends (or the test ends).
type heldLock struct{ released chan struct{} }

func (l *heldLock) Lock(ctx context.Context) (func(), error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.released:
		return func() {}, nil
	}
}

// assertEndsWithItsContext runs f with a context that ends after timeout
// and asserts that f returns the context's DeadlineExceeded; it fails the
// test if f has not returned within 3 seconds.
func assertEndsWithItsContext(t *testing.T, timeout time.Duration, f func(context.Context) error) {
	t.Helper()
	call, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f(call) }()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(3 * time.Second):
		t.Fatalf("still blocked after 3s: the caller's context is ignored")
	}
}

// TestADataCallsContextBoundsItsTokenRefresh: a data call with an
// OAuth token source whose token needs a refresh must end with the call's
// context; the source was made with context.Background() (as the README's
// examples do), and the refresh lock is held by another replica.
func TestADataCallsContextBoundsItsTokenRefresh(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	lock := &heldLock{released: make(chan struct{})}
	t.Cleanup(func() { close(lock.released) })
	ts := c.TokenSource(context.Background(), NewMemoryStore(expired(in.Token)), WithRefreshLock(lock))
	user := srv.Client().User(kryptos.TokenSource(ts))

	assertEndsWithItsContext(t, 100*time.Millisecond, func(call context.Context) error {
		_, err := user.GetDefaultPortfolio(call)
		return err
	})
}

// TestAWaitForAnotherCallersRefreshEndsWithItsContext: a caller
// waiting for another caller's refresh (the per-process mutex) must give up
// when its own context ends.
func TestAWaitForAnotherCallersRefreshEndsWithItsContext(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	lock := &heldLock{released: make(chan struct{})}
	ts := c.TokenSource(context.Background(), NewMemoryStore(expired(in.Token)), WithRefreshLock(lock))

	first, cancelFirst := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = ts.TokenContext(first) }) // holds the source, waiting for the lock
	t.Cleanup(func() { cancelFirst(); close(lock.released); wg.Wait() })
	time.Sleep(50 * time.Millisecond)

	assertEndsWithItsContext(t, 100*time.Millisecond, func(second context.Context) error {
		_, err := ts.TokenContext(second)
		return err
	})
}

// answerLost is a transport that delivers each request to the provider
// whatever the caller's context, as a request already on the wire is, and
// then loses the answer when the caller's context ends first: the network
// was slow on the way back.
type answerLost struct {
	next  http.RoundTripper
	delay time.Duration
}

func (a answerLost) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(req.WithContext(context.WithoutCancel(req.Context())))
	if err != nil {
		return nil, err
	}
	select {
	case <-time.After(a.delay):
		return resp, nil
	case <-req.Context().Done():
		_ = resp.Body.Close()
		return nil, req.Context().Err()
	}
}

// TestACallerThatGivesUpDoesNotLoseTheRotatedRefreshToken: Kryptos
// rotates refresh tokens (OAUTH.md); a refresh that reached the provider
// spent the old one. A caller whose context ends while the answer is on its
// way must not throw the new one away: the user would have to sign in
// again.
func TestACallerThatGivesUpDoesNotLoseTheRotatedRefreshToken(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t, func(cfg *Config) {
		cfg.HTTPClient = &http.Client{Transport: answerLost{next: http.DefaultTransport, delay: 300 * time.Millisecond}}
	})
	in := signIn(t, srv, c, "alex@example.com")
	store := NewMemoryStore(expired(in.Token))
	ts := c.TokenSource(context.Background(), store)

	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _ = ts.TokenContext(short) // gives up while the answer travels

	tok, err := ts.TokenContext(context.Background())
	require.NoError(t, err, "the next call must still get a token without a new sign-in")
	assert.NotEmpty(t, tok.AccessToken)
}

// TestUserInfoWaitsForARefreshNoLongerThanItsContext: kryptos.TokenSource
// now calls TokenContext with the call's context "so that the call's
// deadline bounds the wait for a refresh" (credential.go). UserInfo, the
// oauth package's own call with the same source, still calls ts.Token(),
// which waits with the context the source was made with: a UserInfo whose
// ctx has ended stays blocked while another replica holds the refresh lock.
func TestUserInfoWaitsForARefreshNoLongerThanItsContext(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	lock := &heldLock{released: make(chan struct{})}
	t.Cleanup(func() { close(lock.released) })
	ts := c.TokenSource(context.Background(), NewMemoryStore(expired(in.Token)), WithRefreshLock(lock))

	assertEndsWithItsContext(t, 100*time.Millisecond, func(call context.Context) error {
		_, err := c.UserInfo(call, ts)
		return err
	})
}

// gateLock is a RefreshLock free until closed is set; then another
// replica holds it until held is closed.
type gateLock struct {
	closed atomic.Bool
	held   chan struct{}
}

func (l *gateLock) Lock(ctx context.Context) (func(), error) {
	if !l.closed.Load() {
		return func() {}, nil
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.held:
		return func() {}, nil
	}
}

// refuseOnce answers the first data call 401, as the API does for a token
// revoked or expired early. Before answering, another call of the app
// (one without a deadline, a background job say) starts the refresh that
// the 401 calls for, and waits on the refresh lock another replica holds.
type refuseOnce struct {
	next    http.RoundTripper
	ts      *TokenSource
	lock    *gateLock
	started chan struct{}
	once    sync.Once
	wg      *sync.WaitGroup
}

func (r *refuseOnce) RoundTrip(req *http.Request) (*http.Response, error) {
	refused := false
	r.once.Do(func() {
		refused = true
		sent := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
		r.lock.closed.Store(true) // another replica refreshes now
		r.ts.TokenRefused(sent)   // another call saw the 401 first
		r.wg.Go(func() {
			close(r.started)
			_, _ = r.ts.TokenContext(context.Background())
		})
		<-r.started
		time.Sleep(50 * time.Millisecond) // it holds the source now
	})
	if refused {
		return &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"error":"unauthorized","error_description":"expired"}`)), Request: req}, nil
	}
	return r.next.RoundTrip(req)
}

// TestARefusedDataCallWaitsNoLongerThanItsContext: "Waiting for another
// caller's refresh, and a data call's wait through kryptos.TokenSource ...
// end with the caller's context" (commit 685c5e4). A data call answered 401
// tells the source through TokenRefused, which still takes the source's turn
// with context.Background(): the call hangs for as long as another caller's
// refresh does (here for good), whatever its own deadline.
func TestARefusedDataCallWaitsNoLongerThanItsContext(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	lock := &gateLock{held: make(chan struct{})}
	ts := c.TokenSource(context.Background(), NewMemoryStore(in.Token), WithRefreshLock(lock))
	var wg sync.WaitGroup
	t.Cleanup(func() { close(lock.held); wg.Wait() })
	hook := &refuseOnce{next: http.DefaultTransport, ts: ts, lock: lock, started: make(chan struct{}), wg: &wg}
	user := srv.Client(kryptos.WithHTTPClient(&http.Client{Transport: hook})).User(kryptos.TokenSource(ts))

	assertEndsWithItsContext(t, 200*time.Millisecond, func(call context.Context) error {
		_, err := user.GetDefaultPortfolio(call)
		return err
	})
}

// slowRefresh delays the provider's answers while on is set, whatever the
// caller's context: a slow provider.
type slowRefresh struct {
	next  http.RoundTripper
	on    *atomic.Bool
	delay time.Duration
}

func (s slowRefresh) RoundTrip(req *http.Request) (*http.Response, error) {
	if s.on.Load() {
		time.Sleep(s.delay)
	}
	return s.next.RoundTrip(req.WithContext(context.WithoutCancel(req.Context())))
}

// TestADataCallsDeadlineBoundsTheRefreshItRuns: credential.go says that
// TokenContext gets "the call's context, so that the call's deadline bounds
// the wait for a refresh"; the merged tokensource.go runs the refresh with
// the caller's cancellation removed, so the caller that runs the refresh
// waits for the provider (up to 2 minutes) whatever its deadline. Both can
// hold: the refresh goes on and is saved, and the caller stops waiting.
func TestADataCallsDeadlineBoundsTheRefreshItRuns(t *testing.T) {
	t.Parallel()
	var slow atomic.Bool
	srv, c := newSandbox(t, func(cfg *Config) {
		cfg.HTTPClient = &http.Client{Transport: slowRefresh{next: http.DefaultTransport, on: &slow, delay: 1500 * time.Millisecond}}
	})
	in := signIn(t, srv, c, "alex@example.com")
	store := NewMemoryStore(expired(in.Token))
	ts := c.TokenSource(context.Background(), store)
	user := srv.Client().User(kryptos.TokenSource(ts))
	before := refreshes(srv)
	slow.Store(true)

	call, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := user.GetDefaultPortfolio(call)
	waited := time.Since(start)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, waited, time.Second, "the call waited %s for a refresh past its 100 ms deadline", waited)

	// The refresh was not thrown away: the next caller gets its token.
	tok, err := ts.TokenContext(context.Background())
	require.NoError(t, err)
	saved, _ := store.Load(ctx)
	assert.Equal(t, saved.AccessToken, tok.AccessToken)
	assert.NotEqual(t, in.Token.RefreshToken, saved.RefreshToken, "the rotated refresh token is saved")
	assert.Equal(t, 1, refreshes(srv)-before, "one refresh")
}

// barrierStore is one user's token row, read by several requests at once:
// each Load waits until every request has loaded, as happens when they
// arrive together.
type barrierStore struct {
	*MemoryStore
	loads sync.WaitGroup
	once  sync.Map
}

func (b *barrierStore) Load(ctx context.Context) (*oauth2.Token, error) {
	tok, err := b.MemoryStore.Load(ctx)
	if _, seen := b.once.LoadOrStore(ctx.Value(reqKey{}), true); !seen {
		b.loads.Done()
		b.loads.Wait()
	}
	return tok, err
}

type reqKey struct{}

// TestPerRequestTokenSourcesOfOneUserRefreshOnce follows the README and
// the package doc: "Later, per request: a TokenSource over your TokenStore
// for this user", ts := auth.TokenSource(ctx, store). Two requests of one
// user arrive together in one process while the access token needs a
// refresh. The README promises "Concurrent callers share one refresh", and
// only WithRefreshLock is said to be needed "across replicas". Each
// TokenSource spends the same rotating refresh token: the second refresh is
// a reuse, the provider revokes the whole chain, and the user is signed out.
func TestPerRequestTokenSourcesOfOneUserRefreshOnce(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	store := &barrierStore{MemoryStore: NewMemoryStore(expired(in.Token))}
	const requests = 2
	store.loads.Add(requests)
	before := refreshes(srv)

	var wg sync.WaitGroup
	errs := make([]error, requests)
	for i := range requests {
		wg.Go(func() {
			rctx := context.WithValue(ctx, reqKey{}, i) // the request's context
			ts := c.TokenSource(rctx, store)            // per request, as documented
			_, errs[i] = ts.Token()
		})
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "request %d", i)
	}
	assert.Equal(t, before+1, refreshes(srv), "one refresh for the user's requests")

	// The token the store now holds still works: the chain was not revoked.
	saved, err := store.MemoryStore.Load(ctx)
	require.NoError(t, err)
	assertSignedIn(t, c, saved, "the user is still signed in")
}

// TestAnUnsavedRefreshIsNotLostWithPerRequestTokenSources: the README's
// pattern is "per request: a TokenSource over your TokenStore for this
// user", and ErrNotSaved promises "The new token is kept in memory and
// saved before anything else on the next call". When a refresh's save
// fails, the next request's TokenSource must not spend the refresh token
// the failed request already spent: at Kryptos (rotating, with reuse
// detection) that revokes the whole chain and signs the user out.
func TestAnUnsavedRefreshIsNotLostWithPerRequestTokenSources(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	store := &failingStore{MemoryStore: NewMemoryStore(expired(in.Token)), fails: 1 + len(saveRetries)}

	_, err := c.TokenSource(ctx, store).Token() // request 1: the store is down
	require.ErrorIs(t, err, ErrNotSaved)

	before := refreshes(srv)
	tok, err := c.TokenSource(ctx, store).Token() // request 2: the store is back
	require.NoError(t, err, "the user must still be signed in")
	assert.Equal(t, before, refreshes(srv), "the spent refresh token is not sent again")
	saved, err := store.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, tok.RefreshToken, saved.RefreshToken, "the rotated refresh token is saved")
	assertSignedIn(t, c, saved, "the chain is intact")
}

// TestAFollowerOfAnUnsavedRefreshDoesNotSpendItsTokenAgain: two
// TokenSources of one Client (two requests) share a refresh whose save
// fails. The follower's next call must not send the spent refresh token
// again either.
func TestAFollowerOfAnUnsavedRefreshDoesNotSpendItsTokenAgain(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	store := &barrierStore{MemoryStore: NewMemoryStore(expired(in.Token))}
	failing := &failingStore{MemoryStore: store.MemoryStore, fails: 1 + len(saveRetries)}
	both := &loadFrom{barrierStore: store, failingStore: failing}
	store.loads.Add(2)
	a, b := c.TokenSource(ctx, both), c.TokenSource(ctx, both)
	errs := make(chan error, 2)
	for i, ts := range []*TokenSource{a, b} {
		go func() {
			_, err := ts.TokenContext(withReq(ctx, i))
			errs <- err
		}()
	}
	for range 2 {
		require.ErrorIs(t, <-errs, ErrNotSaved)
	}
	before := refreshes(srv)
	_, err := b.TokenContext(withReq(ctx, 1)) // its barrier is passed
	require.NoError(t, err, "the user must still be signed in")
	assert.Equal(t, before, refreshes(srv), "the spent refresh token is not sent again")
}

// loadFrom loads through a barrierStore and saves through a failingStore
// over the same tokens.
type loadFrom struct {
	*barrierStore
	failingStore *failingStore
}

func (l *loadFrom) Save(ctx context.Context, tok *oauth2.Token) error {
	return l.failingStore.Save(ctx, tok)
}

func withReq(ctx context.Context, i int) context.Context { return context.WithValue(ctx, reqKey{}, i) }

// laggingStore saves to its store, but its loads keep answering the first
// token, as a read replica that has not caught up does.
type laggingStore struct {
	TokenStore
	first *oauth2.Token
}

func (l *laggingStore) Load(context.Context) (*oauth2.Token, error) { return l.first, nil }

// A refresh of this Client spent the refresh token a lagging store still
// holds, and its result's access token was refused since: the next refresh
// spends that result's refresh token, not the spent one again, which a
// rotating provider takes for a reuse and answers by revoking the chain.
func TestARefusedResultOfARecentRefreshIsRefreshedInTurn(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	old := expired(in.Token)
	store := &laggingStore{TokenStore: NewMemoryStore(old), first: old}

	first, err := c.TokenSource(ctx, store).Token()
	require.NoError(t, err)
	ts := c.TokenSource(ctx, store)
	ts.TokenRefused(first.AccessToken)
	second, err := ts.Token()
	require.NoError(t, err, "the spent refresh token must not be sent again")
	assert.NotEqual(t, first.AccessToken, second.AccessToken)
	assertSignedIn(t, c, second, "the chain is intact")
}

// TestARefreshInTurnIsSharedWithASourceThatLoadedItsRefreshToken: the
// "refreshed in turn" flight spends the remembered result's refresh token
// R1 but is kept under the spent token the lagging source loaded, while
// refreshFlights are "the refreshes of one Client, by the refresh token
// they spend". A request that loaded R1 itself, from the up-to-date store,
// a moment before that flight saved R2, finds no flight under R1 and
// spends R1 a second time: the rotating provider revokes the chain.
func TestARefreshInTurnIsSharedWithASourceThatLoadedItsRefreshToken(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	old := expired(in.Token)
	primary := NewMemoryStore(old)
	replica := &laggingStore{TokenStore: primary, first: old} // loads the first token, saves to the primary

	first, err := c.TokenSource(ctx, replica).Token() // spends old: R1, saved in the primary
	require.NoError(t, err)

	// Request Y loads R1 from the primary, then is descheduled; both
	// requests were answered 401 for R1's access token.
	gated := newGatedStore(primary)
	y := c.TokenSource(ctx, gated)
	y.TokenRefused(first.AccessToken)
	resumeY := gated.tokenPaused(y)

	// Request X loads old from the replica: the refresh in turn spends R1.
	x := c.TokenSource(ctx, replica)
	x.TokenRefused(first.AccessToken)
	_, err = x.Token()
	require.NoError(t, err)

	assert.NoError(t, resumeY(), "R1 must not be spent a second time")
	saved, _ := primary.Load(ctx)
	assertSignedIn(t, c, saved, "the chain is intact")
}

// TestAnUnsavedRefreshSavedLaterIsNotSpentAgainFromALaggingStore: ErrNotSaved
// keeps the refreshed token "in the Client's memory and saved by the next
// call of any of its TokenSources ... that loads the spent refresh token".
// Request 2 saves it; request 3, a moment later, still loads the spent
// refresh token from a lagging replica (the case refreshRemembered exists
// for: "a TokenSource that loaded the refresh token it spent before it was
// saved"). savedNow forgot the unsaved token and no flight is remembered
// for the spent one (a failed flight is forgotten at once), so request 3
// spends it again: the rotating provider revokes the whole chain.
func TestAnUnsavedRefreshSavedLaterIsNotSpentAgainFromALaggingStore(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	old := expired(in.Token)
	store := &laggingStore{TokenStore: &failingStore{MemoryStore: NewMemoryStore(old), fails: 1 + len(saveRetries)}, first: old}

	_, err := c.TokenSource(ctx, store).Token() // request 1: the store is down
	require.ErrorIs(t, err, ErrNotSaved)
	second, err := c.TokenSource(ctx, store).Token() // request 2: saves what request 1 could not
	require.NoError(t, err)

	before := refreshes(srv)
	third, err := c.TokenSource(ctx, store).Token() // request 3: the replica still holds the spent token
	require.NoError(t, err, "the spent refresh token must not be sent again")
	assert.Equal(t, before, refreshes(srv), "no refresh: request 2's token is fresh")
	assert.Equal(t, second.AccessToken, third.AccessToken)
	assertSignedIn(t, c, second, "the chain is intact")
}

// TestTwoRequestsRecoveringAnUnsavedRefreshDoNotSpendItsTokenAgain: the
// same without a lagging store, by timing alone: request B loaded the
// spent refresh token just before request A saved the unsaved result and
// forgot it; B then finds neither the unsaved token nor a flight, and
// spends the refresh token again.
func TestTwoRequestsRecoveringAnUnsavedRefreshDoNotSpendItsTokenAgain(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	failing := &failingStore{MemoryStore: NewMemoryStore(expired(in.Token)), fails: 1 + len(saveRetries)}
	_, err := c.TokenSource(ctx, failing).Token() // request 1: the store is down
	require.ErrorIs(t, err, ErrNotSaved)

	slow := newGatedStore(failing)
	resumeB := slow.tokenPaused(c.TokenSource(ctx, slow)) // request B: loads the spent token, then is descheduled
	_, err = c.TokenSource(ctx, failing).Token()          // request A: saves the unsaved token
	require.NoError(t, err)
	assert.NoError(t, resumeB(), "request B must not spend the spent refresh token")
	saved, _ := failing.Load(ctx)
	assertSignedIn(t, c, saved, "the chain is intact")
}

// gatedStore loads, then waits for gate before answering what it loaded.
type gatedStore struct {
	TokenStore
	gate   chan struct{}
	loaded chan struct{}
}

func (g *gatedStore) Load(ctx context.Context) (*oauth2.Token, error) {
	tok, err := g.TokenStore.Load(ctx)
	close(g.loaded)
	<-g.gate
	return tok, err
}

func newGatedStore(s TokenStore) *gatedStore {
	return &gatedStore{TokenStore: s, gate: make(chan struct{}), loaded: make(chan struct{})}
}

// tokenPaused runs ts.Token() in the background, ts loading through g, and
// returns once it has loaded; resume opens the gate and returns Token's
// error.
func (g *gatedStore) tokenPaused(ts *TokenSource) (resume func() error) {
	errc := make(chan error, 1)
	go func() {
		_, err := ts.Token()
		errc <- err
	}()
	<-g.loaded
	return func() error {
		close(g.gate)
		return <-errc
	}
}

// failTokenOnce fails the token endpoint's next request, before it reaches
// the provider, when armed: a network blip.
type failTokenOnce struct {
	next  http.RoundTripper
	armed atomic.Bool
}

func (f *failTokenOnce) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && f.armed.CompareAndSwap(true, false) {
		return nil, errors.New("connection reset by peer")
	}
	return f.next.RoundTrip(req)
}

// TestAFailedRefreshInTurnDoesNotForgetTheSpentToken: a refresh in turn
// (the remembered result's access token was refused) is filed under the
// spent token the lagging store still answers, in place of the flight that
// spent it. When it fails (a network blip, nothing sent), land deletes it,
// and with it the only memory that the loaded token was spent: the next
// request loads it from the lagging store and spends it again, which a
// rotating provider answers by revoking the chain (OAUTH.md).
func TestAFailedRefreshInTurnDoesNotForgetTheSpentToken(t *testing.T) {
	t.Parallel()
	tr := &failTokenOnce{next: http.DefaultTransport}
	srv, c := newSandbox(t, func(cfg *Config) { cfg.HTTPClient = &http.Client{Transport: tr} })
	in := signIn(t, srv, c, "alex@example.com")
	old := expired(in.Token)
	store := &laggingStore{TokenStore: NewMemoryStore(old), first: old}

	first, err := c.TokenSource(ctx, store).Token() // spends old: R1, saved
	require.NoError(t, err)

	tr.armed.Store(true)
	ts := c.TokenSource(ctx, store)
	ts.TokenRefused(first.AccessToken)
	_, err = ts.Token() // the refresh in turn fails on the way
	require.Error(t, err)

	_, err = c.TokenSource(ctx, store).Token() // loads old again from the replica
	require.NoError(t, err)
	saved, _ := store.TokenStore.Load(ctx)
	assertSignedIn(t, c, saved, "the spent refresh token must not be sent again: the chain is intact")
}
