package reliability

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// guest is a Guest user connected through the sandbox with the Ethereum
// test wallet.
type guest struct {
	grant    *kryptos.AccessGrant
	userID   string
	walletID string
}

// linkGuest plays a new Guest user through the widget and returns the public
// token to exchange.
func linkGuest(tb testing.TB, srv *kryptostest.Server, c *kryptos.Client) string {
	tb.Helper()
	lt, err := c.CreateLinkToken(context.Background(), kryptos.LinkTokenParams{})
	require.NoError(tb, err)
	public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true,
		Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
	require.NoError(tb, err)
	return public
}

// connectGuest connects a new Guest user and reads back the ids the
// operations under test need.
func connectGuest(tb testing.TB, srv *kryptostest.Server, c *kryptos.Client) guest {
	tb.Helper()
	ctx := context.Background()
	grant, err := c.ExchangePublicToken(ctx, linkGuest(tb, srv, c))
	require.NoError(tb, err)
	s, err := c.CheckSession(ctx, grant.AccessToken.Reveal())
	require.NoError(tb, err)
	ints, err := c.User(grant.Credential()).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
	require.NoError(tb, err)
	require.NotEmpty(tb, ints)
	return guest{grant: grant, userID: s.UserID, walletID: ints.Items[0].ID}
}

// countingTransport counts the attempts the SDK sends. Keep-alives are off,
// so that net/http never replays a request on a reused connection behind
// the SDK's back and every attempt is one request at the server.
type countingTransport struct {
	n    atomic.Int32
	next http.RoundTripper
}

func newCountingTransport() *countingTransport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = true
	return &countingTransport{next: t}
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// errNoNetwork is what refusingTransport answers.
var errNoNetwork = errors.New("reliability: this test sends nothing")

// refusingTransport counts the requests that reach it and sends none of
// them anywhere: a Client built on it with the production endpoints cannot
// touch the internet even if a check it should make is missing.
type refusingTransport struct{ n atomic.Int32 }

func (t *refusingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	if r.Body != nil {
		_ = r.Body.Close()
	}
	return nil, errNoNetwork
}

// bodyFault is how spoilingProxy spoils the body of a real answer.
type bodyFault int

const (
	noBodyFault bodyFault = iota
	// cutBody announces the whole body's length, sends half of it and
	// closes the connection.
	cutBody
	// stallBody sends half the body and then nothing, until the client
	// gives up.
	stallBody
)

// spoilingProxy forwards requests over loopback to a sandbox, which
// processes them, and spoils the body of the first few 2xx answers on the
// wire: the faults that happen after a request took effect and while its
// answer is being read. It stamps every answer with an X-Request-Id, as the
// API's gateway does.
type spoilingProxy struct {
	*httptest.Server
	target string
	fault  bodyFault
	left   atomic.Int32 // answers still to spoil
	ids    atomic.Int32
	hc     *http.Client
}

// newSpoilingProxy starts a proxy to target that spoils the next n 2xx
// answers with fault. Test cleanup closes it.
func newSpoilingProxy(tb testing.TB, target string, fault bodyFault, n int) *spoilingProxy {
	tb.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	p := &spoilingProxy{target: target, fault: fault, hc: &http.Client{Transport: tr}}
	p.left.Store(int32(n))
	p.Server = httptest.NewServer(p)
	tb.Cleanup(func() {
		p.Close()
		tr.CloseIdleConnections()
	})
	return p
}

func (p *spoilingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), r.Body)
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	out.Header = r.Header.Clone()
	resp, err := p.hc.Do(out)
	if err != nil {
		panic(http.ErrAbortHandler) // the sandbox dropped it: so does the proxy
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.Header().Set("X-Request-Id", "req_proxy_"+strconv.Itoa(int(p.ids.Add(1))))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if p.fault == noBodyFault || resp.StatusCode/100 != 2 || p.left.Add(-1) < 0 {
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
		return
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body[:len(body)/2])
	_ = http.NewResponseController(w).Flush()
	if p.fault == stallBody {
		t := time.NewTimer(10 * time.Second) // far past any per-attempt timeout here
		select {
		case <-r.Context().Done():
		case <-t.C:
		}
		t.Stop()
	}
	panic(http.ErrAbortHandler) // close the connection mid-body
}

// dialCountingTransport is net/http's own Transport, keep-alives off, that
// counts its dials: one per attempt that reached the transport. Unlike
// countingTransport, a RoundTripper of the test's, it leaves the SDK on the
// path it takes by default, where a watch bounds each attempt.
func dialCountingTransport() (*http.Transport, *atomic.Int32) {
	var n atomic.Int32
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = true
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		n.Add(1)
		return dialer.DialContext(ctx, network, addr)
	}
	return t, &n
}
