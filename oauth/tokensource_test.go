package oauth

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// expired returns a copy of tok whose access token has expired.
func expired(tok *oauth2.Token) *oauth2.Token {
	c := *tok
	c.Expiry = time.Now().Add(-time.Minute)
	return &c
}

// refreshes counts the refresh calls the sandbox's token endpoint saw.
func refreshes(srv *kryptostest.Server) int { return srv.Stats().ByRoute["POST /oidc/token"] }

// assertSignedIn asserts that tok's refresh chain is intact: c answers
// UserInfo through a TokenSource over tok.
func assertSignedIn(t *testing.T, c *Client, tok *oauth2.Token, msg string) {
	t.Helper()
	_, err := c.UserInfo(ctx, c.TokenSource(ctx, NewMemoryStore(tok)))
	assert.NoError(t, err, msg)
}

func TestATokenSourceRotatesAndSavesBeforeUse(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	store := NewMemoryStore(expired(in.Token))
	ts := c.TokenSource(ctx, store)

	tok, err := ts.Token()
	require.NoError(t, err)
	assert.NotEqual(t, in.Token.AccessToken, tok.AccessToken)
	assert.NotEqual(t, in.Token.RefreshToken, tok.RefreshToken, "the refresh token rotated")
	saved, _ := store.Load(ctx)
	assert.Equal(t, tok.RefreshToken, saved.RefreshToken, "saved before it was handed out")

	again, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, tok.AccessToken, again.AccessToken, "a fresh token is not refreshed again")

	// The spent refresh token, presented again, is refused, and revokes the
	// chain it belongs to: a leaked token is worth nothing for long.
	_, err = c.refresh(ctx, in.Token.RefreshToken)
	require.ErrorIs(t, err, kryptos.ErrInvalidGrant)
	_, err = c.refresh(ctx, tok.RefreshToken)
	require.ErrorIs(t, err, kryptos.ErrInvalidGrant)
}

// failingStore refuses the first saves it is asked for.
type failingStore struct {
	*MemoryStore
	mu    sync.Mutex
	fails int
}

func (f *failingStore) Save(ctx context.Context, tok *oauth2.Token) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return errors.New("database unavailable")
	}
	return f.MemoryStore.Save(ctx, tok)
}

// TestARefreshedTokenIsNeverUsedUnsavedNorLost: when the store cannot save
// the rotated token, the new access token is not handed out, the old
// refresh token (now spent) is not tried again, and the new one is saved on
// the next call.
func TestARefreshedTokenIsNeverUsedUnsavedNorLost(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	store := &failingStore{MemoryStore: NewMemoryStore(expired(in.Token)), fails: 1 + len(saveRetries)}
	ts := c.TokenSource(ctx, store)

	_, err := ts.Token()
	require.ErrorIs(t, err, ErrNotSaved)
	stillOld, _ := store.Load(ctx)
	assert.Equal(t, in.Token.RefreshToken, stillOld.RefreshToken)
	before := refreshes(srv)

	tok, err := ts.Token()
	require.NoError(t, err, "the pending token is saved first")
	assert.Equal(t, before, refreshes(srv), "no second refresh with the spent token")
	saved, _ := store.Load(ctx)
	assert.Equal(t, tok.RefreshToken, saved.RefreshToken)
}

// TestAStoreThatFailsForAMomentLosesNoRefreshToken: a refresh whose save
// fails once is saved on a second try, before the refresh lock is let go,
// so that another process sharing the store and the lock loads the new
// token instead of spending the old one, which would revoke the chain.
func TestAStoreThatFailsForAMomentLosesNoRefreshToken(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	store := &failingStore{MemoryStore: NewMemoryStore(expired(in.Token)), fails: 1}
	lock := &mutexLock{}
	a, b := c.TokenSource(ctx, store, WithRefreshLock(lock)), c.TokenSource(ctx, store, WithRefreshLock(lock))

	tokA, err := a.Token()
	require.NoError(t, err)
	tokB, err := b.Token()
	require.NoError(t, err)
	assert.Equal(t, tokA.AccessToken, tokB.AccessToken, "b loaded what a saved")
	for _, tok := range []*oauth2.Token{tokA, tokB} {
		_, err := srv.Client().User(kryptos.AccessToken(tok.AccessToken)).Me(ctx)
		require.NoError(t, err, "the chain is intact")
	}
}

