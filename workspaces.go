package kryptos

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
)

// Workspace is a Kryptos workspace (DATA-API.md §5.2): the books a user's
// integrations, portfolios and transactions belong to. A Connect or OAuth
// token is bound to one workspace (AccessGrant.WorkspaceID).
type Workspace struct {
	// ID is the workspace id ("wid").
	ID   string        `json:"wid"`
	Name string        `json:"workspaceName"`
	Type WorkspaceType `json:"type"`
	// CountryCode is the tax jurisdiction, such as "AU".
	CountryCode string `json:"countryCode"`
	// CostBasisMethod is the method of the cost-basis calculation, such as
	// "FIFO", as sent.
	CostBasisMethod string `json:"costBasisMethod"`
	// Timezone is an IANA time zone name, such as "Australia/Sydney".
	Timezone string `json:"timezone"`
	// BaseCurrencyCode is the reporting currency, such as "AUD".
	BaseCurrencyCode string `json:"baseCurrencyCode"`
	// OrganizationID is the enterprise parent; "" when there is none (the
	// API's null).
	OrganizationID string `json:"organizationId"`
	// CustomAssetPricesEnabled, LastSyncTime, LastAccountingCalculation and
	// Limits are sent by GetWorkspace only; a list leaves them zero.
	CustomAssetPricesEnabled bool `json:"customAssetPricesEnabled"`
	// LastSyncTime is when all the workspace's integrations last settled;
	// the zero time when they never did (the API's null).
	LastSyncTime time.Time `json:"lastSyncTime"`
	// LastAccountingCalculation is when the cost basis was last computed;
	// the zero time when never (the API's null).
	LastAccountingCalculation time.Time `json:"lastAccountingCalculation"`
	CreatedAt                 time.Time `json:"createdAt"`
	UpdatedAt                 time.Time `json:"updatedAt"`
	// Limits is the workspace's transaction cap; nil in lists.
	Limits *WorkspaceLimits `json:"limits"`
}

// WorkspaceType is the kind of a workspace. Values this package does not
// know yet are kept as sent.
type WorkspaceType string

// The documented workspace types.
const (
	WorkspaceRetail     WorkspaceType = "retail"
	WorkspaceEnterprise WorkspaceType = "enterprise"
	// WorkspaceConnectAnonymous is the workspace of a Connect Guest.
	WorkspaceConnectAnonymous WorkspaceType = "connect-anonymous"
)

// WorkspaceLimits is the transaction cap of a workspace: how many
// transactions its syncs may save. A nil pointer is the API's null, whose
// meaning differs by field: see each one.
type WorkspaceLimits struct {
	// TransactionLimit is the raw per-workspace override; nil when unset,
	// which means the default applies (not that there is no cap).
	TransactionLimit *int64 `json:"transactionLimit"`
	// EnableLimiter is the raw override of the limiter flag; nil when unset.
	EnableLimiter *bool `json:"enableLimiter"`
	// EffectiveTransactionLimit is the cap actually enforced, resolved from
	// the user's override (UpdateTransactionLimit), the workspace default
	// and the platform default (100,000); nil when there is no cap.
	EffectiveTransactionLimit *int64 `json:"effectiveTransactionLimit"`
	// CurrentTransactionCount counts the saved transactions plus those a
	// running sync has in flight.
	CurrentTransactionCount int64 `json:"currentTransactionCount"`
	// RemainingTransactions is the headroom under the cap; nil when there is
	// no cap. At 0, syncs stop mid-run with limitReached.
	RemainingTransactions *int64 `json:"remainingTransactions"`
}

// Capped reports whether a cap is enforced.
func (l *WorkspaceLimits) Capped() bool { return l.EffectiveTransactionLimit != nil }

// WorkspaceMembership is a workspace the user is a member of, as
// ListWorkspaces returns it: the workspace (without the fields only
// GetWorkspace sends) and the user's membership of it.
type WorkspaceMembership struct {
	Workspace
	// RoleID is the user's role in the workspace, such as RoleOwner.
	RoleID WorkspaceRole `json:"roleId"`
	// Status is the membership's status: MembershipPending for an invite
	// not yet accepted.
	Status MembershipStatus `json:"status"`
	// JoinedAt is the zero time when the invite was never accepted (the
	// API's null).
	JoinedAt time.Time `json:"joinedAt"`
}

// WorkspaceRole is a member's role in a workspace. The docs name owner and
// admin as examples; other roles are kept as sent.
type WorkspaceRole string

// The workspace roles the docs name.
const (
	RoleOwner WorkspaceRole = "owner"
	RoleAdmin WorkspaceRole = "admin"
)

