package kryptostest

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

// withContacts is the default scope set plus contacts:read, which a
// client must ask for.
// withContacts is the default scopes and contacts:read, past the openid
// that connectGranting adds.
func withContacts() kryptos.Scopes {
	return append(slices.DeleteFunc(kryptos.DefaultScopes(), func(s kryptos.Scope) bool { return s == kryptos.ScopeOpenID }), kryptos.ScopeContactsRead)
}

// visibleOf returns what the data API shows of the user's transactions,
// with their integrations, read from the sandbox's state.
func visibleOf(srv *Server, workspaceID string) []userTx {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for _, u := range srv.state.users {
		if u.workspace.id == workspaceID {
			return srv.transactions(u, srv.cfg.clock.Now())
		}
	}
	return nil
}

func TestContactAndCounterPartyAnswersHaveTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	g := connectGranting(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet, solanaTestWallet}}, withContacts()...)
	token := g.AccessToken.Reveal()
	sameShapeAsSample(t, "contacts.get.404.json", get(t, srv, token, "/v1/contacts/ct_unknown"), golden.Options{})
	// §5.16's item: name str?, logo str?, platformExchangeId str? (null
	// for addresses nobody identified, or that are not an exchange's).
	sameShapeAsSample(t, "counterparties.list.json", get(t, srv, token, "/v1/counter-parties"), golden.Options{
		Nullable: []string{"data[].name", "data[].logo", "data[].platformExchangeId"}})
}

func TestContactsThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connectGranting(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}}, withContacts()...)
	user := c.User(g.Credential())

	var all []kryptos.Contact
	for ct, err := range user.ListContacts(ctx, kryptos.ContactsParams{Limit: 2}) {
		require.NoError(t, err)
		all = append(all, ct)
	}
	require.Len(t, all, len(contactBook), "three pages of two")
	var names []string
	for _, ct := range all {
		names = append(names, ct.Name)
		one, err := user.GetContact(ctx, ct.ID)
		require.NoError(t, err)
		assert.Equal(t, ct, *one)
	}
	assert.Equal(t, []string{"Acme Hosting GmbH", "Alice Martin", "Bob Okafor", "Chen Wei", "Northwind Design Ltd"}, names, "by name")
	northwind := all[4]
	assert.Equal(t, kryptos.Contact{ID: northwind.ID, Name: "Northwind Design Ltd", Type: kryptos.ContactCompany,
		Socials: kryptos.ContactSocials{Email: "billing@northwind.example", Telegram: "@northwind"},
		ResidentialAddress: kryptos.PostalAddress{Country: "GB", State: "England", City: "London", Postcode: "EC1A 1BB",
			Address1: "1 King Street", Address2: "Floor 3"},
		MobileNumber: "+44 20 7946 0000", VAT: "GB123456789", Terms: kryptos.ContactTerms{Payment: "net30", OverduesInterest: 1.5},
	}, northwind)
	assert.Equal(t, kryptos.ContactIndividual, all[1].Type)

	page, err := user.ListContactsPage(ctx, kryptos.ContactsParams{Search: "LTD"})
	require.NoError(t, err)
	assert.Equal(t, []kryptos.Contact{northwind}, page.Items)
	assert.Equal(t, 1, page.Total)
	page, err = user.ListContactsPage(ctx, kryptos.ContactsParams{})
	require.NoError(t, err)
	assert.Len(t, page.Items, len(contactBook))
	assert.False(t, page.HasNext())

	_, err = user.GetContact(ctx, "ct_unknown")
	require.ErrorIs(t, err, kryptos.ErrNotFound)
	var apiErr *kryptos.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Contact not found", apiErr.Message)

	// Another user's contact is not this user's.
	other := connectGranting(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}}, withContacts()...)
	_, err = c.User(other.Credential()).GetContact(ctx, northwind.ID)
	require.ErrorIs(t, err, kryptos.ErrNotFound)

	// A user without integrations has no address book yet.
	empty := connectGranting(t, srv, c, LinkUser{Guest: true}, withContacts()...)
	page, err = c.User(empty.Credential()).ListContactsPage(ctx, kryptos.ContactsParams{})
	require.NoError(t, err)
	assert.Empty(t, page.Items)
	assert.Equal(t, 0, page.Total)

	status, _, body := raw(t, srv, http.MethodGet, "/v1/contacts?limit=500", map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, map[string]any{"total": float64(len(contactBook)), "page": 1.0, "limit": 100.0}, body["meta"], "clamped to 100")
	status, _, body = raw(t, srv, http.MethodGet, "/v1/contacts", map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}, "")
	require.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 20, body["meta"].(map[string]any)["limit"], "20 by default")
}

