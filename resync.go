package kryptos

import (
	"context"
	"net/http"
	"net/url"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
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
// through JobID (GET /v1/sync/{job_id} on the data API) or webhooks.
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
func (c *Client) ResyncIntegration(ctx context.Context, walletID string, p ResyncParams) (*ResyncJob, error) {
	const op = OpResyncIntegration
	if err := checkSegment("walletID", walletID); err != nil {
		return nil, invalid(op, err)
	}
	if err := checkText("params.UserID", p.UserID); err != nil {
		return nil, invalid(op, err)
	}
	if p.Mode != ResyncLatest && p.Mode != ResyncFromStart {
		return nil, invalid(op, &ParamError{"params.Mode", `must be ResyncLatest ("latest") or ResyncFromStart ("from_start")`})
	}
	var job ResyncJob
	err := c.do(ctx, call{
		op:     op,
		policy: httpcore.OneShot,
		method: http.MethodPost,
		path:   "/developer/integrations/" + url.PathEscape(walletID) + "/resync",
		body:   resyncRequest(p),
		advice: "a resync may already be queued; check the integration's status before queueing another",
	}, &job)
	if err != nil {
		return nil, err
	}
	return &job, nil
}
