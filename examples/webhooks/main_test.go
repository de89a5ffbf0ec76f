package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kryptos-connect/kryptos-go/webhook"
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

// A second cost-basis event (another grant of the user, another resync) is
// acknowledged like the first, and only the first ends the wait.
func TestASecondLastEventIsAcknowledged(t *testing.T) {
	t.Parallel()
	const secret = "whsec_test"
	handler, ended, err := newReceiver(secret, io.Discard)
	require.NoError(t, err)
	for _, id := range []string{"whd_1", "whd_2"} {
		body := fmt.Sprintf(`{"id": %q, "event": "costbasis.completed", "timestamp": %q, "grant_id": "cgrant_1",
			"workspace_id": "ws_1", "data": {"action": "ACCOUNT_MANAGER", "status": "completed", "reason": null, "timestamp": %d}}`,
			id, time.Now().UTC().Format(time.RFC3339Nano), time.Now().UnixMilli())
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Webhook-Signature", webhook.Sign([]byte(body), secret))
		req.Header.Set("X-Webhook-Id", id)
		req.Header.Set("X-Webhook-Event", "costbasis.completed")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusOK, rec.Code, "%s: %s", id, rec.Body)
	}
	assert.Equal(t, webhook.EventCostBasisCompleted, <-ended)
}
