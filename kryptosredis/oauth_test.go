package kryptosredis_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptosredis"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
	"github.com/kryptos-connect/kryptos-go/oauth"
)

// oauthReplicas is how many replicas race to refresh one user's token.
const oauthReplicas = 3

// barrier holds its waiters until n have arrived, or until a timeout so
// that a broken test fails instead of hanging.
type barrier struct {
	n        int
	mu       sync.Mutex
	arrived  int
	open     chan struct{}
	timedOut atomic.Bool
}

func newBarrier(n int) *barrier { return &barrier{n: n, open: make(chan struct{})} }

func (b *barrier) arrive() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.arrived++
	if b.arrived == b.n {
		close(b.open)
	}
}

func (b *barrier) wait() {
	select {
	case <-b.open:
	case <-time.After(10 * time.Second):
		b.timedOut.Store(true)
	}
}

// refreshGate is every replica's HTTP transport to the provider. It counts
// the refresh_token grants sent, keeps the refresh tokens they spent, and
// holds each one at hold before sending it.
type refreshGate struct {
	next http.RoundTripper
	hold func()

	mu    sync.Mutex
	spent []string
}

func (g *refreshGate) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		if form, err := url.ParseQuery(string(bytes.TrimSpace(raw))); err == nil && form.Get("grant_type") == "refresh_token" {
			g.mu.Lock()
			g.spent = append(g.spent, form.Get("refresh_token"))
			g.mu.Unlock()
			if g.hold != nil {
				g.hold()
			}
		}
	}
	return g.next.RoundTrip(req)
}

func (g *refreshGate) refreshes() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.spent...)
}

// arrivingLock is a RefreshLock that tells a barrier when a replica asks
// for it, then waits for the lock it wraps.
type arrivingLock struct {
	oauth.RefreshLock
	b *barrier
}

func (l arrivingLock) Lock(ctx context.Context) (func(), error) {
	l.b.arrive()
	return l.RefreshLock.Lock(ctx)
}

// refreshRace is one user signed in at a sandbox whose clock then moved
// past the access token's expiry, and the replicas of a backend that share
// the user's TokenStore, each with its own oauth.Client.
type refreshRace struct {
	srv     *kryptostest.Server
	clock   *kryptostest.FakeClock
	gate    *refreshGate
	store   *oauth.MemoryStore
	signIn  *oauth.SignIn
	clients []*oauth.Client
	before  int // token endpoint calls before the race
}

func newRefreshRace(t *testing.T) *refreshRace {
	t.Helper()
	clock := kryptostest.NewFakeClock(time.Now())
	srv := kryptostest.NewServer(kryptostest.WithClock(clock))
	t.Cleanup(srv.Close)
	race := &refreshRace{srv: srv, clock: clock, gate: &refreshGate{next: http.DefaultTransport}}
	key := make([]byte, 32) // the StateKey: the same on every replica
	for i := range key {
		key[i] = byte(i)
	}
	for range oauthReplicas {
		c, err := oauth.New(oauth.Config{Provider: oauth.KryptosAt(srv.Issuer()), ClientID: srv.ClientID, ClientSecret: srv.ClientSecret,
			RedirectURL: "http://127.0.0.1:9999/auth/callback", StateKey: key, HTTPClient: &http.Client{Transport: race.gate}})
		require.NoError(t, err)
		race.clients = append(race.clients, c)
	}

	// The user signs in through the first replica, as oauth's tests do:
	// the app starts the sign-in, the user consents, the browser comes back
	// with the state cookie.
	c := race.clients[0]
	start := httptest.NewRecorder()
	target, err := c.StartSignIn(start, httptest.NewRequest(http.MethodGet, "/auth/signin", nil))
	require.NoError(t, err)
	back, err := srv.Consent(target, "alex@example.com", true)
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, back, nil)
	for _, ck := range start.Result().Cookies() {
		req.AddCookie(ck)
	}
	race.signIn, err = c.Callback(httptest.NewRecorder(), req)
	require.NoError(t, err)
	require.NotEmpty(t, race.signIn.Token.RefreshToken, "offline_access gives a refresh token")

	// A day and more passes: the sandbox no longer takes the access token,
	// and the saved token says it expired.
	clock.Advance(kryptostest.OIDCAccessTokenTTL + time.Hour)
	_, err = c.UserInfo(context.Background(), oauth2.StaticTokenSource(race.signIn.Token))
	require.ErrorIs(t, err, kryptos.ErrInvalidToken, "the access token expired at the sandbox")
	saved := *race.signIn.Token
	saved.Expiry = time.Now().Add(-time.Hour)
	race.store = oauth.NewMemoryStore(&saved)
	race.before = srv.Stats().ByRoute["POST /oidc/token"]
	return race
}

// run makes every replica's TokenSource ask for a token at once, and
// returns what each got.
func (race *refreshRace) run(sources []*oauth.TokenSource) ([]*oauth2.Token, []error) {
	tokens, errs := make([]*oauth2.Token, len(sources)), make([]error, len(sources))
	var wg sync.WaitGroup
	for i, ts := range sources {
		wg.Go(func() { tokens[i], errs[i] = ts.Token() })
	}
	wg.Wait()
	return tokens, errs
}

