package kryptos

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListCounterPartiesDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	sent := answerAndKeepQueries(api, http.MethodGet, "/v1/counter-parties", reply(200, golden(t, "counterparties.list.json")))
	page, err := api.user().ListCounterPartiesPage(context.Background(), CounterPartiesParams{})
	require.NoError(t, err)
	first := time.Date(2026, 1, 4, 11, 2, 0, 0, time.UTC)
	last := time.Date(2026, 8, 13, 9, 14, 22, 0, time.UTC)
	assert.Equal(t, []CounterParty{{
		ID: "cp_31c9", Address: "0x28C6c06298d514Db089934071355E5743bf21d60",
		AddressNormalized: "0x28c6c06298d514db089934071355e5743bf21d60", ChainName: "ethereum",
		ChainPublicName: "Ethereum", ChainLogo: "https://...", Name: "Binance 14", Logo: "https://...",
		IsExchangeAddress: true, PlatformExchangeID: "binance", IsSmartContract: false, PlatformSmartContractID: "",
		Identified: true, Ignored: false, IsLinkedToContact: false, ContactID: "", TransactionCount: 42,
		FirstSeenAt: first, LastSeenAt: last, CreatedAt: first, UpdatedAt: last,
	}}, page.Items)
	assert.Equal(t, 216, page.Total)
	assert.True(t, page.HasNext(), "no hasMore: page 1 of 50 is short of 216")
	assert.Equal(t, url.Values{"page": {"1"}}, sent.last(t))
	req := api.rec.last(t)
	assert.Equal(t, "/v1/counter-parties", req.Path, "hyphenated, unlike v1")
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"))
	assert.Equal(t, ScopeContactsRead, opListCounterParties.scope)
}

func TestListCounterPartiesSendsStringBooleansAndFollowsThePages(t *testing.T) {
	t.Parallel()
	cp := func(id string) string {
		return `{"id":"` + id + `","address":"0xabc","identified":false,"ignored":true}`
	}
	cases := []struct {
		name   string
		params CounterPartiesParams
		want   url.Values
	}{
		{"resolved and not ignored", CounterPartiesParams{Resolved: Ptr(true), Ignored: Ptr(false), Limit: 2},
			url.Values{"resolved": {"true"}, "ignored": {"false"}, "limit": {"2"}}},
		{"unresolved, ignored, by type and text", CounterPartiesParams{Resolved: Ptr(false), Ignored: Ptr(true),
			Type: CounterPartyProtocol, Search: "uniswap", Limit: 2},
			url.Values{"resolved": {"false"}, "ignored": {"true"}, "type": {"protocol"}, "search": {"uniswap"}, "limit": {"2"}}},
		{"exchanges only", CounterPartiesParams{Type: CounterPartyExchange, Limit: 2},
			url.Values{"type": {"exchange"}, "limit": {"2"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			sent := answerAndKeepQueries(api, http.MethodGet, "/v1/counter-parties", func(req *http.Request) (*http.Response, error) {
				if req.URL.Query().Get("page") == "2" {
					return reply(200, `{"success":true,"data":[`+cp("c")+`],"meta":{"total":3,"page":2,"limit":2}}`)(req)
				}
				return reply(200, `{"success":true,"data":[`+cp("a")+`,`+cp("b")+`],"meta":{"total":3,"page":1,"limit":2}}`)(req)
			})
			all := collect(t, api.user().ListCounterParties(context.Background(), tc.params))
			require.Len(t, all, 3, "meta's total ends the list: no third call")
			assert.Equal(t, CounterParty{ID: "c", Address: "0xabc", Ignored: true}, all[2])
			assert.Equal(t, []url.Values{withPaging(tc.want, "page", "1"), withPaging(tc.want, "page", "2")}, sent.list())
		})
	}
}

func TestListCounterPartiesAsksForLargePagesAndRefusesBadParams(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	sent := answerAndKeepQueries(api, http.MethodGet, "/v1/counter-parties", reply(200, `{"success":true,"data":[],"meta":{"total":0,"page":1,"limit":200}}`))
	assert.Empty(t, collect(t, api.user().ListCounterParties(context.Background(), CounterPartiesParams{})))
	assert.Equal(t, url.Values{"page": {"1"}, "limit": {"200"}}, sent.last(t))
	_, err := api.user().ListCounterPartiesPage(context.Background(), CounterPartiesParams{Limit: 200})
	require.NoError(t, err, "200 is the documented maximum")

	calls := api.rec.count()
	for _, p := range []CounterPartiesParams{{Limit: 201}, {Limit: -1}, {Page: -1}, {Type: "wallet"}} {
		_, err := api.user().ListCounterPartiesPage(context.Background(), p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		for _, err := range api.user().ListCounterParties(context.Background(), p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		}
	}
	assert.Equal(t, calls, api.rec.count())

	api.onData(http.MethodGet, "/v1/counter-parties", reply(403, `{"error":"insufficient_scope","error_description":"Missing: contacts:read"}`))
	_, err = api.user().ListCounterPartiesPage(context.Background(), CounterPartiesParams{})
	require.ErrorIs(t, err, ErrInsufficientScope)
}
