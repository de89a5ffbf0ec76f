package connecthttp

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestATrustedOriginCanCallFromABrowser: Config.TrustedOrigins promises that
// a frontend served from another origin may call the routes "from a
// browser". A browser sends a JSON POST from another origin only after a
// CORS preflight (OPTIONS) that allows it, and hands the answer to the page
// only if it names the origin (and allows credentials, as the routes need
// the app's session cookie). Without those answers the page's
// generateLinkToken fails with "Failed to fetch".
func TestATrustedOriginCanCallFromABrowser(t *testing.T) {
	t.Parallel()
	const origin = "https://app.example.com"
	a := newApp(t, func(c *Config) { c.TrustedOrigins = []string{origin} })

	preflight := func(from string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, a.srv.URL+"/api/kryptos/create-link-token", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", from)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Sec-Fetch-Mode", "cors")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	resp := preflight(origin)
	assert.True(t, resp.StatusCode >= 200 && resp.StatusCode < 300, "preflight status %d", resp.StatusCode)
	assert.Equal(t, origin, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
	assert.Contains(t, http.CanonicalHeaderKey(resp.Header.Get("Access-Control-Allow-Headers")), "Content-Type")

	// The POST itself: its answer must name the origin too.
	req, err := http.NewRequest(http.MethodPost, a.srv.URL+"/api/kryptos/create-link-token", nil)
	require.NoError(t, err)
	req.Header.Set("X-User", "u1")
	req.Header.Set("Origin", origin)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	post, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	post.Body.Close()
	assert.Equal(t, http.StatusOK, post.StatusCode)
	assert.Equal(t, origin, post.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", post.Header.Get("Access-Control-Allow-Credentials"))

	// Any other origin gets no CORS permission.
	resp = preflight("https://evil.example")
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
}
