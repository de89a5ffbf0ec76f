package kryptostest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// The data API's common ground: who a request is from, its query
// parameters, its paging, and the envelopes and error shapes of
// DATA-API.md §2 and §3, which differ by endpoint family.

// dataRequest is a data API request, resolved to its user.
type dataRequest struct {
	// grant is the grant behind a bearer token; nil for an API key.
	grant *grant
	user  *user
	q     url.Values
	now   time.Time
}

// dataAuth says what a data endpoint accepts.
type dataAuth struct {
	// scope the grant needs; "" for none.
	scope kryptos.Scope
	// apiKey: the endpoint also takes an x-api-key (only /v1/users/*).
	apiKey bool
}

// dataUser starts a data API request: it resolves the bearer token (or the
// API key, where accepted) to its user, counts the request against the
// client's data quota, checks the grant's scope and any workspace id the
// request names, and answers the error itself when one fails. The caller
// holds s.mu.
func (s *Server) dataUser(w http.ResponseWriter, r *http.Request, need dataAuth) (*dataRequest, bool) {
	now := s.cfg.clock.Now()
	req := &dataRequest{q: r.URL.Query(), now: now}
	key := r.Header.Get("X-Api-Key")
	token, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case key != "" && bearer:
		writeOAuthError(w, http.StatusBadRequest, "bad_request", "send x-api-key or Authorization, not both")
		return nil, false
	case key != "":
		userID, ok := s.state.apiKeys[key]
		if !ok || !need.apiKey {
			writeOAuthError(w, http.StatusUnauthorized, "unauthorized", "API keys reach only /v1/users/*, and this one is not valid")
			return nil, false
		}
		req.user = s.state.users[userID]
		if !s.admitData(w, r, s.ClientID) {
			return nil, false
		}
		// A key is bound to its user's workspace (§1.1, §1.2).
		return req, boundWorkspace(w, req)
	case !bearer || token == "":
		writeOAuthError(w, http.StatusUnauthorized, "unauthorized", "a bearer access token is required")
		return nil, false
	}
	g, reason := s.state.tokenState(token, now)
	switch reason {
	case "":
	case "grant_revoked":
		writeOAuthError(w, http.StatusUnauthorized, "unauthorized", "the grant was revoked")
		return nil, false
	default:
		writeOAuthError(w, http.StatusUnauthorized, "unauthorized", "the access token is expired or invalid")
		return nil, false
	}
	if !s.admitData(w, r, g.clientID) {
		return nil, false
	}
	if need.scope != "" && !g.scopes.Has(need.scope) {
		writeOAuthError(w, http.StatusForbidden, "insufficient_scope", "Missing: "+string(need.scope))
		return nil, false
	}
	req.grant, req.user = g, s.state.users[g.userID]
	return req, boundWorkspace(w, req)
}

// boundWorkspace checks any workspace id the request names against the one
// its credential is bound to, token or API key alike: another one is 403
// forbidden (DATA-API.md §1.2). It answers the error itself.
func boundWorkspace(w http.ResponseWriter, req *dataRequest) bool {
	for _, name := range []string{"workspaceId", "wid"} {
		if wid := req.q.Get(name); wid != "" && wid != req.user.workspace.id {
			writeOAuthError(w, http.StatusForbidden, "forbidden", "the credential is bound to another workspace")
			return false
		}
	}
	return true
}

// IssueAPIKey gives the Linked user userID an API key (kryptos_live_…), the
// credential that reaches only /v1/users/*. Guests have no API keys.
func (s *Server) IssueAPIKey(userID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.state.users[userID]
	switch {
	case u == nil:
		return "", errorf(http.StatusNotFound, "NOT_FOUND", "no user %q", userID).toKryptos()
	case u.guest:
		return "", errorf(http.StatusBadRequest, "VALIDATION_ERROR", "Guest users have no API keys").toKryptos()
	}
	key := "kryptos_live_" + randomHex(16)
	s.state.apiKeys[key] = userID
	return key, nil
}

// Query parameters.

// intParam reads an integer parameter, def when absent. A value that is not
// an integer, or outside [lo, hi], is a validation error.
func intParam(q url.Values, name string, def, lo, hi int) (int, *apiError) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, validation(name, "must be an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
	}
	return n, nil
}

// boolParam reads a boolean flag: "true" or "1", "false" or "0". set says
// whether it was sent.
func boolParam(q url.Values, name string) (value, set bool, e *apiError) {
	switch q.Get(name) {
	case "":
		return false, false, nil
	case "true", "1":
		return true, true, nil
	case "false", "0":
		return false, true, nil
	}
	return false, false, validation(name, "must be true or false")
}