// TestACrashAfterARefreshLosesNothing: the process that refreshed dies as
// soon as Token returns; a new one, starting from the store alone, goes on.
func TestACrashAfterARefreshLosesNothing(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	store := NewMemoryStore(expired(in.Token))
	_, err := c.TokenSource(ctx, store).Token()
	require.NoError(t, err)
	// "Crash": the TokenSource and its memory are gone. Expire what was
	// saved to force another refresh from the store's token.
	saved, _ := store.Load(ctx)
	require.NoError(t, store.Save(ctx, expired(saved)))
	tok, err := c.TokenSource(ctx, store).Token()
	require.NoError(t, err, "the store held the only refresh token that works")
	assert.NotEqual(t, saved.RefreshToken, tok.RefreshToken)
}

func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	ts := c.TokenSource(ctx, NewMemoryStore(expired(in.Token)))
	before := refreshes(srv)
	var wg sync.WaitGroup
	tokens := make([]string, 20)
	for i := range tokens {
		wg.Go(func() {
			tok, err := ts.Token()
			assert.NoError(t, err)
			tokens[i] = tok.AccessToken
		})
	}
	wg.Wait()
	assert.Equal(t, before+1, refreshes(srv), "20 callers, one refresh")
	for _, tok := range tokens {
		assert.Equal(t, tokens[0], tok)
	}
}

// mutexLock is a RefreshLock within one process, standing in for a shared
// one.
type mutexLock struct{ mu sync.Mutex }

func (l *mutexLock) Lock(context.Context) (func(), error) {
	l.mu.Lock()
	return l.mu.Unlock, nil
}

// TestReplicasSharingAStoreRefreshOnce: two token sources (two replicas)
// need a refresh at once; with a shared lock, one refreshes and the other
// loads its result, instead of spending the same refresh token twice.
func TestReplicasSharingAStoreRefreshOnce(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	store := NewMemoryStore(expired(in.Token))
	lock := &mutexLock{}
	replicas := []*TokenSource{c.TokenSource(ctx, store, WithRefreshLock(lock)), c.TokenSource(ctx, store, WithRefreshLock(lock))}
	before := refreshes(srv)
	var wg sync.WaitGroup
	for _, ts := range replicas {
		wg.Go(func() {
			_, err := ts.Token()
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, before+1, refreshes(srv))
}

func TestATokenIsRefreshedAheadOfItsExpiry(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	soon := *in.Token
	soon.Expiry = time.Now().Add(2 * time.Minute)
	ts := c.TokenSource(ctx, NewMemoryStore(&soon))
	tok, err := ts.Token()
	require.NoError(t, err)
	assert.NotEqual(t, soon.AccessToken, tok.AccessToken, "2 minutes left is within the 5-minute margin")

	lazy := c.TokenSource(ctx, NewMemoryStore(&soon), WithRefreshAhead(time.Minute))
	tok, err = lazy.Token()
	require.NoError(t, err)
	assert.Equal(t, soon.AccessToken, tok.AccessToken)
}

func TestATokenSourceNeedsARefreshToken(t *testing.T) {
	t.Parallel()
	_, c := newSandbox(t)
	_, err := c.TokenSource(ctx, NewMemoryStore(nil)).Token()
	require.ErrorIs(t, err, ErrNoRefreshToken)
	_, err = c.TokenSource(ctx, NewMemoryStore(&oauth2.Token{AccessToken: "x", Expiry: time.Now().Add(-time.Hour)})).Token()
	require.ErrorIs(t, err, ErrNoRefreshToken)
	_, err = c.TokenSource(ctx, nil).Token()
	require.ErrorIs(t, err, kryptos.ErrInvalidParams)
}

// TestAnOAuthTokenReadsTheUsersData: the token source is the credential of
// the data API, refreshed when it has expired.
func TestAnOAuthTokenReadsTheUsersData(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	ts := c.TokenSource(ctx, NewMemoryStore(expired(in.Token)))
	user := srv.Client().User(kryptos.TokenSource(ts))
	pf, err := user.GetDefaultPortfolio(ctx)
	require.NoError(t, err)
	assert.Equal(t, "Main", pf.Name)

	// A token without the scope is refused by the data API.
	narrow, err := New(Config{Provider: c.provider, ClientID: srv.ClientID, ClientSecret: srv.ClientSecret,
		RedirectURL: redirectURL, StateKey: stateKey(t), Scopes: kryptos.Scopes{kryptos.ScopeOpenID, kryptos.ScopeEmail}})
	require.NoError(t, err)
	small := signIn(t, srv, narrow, "alex@example.com")
	_, err = srv.Client().User(kryptos.AccessToken(small.Token.AccessToken)).GetDefaultPortfolio(ctx)
	require.ErrorIs(t, err, kryptos.ErrInsufficientScope)
}

// TestALegacyConnectTokenIsRefreshedLikeAnOAuthOne: an older exchange's
// 24-hour cat_ token and rotating crt_ refresh token (seeds 000, step 3).
func TestALegacyConnectTokenIsRefreshedLikeAnOAuthOne(t *testing.T) {
	t.Parallel()
	srv := kryptostest.NewServer(kryptostest.WithLegacyTokens())
	defer srv.Close()
	client := srv.Client()
	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true})
	require.NoError(t, err)
	grant, err := client.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	require.Equal(t, 24*time.Hour, grant.ExpiresIn)
	require.Regexp(t, "^crt_", grant.RefreshToken.Reveal())

	c, err := New(Config{Provider: KryptosAt(srv.Issuer()), ClientID: srv.ClientID, ClientSecret: srv.ClientSecret,
		RedirectURL: redirectURL, StateKey: stateKey(t)})
	require.NoError(t, err)
	store := NewMemoryStore(ConnectToken(grant, time.Now().Add(-25*time.Hour)))
	tok, err := c.TokenSource(ctx, store).Token()
	require.NoError(t, err)
	assert.Regexp(t, "^cat_", tok.AccessToken)
	assert.Regexp(t, "^crt_", tok.RefreshToken)
	assert.NotEqual(t, grant.RefreshToken.Reveal(), tok.RefreshToken)
	_, err = client.User(kryptos.AccessToken(tok.AccessToken)).GetDefaultPortfolio(ctx)
	require.NoError(t, err, "the refreshed Connect token reads data")
	_, err = c.refresh(ctx, grant.RefreshToken.Reveal())
	require.ErrorIs(t, err, kryptos.ErrInvalidGrant, "crt_ tokens rotate")
}

