package kryptostest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

// integrationsOf lists the user's integrations in the order they were
// connected.
func integrationsOf(t *testing.T, user *kryptos.UserClient) []kryptos.Integration {
	t.Helper()
	var out []kryptos.Integration
	for in, err := range user.ListIntegrations(ctx, kryptos.IntegrationsParams{SortBy: kryptos.SortByCreatedAt, Ascending: true}) {
		require.NoError(t, err)
		out = append(out, in)
	}
	return out
}