// listParam reads a comma-separated list parameter.
func listParam(q url.Values, name string) []string {
	v := q.Get(name)
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// oneOfParam reads a parameter that takes one of a few values, def when
// absent.
func oneOfParam(q url.Values, name, def string, allowed ...string) (string, *apiError) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", validation(name, "must be one of "+strings.Join(allowed, ", "))
}

// validation is the wrapped error of a parameter that failed validation,
// with details.issues naming it.
func validation(field, problem string) *apiError {
	e := errorf(http.StatusBadRequest, "VALIDATION_ERROR", "Validation failed")
	e.details = map[string]any{"issues": []map[string]any{{"path": []string{field}, "message": problem}}}
	return e
}

// Paging.

// offsetPage reads offset and limit (DATA-API.md §2.2, families B, C and
// D): a limit outside [1, max] is a validation error.
func offsetPage(q url.Values, defLimit, maxLimit int) (offset, limit int, e *apiError) {
	if offset, e = intParam(q, "offset", 0, 0, 1<<31-1); e != nil {
		return 0, 0, e
	}
	limit, e = intParam(q, "limit", defLimit, 1, maxLimit)
	return offset, limit, e
}

// numberedPage reads page and limit (family A): a limit over max is
// silently clamped to max, as the docs say.
func numberedPage(q url.Values, defLimit, maxLimit int) (page, limit int, e *apiError) {
	if page, e = intParam(q, "page", 1, 1, 1<<31-1); e != nil {
		return 0, 0, e
	}
	if limit, e = intParam(q, "limit", defLimit, 1, 1<<31-1); e != nil {
		return 0, 0, e
	}
	return page, min(limit, maxLimit), nil
}

// window returns the part of n entries from offset, at most limit long, as
// slice bounds.
func window(n, offset, limit int) (from, to int) {
	from = min(offset, n)
	return from, min(from+limit, n)
}

// pagination is the paging block of the page-number lists.
func pagination(page, limit, total int) map[string]any {
	pages := (total + limit - 1) / limit
	return map[string]any{"page": page, "limit": limit, "total": total, "totalPages": pages, "hasMore": page < pages}
}

// Envelopes and errors.

// writeFlat answers the flattened shape {success, data, ...fields}.
func writeFlat(w http.ResponseWriter, data any, fields map[string]any) {
	body := map[string]any{"success": true, "data": data}
	for k, v := range fields {
		body[k] = v
	}
	writeJSON(w, http.StatusOK, body)
}

// writeBare answers the bare shape of transactions and ledgers: {data} and,
// for lists, meta; no success field.
func writeBare(w http.ResponseWriter, data any, meta map[string]any) {
	body := map[string]any{"data": data}
	if meta != nil {
		body["meta"] = meta
	}
	writeJSON(w, http.StatusOK, body)
}

// writeNested answers the nested error of transactions and ledgers,
// {error: {code, message}}.
func writeNested(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message}})
}

// nestedFamily reports whether path is one of the transactions and ledgers
// endpoints, whose errors are nested (DATA-API.md §2.1, §3.3).
func nestedFamily(path string) bool {
	for _, prefix := range []string{"/v1/transactions", "/v1/ledgers"} {
		if path == prefix || strings.HasPrefix(path, prefix+"/") {
			return true
		}
	}
	return false
}

// writeOAuthError answers the OAuth-style error of the data API's
// authorization checks, {error, error_description}.
func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]any{"error": code, "error_description": description})
}

// writeNotFound answers the code-less 404 of single reads: {success: false,
// error}.
func writeNotFound(w http.ResponseWriter, message string) {
	writeJSON(w, http.StatusNotFound, map[string]any{"success": false, "error": message})
}

// Encodings (DATA-API.md §1.4).

// iso prints a time as the data API does, "2026-08-13T09:14:22.000Z", or
// null for the zero time.
func iso(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// millis prints a time as Unix milliseconds, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// round2 rounds a money amount to cents, as the API's JSON numbers are.
func round2(v float64) float64 { return float64(int64(v*100+0.5*sign(v))) / 100 }

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// Shared objects.

// accountJSON is an integration as other objects name it: a holding's
// share, a DeFi position's owner, an NFT's source.
func accountJSON(in *integration) map[string]any {
	return map[string]any{
		"provider": in.provider.id, "providerPublicName": in.provider.publicName, "walletId": in.walletID,
		"publicAddress": in.address, "logoUrl": in.provider.logo(), "alias": in.alias,
	}
}

// priceJSON is a valuation object: {price, baseCurrency, timestamp (Unix
// ms), source}.
func priceJSON(price float64, at time.Time, source string) map[string]any {
	return map[string]any{"price": price, "baseCurrency": "USD", "timestamp": millis(at), "source": source}
}
