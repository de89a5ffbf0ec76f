package kryptos

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTheOperationTableIsWhole checks every row: a unique name, a method, a
// path below its API, and a credential that fits its API.
func TestTheOperationTableIsWhole(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, op := range operations {
		assert.False(t, seen[op.name], "%s twice", op.name)
		seen[op.name] = true
		assert.Contains(t, []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete}, op.method, op.name)
		assert.True(t, strings.HasPrefix(op.path, "/"), op.name)
		switch op.api {
		case connectAPI:
			assert.Equal(t, byClient, op.auth, "%s: Connect calls carry the client's credentials", op.name)
			assert.Empty(t, op.scope, op.name)
		case dataAPI:
			assert.NotEqual(t, byClient, op.auth, "%s: the client secret never goes to the data API", op.name)
			assert.True(t, strings.HasPrefix(op.path, "/v1/"), op.name)
		}
		if op.policy == oneShot {
			assert.NotEmpty(t, op.advice, "%s: a one-time operation says what to do when its outcome is unknown", op.name)
		}
	}
	assert.GreaterOrEqual(t, len(operations), 9)
}

func TestOperationURLsEscapeTheirParameters(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "https://x/developer/integrations/a%20b%2Fc/resync",
		opResyncIntegration.url("https://x", []string{"a b/c"}, nil))
	assert.Equal(t, "https://x/v1/integrations?page=2&q=%C3%A9+t",
		opListIntegrations.url("https://x", nil, url.Values{"q": {"é t"}, "page": {"2"}}))
	assert.Panics(t, func() { opResyncIntegration.url("https://x", nil, nil) }, "a missing parameter is a bug in the method")
	assert.Panics(t, func() { opListGrants.url("https://x", []string{"extra"}, nil) })
}
