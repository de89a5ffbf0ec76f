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