func TestUserInfoRevocationAndIntrospection(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	in := signIn(t, srv, c, "alex@example.com")
	ts := oauth2.StaticTokenSource(in.Token)

	info, err := c.UserInfo(ctx, ts)
	require.NoError(t, err)
	assert.Equal(t, in.IDToken.Subject, info.Subject)
	assert.Equal(t, "alex@example.com", info.Email)
	assert.True(t, info.EmailVerified)
	assert.Equal(t, "Alex", info.Name)
	assert.True(t, info.Access["portfolios"])
	assert.False(t, info.Access["accounting"], "not asked for")
	assert.False(t, info.UpdatedAt.IsZero())

	state, err := c.Introspect(ctx, in.Token.AccessToken)
	require.NoError(t, err)
	assert.True(t, state.Active)
	assert.Equal(t, srv.ClientID, state.ClientID)
	assert.True(t, state.Scope.Has(kryptos.ScopeOpenID))
	assert.False(t, state.Expiry.IsZero())

	require.NoError(t, c.Revoke(ctx, in.Token.RefreshToken, "refresh_token"))
	require.NoError(t, c.Revoke(ctx, "an-unknown-token", ""), "RFC 7009: unknown tokens are fine")
	state, err = c.Introspect(ctx, in.Token.AccessToken)
	require.NoError(t, err)
	assert.False(t, state.Active, "revoking the refresh token ended the grant")
	_, err = c.UserInfo(ctx, ts)
	require.ErrorIs(t, err, kryptos.ErrInvalidToken)
	var apiErr *kryptos.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)

	wrong, err := New(Config{Provider: c.provider, ClientID: srv.ClientID, ClientSecret: "wrong", RedirectURL: redirectURL, StateKey: stateKey(t)})
	require.NoError(t, err)
	_, err = wrong.Introspect(ctx, in.Token.AccessToken)
	require.ErrorIs(t, err, kryptos.ErrInvalidClient)
	_, err = wrong.ClientCredentials(ctx).Token()
	require.ErrorIs(t, err, kryptos.ErrInvalidClient)
	app, err := c.ClientCredentials(ctx, kryptos.ScopeOpenID).Token()
	require.NoError(t, err)
	assert.NotEmpty(t, app.AccessToken)
}

