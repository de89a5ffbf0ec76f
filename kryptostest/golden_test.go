package kryptostest

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

// sameShapeAsSample checks that the sandbox's answer to a request has the
// keys and JSON types of the docs' sample. It compares shapes only: values
// come from the sandbox's own portfolio. It returns the answer's body for
// the tests that go on with its values.
func sameShapeAsSample(t *testing.T, sample string, resp *http.Response, opts golden.Options) []byte {
	t.Helper()
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	want, err := golden.Load(sample)
	require.NoError(t, err)
	require.NoError(t, golden.SameShape(want, got, opts), "%s, answered %d: %s", sample, resp.StatusCode, truncate(got))
	return got
}

// get sends a data API request with the user's bearer token.
func get(t *testing.T, srv *Server, token, pathAndQuery string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+pathAndQuery, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	return resp
}

func truncate(b []byte) string {
	s := string(b)
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return strings.TrimSpace(s)
}
