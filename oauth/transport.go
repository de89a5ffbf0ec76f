package oauth

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// quotaTransport holds each request to the provider to its OIDC quota
// class: the token endpoint, userinfo, or the others (OAUTH.md). A 429 from
// the provider pauses the whole class for its retry_after.
type quotaTransport struct {
	next     http.RoundTripper
	limiter  kryptos.Limiter
	provider Provider
	logger   *slog.Logger
}

func (t *quotaTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	class := t.classOf(req)
	if err := t.limiter.Wait(req.Context(), class, -1); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		wait := retryAfter(resp.Header)
		t.logger.Warn("kryptos oauth: the provider asked to slow down; calls of this class wait",
			slog.String("class", string(class)), slog.Duration("wait", wait))
		t.limiter.Backoff(req.Context(), class, wait)
	}
	return resp, err
}

func (t *quotaTransport) classOf(req *http.Request) kryptos.QuotaClass {
	u := req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
	switch {
	case sameEndpoint(u, t.provider.TokenURL):
		return kryptos.ClassOIDCToken
	case sameEndpoint(u, t.provider.UserInfoURL):
		return kryptos.ClassOIDCUserInfo
	}
	return kryptos.ClassOIDCOther
}

func sameEndpoint(a, b string) bool {
	return b != "" && strings.TrimRight(a, "/") == strings.TrimRight(strings.SplitN(b, "?", 2)[0], "/")
}

// retryAfter reads the wait a 429 asks for from retry_after (the docs'
// header) or Retry-After, the longer when both come, as the Connect calls
// read it; a minute when neither says.
func retryAfter(h http.Header) time.Duration {
	if wait, ok := httpcore.RetryAfter(h, time.Now()); ok {
		return wait
	}
	return time.Minute
}