func TestContactsAndCounterPartiesNeedContactsRead(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet}}) // the default scopes
	user := c.User(g.Credential())
	_, err := user.ListContactsPage(ctx, kryptos.ContactsParams{})
	require.ErrorIs(t, err, kryptos.ErrInsufficientScope)
	assert.Contains(t, err.Error(), "Missing: contacts:read")
	_, err = user.GetContact(ctx, "ct_any")
	require.ErrorIs(t, err, kryptos.ErrInsufficientScope)
	for _, err := range user.ListCounterParties(ctx, kryptos.CounterPartiesParams{}) {
		require.ErrorIs(t, err, kryptos.ErrInsufficientScope)
	}
}

func TestCounterPartiesThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connectGranting(t, srv, c, LinkUser{Guest: true, Wallets: []Wallet{ethWallet, solanaTestWallet}}, withContacts()...)
	user := c.User(g.Credential())

	var all []kryptos.CounterParty
	for cp, err := range user.ListCounterParties(ctx, kryptos.CounterPartiesParams{Limit: 4}) {
		require.NoError(t, err)
		all = append(all, cp)
	}
	first, err := user.ListCounterPartiesPage(ctx, kryptos.CounterPartiesParams{})
	require.NoError(t, err)
	require.Len(t, all, first.Total, "pages of four add up to the total")
	require.Greater(t, len(all), 10)

	// Every transaction but the transfers between own accounts has one
	// counter-party: the counts add up to them.
	counted := 0
	for _, tx := range visibleOf(srv, g.WorkspaceID) {
		if tx.tx.typ != "transfer" {
			counted++
		}
	}
	sum, ids := 0, map[string]bool{}
	for i, cp := range all {
		sum += cp.TransactionCount
		assert.False(t, ids[cp.ID], "%s listed twice", cp.ID)
		ids[cp.ID] = true
		assert.True(t, strings.HasPrefix(cp.ID, "cp_"))
		assert.Equal(t, strings.ToLower(cp.Address), cp.AddressNormalized)
		assert.Contains(t, []string{"Ethereum", "Solana"}, cp.ChainPublicName)
		assert.False(t, cp.LastSeenAt.Before(cp.FirstSeenAt))
		assert.Equal(t, cp.FirstSeenAt, cp.CreatedAt)
		assert.Positive(t, cp.TransactionCount)
		if i > 0 {
			assert.LessOrEqual(t, cp.TransactionCount, all[i-1].TransactionCount, "the most active first")
		}
		assert.Equal(t, cp.IsExchangeAddress, cp.PlatformExchangeID != "")
		assert.Equal(t, cp.IsLinkedToContact, cp.ContactID != "")
		if cp.IsLinkedToContact {
			contact, err := user.GetContact(ctx, cp.ContactID)
			require.NoError(t, err)
			assert.Equal(t, contact.Name, cp.Name, "a payee named after its contact")
			assert.True(t, cp.Identified)
		}
	}
	assert.Equal(t, counted, sum)

	// The sample's Binance hot wallet is among them: Ethereum deposits come
	// from exchanges.
	page, err := user.ListCounterPartiesPage(ctx, kryptos.CounterPartiesParams{Search: "0x28c6c06298d514db"})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	binance := page.Items[0]
	assert.Equal(t, kryptos.CounterParty{ID: binance.ID, Address: "0x28C6c06298d514Db089934071355E5743bf21d60",
		AddressNormalized: "0x28c6c06298d514db089934071355e5743bf21d60", ChainName: "ethereum", ChainPublicName: "Ethereum",
		ChainLogo: "https://sandbox.kryptos.invalid/chains/ethereum.png", Name: "Binance 14", Logo: providerByID("binance").logo(),
		IsExchangeAddress: true, PlatformExchangeID: "binance", Identified: true, TransactionCount: binance.TransactionCount,
		FirstSeenAt: binance.FirstSeenAt, LastSeenAt: binance.LastSeenAt, CreatedAt: binance.FirstSeenAt, UpdatedAt: binance.LastSeenAt,
	}, binance)

	check := func(name string, p kryptos.CounterPartiesParams, keep func(kryptos.CounterParty) bool) {
		t.Helper()
		var want []string
		for _, cp := range all {
			if keep(cp) {
				want = append(want, cp.ID)
			}
		}
		require.NotEmpty(t, want, "%s: the sandbox has some", name)
		var got []string
		for cp, err := range user.ListCounterParties(ctx, p) {
			require.NoError(t, err)
			got = append(got, cp.ID)
		}
		assert.Equal(t, want, got, name)
	}
	check("resolved", kryptos.CounterPartiesParams{Resolved: kryptos.Ptr(true)}, func(cp kryptos.CounterParty) bool { return cp.Identified })
	check("unresolved", kryptos.CounterPartiesParams{Resolved: kryptos.Ptr(false)}, func(cp kryptos.CounterParty) bool { return !cp.Identified })
	check("ignored", kryptos.CounterPartiesParams{Ignored: kryptos.Ptr(true)}, func(cp kryptos.CounterParty) bool { return cp.Ignored })
	check("not ignored", kryptos.CounterPartiesParams{Ignored: kryptos.Ptr(false)}, func(cp kryptos.CounterParty) bool { return !cp.Ignored })
	check("exchanges", kryptos.CounterPartiesParams{Type: kryptos.CounterPartyExchange}, func(cp kryptos.CounterParty) bool { return cp.IsExchangeAddress })
	check("protocols", kryptos.CounterPartiesParams{Type: kryptos.CounterPartyProtocol}, func(cp kryptos.CounterParty) bool { return cp.IsSmartContract })
	check("by name", kryptos.CounterPartiesParams{Search: "JUPITER"}, func(cp kryptos.CounterParty) bool { return cp.Name == "Jupiter Aggregator v6" })
	check("unresolved protocols, not ignored", kryptos.CounterPartiesParams{Resolved: kryptos.Ptr(false), Ignored: kryptos.Ptr(false),
		Type: kryptos.CounterPartyProtocol}, func(cp kryptos.CounterParty) bool {
		return !cp.Identified && !cp.Ignored && cp.IsSmartContract
	})

	// The ignored one is the spam token's contract, whose airdrops the
	// user ignores.
	page, err = user.ListCounterPartiesPage(ctx, kryptos.CounterPartiesParams{Ignored: kryptos.Ptr(true)})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, assetBySymbol("SCAM").contract, page.Items[0].AddressNormalized)
	assert.True(t, page.Items[0].IsSmartContract)
	assert.False(t, page.Items[0].Identified)
	assert.Empty(t, page.Items[0].Name)
}

