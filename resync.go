package kryptos

import (
	"context"
	"errors"
)

// ResyncMode says how much of an integration to pull again.
type ResyncMode string

const (
	// ResyncLatest pulls what is new since the last sync. Wallets and
	// exchanges only.
	ResyncLatest ResyncMode = "latest"
	// ResyncFromStart wipes the integration's data and pulls it all again.
	ResyncFromStart ResyncMode = "from_start"
)

// ResyncParams say whose integration to resync, and how.
type ResyncParams struct {
	// UserID is the Kryptos user who owns the integration (Session.UserID,
	// LinkToken.UserID).
	UserID string
	// Mode is ResyncLatest or ResyncFromStart; there is no default, because
	// from_start wipes data.
	Mode ResyncMode
}

// ResyncJob is a queued resync. The resync runs in the background: follow it
// through JobID with the user's UserClient.WaitForSync (or GetSyncJob), or
// through webhooks.
type ResyncJob struct {
	Mode ResyncMode `json:"mode"`
	// IntegrationType is "wallet", "exchange" or "csv".
	IntegrationType string `json:"integration_type"`
	WalletID        string `json:"wallet_id"`
	// JobID is set when the API returns one (for example "job_..." or
	// "sync_...").
	JobID string `json:"job_id,omitempty"`
	// Status is "queued" or "ongoing".
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
}

func (j *ResyncJob) check() error {
	if j.WalletID == "" && j.JobID == "" && j.Status == "" {
		return errors.New("no wallet_id, job_id or status in the answer")
	}
	return nil
}

type resyncRequest struct {
	UserID string     `json:"user_id"`
	Mode   ResyncMode `json:"mode"`
}

// ResyncIntegration queues a resync of one of a user's wallet, exchange or
// CSV integrations: POST /developer/integrations/{walletId}/resync, answered
// with 202.
//
// Because each call queues a job, a failed attempt is repeated only when it
// provably never reached the server or was refused with 429; a failure after
// the request may have been processed matches ErrOutcomeUnknown. CSV
// integrations accept only ResyncFromStart, or no resync at all on newer API
// versions (ErrCSVResyncLatestUnsupported, ErrCSVResyncUnsupported).
func (c *Client) ResyncIntegration(ctx context.Context, walletID string, p ResyncParams, opts ...CallOption) (*ResyncJob, error) {
	op := opResyncIntegration
	if err := checkSegment("walletID", walletID); err != nil {
		return nil, invalid(op, err)
	}
	if err := checkID("params.UserID", p.UserID); err != nil {
		return nil, invalid(op, err)
	}
	if p.Mode != ResyncLatest && p.Mode != ResyncFromStart {
		return nil, invalid(op, &ParamError{"params.Mode", `must be ResyncLatest ("latest") or ResyncFromStart ("from_start")`})
	}
	var job ResyncJob
	if err := c.do(ctx, op, request{params: []string{walletID}, body: resyncRequest(p)}, &job, opts); err != nil {
		return nil, err
	}
	return &job, nil
}
