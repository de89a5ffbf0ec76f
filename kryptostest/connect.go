package kryptostest

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/throttle"
)

// credentials are the client credentials older API versions took in the
// body; the headers X-Client-Id and X-Client-Secret take precedence.
type credentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// withClient starts a Connect backend request: it decodes the JSON body into
// req (unless req is nil), takes s.mu and authenticates the client by the
// X-Client-Id and X-Client-Secret headers, or by body, the credentials older
// API versions took in the body. On success it returns the client's ID with
// s.mu held, for the caller to release; otherwise it has answered the error.
func (s *Server) withClient(w http.ResponseWriter, r *http.Request, req any, body *credentials) (string, bool) {
	if req != nil {
		if e := decodeBody(r, req); e != nil {
			writeAPIError(w, e)
			return "", false
		}
	}
	id, secret := r.Header.Get("X-Client-Id"), r.Header.Get("X-Client-Secret")
	if id == "" && secret == "" && body != nil {
		id, secret = body.ClientID, body.ClientSecret
	}
	s.mu.Lock()
	if want, ok := s.state.clients[id]; !ok || id == "" || secret != want {
		s.mu.Unlock()
		writeError(w, http.StatusUnauthorized, "INVALID_CLIENT", "Invalid client credentials")
		return "", false
	}
	return id, true
}

// Rate-limit classes.
const (
	classLinkToken = "link-token"
	classExchange  = "exchange"
	classDataAPI   = "data"
)

// admit applies the client's quota for class to one request. The caller
// holds s.mu.
func (s *Server) admit(w http.ResponseWriter, clientID, class string) bool {
	var q kryptos.Quota
	switch class {
	case classLinkToken:
		q = s.cfg.limits.LinkToken
	case classExchange:
		q = s.cfg.limits.Exchange
	default:
		q = s.cfg.limits.DataAPI
	}
	if q.Requests <= 0 || q.Per <= 0 {
		return true
	}
	key := clientID + "|" + class
	win := s.state.windows[key]
	if win == nil {
		win = throttle.NewWindow(q.Requests, q.Per, clockAdapter{s.cfg.clock})
		s.state.windows[key] = win
	}
	ok, wait := win.Allow()
	if ok {
		return true
	}
	s.stats.RateLimited++
	secs := strconv.Itoa(int(math.Ceil(wait.Seconds())))
	w.Header().Set("retry_after", secs)
	w.Header().Set("Retry-After", secs)
	writeError(w, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED",
		"Rate limit exceeded: "+strconv.Itoa(q.Requests)+" requests per "+q.Per.String())
	return false
}

// clockAdapter lets a throttle.Window read the sandbox's clock. The sandbox
// only calls Allow, which never sleeps.
type clockAdapter struct{ Clock }

func (c clockAdapter) Sleep(context.Context, time.Duration) error {
	panic("kryptostest: the sandbox's rate limits never wait")
}

// POST /link-token
func (s *Server) createLinkToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		credentials
		Scopes      string         `json:"scopes"`
		AccessToken string         `json:"access_token"`
		RedirectURI string         `json:"redirect_uri"`
		State       string         `json:"state"`
		Metadata    map[string]any `json:"metadata"`
	}
	clientID, ok := s.withClient(w, r, &req, &req.credentials)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	if !s.admit(w, clientID, classLinkToken) {
		return
	}
	scopes, e := s.checkScopes(req.Scopes)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	now := s.cfg.clock.Now()
	token := "link_" + randomHex(16)
	lt := &linkToken{clientID: clientID, scopes: scopes, expiresAt: now.Add(LinkTokenTTL)}
	data := map[string]any{"link_token": token, "expires_at": lt.expiresAt.UTC().Format(time.RFC3339)}
	// A valid access token of this client resumes the user's session; an
	// expired, revoked or unknown one yields a plain link token.
	if req.AccessToken != "" {
		if g, reason := s.state.tokenState(req.AccessToken, now); reason == "" && g.clientID == clientID {
			lt.userID = g.userID
			data["user_id"] = g.userID
			data["workspace_id"] = s.cfg.workspaceID
			data["has_existing_grant"] = true
		}
	}
	s.state.linkTokens[token] = lt
	writeData(w, http.StatusOK, data)
}

