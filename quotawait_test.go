package kryptos

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMaxQuotaWaitBoundsTheCallersOwn429Pause: WithMaxQuotaWait bounds how
// long a call may wait "for its Limiter's quota or a server's 429 pause"
// (options.go; README "Bounded waits"). The call that drew the 429 is held
// to it as much as the other callers of its class: a 429 asking for longer
// is returned at once with RetryAfter set, not slept through (up to
// RetryPolicy.MaxWait, 30 s by default).
func TestMaxQuotaWaitBoundsTheCallersOwn429Pause(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		max     time.Duration
		header  []string
		pause   time.Duration
		retried bool
	}{
		{"a pause longer than the bound", 200 * time.Millisecond, []string{"retry_after", "2"}, 2 * time.Second, false},
		{"a zero bound: any pause", 0, []string{"retry_after", "0.5"}, 500 * time.Millisecond, false},
		{"a pause within the bound", time.Second, []string{"retry_after", "0.05"}, 50 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, n := sequenceServer(t, status(429, tc.header...), grantsOK(t))
			c, err := NewClient("id", "secret", WithSandbox(srv.URL), WithMaxQuotaWait(tc.max),
				WithRetryPolicy(RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Second}))
			require.NoError(t, err)
			start := time.Now()
			_, err = c.ListGrants(context.Background())
			took := time.Since(start)
			if tc.retried {
				require.NoError(t, err)
				assert.Equal(t, int32(2), n.Load())
				return
			}
			require.ErrorIs(t, err, ErrRateLimited, "the 429 is returned")
			var apiErr *Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.pause, apiErr.RetryAfter)
			assert.Equal(t, int32(1), n.Load(), "not sent again")
			assert.Less(t, took, tc.max+300*time.Millisecond, "returned at once, not after the server's %s", tc.pause)
		})
	}
}
