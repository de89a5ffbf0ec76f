package httpcore

import (
	"net/http"
)

// PooledTransport returns the transport a Client uses when the caller brings
// none: net/http's defaults (proxy from the environment, HTTP/2, dial and TLS
// timeouts), with an idle pool large enough that concurrent callers reuse
// connections to the API host instead of opening new ones. The stock
// transport keeps only 2 idle connections per host.
func PooledTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	return t
}
