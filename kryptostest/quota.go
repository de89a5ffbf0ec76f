package kryptostest

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// The sandbox counts requests the way the API documents its limits: per
// client ID and quota class, at most Requests in any window of length Per.
// This is its own bookkeeping, kept apart from the client's limiter so that
// a mistake in one shows up against the other.

// counter holds the arrival times of the requests one client made in one
// class during the last window, oldest first.
type counter struct {
	arrivals []time.Time
}

// take counts a request arriving at now against q. It reports how long
// until the oldest counted request leaves the window when the quota is
// full; the request is then refused and not counted.
func (c *counter) take(q kryptos.Quota, now time.Time) (ok bool, retryAfter time.Duration) {
	start := now.Add(-q.Per)
	kept := c.arrivals[:0]
	for _, t := range c.arrivals {
		if t.After(start) {
			kept = append(kept, t)
		}
	}
	c.arrivals = kept
	if len(c.arrivals) >= q.Requests {
		return false, c.arrivals[len(c.arrivals)-q.Requests].Sub(start)
	}
	c.arrivals = append(c.arrivals, now)
	return true, 0
}

// admit applies the client's quota for class to one request, answering the
// 429 itself when the quota is full. The caller holds s.mu.
func (s *Server) admit(w http.ResponseWriter, clientID string, class kryptos.QuotaClass) bool {
	return s.admitShaped(w, clientID, class, false)
}

// admitData is admit for a data API request: the 429 of the transactions
// and ledgers family is in its nested shape (DATA-API.md §2.1, §3.3).
func (s *Server) admitData(w http.ResponseWriter, r *http.Request, clientID string) bool {
	return s.admitShaped(w, clientID, kryptos.ClassData, nestedFamily(r.URL.Path))
}

func (s *Server) admitShaped(w http.ResponseWriter, clientID string, class kryptos.QuotaClass, nested bool) bool {
	q, ok := s.cfg.limits[class]
	if !ok || q.Requests <= 0 || q.Per <= 0 {
		return true
	}
	key := clientID + "|" + string(class)
	c := s.state.counters[key]
	if c == nil {
		c = &counter{}
		s.state.counters[key] = c
	}
	ok, wait := c.take(q, s.cfg.clock.Now())
	if ok {
		return true
	}
	s.stats.RateLimited++
	secs := strconv.Itoa(int(math.Ceil(wait.Seconds())))
	w.Header().Set("retry_after", secs)
	w.Header().Set("Retry-After", secs)
	text := "Rate limit exceeded: " + strconv.Itoa(q.Requests) + " requests per " + q.Per.String()
	switch {
	case class == kryptos.ClassOIDCToken, class == kryptos.ClassOIDCUserInfo, class == kryptos.ClassOIDCOther:
		// The OIDC endpoints answer every error in the OAuth shape
		// (OAUTH.md); the docs name no code for a 429, so this one is the
		// sandbox's.
		writeOAuthError(w, http.StatusTooManyRequests, "rate_limit_exceeded", text)
	case nested:
		writeNested(w, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", text)
	default:
		writeError(w, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", text)
	}
	return false
}
