package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/kryptos-connect/kryptos-go"
)

// TokenStore keeps a user's tokens where the app keeps its data. A rotating
// provider (Kryptos rotates refresh tokens on every refresh) makes each
// refresh token work once: the new one must be saved before it is relied on,
// or a crash loses the only token that works and the user must sign in
// again. Keep tokens encrypted at rest.
type TokenStore interface {
	// Load returns the latest token saved, or nil when there is none.
	Load(ctx context.Context) (*oauth2.Token, error)
	// Save stores tok in place of the previous one. It must be durable
	// when it returns: a TokenSource uses a refreshed token only after
	// Save has returned nil.
	Save(ctx context.Context, tok *oauth2.Token) error
}

// RefreshLock makes one refresh of a user's token happen at a time across
// processes, when several replicas share a TokenStore: the replica that
// holds it refreshes, the others then load the refreshed token instead of
// spending the same refresh token (which would invalidate both). The
// kryptosredis module has one over Redis.
type RefreshLock interface {
	// Lock blocks until the lock is held or ctx ends; unlock releases it.
	Lock(ctx context.Context) (unlock func(), err error)
}

// ErrNotSaved matches a refresh whose new token the TokenStore could not
// save, after a few tries made while the refresh lock is still held. The
// new token is kept in the Client's memory and saved by the next call of
// any of its TokenSources (one per request, say) that loads the spent
// refresh token, before anything else; it is not handed out before it is
// saved. Other processes that share the store meanwhile find the spent
// refresh token in it, and a rotating provider revokes the whole chain
// when one of them spends it: the user must then sign in again.
var ErrNotSaved = errors.New("oauth: the refreshed token could not be saved")

// saveRetries are the waits between the tries to save a refreshed token:
// a store that fails for a moment must not lose the only refresh token that
// works.
var saveRetries = []time.Duration{50 * time.Millisecond, 200 * time.Millisecond}

// ErrNoRefreshToken matches a token that expired and cannot be refreshed:
// sign the user in again (ask for offline_access to get refresh tokens).
var ErrNoRefreshToken = errors.New("oauth: the token expired and there is no refresh token")

// TokenSource is an oauth2.TokenSource that refreshes a user's token ahead
// of its expiry, saves every rotated token to its TokenStore before using
// it, and lets concurrent callers share one refresh. Pass it to
// kryptos.TokenSource to read the user's data. It is safe for concurrent
// use.
type TokenSource struct {
	c     *Client
	store TokenStore
	lock  RefreshLock
	ahead time.Duration
	ctx   context.Context
	now   func() time.Time

	// turn is held (a value sent) by the one caller at a time that reads
	// or refreshes the token; a channel rather than a mutex, so that a
	// caller waiting for another's refresh gives up when its context ends.
	turn    chan struct{}
	current *oauth2.Token
	// refused is an access token the API refused (TokenRefused): whatever
	// its expiry says, it is not fresh. It has its own mutex: TokenRefused
	// takes no context, so it must not wait for the turn.
	refusedMu sync.Mutex
	refused   string
}

// Format prints the TokenSource as its Client's client ID, for every verb:
// it holds tokens (the last one the API refused, say), which no formatting
// of it may reveal.
func (s *TokenSource) Format(f fmt.State, _ rune) {
	id := ""
	if s.c != nil {
		id = s.c.oauth.ClientID
	}
	fmt.Fprintf(f, "oauth.TokenSource{ClientID:%q}", id)
}

// LogValue logs the TokenSource as Format prints it, without any token.
func (s *TokenSource) LogValue() slog.Value { return slog.StringValue(fmt.Sprint(s)) }

// SourceOption adjusts a TokenSource.
type SourceOption func(*TokenSource)

// WithRefreshLock makes refreshes go one at a time across processes.
func WithRefreshLock(l RefreshLock) SourceOption { return func(s *TokenSource) { s.lock = l } }

// WithRefreshAhead refreshes a token that expires within d (5 minutes by
// default), so that a call never starts with a token about to expire.
func WithRefreshAhead(d time.Duration) SourceOption {
	return func(s *TokenSource) {
		if d >= 0 {
			s.ahead = d
		}
	}
}