// checkScopes parses requested scopes against the client's allowed set.
func (s *Server) checkScopes(raw string) (kryptos.Scopes, *apiError) {
	if strings.TrimSpace(raw) == "" {
		return nil, errorf(http.StatusBadRequest, "VALIDATION_ERROR", "scopes is required")
	}
	var scopes kryptos.Scopes
	for _, f := range strings.Fields(raw) {
		sc := kryptos.Scope(f)
		if !s.cfg.allowedScopes.Has(sc) {
			return nil, errorf(http.StatusBadRequest, "INVALID_SCOPE", "Requested scope not allowed: %s", f)
		}
		if !scopes.Has(sc) {
			scopes = append(scopes, sc)
		}
	}
	if !scopes.Has(kryptos.ScopeOpenID) {
		return nil, errorf(http.StatusBadRequest, "INVALID_SCOPE", "the openid scope is required")
	}
	return scopes, nil
}

// POST /token/exchange
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	var req struct {
		credentials
		PublicToken string `json:"public_token"`
	}
	clientID, ok := s.withClient(w, r, &req, &req.credentials)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	if !s.admit(w, clientID, classExchange) {
		return
	}
	now := s.cfg.clock.Now()
	pt := s.state.publicTokens[req.PublicToken]
	switch {
	case req.PublicToken == "":
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "public_token is required")
		return
	case pt == nil || pt.clientID != clientID:
		writeError(w, http.StatusBadRequest, "INVALID_TOKEN", "Token expired or invalid")
		return
	case pt.used:
		writeError(w, http.StatusBadRequest, "TOKEN_ALREADY_USED", "Token was already consumed")
		return
	case !now.Before(pt.expiresAt):
		writeError(w, http.StatusBadRequest, "TOKEN_EXPIRED", "Link or public token expired")
		return
	}
	pt.used = true
	g := &grant{
		id: "cgrant_" + randomHex(12), clientID: clientID, userID: pt.userID, scopes: pt.scopes,
		createdAt: now, expiresAt: now.Add(AccessTokenTTL), seq: s.state.grantSeq,
	}
	s.state.grantSeq++
	s.state.grants[g.id] = g
	token := "cat_" + randomHex(24)
	s.state.accessTokens[token] = &accessToken{grantID: g.id, expiresAt: now.Add(AccessTokenTTL)}
	s.stats.TokensExchanged++
	writeData(w, http.StatusOK, map[string]any{
		"access_token": token,
		"grant_id":     g.id,
		"token_type":   "Bearer",
		"expires_in":   int64(AccessTokenTTL / time.Second),
		"scope":        g.scopes.String(),
		"workspace_id": s.cfg.workspaceID,
	})
}

// POST /link-token/check-session
func (s *Server) checkSession(w http.ResponseWriter, r *http.Request) {
	var req struct {
		credentials
		AccessToken string `json:"access_token"`
	}
	clientID, ok := s.withClient(w, r, &req, &req.credentials)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	if req.AccessToken == "" {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "access_token is required")
		return
	}
	g, reason := s.state.tokenState(req.AccessToken, s.cfg.clock.Now())
	if reason == "" && g.clientID != clientID {
		g, reason = nil, "invalid_token"
	}
	if reason != "" {
		writeData(w, http.StatusOK, map[string]any{"has_valid_session": false, "reason": reason})
		return
	}
	writeData(w, http.StatusOK, map[string]any{
		"has_valid_session": true,
		"user_id":           g.userID,
		"workspace_id":      s.cfg.workspaceID,
		"workspace_name":    s.cfg.workspaceName,
		"granted_scopes":    g.scopes.String(),
		"grant_id":          g.id,
	})
}

