package kryptostest

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

func TestLabelsAnswerHasTheSamplesShape(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	g := connect(t, srv, srv.Client(fast...), LinkUser{Guest: true})
	// §5.10's item: type str? (null for the common labels), taxEvent str?
	// (null when none), description str?.
	opts := golden.Options{Nullable: []string{"data[].type", "data[].taxEvent", "data[].description"}}
	sameShapeAsSample(t, "labels.list.json", get(t, srv, g.AccessToken.Reveal(), "/v1/labels"), opts)
	sameShapeAsSample(t, "labels.list.json", get(t, srv, g.AccessToken.Reveal(), "/v1/labels?type=trade"), opts)
}

// TestTheLabelCatalogueCoversTheHistories generates the history of every
// provider of the catalogue and checks that each label it uses is listed,
// with the transaction's type (or as a common label).
func TestTheLabelCatalogueCoversTheHistories(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	g := connect(t, srv, c, LinkUser{Guest: true})
	labels, err := c.User(g.Credential()).ListLabels(ctx, kryptos.LabelsParams{})
	require.NoError(t, err)
	byName := map[string]kryptos.Label{}
	for _, l := range labels {
		assert.NotContains(t, byName, l.Name, "listed once")
		byName[l.Name] = l
	}
	used := map[string]bool{}
	for _, p := range providers {
		for _, tx := range generateHistory("wallet-labels-"+p.id, p, 400, time.Now()) {
			used[tx.label] = true
			l, ok := byName[tx.label]
			require.True(t, ok, "label %q of a %s transaction is not listed", tx.label, p.id)
			assert.True(t, l.Common() || string(l.Type) == tx.typ, "%q is a %s label, used on a %s", tx.label, l.Type, tx.typ)
		}
	}
	for _, name := range []string{"Deposit", "Staking Reward", "Spam", "Trade", "Buy", "Sell", "Withdrawal", "Transfer", "Payment"} {
		assert.True(t, used[name], "the histories use %s", name)
	}
	assert.Equal(t, kryptos.Label{Name: "Staking Reward", Type: kryptos.LabelTypeDeposit, TaxEvent: kryptos.TaxEventIncome,
		Description: "Reward for staking an asset"}, byName["Staking Reward"])
	assert.Equal(t, kryptos.Label{Name: "Spam", Description: "Unsolicited airdrop of a worthless token"}, byName["Spam"])
	for _, event := range []kryptos.TaxEvent{kryptos.TaxEventCapitalGain, kryptos.TaxEventIncome, kryptos.TaxEventLost, kryptos.TaxEventVault} {
		found := false
		for _, l := range labels {
			found = found || l.TaxEvent == event
		}
		assert.True(t, found, "some label has tax event %s", event)
	}
}

func TestLabelsFilteredByTypeStartWithTheCommonOnes(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	// Labels need a token but no scope.
	g := connectGranting(t, srv, c, LinkUser{Guest: true})
	user := c.User(g.Credential())
	all, err := user.ListLabels(ctx, kryptos.LabelsParams{})
	require.NoError(t, err)
	total := 0
	for _, typ := range []kryptos.LabelType{kryptos.LabelTypeDeposit, kryptos.LabelTypeWithdrawal, kryptos.LabelTypeTrade,
		kryptos.LabelTypeTransfer, kryptos.LabelTypePayment} {
		labels, err := user.ListLabels(ctx, kryptos.LabelsParams{Type: typ})
		require.NoError(t, err)
		require.Greater(t, len(labels), 4, typ)
		var common []string
		for _, l := range labels[:4] {
			common = append(common, l.Name)
			assert.True(t, l.Common())
		}
		assert.Equal(t, []string{"Ignore", "Failed", "Unknown", "Spam"}, common, typ)
		for _, l := range labels[4:] {
			assert.Equal(t, typ, l.Type, l.Name)
		}
		total += len(labels) - 4
	}
	assert.Equal(t, len(all)-4, total, "every typed label has one of the five types")

	trade, err := user.ListLabels(ctx, kryptos.LabelsParams{Type: kryptos.LabelTypeTrade})
	require.NoError(t, err)
	var names []string
	for _, l := range trade[4:] {
		names = append(names, l.Name)
	}
	assert.Equal(t, []string{"Trade", "Buy", "Sell"}, names)

	status, _, body := raw(t, srv, http.MethodGet, "/v1/labels?type=swap", map[string]string{"Authorization": "Bearer " + g.AccessToken.Reveal()}, "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "VALIDATION_ERROR", body["code"])

	_, err = c.User(kryptos.AccessToken("cat_not_a_real_token")).ListLabels(ctx, kryptos.LabelsParams{})
	require.ErrorIs(t, err, kryptos.ErrUnauthorized, "a token is needed")
}
