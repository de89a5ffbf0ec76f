package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheReceiverPrintsAResyncFromQueuedToCompleted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 10, out.String())
	for i, want := range []string{
		"Receiving Kryptos webhooks at",
		"integration.created", "integration.updated", "integration.updated", "integration.updated",
		"transfer_detection.started", "transfer_detection.completed", "costbasis.started", "costbasis.completed",
		"The resync is complete.",
	} {
		assert.True(t, strings.HasPrefix(lines[i], want), "line %d: %q", i, lines[i])
	}
	assert.Contains(t, lines[2], "QUEUED")
	assert.Contains(t, lines[3], "SYNCING")
	assert.Contains(t, lines[4], "COMPLETED")
}
