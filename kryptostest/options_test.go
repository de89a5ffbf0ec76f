package kryptostest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestBadOptionsFailAtConstruction: a bad option must be refused when
// the sandbox is built, not surface later. Before the fix each was accepted:
// WithClock(nil) made every request's handler panic (the client saw EOF
// after its retries); WithCredentials("", "") gave a sandbox that answers
// INVALID_CLIENT to everything and whose Client() panics (and `kryptos
// sandbox --client-id ""` served it); negative WithSyncTimings dated a job's
// end before its start; WithWorkspaceTransactionLimit(-1) read as "no cap"
// and gave Guests their whole history (API.md §2: transactionLimit is "a
// positive integer").
func TestBadOptionsFailAtConstruction(t *testing.T) {
	t.Parallel()
	minusOne, zero := int64(-1), int64(0)
	for name, opt := range map[string]Option{
		"nil clock":             WithClock(nil),
		"empty client id":       WithCredentials("", "secret"),
		"empty client secret":   WithCredentials("id", ""),
		"negative sync timings": WithSyncTimings(-time.Second, time.Second),
		"negative ws limit":     WithWorkspaceTransactionLimit(&minusOne, nil),
		"zero ws limit":         WithWorkspaceTransactionLimit(&zero, nil),
	} {
		t.Run(name, func(t *testing.T) {
			var srv *Server
			if !assert.Panics(t, func() { srv = NewServer(opt) }, "NewServer accepted it") {
				srv.Close()
			}
			srv, err := Listen("127.0.0.1:0", opt)
			if !assert.Error(t, err, "Listen accepted it") {
				srv.Close()
			}
		})
	}
}