// TestReplicasRefreshOnceUnderTheRedisRefreshLock: three replicas, each
// with its own Store over its own Redis connection, need a refresh of the
// same user's token at once. The refresh is held until every replica has
// asked for the lock, so that the others are waiting on Redis while it
// runs: exactly one refresh reaches the provider, and every replica gets
// the rotated token, which works.
func TestReplicasRefreshOnceUnderTheRedisRefreshLock(t *testing.T) {
	race := newRefreshRace(t)
	r := startRedis(t)
	seedLockEpoch(t, r, race.srv.ClientID)
	asked := newBarrier(oauthReplicas)
	race.gate.hold = asked.wait
	userKey := race.signIn.IDToken.Subject
	var sources []*oauth.TokenSource
	for _, c := range race.clients {
		s, err := kryptosredis.New(r.client(), kryptosredis.Options{ClientID: race.srv.ClientID})
		require.NoError(t, err)
		lock := arrivingLock{RefreshLock: s.RefreshLock(userKey), b: asked}
		sources = append(sources, c.TokenSource(context.Background(), race.store, oauth.WithRefreshLock(lock)))
	}

	tokens, errs := race.run(sources)
	assert.False(t, asked.timedOut.Load(), "every replica asked for the lock while the refresh was held")
	for i := range sources {
		require.NoError(t, errs[i], "replica %d", i)
		assert.Equal(t, tokens[0].AccessToken, tokens[i].AccessToken, "replica %d has the refreshed token", i)
	}
	assert.Equal(t, []string{race.signIn.Token.RefreshToken}, race.gate.refreshes(), "one refresh, with the signed-in refresh token")
	assert.Equal(t, race.before+1, race.srv.Stats().ByRoute["POST /oidc/token"], "one call reached the token endpoint")
	saved, err := race.store.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, tokens[0].RefreshToken, saved.RefreshToken, "the rotated refresh token was saved")
	assert.NotEqual(t, race.signIn.Token.RefreshToken, saved.RefreshToken)

	// Every replica's token works, at the provider and at the data API,
	// without another refresh.
	for i, ts := range sources {
		info, err := race.clients[i].UserInfo(context.Background(), ts)
		require.NoError(t, err, "replica %d", i)
		assert.Equal(t, userKey, info.Subject)
		pf, err := race.srv.Client().User(kryptos.TokenSource(ts)).GetDefaultPortfolio(context.Background())
		require.NoError(t, err, "replica %d", i)
		assert.Equal(t, "Main", pf.Name)
	}
	assert.Len(t, race.gate.refreshes(), 1)
	keys, err := r.client().Keys(context.Background(), "*refresh*").Result()
	require.NoError(t, err)
	assert.Empty(t, keys, "every replica released the lock")
}

// TestWithoutARefreshLockReplicasSpendTheSameRefreshToken is the control:
// the same replicas without the lock. Each refresh is held until every
// replica has sent one, so that all of them load the token before any
// saves a new one, as happens whenever their refreshes overlap: every
// replica spends the same refresh token, the provider sees the reuse, and
// it revokes the whole chain. One replica got a token, which no longer
// works; the user must sign in again.
func TestWithoutARefreshLockReplicasSpendTheSameRefreshToken(t *testing.T) {
	race := newRefreshRace(t)
	sent := newBarrier(oauthReplicas)
	race.gate.hold = func() { sent.arrive(); sent.wait() }
	var sources []*oauth.TokenSource
	for _, c := range race.clients {
		sources = append(sources, c.TokenSource(context.Background(), race.store))
	}

	tokens, errs := race.run(sources)
	assert.False(t, sent.timedOut.Load(), "every replica sent a refresh")
	spent := race.gate.refreshes()
	require.Len(t, spent, oauthReplicas, "every replica refreshed")
	for _, rt := range spent {
		assert.Equal(t, race.signIn.Token.RefreshToken, rt, "with the same refresh token")
	}
	assert.Equal(t, race.before+oauthReplicas, race.srv.Stats().ByRoute["POST /oidc/token"])
	var winner *oauth2.Token
	for i, err := range errs {
		if err == nil {
			require.Nil(t, winner, "only one refresh of a rotating token succeeds")
			winner = tokens[i]
			continue
		}
		assert.ErrorIs(t, err, kryptos.ErrInvalidGrant, "replica %d: the reuse was refused", i)
	}
	require.NotNil(t, winner, "the first refresh succeeded")

	// The reuse revoked the grant: the token that the first refresh gave
	// does not work, and the refresh token saved with it is dead.
	_, err := race.clients[0].UserInfo(context.Background(), oauth2.StaticTokenSource(winner))
	assert.ErrorIs(t, err, kryptos.ErrInvalidToken)
	state, err := race.clients[0].Introspect(context.Background(), winner.RefreshToken)
	require.NoError(t, err)
	assert.False(t, state.Active, "the rotated refresh token was revoked with its chain")
}