// TestOIDCCallsCountAgainstTheirClasses: the token endpoint, userinfo and
// the rest wait on their own quota classes, and a 429 holds its class.
func TestOIDCCallsCountAgainstTheirClasses(t *testing.T) {
	t.Parallel()
	seen := &recordingLimiter{}
	srv, c := newSandbox(t, func(cfg *Config) { cfg.Limiter = seen })
	in := signIn(t, srv, c, "alex@example.com")
	_, err := c.UserInfo(ctx, oauth2.StaticTokenSource(in.Token))
	require.NoError(t, err)
	_, err = c.Introspect(ctx, in.Token.AccessToken)
	require.NoError(t, err)
	classes := seen.classes()
	assert.Contains(t, classes, kryptos.ClassOIDCToken)
	assert.Contains(t, classes, kryptos.ClassOIDCUserInfo)
	assert.Contains(t, classes, kryptos.ClassOIDCOther, "the introspection and the JWKS")

	limited := kryptostest.NewServer(kryptostest.WithRateLimits(kryptostest.RateLimits{kryptos.ClassOIDCUserInfo: {Requests: 1, Per: time.Hour}}))
	defer limited.Close()
	seen2 := &recordingLimiter{}
	c2, err := New(Config{Provider: KryptosAt(limited.Issuer()), ClientID: limited.ClientID, ClientSecret: limited.ClientSecret,
		RedirectURL: redirectURL, StateKey: stateKey(t), Limiter: seen2})
	require.NoError(t, err)
	in2 := signIn(t, limited, c2, "alex@example.com")
	_, err = c2.UserInfo(ctx, oauth2.StaticTokenSource(in2.Token))
	require.NoError(t, err)
	_, err = c2.UserInfo(ctx, oauth2.StaticTokenSource(in2.Token))
	require.ErrorIs(t, err, kryptos.ErrRateLimited)
	assert.Equal(t, []kryptos.QuotaClass{kryptos.ClassOIDCUserInfo}, seen2.backoffs(), "the 429 holds the userinfo class")
}

type recordingLimiter struct {
	mu     sync.Mutex
	seen   []kryptos.QuotaClass
	paused []kryptos.QuotaClass
}

func (r *recordingLimiter) Wait(ctx context.Context, class kryptos.QuotaClass, _ time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, class)
	return ctx.Err()
}

func (r *recordingLimiter) Backoff(_ context.Context, class kryptos.QuotaClass, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paused = append(r.paused, class)
}

func (r *recordingLimiter) classes() []kryptos.QuotaClass {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]kryptos.QuotaClass(nil), r.seen...)
}

func (r *recordingLimiter) backoffs() []kryptos.QuotaClass {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]kryptos.QuotaClass(nil), r.paused...)
}

// TestAnAccessTokenRefusedBeforeItsExpiryIsRefreshed: a token saved
// without its expiry (as the docs' own sample stores it) is taken as
// fresh until the API refuses it; then kryptos.TokenSource tells the
// source, which refreshes, and the call is sent once more (OAUTH.md: "A
// 401 from a data call means the access token expired: refresh, then
// retry once").
func TestAnAccessTokenRefusedBeforeItsExpiryIsRefreshed(t *testing.T) {
	t.Parallel()
	clk := kryptostest.NewFakeClock(time.Now())
	srv, c := newSandboxOf(t, kryptostest.NewServer(kryptostest.WithClock(clk)))
	in := signIn(t, srv, c, "alex@example.com")
	store := NewMemoryStore(&oauth2.Token{AccessToken: in.Token.AccessToken, RefreshToken: in.Token.RefreshToken})
	user := srv.Client().User(kryptos.TokenSource(c.TokenSource(ctx, store)))

	_, err := user.Me(ctx)
	require.NoError(t, err)
	before := refreshes(srv)
	clk.Advance(25 * time.Hour) // past the access token's 24 h
	_, err = user.Me(ctx)
	require.NoError(t, err)
	assert.Equal(t, before+1, refreshes(srv), "one refresh")
	saved, _ := store.Load(ctx)
	assert.NotEqual(t, in.Token.AccessToken, saved.AccessToken, "the refreshed token is saved")
}
