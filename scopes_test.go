package kryptos

import (
	"encoding/json"
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

	_, err = ParseScopes("openid wallets:read")
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.EqualError(t, err, `kryptos: invalid scopes: unknown scope "wallets:read"`)
}

func TestEveryDocumentedScopeIsKnown(t *testing.T) {
	t.Parallel()
	resources := []string{"portfolios", "transactions", "balances", "integrations", "defi", "nft", "tax", "accounting", "reports", "workspace", "users"}
	names := "openid profile email offline_access"
	for _, r := range resources {
		names += " " + r + ":read " + r + ":write"
	}
	all, err := ParseScopes(names)
	require.NoError(t, err)
	assert.Len(t, all, 4+2*len(resources))
	consts := Scopes{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeOfflineAccess,
		ScopePortfoliosRead, ScopePortfoliosWrite, ScopeTransactionsRead, ScopeTransactionsWrite,
		ScopeBalancesRead, ScopeBalancesWrite, ScopeIntegrationsRead, ScopeIntegrationsWrite,
		ScopeDeFiRead, ScopeDeFiWrite, ScopeNFTRead, ScopeNFTWrite, ScopeTaxRead, ScopeTaxWrite,
		ScopeAccountingRead, ScopeAccountingWrite, ScopeReportsRead, ScopeReportsWrite,
		ScopeWorkspaceRead, ScopeWorkspaceWrite, ScopeUsersRead, ScopeUsersWrite}
	assert.ElementsMatch(t, all, consts)
	assert.False(t, Scope("wallets:read").Known())
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
		`"transactions:read balances:read"`: {ScopeTransactionsRead, ScopeBalancesRead},
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
