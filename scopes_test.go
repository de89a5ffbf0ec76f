package kryptos

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseScopes(t *testing.T) {
	t.Parallel()
	got, err := ParseScopes("  openid profile\tportfolios:read openid\n")
	require.NoError(t, err)
	assert.Equal(t, Scopes{ScopeOpenID, ScopeProfile, ScopePortfoliosRead}, got, "order kept, repeats dropped")

	empty, err := ParseScopes("")
	require.NoError(t, err)
	assert.Empty(t, empty)

	future, err := ParseScopes("openid wallets:read")
	require.NoError(t, err, "a well-formed scope the package does not know is kept: the API adds scopes")
	assert.Equal(t, Scopes{ScopeOpenID, "wallets:read"}, future)
	assert.False(t, future[1].Known())

	for _, bad := range []string{`openid "quoted"`, `openid back\slash`, "openid ünïcode", "openid " + strings.Repeat("x", 129)} {
		_, err = ParseScopes(bad)
		require.ErrorIs(t, err, ErrInvalidParams, bad)
		assert.Contains(t, err.Error(), "malformed scope")
	}
}

func TestScopesToSendMustBeWellFormedAndIncludeOpenID(t *testing.T) {
	t.Parallel()
	require.NoError(t, Scopes{ScopeOpenID, "reports:export"}.validate("s"), "an unknown scope is sent as it is")
	for _, bad := range []Scopes{{ScopeProfile}, {ScopeOpenID, ""}, {ScopeOpenID, "two words"}, {ScopeOpenID, "tab\t"}, {ScopeOpenID, `q"`}} {
		assert.ErrorIs(t, bad.validate("s"), ErrInvalidParams, "%q", bad)
	}
	assert.ErrorIs(t, make(Scopes, 300).validate("s"), ErrInvalidParams)
}

func TestEveryDocumentedScopeIsKnown(t *testing.T) {
	t.Parallel()
	resources := []string{"portfolios", "transactions", "integrations", "contacts", "tax", "accounting", "reports", "workspace", "users"}
	names := "openid profile email offline_access"
	for _, r := range resources {
		names += " " + r + ":read " + r + ":write"
	}
	all, err := ParseScopes(names)
	require.NoError(t, err)
	assert.Len(t, all, 4+2*len(resources))
	consts := Scopes{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeOfflineAccess,
		ScopePortfoliosRead, ScopePortfoliosWrite, ScopeTransactionsRead, ScopeTransactionsWrite,
		ScopeIntegrationsRead, ScopeIntegrationsWrite, ScopeContactsRead, ScopeContactsWrite, ScopeTaxRead, ScopeTaxWrite,
		ScopeAccountingRead, ScopeAccountingWrite, ScopeReportsRead, ScopeReportsWrite,
		ScopeWorkspaceRead, ScopeWorkspaceWrite, ScopeUsersRead, ScopeUsersWrite}
	assert.ElementsMatch(t, all, consts)
	assert.False(t, Scope("wallets:read").Known())
	for _, gone := range []Scope{"balances:read", "defi:read", "nft:read"} {
		assert.False(t, gone.Known(), "%s: there is no separate balances, defi or nft scope any more", gone)
	}
}

func TestDefaultScopes(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "openid profile offline_access email portfolios:read transactions:read integrations:read tax:read accounting:read reports:read workspace:read users:read",
		DefaultScopes().String())
	d := DefaultScopes()
	d[0] = "changed"
	assert.Equal(t, ScopeOpenID, DefaultScopes()[0], "each call returns a fresh slice")
	assert.True(t, DefaultScopes().Has(ScopeUsersRead))
	assert.False(t, DefaultScopes().Has(ScopeTaxWrite))
}

func TestScopesJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(struct {
		S Scopes `json:"s"`
	}{Scopes{ScopeOpenID, ScopeEmail}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"s":"openid email"}`, string(b))
	for _, odd := range []Scopes{{`a"b`}, {`back\slash`}, {"ünï"}, {}, nil} {
		b, err := json.Marshal(odd)
		require.NoError(t, err)
		var back Scopes
		require.NoError(t, json.Unmarshal(b, &back), string(b))
		assert.Equal(t, odd.String(), back.String(), "round trip of %q", odd)
	}

	cases := map[string]Scopes{
		`"openid  email future:scope"`:      {ScopeOpenID, ScopeEmail, "future:scope"},
		`["openid", " email ", ""]`:         {ScopeOpenID, ScopeEmail},
		`""`:                                {},
		`null`:                              nil,
		`"transactions:read balances:read"`: {ScopeTransactionsRead, "balances:read"},
		`"openid\u0020email\t\"x\""`:        {ScopeOpenID, ScopeEmail, `"x"`},
	}
	for in, want := range cases {
		var s Scopes
		require.NoError(t, json.Unmarshal([]byte(in), &s), in)
		assert.Equal(t, want, s, in)
	}
	var s Scopes
	assert.Error(t, json.Unmarshal([]byte(`42`), &s))
}