// TokenSource returns the token source of the user whose tokens store
// keeps. ctx bounds how long Token waits for a refresh; TokenContext takes
// its own. A refresh once sent runs to its end and is saved either way. It
// is cheap: make one per request if that suits the app. The TokenSources of
// one Client that find the same refresh token due at once share one
// refresh, which one of them saves; across processes, use WithRefreshLock.
func (c *Client) TokenSource(ctx context.Context, store TokenStore, opts ...SourceOption) *TokenSource {
	s := &TokenSource{c: c, store: store, ahead: 5 * time.Minute, ctx: ctx, now: time.Now, turn: make(chan struct{}, 1)}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	return s
}

// Token returns a valid access token, refreshing it first if it expires
// soon. It implements oauth2.TokenSource.
func (s *TokenSource) Token() (*oauth2.Token, error) { return s.TokenContext(s.ctx) }

// TokenContext is Token with a context that bounds its wait for a refresh
// (its own or another caller's); a refresh it sent goes on after ctx ends,
// and its tokens are saved for the next caller.
func (s *TokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	if s.store == nil {
		return nil, fmt.Errorf("oauth: TokenSource: %w", &kryptos.ParamError{Field: "store", Problem: "must not be nil"})
	}
	// One refresh at a time in this process: the callers that wait find
	// the fresh token when their turn comes, or give up with their ctx.
	if err := s.take(ctx); err != nil {
		return nil, err
	}
	// handed is set once a refresh goroutine owns the turn and the lock.
	handed := false
	defer func() {
		if !handed {
			s.give()
		}
	}()
	if s.fresh(s.current) {
		return copyToken(s.current), nil
	}
	unlock := func() {}
	if s.lock != nil {
		var err error
		unlock, err = s.lock.Lock(ctx)
		if err != nil {
			return nil, fmt.Errorf("oauth: taking the refresh lock: %w", err)
		}
	}
	defer func() {
		if !handed {
			unlock()
		}
	}()
	// Another process may have refreshed it, and saved the result.
	stored, err := s.store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauth: loading the token: %w", err)
	}
	if stored == nil {
		return nil, fmt.Errorf("oauth: TokenSource: %w: the store holds no token; sign the user in first", ErrNoRefreshToken)
	}
	s.c.flights.loaded(stored)
	// A refresh of this Client spent the stored refresh token, and its
	// store refused the result: that result holds the only refresh token
	// that works. Save it before anything else, even when the stored
	// access token still looks fresh, rather than leave the spent one in
	// the store (for another replica, or this one after a restart, to
	// spend again).
	if u := s.c.flights.unsavedOf(stored.RefreshToken); u != nil {
		if err := s.save(ctx, u); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotSaved, err)
		}
		s.c.flights.savedNow(u)
		s.current = u
		if s.fresh(u) {
			return copyToken(u), nil
		}
		stored = u
	}
	if s.fresh(stored) {
		s.current = stored
		return copyToken(stored), nil
	}
	if stored.RefreshToken == "" {
		return nil, fmt.Errorf("oauth: TokenSource: %w", ErrNoRefreshToken)
	}
	// Once sent, a refresh spends the refresh token it carries: the answer
	// holds the only one that works now. The caller's cancellation must not
	// throw it away on its way back, nor stop it being saved; the HTTP
	// client's timeout (30 s by default) and refreshTimeout bound it. The
	// caller waits for it no longer than its ctx allows: the refresh then
	// ends without it, holding the turn and the lock until it is saved.
	//
	// Other TokenSources of this Client may hold the same refresh token at
	// the same moment (one per request of the same user, over the same
	// store): they share this refresh and its save, as spending the token
	// twice would revoke its whole chain at a rotating provider.
	f, leader, spend := s.c.flights.join(stored.RefreshToken, s.fresh)
	if leader {
		work, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
		handed = true
		go func() {
			defer s.give()
			defer unlock()
			defer cancel()
			s.fly(work, f, stored.RefreshToken, spend)
		}()
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("oauth: waiting for the token refresh: %w", ctx.Err())
	}
	if leader && f.panicked != nil {
		panic(f.panicked)
	}
	if f.err != nil {
		return nil, f.err
	}
	if !leader {
		s.current = f.tok // the leader's flight set its own
	}
	return copyToken(f.tok), nil
}

