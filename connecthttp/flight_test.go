package connecthttp

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// panickingStore is a store whose first Put panics (a bug in the app's
// store, or a SQLStore over a Keyring that NewKeyring did not make).
type panickingStore struct {
	*MemoryStore
	puts atomic.Int32
}

func (s *panickingStore) Put(ctx context.Context, user string, c Connection) error {
	if s.puts.Add(1) == 1 {
		panic("store bug")
	}
	return s.MemoryStore.Put(ctx, user, c)
}

// TestAnExchangeThatPanicsEndsItsFlight: net/http recovers the
// handler's panic and resets the browser's connection; the browser sends
// the public token again. That request must be answered, not left waiting
// for a flight that never ends, and the flight must not stay in memory for
// ever (claim sweeps only the flights that are done).
func TestAnExchangeThatPanicsEndsItsFlight(t *testing.T) {
	t.Parallel()
	sandbox := kryptostest.NewServer()
	t.Cleanup(sandbox.Close)
	h, err := New(Config{Client: sandbox.Client(), Store: &panickingStore{MemoryStore: NewMemoryStore()},
		UserID: func(r *http.Request) (string, error) { return r.Header.Get("X-User"), nil }})
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)

	lt, err := sandbox.Client().CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	require.NoError(t, err)
	public, err := sandbox.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true,
		Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
	require.NoError(t, err)
	send := func() (int, error) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/exchange-token", strings.NewReader(`{"public_token":"`+public+`"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("X-User", "u1")
		c := http.Client{Timeout: 2 * time.Second}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		_ = resp.Body.Close()
		return resp.StatusCode, nil
	}
	_, err = send()
	require.Error(t, err, "the panic resets the connection")

	status, err := send()
	require.NoError(t, err, "the browser's second try must get an answer, not wait for ever")
	assert.Equal(t, http.StatusBadGateway, status)

	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.flights {
		assert.True(t, isDone(f), "a flight left unfinished is never swept")
	}
}
