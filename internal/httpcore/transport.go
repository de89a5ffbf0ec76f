package httpcore

import (
	"net/http"
	"sync"
)

// DefaultTransport returns the transport a Client uses when the caller
// brings none. Like an http.Client with a nil Transport, it sends through
// http.DefaultTransport as it is at the time of each request, so that
// httpmock.Activate, or a program that wraps the default transport for
// tracing, sees the SDK's requests too. While http.DefaultTransport is
// still net/http's own *http.Transport, it uses a copy of it with an idle
// pool large enough that concurrent callers reuse connections to the API
// host instead of opening new ones (the stock transport keeps only 2 idle
// connections per host).
func DefaultTransport() http.RoundTripper { return followDefault{} }

type followDefault struct{}

// std is the transport net/http installed as http.DefaultTransport, and
// pooled its copy; both are read once, when first needed.
var (
	stdOnce sync.Once
	std     http.RoundTripper
	pooled  *http.Transport
)

func (f followDefault) RoundTrip(req *http.Request) (*http.Response, error) {
	return f.resolve().RoundTrip(req)
}

// resolve returns the transport a request sent now goes through.
func (followDefault) resolve() http.RoundTripper {
	stdOnce.Do(func() {
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			std, pooled = t, PooledTransport(t)
		}
	})
	current := http.DefaultTransport
	if current == std {
		return pooled
	}
	return current
}

// PooledTransport returns a copy of t that keeps up to 256 idle connections
// per host.
func PooledTransport(t *http.Transport) *http.Transport {
	c := t.Clone()
	c.MaxIdleConns = 256
	c.MaxIdleConnsPerHost = 256
	return c
}