// MembershipStatus is the status of a user's membership of a workspace.
// Values this package does not know yet are kept as sent.
type MembershipStatus string

// The documented membership statuses.
const (
	MembershipActive MembershipStatus = "active"
	// MembershipPending is an invite the user has not accepted.
	MembershipPending   MembershipStatus = "pending"
	MembershipSuspended MembershipStatus = "suspended"
)

// WorkspacesParams filter ListWorkspaces. Zero values are left to the API.
type WorkspacesParams struct {
	// Type keeps the workspaces of one type.
	Type WorkspaceType
	// Status keeps the workspaces where the user's membership has this
	// status.
	Status MembershipStatus
	// RoleID keeps the workspaces where the user holds this role.
	RoleID WorkspaceRole
	// Page is the first page to read (1 when 0). Limit is the page size
	// (the API's default, 10, when 0). The docs give no maximum; this
	// package accepts up to 100, the bound of the API's other page-number
	// lists, which clamp a larger limit silently.
	Page, Limit int
}

const maxWorkspacesLimit = 100

// workspacesAnswer is {success, data: {workspaces, pagination: {page,
// limit, total}}}: no totalPages, no hasMore.
type workspacesAnswer struct {
	httpcore.Envelope
	Data struct {
		Workspaces []WorkspaceMembership `json:"workspaces"`
		Pagination pagination            `json:"pagination"`
	} `json:"data"`
}

func (a *workspacesAnswer) WholeEnvelope() *httpcore.Envelope { return &a.Envelope }

func (a *workspacesAnswer) page() pageFacts[WorkspaceMembership, NoSummary] {
	return pageFactsOf(a.Data.Workspaces, a.Data.Pagination, NoSummary{})
}

func (u *UserClient) workspaceLister(p WorkspacesParams, opts []CallOption) *lister[WorkspaceMembership, NoSummary] {
	q := newQuery().
		oneOf("type", string(p.Type), string(WorkspaceRetail), string(WorkspaceEnterprise), string(WorkspaceConnectAnonymous)).
		oneOf("status", string(p.Status), string(MembershipActive), string(MembershipSuspended), string(MembershipPending)).
		id("roleId", string(p.RoleID))
	err := errors.Join(q.check(), checkPosition("params.Page", p.Page), checkLimit("params.Limit", p.Limit, maxWorkspacesLimit))
	return &lister[WorkspaceMembership, NoSummary]{u: u, op: opListWorkspaces, query: q.v, style: byPageNumber, start: p.Page,
		limit: p.Limit, answer: func() pageAnswer[WorkspaceMembership, NoSummary] { return &workspacesAnswer{} }, opts: opts, err: err}
}

// ListWorkspaces iterates over the workspaces the user is a member of, with
// their membership: GET /v1/workspaces (no scope needed), page after page
// as the loop asks for them. When p.Limit is 0 the API's default page size
// (10) applies: unlike the other lists, this one documents no maximum to
// ask for, and a user is a member of few workspaces.
//
// A Connect Guest is a member of no workspace: the list is empty, although
// the Guest's token is bound to a workspace of type
// WorkspaceConnectAnonymous, which GetWorkspace reads.
func (u *UserClient) ListWorkspaces(ctx context.Context, p WorkspacesParams, opts ...CallOption) iter.Seq2[WorkspaceMembership, error] {
	return u.workspaceLister(p, opts).all(ctx)
}

// ListWorkspacesPage returns one page of the workspaces the user is a
// member of, with their total: GET /v1/workspaces. Page.Next fetches the
// next one; the API sends no hasMore, so the total decides.
func (u *UserClient) ListWorkspacesPage(ctx context.Context, p WorkspacesParams, opts ...CallOption) (*Page[WorkspaceMembership, NoSummary], error) {
	return u.workspaceLister(p, opts).first(ctx)
}

// GetWorkspace returns one workspace with its transaction cap (Limits):
// GET /v1/workspaces/{wid} (scope workspace:read). A Connect or OAuth token
// reads only the workspace it is bound to, AccessGrant.WorkspaceID; any
// other id matches ErrForbidden.
func (u *UserClient) GetWorkspace(ctx context.Context, workspaceID string, opts ...CallOption) (*Workspace, error) {
	op := opGetWorkspace
	if err := checkSegment("workspaceID", workspaceID); err != nil {
		return nil, invalid(op, err)
	}
	return getObject(ctx, u.c, op, request{params: []string{workspaceID}, cred: u.cred}, opts, "workspace (wid)", func(v *Workspace) string { return v.ID })
}
