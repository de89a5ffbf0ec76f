package kryptos

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAnIDThatNamesASiblingRouteIsRefused: GetPortfolio(ctx, "default")
// would reach GET /v1/portfolios/default, another route with another
// answer; such ids are refused before anything is sent.
func TestAnIDThatNamesASiblingRouteIsRefused(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	user, ctx := api.user(), context.Background()
	for name, call := range map[string]func() error{
		"GetTransaction counts":      func() error { _, err := user.GetTransaction(ctx, "counts"); return err },
		"GetPortfolio default":       func() error { _, err := user.GetPortfolio(ctx, "default"); return err },
		"GetIntegration search":      func() error { _, err := user.GetIntegration(ctx, "search"); return err },
		"GetIntegration sync-status": func() error { _, err := user.GetIntegration(ctx, "sync-status"); return err },
		"GetNFT portfolio":           func() error { _, err := user.GetNFT(ctx, "portfolio", "pf_main"); return err },
		"GetNFT collections":         func() error { _, err := user.GetNFT(ctx, "collections", "1"); return err },
	} {
		err := call()
		require.ErrorIs(t, err, ErrInvalidParams, name)
		assert.Contains(t, err.Error(), "another route", name)
	}
	assert.Zero(t, api.rec.count(), "nothing was sent")
}

// TestSiblingRoutesComeFromTheTable: the refused words are the fixed
// segments of the other routes, so a new route adds its own.
func TestSiblingRoutesComeFromTheTable(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []reservedParam{{name: "portfolioId", words: []string{"default"}}}, siblings()[opGetPortfolio])
	assert.ElementsMatch(t, []string{"search", "sync-status"}, siblings()[opGetIntegration][0].words)
	assert.Nil(t, siblings()[opGetDefaultPortfolio], "a route with no parameter refuses nothing")
	require.NoError(t, opGetPortfolio.checkParams([]string{"pf_main"}))
}
