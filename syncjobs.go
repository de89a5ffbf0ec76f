package kryptos

import (
	"context"
	"time"
)

// SyncStatus is the state of a sync job.
type SyncStatus string

// The documented sync job states (DATA-API.md §5.13). Completed,
// PartiallySynced, Failed and Cancelled are final.
const (
	SyncPending         SyncStatus = "pending"
	SyncQueued          SyncStatus = "queued"
	SyncInProgress      SyncStatus = "in_progress"
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
	JobID     string     `json:"job_id"`
	ID        string     `json:"id"`
	Status    SyncStatus `json:"status"`
	WalletID  string     `json:"wallet_id"`
	Mode      ResyncMode `json:"mode"`
	Error     string     `json:"error"`
	CreatedAt Timestamp  `json:"created_at"`
	UpdatedAt Timestamp  `json:"updated_at"`
}

// GetSyncJob returns the progress of a sync job, such as the one
// ResyncIntegration queued: GET /v1/sync/{syncId} on the data API. Poll it
// until Status.Done(); webhooks report the same progress without polling.
// Transient failures are retried.
func (u *UserClient) GetSyncJob(ctx context.Context, jobID string, opts ...CallOption) (*SyncJob, error) {
	op := opGetSyncJob
	if err := checkSegment("jobID", jobID); err != nil {
		return nil, invalid(op, err)
	}
	var data syncJobJSON
	if err := u.c.do(ctx, op, request{params: []string{jobID}, cred: u.cred}, &data, opts); err != nil {
		return nil, err
	}
	id := data.JobID
	if id == "" {
		id = data.ID
	}
	return &SyncJob{
		ID: id, Status: data.Status, WalletID: data.WalletID, Mode: data.Mode, Error: data.Error,
		CreatedAt: data.CreatedAt.Time, UpdatedAt: data.UpdatedAt.Time,
	}, nil
}
