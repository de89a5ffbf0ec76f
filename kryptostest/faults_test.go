package kryptostest

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

// TestFaultsHappenBeforeOrAfterTheEffect exchanges a public token under each
// kind of fault and checks both what the client saw and whether the token
// was consumed at the server.
func TestFaultsHappenBeforeOrAfterTheEffect(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		fault     Fault
		consumed  bool // the server exchanged the token
		unknown   bool // the SDK says it cannot know
		status    int
		errorCode string
	}{
		{"drop before processing", Fault{Drop: true}, false, true, 0, ""},
		{"drop after processing", Fault{Drop: true, AfterProcessing: true}, true, true, 0, ""},
		{"500 envelope", Fault{Status: 500, Code: "INTERNAL_ERROR", Message: "boom"}, false, true, 500, "INTERNAL_ERROR"},
		{"502 proxy page after processing", Fault{Status: 502, Body: "<html>Bad Gateway</html>", AfterProcessing: true}, true, true, 502, ""},
		{"truncated JSON", Fault{Truncate: true}, true, true, 200, ""},
		{"oversized body", Fault{Pad: 11 << 20}, true, true, 200, ""},
		{"success:false on a 200", Fault{Status: 200, Code: "TOKEN_EXPIRED", Message: "expired"}, false, false, 200, "TOKEN_EXPIRED"},
		{"401 with no body", Fault{Status: 401}, false, false, 401, ""},
		{"unknown code", Fault{Status: 418, Code: "BRAND_NEW", Message: "new"}, false, false, 418, "BRAND_NEW"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := NewServer()
			defer srv.Close()
			c := srv.Client(fast...)
			lt, _ := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
			public, _ := srv.CompleteLink(lt.Token, LinkUser{Guest: true})
			srv.FailNext("/token/exchange", 1, tc.fault)

			_, err := c.ExchangePublicToken(ctx, public)
			require.Error(t, err)
			assert.Equal(t, tc.unknown, errors.Is(err, kryptos.ErrOutcomeUnknown), "%v", err)
			if tc.status != 0 {
				var apiErr *kryptos.Error
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tc.status, apiErr.StatusCode)
				assert.Equal(t, tc.errorCode, apiErr.Code)
			}
			consumed := 0
			if tc.consumed {
				consumed = 1
			}
			st := srv.Stats()
			assert.Equal(t, consumed, st.TokensExchanged)
			assert.Equal(t, 1, st.ByRoute["POST /token/exchange"], "a one-shot call is never repeated after such a fault")
			assert.Equal(t, 1, st.FaultsInjected)

			// Where the token was not consumed, it still works.
			_, err = c.ExchangePublicToken(ctx, public)
			if tc.consumed {
				require.ErrorIs(t, err, kryptos.ErrTokenAlreadyUsed)
			} else {
				require.NoError(t, err)
			}
		})
	}
}

func TestIdempotentCallsRecoverFromInjectedFaults(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true})
	srv.FailNext("/link-token/check-session", 1, Fault{Drop: true})
	srv.FailNext("/link-token/check-session", 1, Fault{Status: 503, Header: http.Header{"Retry-After": {"0"}}})
	s, err := c.CheckSession(ctx, g.AccessToken.Reveal())
	require.NoError(t, err)
	assert.True(t, s.Valid)
	assert.Equal(t, 3, srv.Stats().ByRoute["POST /link-token/check-session"])
}

func TestDelayAndRetryAfterFaults(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(append(fast, kryptos.WithTimeout(30*time.Millisecond))...)
	srv.FailNext("/token/grants", 3, Fault{Delay: time.Second})
	start := time.Now()
	_, err := c.ListGrants(ctx)
	require.ErrorIs(t, err, kryptos.ErrAttemptTimeout)
	assert.Less(t, time.Since(start), time.Second)

	// The rest on a server of its own: an attempt given up above may still
	// reach the first one late, and take a fault queued for a later call.
	srv = NewServer()
	defer srv.Close()
	c = srv.Client(fast...)
	srv.FailNext("", 1, Fault{Status: 429, Code: "RATE_LIMIT_EXCEEDED", Message: "slow", Header: http.Header{"retry_after": {"7200"}}})
	_, err = c.ListGrants(ctx)
	var apiErr *kryptos.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 2*time.Hour, apiErr.RetryAfter)

	// A client of its own: c waits out the 429's two hours.
	srv.FailNext("/token/grants", 1, Fault{Delay: 5 * time.Millisecond})
	_, err = srv.Client(fast...).ListGrants(ctx)
	require.NoError(t, err, "a short delay is just slow")
}

func TestRandomFaultsAreSeededAndStop(t *testing.T) {
	t.Parallel()
	count := func(seed uint64) int {
		srv := NewServer()
		defer srv.Close()
		srv.InjectRandomFaults(seed, 0.3, Fault{Status: 500, Code: "INTERNAL_ERROR", Message: "x"})
		c := srv.Client(kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 0}))
		failures := 0
		for range 200 {
			if _, err := c.ListGrants(ctx); err != nil {
				failures++
			}
		}
		srv.InjectRandomFaults(0, 0)
		_, err := c.ListGrants(ctx)
		require.NoError(t, err, "a rate of 0 stops the faults")
		assert.Equal(t, failures, srv.Stats().FaultsInjected)
		return failures
	}
	first := count(42)
	assert.Equal(t, first, count(42), "the same seed gives the same run")
	assert.InDelta(t, 60, first, 25)
}

// TestAFaultWithAnImpossibleStatusIsRefusedWhenQueued: Fault.Status
// "answers with this status". A status net/http cannot write (outside
// 100-999, such as a typo 5003) was queued without a word, then panicked in
// the handler of the request it hit ("invalid WriteHeader code"): the
// client saw a dropped connection, the test a Drop it never asked for.
func TestAFaultWithAnImpossibleStatusIsRefusedWhenQueued(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	assert.Panics(t, func() { srv.FailNext("/v1/providers", 1, Fault{Status: 5003}) }, "FailNext")
	assert.Panics(t, func() { srv.InjectRandomFaults(1, 1, Fault{Status: 42}) }, "InjectRandomFaults")
	// Nothing was queued: the request gets its real answer.
	resp, err := http.Get(srv.URL + "/v1/providers")
	if assert.NoError(t, err, "the fault broke the connection") {
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
}
