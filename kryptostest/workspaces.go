package kryptostest

import (
	"net/http"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// The settings of every sandbox workspace, which its model does not vary:
// prices are in USD, and the histories' cost basis is the average cost.
const (
	workspaceCountryCode      = "US"
	workspaceCostBasisMethod  = "ACB"
	workspaceTimezone         = "UTC"
	workspaceBaseCurrencyCode = "USD"
)

// GET /v1/workspaces (DATA-API.md §5.2): the workspaces the caller is a
// member of, with page-number paging whose pagination block is {page,
// limit, total} only (default limit 10; the docs give no maximum, so a
// larger limit is clamped to 100 as on the other page-number lists). A
// Linked user is the owner of their own workspace; a Guest is a member of
// none, and gets an empty list. No scope is needed.
func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{})
	if !ok {
		return
	}
	page, limit, e := numberedPage(req.q, 10, 100)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	typ, e := oneOfParam(req.q, "type", "", "retail", "enterprise", "connect-anonymous")
	if e != nil {
		writeAPIError(w, e)
		return
	}
	status, e := oneOfParam(req.q, "status", "", "active", "suspended", "pending")
	if e != nil {
		writeAPIError(w, e)
		return
	}
	role := req.q.Get("roleId")
	var rows []map[string]any
	for _, m := range s.workspaceMemberships(req.user) {
		if (typ == "" || m["type"] == typ) && (status == "" || m["status"] == status) && (role == "" || m["roleId"] == role) {
			rows = append(rows, m)
		}
	}
	from, to := window(len(rows), (page-1)*limit, limit)
	list := append([]map[string]any{}, rows[from:to]...)
	writeData(w, http.StatusOK, map[string]any{
		"workspaces": list,
		"pagination": map[string]any{"page": page, "limit": limit, "total": len(rows)},
	})
}

// workspaceMemberships lists the user's workspace memberships as list rows. A
// Guest's workspace has no members (the docs: "no membership rows").
func (s *Server) workspaceMemberships(u *user) []map[string]any {
	if u.guest {
		return nil
	}
	row := workspaceJSON(u.workspace)
	row["roleId"], row["status"], row["joinedAt"] = "owner", "active", iso(u.workspace.createdAt)
	return []map[string]any{row}
}

// GET /v1/workspaces/{wid} (scope workspace:read): the workspace the token
// is bound to, with its sync times and its limits block. Any other id is
// 403 forbidden, as for a workspace id passed in a query.
func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.dataUser(w, r, dataAuth{scope: kryptos.ScopeWorkspaceRead})
	if !ok {
		return
	}
	u := req.user
	if r.PathValue("wid") != u.workspace.id {
		writeOAuthError(w, http.StatusForbidden, "forbidden", "the token is bound to another workspace")
		return
	}
	out := workspaceJSON(u.workspace)
	settled, calculated := s.workspaceSyncTimes(u, req.now)
	out["customAssetPricesEnabled"] = false
	out["lastSyncTime"], out["lastAccountingCalculation"] = iso(settled), iso(calculated)
	out["limits"] = s.workspaceLimitsJSON(u, req.now)
	writeData(w, http.StatusOK, out)
}

// workspaceJSON holds the fields a workspace has both in the list and in
// a single read.
func workspaceJSON(ws *workspace) map[string]any {
	return map[string]any{
		"wid": ws.id, "workspaceName": ws.name, "type": ws.typ, "countryCode": workspaceCountryCode,
		"costBasisMethod": workspaceCostBasisMethod, "timezone": workspaceTimezone,
		"baseCurrencyCode": workspaceBaseCurrencyCode, "organizationId": nil,
		// Nothing in the sandbox edits a workspace after it is made.
		"createdAt": iso(ws.createdAt), "updatedAt": iso(ws.createdAt),
	}
}

// workspaceSyncTimes returns when the user's syncs last settled (the latest finish
// of a sync that has finished at now, whatever its outcome) and when the
// cost basis was last computed (the latest finish of a sync that saved
// transactions: completed or partially synced). The zero time is never.
func (s *Server) workspaceSyncTimes(u *user, now time.Time) (settled, calculated time.Time) {
	for _, in := range u.integrations {
		for _, j := range in.jobs {
			st := j.status(&s.cfg, now)
			if !st.done() {
				continue
			}
			end := j.finishedAt(&s.cfg)
			if end.After(settled) {
				settled = end
			}
			if st != syncFailed && end.After(calculated) {
				calculated = end
			}
		}
	}
	return settled, calculated
}

// workspaceLimitsJSON is the limits block of a workspace (DATA-API.md §5.2): the
// user's raw override (null when unset), the cap effectiveCap resolves
// (null when the limiter is off), the transactions saved plus those a
// running sync has in flight, and the headroom left (null when uncapped).
func (s *Server) workspaceLimitsJSON(u *user, now time.Time) map[string]any {
	count := s.savedTransactionCount(u, now)
	out := map[string]any{
		"transactionLimit": u.limit, "enableLimiter": u.limiter,
		"effectiveTransactionLimit": nil, "currentTransactionCount": count, "remainingTransactions": nil,
	}
	if limit := s.effectiveCap(u); limit >= 0 {
		out["effectiveTransactionLimit"], out["remainingTransactions"] = limit, max(limit-count, 0)
	}
	return out
}

// savedTransactionCount counts the user's saved transactions, plus what a sync
// that is running now brings in beyond them: a running sync will leave its
// integration with the transactions it saves, which are in flight until it
// finishes.
func (s *Server) savedTransactionCount(u *user, now time.Time) int64 {
	var n int64
	for _, in := range u.integrations {
		saved := len(in.visible(&s.cfg, now))
		if j := in.lastJob; j != nil && j.status(&s.cfg, now) == syncInProgress {
			saved = max(saved, j.saved)
		}
		n += int64(saved)
	}
	return n
}
