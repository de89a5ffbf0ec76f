package kryptostest

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

func TestDeFiMetadataThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	user, token := defiUser(t, srv)

	var visible []kryptos.DeFiProtocol
	before := srv.Stats().ByRoute["GET /v1/defi-metadata"]
	for p, err := range user.ListDeFiMetadata(ctx, kryptos.DeFiMetadataParams{Limit: 4}) {
		require.NoError(t, err)
		visible = append(visible, p)
	}
	require.Len(t, visible, 14, "the dozen and more visible protocols; the spam one is hidden")
	assert.Equal(t, 4, srv.Stats().ByRoute["GET /v1/defi-metadata"]-before, "pages of four: 4+4+4+2")
	for i, p := range visible {
		assert.True(t, p.IsVisible, p.ID)
		assert.NotEmpty(t, p.Name)
		assert.NotEmpty(t, p.Chains, p.ID)
		assert.NotEmpty(t, p.Tags, p.ID)
		assert.NotEmpty(t, p.Raw, p.ID)
		if i > 0 {
			assert.GreaterOrEqual(t, visible[i-1].TVL, p.TVL, "by TVL, descending: the documented default")
		}
	}

	// Every protocol a position names is in the catalogue.
	for pos, err := range user.ListDeFi(ctx, kryptos.DeFiParams{IncludeSpam: defiFlag(true)}) {
		require.NoError(t, err)
		p, err := user.GetDeFiMetadata(ctx, pos.ProtocolID)
		require.NoError(t, err, pos.ProtocolID)
		assert.Equal(t, pos.ProtocolName, p.Name)
		assert.Contains(t, p.Chains, pos.Chain)
		assert.True(t, p.IsSupportPortfolio, p.ID)
	}
	aave, err := user.GetDeFiMetadata(ctx, "aave-v3")
	require.NoError(t, err)
	assert.Equal(t, visible[slices.IndexFunc(visible, func(p kryptos.DeFiProtocol) bool { return p.ID == "aave-v3" })], *aave)
	_, err = user.GetDeFiMetadata(ctx, "no-such-protocol")
	require.ErrorIs(t, err, kryptos.ErrNotFound)
	var apiErr *kryptos.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Protocol not found", apiErr.Message)

	ids := func(p kryptos.DeFiMetadataParams) []string {
		var out []string
		for proto, err := range user.ListDeFiMetadata(ctx, p) {
			require.NoError(t, err)
			out = append(out, proto.ID)
		}
		return out
	}
	keep := func(f func(kryptos.DeFiProtocol) bool) []string {
		var out []string
		for _, p := range visible {
			if f(p) {
				out = append(out, p.ID)
			}
		}
		return out
	}
	tests := []struct {
		name   string
		params kryptos.DeFiMetadataParams
		want   []string
	}{
		{"by id", kryptos.DeFiMetadataParams{ID: "lido"}, []string{"lido"}},
		{"by name, any case", kryptos.DeFiMetadataParams{Name: "uNiSwAp"}, []string{"uniswap-v3"}},
		{"by chain", kryptos.DeFiMetadataParams{Chain: "solana"},
			keep(func(p kryptos.DeFiProtocol) bool { return slices.Contains(p.Chains, "solana") })},
		{"by any of the tags", kryptos.DeFiMetadataParams{Tags: []string{"lending", "perpetuals"}},
			keep(func(p kryptos.DeFiProtocol) bool {
				return slices.Contains(p.Tags, "lending") || slices.Contains(p.Tags, "perpetuals")
			})},
		{"without portfolio support", kryptos.DeFiMetadataParams{IsSupportPortfolio: defiFlag(false)}, []string{"convex"}},
		{"with portfolio support", kryptos.DeFiMetadataParams{IsSupportPortfolio: defiFlag(true)},
			keep(func(p kryptos.DeFiProtocol) bool { return p.ID != "convex" })},
		{"the hidden ones", kryptos.DeFiMetadataParams{IsVisible: defiFlag(false)}, []string{"claim-rewards-xyz"}},
		{"the visible ones, said", kryptos.DeFiMetadataParams{IsVisible: defiFlag(true)}, keep(func(kryptos.DeFiProtocol) bool { return true })},
		{"nothing matches", kryptos.DeFiMetadataParams{Chain: "bitcoin"}, nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ids(tt.params), tt.name)
	}

	orders := []struct {
		sort  kryptos.DeFiProtocolSort
		order kryptos.DeFiProtocolOrder
		less  func(a, b kryptos.DeFiProtocol) bool // a must not come after b
	}{
		{kryptos.DeFiProtocolsByTVL, kryptos.DeFiProtocolsAscending, func(a, b kryptos.DeFiProtocol) bool { return a.TVL <= b.TVL }},
		{kryptos.DeFiProtocolsByPriority, "", func(a, b kryptos.DeFiProtocol) bool { return a.Priority >= b.Priority }},
		{kryptos.DeFiProtocolsByPriority, kryptos.DeFiProtocolsAscending, func(a, b kryptos.DeFiProtocol) bool { return a.Priority <= b.Priority }},
		{kryptos.DeFiProtocolsByName, kryptos.DeFiProtocolsAscending, func(a, b kryptos.DeFiProtocol) bool {
			return strings.ToLower(a.Name) <= strings.ToLower(b.Name)
		}},
		{kryptos.DeFiProtocolsByName, kryptos.DeFiProtocolsDescending, func(a, b kryptos.DeFiProtocol) bool {
			return strings.ToLower(a.Name) >= strings.ToLower(b.Name)
		}},
		{kryptos.DeFiProtocolsByUserCount, "", func(a, b kryptos.DeFiProtocol) bool { return a.TotalUserCount >= b.TotalUserCount }},
	}
	for _, o := range orders {
		page, err := user.ListDeFiMetadataPage(ctx, kryptos.DeFiMetadataParams{SortBy: o.sort, SortOrder: o.order, Limit: 200})
		require.NoError(t, err)
		require.Len(t, page.Items, len(visible))
		for i := 1; i < len(page.Items); i++ {
			assert.True(t, o.less(page.Items[i-1], page.Items[i]), "%s %s: %s before %s", o.sort, o.order, page.Items[i-1].ID, page.Items[i].ID)
		}
	}
	byName, err := user.ListDeFiMetadataPage(ctx, kryptos.DeFiMetadataParams{SortBy: kryptos.DeFiProtocolsByName, SortOrder: kryptos.DeFiProtocolsAscending, Offset: 12, Limit: 5})
	require.NoError(t, err)
	assert.Len(t, byName.Items, 2, "the last two of 14")
	assert.Equal(t, 14, byName.Total)
	assert.False(t, byName.HasNext())

	// The catalogue's own paging shape, and its refusals.
	status, body := defiAnswer(t, srv, token, "/v1/defi-metadata?offset=2&limit=3")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, map[string]any{"limit": 3.0, "offset": 2.0, "total": 14.0}, body["pagination"])
	assert.NotContains(t, body, "hasMore")
	_, body = defiAnswer(t, srv, token, "/v1/defi-metadata")
	assert.Equal(t, 50.0, body["pagination"].(map[string]any)["limit"], "the default page size")
	for _, path := range []string{"?limit=201", "?limit=0", "?sortBy=age", "?sortOrder=up", "?isVisible=1", "?isSupportPortfolio=yes"} {
		status, body := defiAnswer(t, srv, token, "/v1/defi-metadata"+path)
		assert.Equal(t, http.StatusBadRequest, status, path)
		assert.Equal(t, "VALIDATION_ERROR", body["code"], path)
	}
}
