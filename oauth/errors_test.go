package oauth

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// TestAProviderEchoingSecretsGetsThemMasked: an error answer that repeats
// the client secret or the refresh token spent does not carry them into the
// error.
func TestAProviderEchoingSecretsGetsThemMasked(t *testing.T) {
	t.Parallel()
	const secret, refresh = "s3cr3t-client-secret", "rt_not_shaped_like_a_kryptos_token"
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"refresh_token %s of client_secret %s (crt_abc) is spent"}`,
			r.FormValue("refresh_token"), secret)
	}))
	t.Cleanup(provider.Close)
	c, err := New(Config{Provider: Provider{AuthURL: provider.URL + "/auth", TokenURL: provider.URL + "/token"},
		ClientID: "client", ClientSecret: secret, RedirectURL: redirectURL, StateKey: stateKey(t)})
	require.NoError(t, err)

	_, err = c.refresh(ctx, refresh)
	require.ErrorIs(t, err, kryptos.ErrInvalidGrant)
	for _, leaked := range []string{secret, refresh, "crt_abc"} {
		assert.NotContains(t, err.Error(), leaked)
	}
	assert.Contains(t, err.Error(), "is spent", "the rest of the message stays")
}

// TestA429FromTheProviderSaysHowLongToWait: the OIDC endpoints' 429 comes
// in the OAuth shape, and its retry_after reaches Error.RetryAfter.
func TestA429FromTheProviderSaysHowLongToWait(t *testing.T) {
	t.Parallel()
	srv, c := newSandboxOf(t, kryptostest.NewServer(kryptostest.WithRateLimits(kryptostest.RateLimits{kryptos.ClassOIDCToken: {Requests: 1, Per: time.Minute}})))
	in := signIn(t, srv, c, "alex@example.com")

	_, err := c.refresh(ctx, in.Token.RefreshToken)
	require.ErrorIs(t, err, kryptos.ErrRateLimited)
	var e *kryptos.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "rate_limit_exceeded", e.Code)
	assert.Greater(t, e.RetryAfter, time.Duration(0))
}

// TestAClientNeverPrintsItsSecrets: no formatting or log record of a
// Client shows the client secret or the key that seals the state cookies.
func TestAClientNeverPrintsItsSecrets(t *testing.T) {
	t.Parallel()
	srv, c := newSandbox(t)
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("oauth client", "client", c)
	for _, out := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(*c), logged.String()} {
		assert.NotContains(t, out, srv.ClientSecret)
		assert.NotContains(t, out, fmt.Sprint(c.stateKey[:4]))
		assert.Contains(t, out, srv.ClientID)
	}
}

// A 429's wait is read as the Connect calls read it: a number too large
// for a time.Duration is the longest wait, not a negative one (which would
// not pause the class at all), and the longer of the two headers wins.
func TestA429sWaitIsReadAsTheConnectCallsReadIt(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("Retry-After", "1e300")
	assert.Equal(t, time.Duration(math.MaxInt64), retryAfter(h))
	h = http.Header{}
	h.Set("Retry_after", "5")
	h.Set("Retry-After", "30")
	assert.Equal(t, 30*time.Second, retryAfter(h))
	assert.Equal(t, time.Minute, retryAfter(http.Header{}), "a minute when neither says")
}