// POST /token/revoke
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	var req struct {
		credentials
		GrantID string `json:"grant_id"`
	}
	clientID, ok := s.withClient(w, r, &req, &req.credentials)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	g := s.state.grants[req.GrantID]
	if g == nil || g.clientID != clientID || !g.active(s.cfg.clock.Now()) {
		writeError(w, http.StatusNotFound, "GRANT_NOT_FOUND", "No grant found with this ID")
		return
	}
	g.revoked = true // every access token of the grant stops working with it
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Grant revoked successfully"})
}

// GET /token/grants
func (s *Server) listGrants(w http.ResponseWriter, r *http.Request) {
	clientID, ok := s.withClient(w, r, nil, nil)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	now := s.cfg.clock.Now()
	var active []*grant
	for _, g := range s.state.grants {
		if g.clientID == clientID && g.active(now) {
			active = append(active, g)
		}
	}
	sort.Slice(active, func(i, j int) bool {
		if !active[i].createdAt.Equal(active[j].createdAt) {
			return active[i].createdAt.Before(active[j].createdAt)
		}
		return active[i].seq < active[j].seq
	})
	list := make([]map[string]any, len(active))
	for i, g := range active {
		list[i] = map[string]any{
			"grant_id": g.id, "workspace_id": s.cfg.workspaceID, "scopes": g.scopes.String(),
			"created_at": g.createdAt.UTC().Format(time.RFC3339), "expires_at": g.expiresAt.UTC().Format(time.RFC3339),
		}
	}
	writeData(w, http.StatusOK, map[string]any{"grants": list, "count": len(list)})
}

// POST /developer/integrations/{walletId}/resync
func (s *Server) resync(w http.ResponseWriter, r *http.Request) {
	var req struct {
		credentials
		UserID string `json:"user_id"`
		Mode   string `json:"mode"`
	}
	clientID, ok := s.withClient(w, r, &req, &req.credentials)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	mode := kryptos.ResyncMode(req.Mode)
	if mode != kryptos.ResyncLatest && mode != kryptos.ResyncFromStart {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", `mode must be "latest" or "from_start"`)
		return
	}
	now := s.cfg.clock.Now()
	u := s.state.users[req.UserID]
	if u == nil || s.state.activeGrant(clientID, u.id, now) == nil {
		writeError(w, http.StatusForbidden, "GRANT_NOT_FOUND", "The user has not granted your client access (or revoked it)")
		return
	}
	in := u.integration(r.PathValue("walletId"))
	if in == nil {
		writeError(w, http.StatusNotFound, "INTEGRATION_NOT_FOUND", "No wallet with this walletId exists for the user")
		return
	}
	if e := s.resyncRule(in, mode); e != nil {
		writeAPIError(w, e)
		return
	}
	j := s.queueJob(u, in, mode, now)
	s.stats.ResyncsQueued++
	writeData(w, http.StatusAccepted, map[string]any{
		"mode": mode, "integration_type": in.kind, "wallet_id": in.walletID, "job_id": j.id, "status": kryptos.SyncQueued,
	})
}

// resyncRule applies the documented rules per integration type and mode.
func (s *Server) resyncRule(in *integration, mode kryptos.ResyncMode) *apiError {
	switch {
	case in.syncDisabled:
		return errorf(http.StatusConflict, "SYNC_DISABLED", "Sync is disabled for this integration")
	case in.kind != "csv":
		return nil
	case s.cfg.csvNoResync:
		return errorf(http.StatusConflict, "CSV_RESYNC_UNSUPPORTED", "CSV integrations cannot be resynced")
	case mode == kryptos.ResyncLatest:
		return errorf(http.StatusConflict, "CSV_RESYNC_LATEST_UNSUPPORTED", `mode "latest" is not valid for CSVs; use "from_start"`)
	case in.sourceMissing:
		return errorf(http.StatusNotFound, "CSV_SOURCE_MISSING", "No original file is on record for this CSV")
	}
	return nil
}

