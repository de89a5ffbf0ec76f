package kryptos

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListLabelsDecodesTheDocumentedAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	sent := answerAndKeepQueries(api, http.MethodGet, "/v1/labels", reply(200, golden(t, "labels.list.json")))
	labels, err := api.user().ListLabels(context.Background(), LabelsParams{})
	require.NoError(t, err)
	assert.Equal(t, []Label{{Name: "Buy", Type: LabelTypeTrade, TaxEvent: TaxEventCapitalGain, Description: "Purchase of an asset"}}, labels)
	assert.False(t, labels[0].Common())
	assert.Empty(t, sent.last(t), "no filter, no paging")
	req := api.rec.last(t)
	assert.Equal(t, "/v1/labels", req.Path)
	assert.Equal(t, "Bearer "+testAccessToken, req.Header.Get("Authorization"), "a token, though no scope")
	assert.Empty(t, opListLabels.scope)
}

func TestListLabelsByTypeKeepsTheCommonLabelsAndUnknownValues(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	sent := answerAndKeepQueries(api, http.MethodGet, "/v1/labels", reply(200, `{"success":true,"data":[
		{"label":"Ignore","type":null,"taxEvent":null,"description":null},
		{"label":"Spam","type":null,"taxEvent":null,"description":"Unwanted airdrops"},
		{"label":"Staking Reward","type":"deposit","taxEvent":"INCOME","description":"Reward for staking"},
		{"label":"Rebate","type":"deposit","taxEvent":"REBATE"}]}`))
	labels, err := api.user().ListLabels(context.Background(), LabelsParams{Type: LabelTypeDeposit})
	require.NoError(t, err)
	assert.Equal(t, []Label{
		{Name: "Ignore"},
		{Name: "Spam", Description: "Unwanted airdrops"},
		{Name: "Staking Reward", Type: LabelTypeDeposit, TaxEvent: TaxEventIncome, Description: "Reward for staking"},
		{Name: "Rebate", Type: LabelTypeDeposit, TaxEvent: "REBATE"},
	}, labels)
	assert.True(t, labels[0].Common())
	assert.False(t, labels[2].Common())
	assert.Equal(t, url.Values{"type": {"deposit"}}, sent.last(t))
}

func TestListLabelsRefusesAnUnknownTypeAndAnswersWithoutNames(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	_, err := api.user().ListLabels(context.Background(), LabelsParams{Type: "swap"})
	require.ErrorIs(t, err, ErrInvalidParams)
	assert.Equal(t, 0, api.rec.count())

	api.onData(http.MethodGet, "/v1/labels", reply(200, `{"success":true,"data":[{"type":"trade"}]}`))
	_, err = api.user().ListLabels(context.Background(), LabelsParams{})
	require.ErrorIs(t, err, ErrMalformedResponse)

	api.onData(http.MethodGet, "/v1/labels", reply(401, `{"error":"unauthorized","error_description":"a bearer access token is required"}`))
	_, err = api.user().ListLabels(context.Background(), LabelsParams{})
	require.ErrorIs(t, err, ErrUnauthorized)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "unauthorized", apiErr.Code)
}

// DATA-API.md §5.10 answers the labels as {"success": true, "data": [...]}
// and §5.12 the typeahead as {success, data: {integrations}}. A 200 whose
// list is missing or null is not an empty catalogue: the paged lists of
// the package already refuse it ("a page without its list is malformed,
// not empty (an empty list is sent as [])", page.go), but ListLabels and
// SearchIntegrations returned no entries and no error, so a caller would
// conclude there are no labels, or no matching integration.
func TestUnpagedListWithoutItsListIsMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"success":true}`, `{"success":true,"data":null}`} {
		api := newMockAPI(t)
		api.onData(http.MethodGet, "/v1/labels", reply(200, body))
		labels, err := api.user().ListLabels(context.Background(), LabelsParams{})
		require.ErrorIs(t, err, ErrMalformedResponse, "labels from %s: %v", body, labels)
	}
	for _, body := range []string{`{"success":true}`, `{"success":true,"data":null}`, `{"success":true,"data":{}}`} {
		api := newMockAPI(t)
		api.onData(http.MethodGet, "/v1/integrations/search", reply(200, body))
		found, err := api.user().SearchIntegrations(context.Background(), SearchIntegrationsParams{Query: "bin"})
		require.ErrorIs(t, err, ErrMalformedResponse, "typeahead from %s: %v", body, found)
	}
	// Empty lists are still fine.
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/labels", reply(200, `{"success":true,"data":[]}`))
	api.onData(http.MethodGet, "/v1/integrations/search", reply(200, `{"success":true,"data":{"integrations":[]}}`))
	labels, err := api.user().ListLabels(context.Background(), LabelsParams{})
	require.NoError(t, err)
	assert.Empty(t, labels)
	found, err := api.user().SearchIntegrations(context.Background(), SearchIntegrationsParams{Query: "bin"})
	require.NoError(t, err)
	assert.Empty(t, found)
}
