package kryptos

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// SyncStatus is the state of a sync job.
type SyncStatus string

// The documented sync job states. Completed, PartiallySynced, Failed and
// Cancelled are final.
const (
	SyncQueued          SyncStatus = "queued"
	SyncOngoing         SyncStatus = "ongoing"
	SyncSyncing         SyncStatus = "syncing"
	SyncCompleted       SyncStatus = "completed"
	SyncPartiallySynced SyncStatus = "partially_synced"
	SyncFailed          SyncStatus = "failed"
	SyncCancelled       SyncStatus = "cancelled"
)

// Done reports whether s is final: the job will not change any more.
func (s SyncStatus) Done() bool {
	switch s {
	case SyncCompleted, SyncPartiallySynced, SyncFailed, SyncCancelled:
		return true
	}
	return false
}

// Succeeded reports whether s is a final success. A partial sync counts: the
// data that could be pulled was.
func (s SyncStatus) Succeeded() bool { return s == SyncCompleted || s == SyncPartiallySynced }

// SyncJob is the progress of a resync, as the data API reports it.
type SyncJob struct {
	ID       string
	Status   SyncStatus
	WalletID string
	Mode     ResyncMode
	// Error says why a failed job failed.
	Error     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

type syncJobJSON struct {
	JobID     string      `json:"job_id"`
	ID        string      `json:"id"`
	Status    SyncStatus  `json:"status"`
	WalletID  string      `json:"wallet_id"`
	Mode      ResyncMode  `json:"mode"`
	Error     string      `json:"error"`
	CreatedAt lenientTime `json:"created_at"`
	UpdatedAt lenientTime `json:"updated_at"`
}

// GetSyncJob returns the progress of a sync job, such as the one
// ResyncIntegration queued: GET /v1/sync/{job_id} on the data API,
// authorized by the access token of the user it belongs to. Poll it until
// Status.Done(); webhooks report the same progress without polling.
// Transient failures are retried.
func (c *Client) GetSyncJob(ctx context.Context, accessToken, jobID string) (*SyncJob, error) {
	const op = OpGetSyncJob
	if err := checkPrefixed("accessToken", accessToken, prefixAccessToken); err != nil {
		return nil, invalid(op, err)
	}
	if err := checkSegment("jobID", jobID); err != nil {
		return nil, invalid(op, err)
	}
	var data syncJobJSON
	err := c.do(ctx, call{
		op:     op,
		policy: httpcore.Idempotent,
		method: http.MethodGet,
		path:   "/v1/sync/" + url.PathEscape(jobID),
		bearer: accessToken,
	}, &data)
	if err != nil {
		return nil, err
	}
	id := data.JobID
	if id == "" {
		id = data.ID
	}
	return &SyncJob{
		ID: id, Status: data.Status, WalletID: data.WalletID, Mode: data.Mode, Error: data.Error,
		CreatedAt: time.Time(data.CreatedAt), UpdatedAt: time.Time(data.UpdatedAt),
	}, nil
}