// fly makes flight f, keyed by refreshToken, the one its TokenSource
// loaded: it spends spend (refreshToken, or the refresh token that
// replaced it) and saves the result. The
// flight lands however it ends, so that no TokenSource waits for it in
// vain. A panic (in the app's TokenStore, say) is recovered, as it runs in
// a goroutine nobody else could recover it in, and raised again in the
// caller that started the flight if it still waits. The caller holds the
// turn.
func (s *TokenSource) fly(work context.Context, f *refreshFlight, refreshToken, spend string) {
	var tok *oauth2.Token
	defer func() {
		if r := recover(); r != nil {
			if tok != nil {
				s.c.flights.keepUnsaved(tok, refreshToken, spend)
			}
			s.c.logger.Error("oauth: a token refresh panicked", "panic", r)
			f.panicked = r
			f.err = fmt.Errorf("oauth: the token refresh panicked: %v", r)
		}
		s.c.flights.land(f, refreshToken, spend)
	}()
	// spend may be the refresh token another flight of this Client spent
	// and whose result its store refused (join follows the chain past the
	// token this source loaded): save that result rather than spend spend
	// again.
	unsaved := f.unsaved
	if unsaved != nil {
		tok = unsaved
	} else {
		var err error
		if tok, err = s.c.refresh(work, spend); err != nil {
			f.err = err
			return
		}
	}
	if err := s.save(work, tok); err != nil {
		s.c.flights.keepUnsaved(tok, refreshToken, spend)
		f.err = fmt.Errorf("%w: %w", ErrNotSaved, err)
		return
	}
	if unsaved != nil {
		s.c.flights.savedNow(tok)
	}
	s.current = tok
	f.tok, f.err = tok, nil
}

// refreshTimeout bounds a refresh and the save of its result, which the
// caller's context does not cut short.
const refreshTimeout = 2 * time.Minute

// take waits for the caller's turn, or for ctx to end.
func (s *TokenSource) take(ctx context.Context) error {
	select {
	case s.turn <- struct{}{}:
		return nil
	default:
	}
	select {
	case s.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("oauth: waiting for another caller's refresh: %w", ctx.Err())
	}
}

// give ends the caller's turn.
func (s *TokenSource) give() { <-s.turn }

// save saves a refreshed token, trying again after each of saveRetries
// while the caller still holds the refresh lock, so that no other process
// loads the refresh token it replaces and spends it again.
func (s *TokenSource) save(ctx context.Context, tok *oauth2.Token) error {
	err := s.store.Save(ctx, tok)
	for _, wait := range saveRetries {
		if err == nil {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		err = s.store.Save(ctx, tok)
	}
	return err
}

// TokenRefused tells the source that the API refused accessToken (a 401):
// it was revoked, or expired earlier than its expiry says, or its expiry is
// unknown. The next Token refreshes, unless another process sharing the
// store has already. kryptos.TokenSource calls it, and then sends the call
// once more.
func (s *TokenSource) TokenRefused(accessToken string) {
	s.refusedMu.Lock()
	defer s.refusedMu.Unlock()
	s.refused = accessToken
}

// fresh reports whether tok is good for longer than the refresh margin.
func (s *TokenSource) fresh(tok *oauth2.Token) bool {
	s.refusedMu.Lock()
	refused := s.refused
	s.refusedMu.Unlock()
	if tok == nil || tok.AccessToken == "" || tok.AccessToken == refused {
		return false
	}
	return tok.Expiry.IsZero() || s.now().Add(s.ahead).Before(tok.Expiry)
}

// refresh spends refreshToken at the token endpoint for a new token. With a
// rotating provider, the answer's refresh token replaces the one spent;
// with one that does not rotate, the old one stays valid and is kept.
func (c *Client) refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	tok, err := c.oauth.TokenSource(c.context(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, c.providerError("refreshing the token", err, refreshToken)
	}
	return tok, nil
}

func copyToken(t *oauth2.Token) *oauth2.Token {
	c := *t
	return &c
}

// ConnectToken returns the token of a Connect grant from an older API
// version, whose 24-hour access token comes with a rotating crt_ refresh
// token (seeds 000, step 3): save it in a TokenStore and a TokenSource
// refreshes it at the OIDC token endpoint like an OAuth token. issued is
// when the exchange answered, from which its expiry is counted.
func ConnectToken(g *kryptos.AccessGrant, issued time.Time) *oauth2.Token {
	tok := &oauth2.Token{AccessToken: g.AccessToken.Reveal(), TokenType: "Bearer", RefreshToken: g.RefreshToken.Reveal()}
	if g.ExpiresIn > 0 {
		tok.Expiry = issued.Add(g.ExpiresIn)
	}
	return tok
}
