package httpcore

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPooledTransportKeepsEnoughIdleConnections(t *testing.T) {
	t.Parallel()
	tr := PooledTransport(http.DefaultTransport.(*http.Transport))
	assert.GreaterOrEqual(t, tr.MaxIdleConnsPerHost, 64)
	assert.NotSame(t, http.DefaultTransport, tr)
	assert.NotNil(t, tr.Proxy, "proxies from the environment are honoured")
}

// TestDefaultTransportFollowsHTTPDefaultTransport replaces the process-wide
// http.DefaultTransport, as httpmock.Activate does, so it does not run in
// parallel with other tests.
func TestDefaultTransportFollowsHTTPDefaultTransport(t *testing.T) {
	var seen int
	swapped := roundTrip(func(r *http.Request) (*http.Response, error) {
		seen++
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{}`)), Request: r}, nil
	})
	original := http.DefaultTransport
	http.DefaultTransport = swapped
	t.Cleanup(func() { http.DefaultTransport = original })

	c := newCore(t, func(cfg *Config) { cfg.Transport = DefaultTransport() })
	_, err := c.Do(context.Background(), get("http://kryptos.invalid", Idempotent), nil)
	require.NoError(t, err)
	assert.Equal(t, 1, seen, "the request went through the replaced default transport")
}
