package oauth

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// within runs f and returns its error, or fails the test if f has not
// returned within d.
func within(t *testing.T, d time.Duration, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("still blocked after %s: the caller's context is ignored", d)
		return nil
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

	call, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := within(t, 3*time.Second, func() error {
		_, err := user.GetDefaultPortfolio(call)
		return err
	})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
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

	second, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := within(t, 3*time.Second, func() error {
		_, err := ts.TokenContext(second)
		return err
	})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
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