func TestCounterPartiesParamsOnTheWire(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	g := connectGranting(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{ethWallet}}, withContacts()...)
	auth := map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}
	for _, query := range []string{"resolved=1", "resolved=0", "ignored=1", "ignored=TRUE", "type=wallet", "page=0", "limit=0"} {
		status, _, body := raw(t, srv, http.MethodGet, "/v1/counter-parties?"+query, auth, "")
		assert.Equal(t, http.StatusBadRequest, status, query)
		assert.Equal(t, "VALIDATION_ERROR", body["code"], query)
	}
	status, _, body := raw(t, srv, http.MethodGet, "/v1/counter-parties?limit=500", auth, "")
	require.Equal(t, http.StatusOK, status)
	meta := body["meta"].(map[string]any)
	assert.EqualValues(t, 200, meta["limit"], "clamped to 200")
	assert.Equal(t, []string{"limit", "page", "total"}, metaKeys(meta), "no totalPages or hasMore")
	status, _, body = raw(t, srv, http.MethodGet, "/v1/counter-parties", auth, "")
	require.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 50, body["meta"].(map[string]any)["limit"], "50 by default")
}

func metaKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// DATA-API.md §5.15 types a contact's mobileNumber and vat as "str", not
// "str?" ("`?` after a type = documented nullable", §5): the sandbox sent
// "vat": null for every individual.
func TestContactStringsAreNeverNull(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: append(kryptos.DefaultScopes(), kryptos.ScopeContactsRead)})
	require.NoError(t, err)
	public, err := srv.CompleteLink(lt.Token, LinkUser{Email: "review-contacts@example.com", Wallets: []Wallet{ethWallet}})
	require.NoError(t, err)
	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	status, _, body := raw(t, srv, "GET", "/v1/contacts?limit=100", map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}, "")
	require.Equal(t, 200, status)
	list, _ := body["data"].([]any)
	require.NotEmpty(t, list)
	for _, item := range list {
		contact := item.(map[string]any)
		for _, key := range []string{"id", "name", "type", "mobileNumber", "vat"} {
			assert.IsType(t, "", contact[key], "contact %v: %s", contact["name"], key)
		}
	}
}