func (s *Server) queueJob(u *user, in *integration, mode kryptos.ResyncMode, now time.Time) *job {
	j := &job{id: "sync_" + randomHex(10), userID: u.id, walletID: in.walletID, kind: in.kind, mode: mode, createdAt: now, fails: in.failSync}
	s.state.jobs[j.id] = j
	in.lastJob = j
	return j
}

func (u *user) integration(walletID string) *integration {
	for _, in := range u.integrations {
		if in.walletID == walletID {
			return in
		}
	}
	return nil
}

// PATCH /developer/grants/{grantId}/transaction-limit
func (s *Server) updateLimit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		credentials
		TransactionLimit *json.Number `json:"transactionLimit"`
		EnableLimiter    *bool        `json:"enableLimiter"`
	}
	clientID, ok := s.withClient(w, r, &req, &req.credentials)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	var limit *int64
	switch {
	case req.TransactionLimit == nil && req.EnableLimiter == nil:
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Set transactionLimit, enableLimiter or both")
		return
	case req.TransactionLimit != nil:
		n, err := req.TransactionLimit.Int64()
		if err != nil || n <= 0 {
			writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "transactionLimit must be a positive integer")
			return
		}
		limit = &n
	}
	now := s.cfg.clock.Now()
	g := s.state.grants[r.PathValue("grantId")]
	switch {
	case g == nil || !g.active(now):
		writeError(w, http.StatusNotFound, "GRANT_NOT_FOUND", "No grant found with this ID")
		return
	case g.clientID != clientID:
		writeError(w, http.StatusForbidden, "ACCESS_DENIED", "Grant does not belong to this client")
		return
	}
	u := s.state.users[g.userID]
	if !u.guest {
		writeError(w, http.StatusBadRequest, "NOT_ANON_USER", "User is not a Guest account. Limits only apply to Guest users.")
		return
	}
	prevLimit, prevLimiter := u.limit, u.limiter
	capBefore := s.effectiveCap(u)
	if limit != nil {
		u.limit = limit
	}
	if req.EnableLimiter != nil {
		on := *req.EnableLimiter
		u.limiter = &on
	}
	s.stats.LimitUpdates++
	data := map[string]any{
		"grant_id": g.id, "user_id": u.id,
		"transaction_limit": u.limit, "enable_limiter": u.limiter,
		"previous_transaction_limit": prevLimit, "previous_enable_limiter": prevLimiter,
		"resync": nil,
	}
	// A change that moves the cap re-imports the user's data from the start.
	if s.effectiveCap(u) != capBefore {
		triggered, failed, skipped := []map[string]any{}, []map[string]any{}, 0
		for _, in := range u.integrations {
			switch {
			case in.syncDisabled:
				skipped++
			case in.kind == "csv" && (in.sourceMissing || s.cfg.csvNoResync):
				failed = append(failed, map[string]any{"integration_id": in.walletID, "code": "CSV_SOURCE_MISSING"})
			default:
				j := s.queueJob(u, in, kryptos.ResyncFromStart, now)
				triggered = append(triggered, map[string]any{"integration_id": in.walletID, "sync_id": j.id})
			}
		}
		data["resync"] = map[string]any{"triggered": triggered, "failed": failed, "skipped": skipped}
	}
	writeData(w, http.StatusOK, data)
}

// effectiveCap resolves a Guest user's cap: the user's override, then the
// workspace default, then the platform default; -1 means no cap.
func (s *Server) effectiveCap(u *user) int64 {
	limit, on := int64(PlatformTransactionLimit), true
	if s.cfg.wsLimit != nil {
		limit = *s.cfg.wsLimit
	}
	if s.cfg.wsLimiter != nil {
		on = *s.cfg.wsLimiter
	}
	if u.limit != nil {
		limit = *u.limit
	}
	if u.limiter != nil {
		on = *u.limiter
	}
	if !on {
		return -1
	}
	return limit
}
