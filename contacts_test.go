package kryptos

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// contactJSON is a contact with every documented field.
const contactJSON = `{"id":"ct_1","name":"Northwind Design Ltd","type":"company",
	"socials":{"email":"billing@northwind.example","telegram":"@northwind"},
	"residentialAddress":{"country":"GB","state":"England","city":"London","postcode":"EC1A 1BB","address1":"1 King St","address2":null},
	"mobileNumber":"+44 20 7946 0000","vat":"GB123456789","terms":{"payment":"net30","overduesInterest":1.5}}`

var northwind = Contact{ID: "ct_1", Name: "Northwind Design Ltd", Type: ContactCompany,
	Socials: ContactSocials{Email: "billing@northwind.example", Telegram: "@northwind"},
	ResidentialAddress: PostalAddress{Country: "GB", State: "England", City: "London", Postcode: "EC1A 1BB",
		Address1: "1 King St"},
	MobileNumber: "+44 20 7946 0000", VAT: "GB123456789", Terms: ContactTerms{Payment: "net30", OverduesInterest: 1.5}}

func TestGetContactDecodesEveryFieldAndTheDocumented404(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/contacts/ct_1", reply(200, `{"success":true,"data":`+contactJSON+`}`))
	api.onData(http.MethodGet, "/v1/contacts/ct_gone", reply(404, golden(t, "contacts.get.404.json")))
	api.onData(http.MethodGet, "/v1/contacts/ct_null", reply(200, `{"success":true,"data":null}`))
	ctx := context.Background()

	c, err := api.user().GetContact(ctx, "ct_1")
	require.NoError(t, err)
	assert.Equal(t, northwind, *c)
	assert.Equal(t, "Bearer "+testAccessToken, api.rec.last(t).Header.Get("Authorization"))

	_, err = api.user().GetContact(ctx, "ct_gone")
	require.ErrorIs(t, err, ErrNotFound, "a 404 without a code still matches")
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, Error{StatusCode: 404, Message: "Contact not found"}, Error{StatusCode: apiErr.StatusCode, Code: apiErr.Code, Message: apiErr.Message})

	_, err = api.user().GetContact(ctx, "ct_null")
	require.ErrorIs(t, err, ErrMalformedResponse)
	_, err = api.user().GetContact(ctx, "a/b")
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, ScopeContactsRead, opGetContact.scope)
}

// TestListContactsAcceptsEveryDocumentedShape reads the list in the shapes
// the docs disagree on (DATA-API.md §8.3); each says there are three
// contacts, two a page.
func TestListContactsAcceptsEveryDocumentedShape(t *testing.T) {
	t.Parallel()
	other := `{"id":"ct_2","name":"Alice","type":"individual"}`
	shapes := []struct {
		name          string
		first, second string
	}{
		{"meta (September changelog)",
			`{"success":true,"data":[` + contactJSON + `,` + other + `],"meta":{"total":3,"page":1,"limit":2}}`,
			`{"success":true,"data":[` + other + `],"meta":{"total":3,"page":2,"limit":2}}`},
		{"spread beside success (August contacts page)",
			`{"success":true,"data":[` + contactJSON + `,` + other + `],"total":3,"page":1,"limit":2,"totalPages":2,"hasMore":true}`,
			`{"success":true,"data":[` + other + `],"total":3,"page":2,"limit":2,"totalPages":2,"hasMore":false}`},
		{"spread, total only",
			`{"success":true,"data":[` + contactJSON + `,` + other + `],"total":3,"page":1,"limit":2}`,
			`{"success":true,"data":[` + other + `],"total":3,"page":2,"limit":2}`},
		{"pagination (overview's page-number family)",
			`{"success":true,"data":[` + contactJSON + `,` + other + `],"pagination":{"page":1,"limit":2,"total":3,"totalPages":2,"hasMore":true}}`,
			`{"success":true,"data":[` + other + `],"pagination":{"page":2,"limit":2,"total":3,"totalPages":2,"hasMore":false}}`},
	}
	for _, shape := range shapes {
		t.Run(shape.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			sent := answerAndKeepQueries(api, http.MethodGet, "/v1/contacts", func(req *http.Request) (*http.Response, error) {
				if req.URL.Query().Get("page") == "2" {
					return reply(200, shape.second)(req)
				}
				return reply(200, shape.first)(req)
			})
			page, err := api.user().ListContactsPage(context.Background(), ContactsParams{Search: "north", Limit: 2})
			require.NoError(t, err)
			assert.Equal(t, northwind, page.Items[0])
			assert.Equal(t, 3, page.Total)
			require.True(t, page.HasNext())
			next, err := page.Next(context.Background())
			require.NoError(t, err)
			assert.Equal(t, []Contact{{ID: "ct_2", Name: "Alice", Type: ContactIndividual}}, next.Items)
			assert.False(t, next.HasNext())
			assert.Equal(t, []url.Values{
				{"search": {"north"}, "page": {"1"}, "limit": {"2"}},
				{"search": {"north"}, "page": {"2"}, "limit": {"2"}},
			}, sent.list())
		})
	}
}

func TestListContactsAsksForLargePagesAndRefusesBadParams(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	sent := answerAndKeepQueries(api, http.MethodGet, "/v1/contacts", reply(200, `{"success":true,"data":[],"meta":{"total":0,"page":1,"limit":100}}`))
	assert.Empty(t, collect(t, api.user().ListContacts(context.Background(), ContactsParams{})))
	assert.Equal(t, url.Values{"page": {"1"}, "limit": {"100"}}, sent.last(t))

	calls := api.rec.count()
	for _, p := range []ContactsParams{{Limit: 101}, {Limit: -1}, {Page: -1}, {Search: "a\x00\xff"}} {
		_, err := api.user().ListContactsPage(context.Background(), p)
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		for _, err := range api.user().ListContacts(context.Background(), p) {
			require.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		}
	}
	assert.Equal(t, calls, api.rec.count())
}

func TestListContactsNeedsContactsRead(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/contacts", reply(403, `{"error":"insufficient_scope","error_description":"Missing: contacts:read"}`))
	_, err := api.user().ListContactsPage(context.Background(), ContactsParams{})
	require.ErrorIs(t, err, ErrInsufficientScope)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "insufficient_scope", apiErr.Code)
	assert.Equal(t, "Missing: contacts:read", apiErr.Message)
	assert.NotContains(t, DefaultScopes(), ScopeContactsRead, "the scope must be asked for explicitly")
}
