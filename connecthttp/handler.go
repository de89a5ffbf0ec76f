package connecthttp

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// Config is what a Handler needs.
type Config struct {
	// Client calls the Connect API with the app's client credentials.
	Client *kryptos.Client
	// Store keeps each user's connection.
	Store TokenStore
	// UserID identifies the app's signed-in user from the request (its
	// session cookie, say). "" means nobody is signed in: the request gets
	// 401. An error gets 500.
	UserID func(*http.Request) (string, error)
	// Scopes asked of the user; kryptos.DefaultScopes when nil.
	Scopes kryptos.Scopes
	// TrustedOrigins are origins other than the app's own allowed to call
	// the routes from a browser, such as a frontend served from another
	// host ("https://app.example.com"). Cross-site requests from any other
	// origin are refused.
	TrustedOrigins []string
	// MaxBodyBytes caps request bodies; 4 KiB when 0.
	MaxBodyBytes int64
	// Logger receives what went wrong, without tokens; nothing when nil.
	Logger *slog.Logger
}

// The error codes the routes answer with, in {"error": {"code", "message"}},
// for the frontend to act on. The message is for people; it never repeats
// an SDK error.
const (
	CodeNotSignedIn    = "not_signed_in"   // 401: sign the user in to the app first
	CodeBadRequest     = "bad_request"     // 400: the request is malformed
	CodeLinkExpired    = "link_expired"    // 409: start the widget again with a new link token
	CodeOutcomeUnknown = "outcome_unknown" // 502: the connection may or may not have been made; ask /status, or start again
	CodeRateLimited    = "rate_limited"    // 429: wait Retry-After seconds
	CodeUnavailable    = "unavailable"     // 502: Kryptos or the store failed; try again later
	CodeCrossOrigin    = "cross_origin"    // 403: a cross-site request
	CodeTooLarge       = "too_large"       // 413
	CodeUnsupported    = "unsupported_media_type"
)

// Handler serves, below wherever it is mounted (use http.StripPrefix):
//
//	POST /create-link-token  -> {"link_token", "isAuthorized"}
//	POST /exchange-token     {"public_token": "..." | null} -> {"connected": true, "exchanged": bool}
//	POST /disconnect         -> {"connected": false}
//	GET  /status             -> {"connected": bool, "reason"?, "scopes"?}
//
// A user holds one connection: exchanging again replaces it and revokes
// the grant it replaced. Within a process, exchanges and disconnects of one
// user take turns; two replicas sharing a store that exchange for the same
// user at the same moment can still leave one grant behind, as TokenStore
// has no compare-and-swap. The reason of a user who is not connected is
// "not_connected", "unreadable" (a stored connection that cannot be opened:
// see ErrUnreadable), or the API's (kryptos.Session.Reason).
type Handler struct {
	cfg    Config
	mux    *http.ServeMux
	guard  http.Handler
	logger *slog.Logger

	mu sync.Mutex
	// flights are the exchanges under way or just done, by the hash of
	// their public token: a double-submitted token is exchanged once.
	flights map[[32]byte]*flight
	// users serialises the changes of one user's connection.
	users userLocks
}

// flight is one public token's exchange.
type flight struct {
	user string
	done chan struct{}
	err  error
	at   time.Time
}

// New checks cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	switch {
	case cfg.Client == nil:
		return nil, fmt.Errorf("connecthttp: New: %w", &kryptos.ParamError{Field: "Client", Problem: "must not be nil"})
	case cfg.Store == nil:
		return nil, fmt.Errorf("connecthttp: New: %w", &kryptos.ParamError{Field: "Store", Problem: "must not be nil"})
	case cfg.UserID == nil:
		return nil, fmt.Errorf("connecthttp: New: %w", &kryptos.ParamError{Field: "UserID", Problem: "must not be nil: the routes act for the app's signed-in user"})
	case cfg.MaxBodyBytes < 0:
		return nil, fmt.Errorf("connecthttp: New: %w", &kryptos.ParamError{Field: "MaxBodyBytes", Problem: "must not be negative"})
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 4 << 10
	}
	if cfg.Scopes == nil {
		cfg.Scopes = kryptos.DefaultScopes()
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), logger: cfg.Logger, flights: map[[32]byte]*flight{}}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	h.mux.HandleFunc("POST /create-link-token", h.createLinkToken)
	h.mux.HandleFunc("POST /exchange-token", h.exchangeToken)
	h.mux.HandleFunc("POST /disconnect", h.disconnect)
	h.mux.HandleFunc("GET /status", h.status)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, CodeBadRequest, "no such route")
	})
	cop := http.NewCrossOriginProtection()
	for _, o := range cfg.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("connecthttp: New: %w", &kryptos.ParamError{Field: "TrustedOrigins", Problem: err.Error()})
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, CodeCrossOrigin, "cross-site requests are refused")
	}))
	h.guard = cop.Handler(h.mux)
	return h, nil
}

// ServeHTTP serves the routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h.guard.ServeHTTP(w, r)
}

func (h *Handler) createLinkToken(w http.ResponseWriter, r *http.Request) {
	user, ok := h.user(w, r)
	if !ok {
		return
	}
	p := kryptos.LinkTokenParams{Scopes: h.cfg.Scopes}
	switch conn, err := h.cfg.Store.Get(r.Context(), user); {
	case err == nil:
		// The stored token lets a returning user skip sign-in; if it no
		// longer works, Kryptos answers with a plain link token.
		p.AccessToken = conn.AccessToken
	case errors.Is(err, ErrUnreadable):
		// The user connects again, which replaces it.
		h.logger.Warn("connecthttp: a stored connection cannot be opened; the user is asked to connect again", "err", err)
	case !errors.Is(err, ErrNoConnection):
		h.fail(w, r, "reading the stored connection", err)
		return
	}
	lt, err := h.cfg.Client.CreateLinkToken(r.Context(), p)
	if err != nil {
		h.fail(w, r, "creating a link token", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"link_token": lt.Token.Reveal(), "isAuthorized": lt.HasExistingGrant})
}

func (h *Handler) exchangeToken(w http.ResponseWriter, r *http.Request) {
	user, ok := h.user(w, r)
	if !ok {
		return
	}
	var body *struct {
		PublicToken *string `json:"public_token"`
	}
	if !h.decode(w, r, &body) {
		return
	}
	if body == nil || body.PublicToken == nil {
		// A returning user's widget hands over null: nothing to exchange.
		writeJSON(w, http.StatusOK, map[string]any{"connected": true, "exchanged": false})
		return
	}
	public := *body.PublicToken
	if !strings.HasPrefix(public, "public_") || len(public) > 1024 || strings.ContainsFunc(public, func(r rune) bool { return r <= ' ' }) {
		writeError(w, http.StatusBadRequest, CodeBadRequest, `send {"public_token": "public_..."} as the widget gave it`)
		return
	}
	f, mine := h.claim(public, user)
	if f.user != user {
		writeError(w, http.StatusConflict, CodeLinkExpired, "this public token belongs to another session; start again")
		return
	}
	if mine {
		// The exchange runs to its end even if the browser goes away: the
		// public token works once, and an exchange cut off after it was
		// sent would lose the connection.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), exchangeTimeout)
		f.err = h.exchange(ctx, user, public)
		cancel()
		h.finish(f, public)
	} else {
		select {
		case <-f.done:
		case <-r.Context().Done():
			return
		}
	}
	if f.err != nil {
		h.fail(w, r, "exchanging the public token", f.err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"connected": true, "exchanged": true})
}

// claim returns the flight of a public token, and whether the caller must
// fly it (the first request with the token); later requests wait for it
// and share its outcome.
func (h *Handler) claim(public, user string) (*flight, bool) {
	key := sha256.Sum256([]byte(public))
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	for k, f := range h.flights {
		if now.Sub(f.at) > kryptosPublicTokenTTL && isDone(f) {
			delete(h.flights, k)
		}
	}
	if f := h.flights[key]; f != nil {
		return f, false
	}
	f := &flight{user: user, done: make(chan struct{}), at: now}
	h.flights[key] = f
	return f, true
}

// finish ends a flight. One that failed without spending the token (it
// was refused before or by the API, not lost on the way) is forgotten, so
// that the browser may try again; one whose outcome is unknown is kept, so
// the token is never sent twice.
func (h *Handler) finish(f *flight, public string) {
	close(f.done)
	if f.err != nil && !errors.Is(f.err, kryptos.ErrOutcomeUnknown) {
		h.mu.Lock()
		delete(h.flights, sha256.Sum256([]byte(public)))
		h.mu.Unlock()
	}
}

// exchangeTimeout bounds an exchange, retries included.
const exchangeTimeout = time.Minute

func isDone(f *flight) bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// kryptosPublicTokenTTL is how long a public token lives (API.md §3): a
// double submission cannot come later than that.
const kryptosPublicTokenTTL = 30 * time.Minute

// exchange spends the public token and stores the connection, in place of
// any the user had, whose grant it then revokes. If the store fails, the new
// grant is revoked instead, rather than left working with nobody holding
// its token.
func (h *Handler) exchange(ctx context.Context, user, public string) error {
	grant, err := h.cfg.Client.ExchangePublicToken(ctx, public)
	if errors.Is(err, kryptos.ErrTokenAlreadyUsed) && !errors.Is(err, kryptos.ErrOutcomeUnknown) {
		// Another replica may have exchanged the same double-submitted
		// token a moment ago: its connection is then stored already.
		if conn, gerr := h.cfg.Store.Get(ctx, user); gerr == nil && time.Since(conn.ConnectedAt) < kryptosPublicTokenTTL {
			return nil
		}
	}
	if err != nil {
		return err
	}
	conn := Connection{AccessToken: grant.AccessToken, GrantID: grant.GrantID, WorkspaceID: grant.WorkspaceID,
		Scopes: grant.Scopes, ConnectedAt: time.Now().UTC()}
	if conn.GrantID == "" {
		// Older API versions answer without it: the session names it, and
		// /disconnect needs it.
		conn.GrantID = h.sessionGrant(ctx, &conn)
	}
	defer h.users.lock(user)()
	replaced, err := h.cfg.Store.Get(ctx, user)
	if err != nil && !errors.Is(err, ErrUnreadable) {
		replaced = nil // none, or the store failed: Put will tell
	}
	if err := h.cfg.Store.Put(ctx, user, conn); err != nil {
		if rerr := h.revoke(context.WithoutCancel(ctx), conn.GrantID); rerr != nil {
			h.logger.Error("connecthttp: revoking a grant whose token could not be stored", "grant_id", conn.GrantID, "err", rerr)
		}
		return fmt.Errorf("storing the connection: %w", err)
	}
	if replaced != nil {
		// Nobody holds the replaced grant's token any more, unless the
		// API gave the same grant again: with the new grant unnamed, that
		// cannot be ruled out, and it is left rather than risk revoking
		// the connection just stored.
		switch id := h.grantOf(ctx, replaced); {
		case conn.GrantID == "":
			h.logger.Warn("connecthttp: the grant a new connection replaced is left active: the new one's grant is unknown", "grant_id", id)
		case id != conn.GrantID:
			if err := h.revoke(context.WithoutCancel(ctx), id); err != nil {
				h.logger.Error("connecthttp: revoking the grant a new connection replaced", "grant_id", id, "err", err)
			}
		}
	}
	return nil
}

// grantOf names conn's grant: its GrantID, or else the one its session
// names.
func (h *Handler) grantOf(ctx context.Context, conn *Connection) string {
	if conn.GrantID != "" {
		return conn.GrantID
	}
	return h.sessionGrant(ctx, conn)
}

// revoke revokes the grant id. A grant that is gone already is as good as
// revoked, and so is one that cannot be named ("").
func (h *Handler) revoke(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	if err := h.cfg.Client.RevokeGrant(ctx, id); err != nil && !errors.Is(err, kryptos.ErrGrantNotFound) {
		return err
	}
	return nil
}

// sessionGrant asks the API which grant conn's access token belongs to: ""
// when it does not say, or the token opens no session.
func (h *Handler) sessionGrant(ctx context.Context, conn *Connection) string {
	if conn.AccessToken.Reveal() == "" {
		return ""
	}
	s, err := h.cfg.Client.CheckSession(ctx, conn.AccessToken.Reveal())
	if err != nil {
		h.logger.Warn("connecthttp: asking which grant a token belongs to", "err", err)
		return ""
	}
	return s.GrantID
}

func (h *Handler) disconnect(w http.ResponseWriter, r *http.Request) {
	user, ok := h.user(w, r)
	if !ok {
		return
	}
	defer h.users.lock(user)()
	conn, err := h.cfg.Store.Get(r.Context(), user)
	switch {
	case errors.Is(err, ErrNoConnection):
		writeJSON(w, http.StatusOK, map[string]any{"connected": false})
		return
	case err != nil && !errors.Is(err, ErrUnreadable):
		h.fail(w, r, "reading the stored connection", err)
		return
	}
	if conn != nil { // an unreadable connection may still name its grant
		if err := h.revoke(r.Context(), h.grantOf(r.Context(), conn)); err != nil {
			h.fail(w, r, "revoking the grant", err)
			return
		}
	}
	if err := h.cfg.Store.Delete(r.Context(), user); err != nil {
		h.fail(w, r, "deleting the stored connection", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"connected": false})
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	user, ok := h.user(w, r)
	if !ok {
		return
	}
	conn, err := h.cfg.Store.Get(r.Context(), user)
	switch {
	case errors.Is(err, ErrNoConnection):
		writeJSON(w, http.StatusOK, map[string]any{"connected": false, "reason": "not_connected"})
		return
	case errors.Is(err, ErrUnreadable):
		writeJSON(w, http.StatusOK, map[string]any{"connected": false, "reason": "unreadable"})
		return
	case err != nil:
		h.fail(w, r, "reading the stored connection", err)
		return
	}
	s, err := h.cfg.Client.CheckSession(r.Context(), conn.AccessToken.Reveal())
	if err != nil {
		h.fail(w, r, "checking the session", err)
		return
	}
	if !s.Valid {
		writeJSON(w, http.StatusOK, map[string]any{"connected": false, "reason": s.Reason})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"connected": true, "scopes": s.GrantedScopes})
}

// user returns the signed-in app user; when it returns false it has
// answered already.
func (h *Handler) user(w http.ResponseWriter, r *http.Request) (string, bool) {
	id, err := h.cfg.UserID(r)
	switch {
	case err != nil:
		h.logger.Error("connecthttp: identifying the user", "err", err)
		writeError(w, http.StatusInternalServerError, CodeUnavailable, "the app could not tell who you are")
		return "", false
	case id == "":
		writeError(w, http.StatusUnauthorized, CodeNotSignedIn, "sign in first")
		return "", false
	}
	return id, true
}

// decode reads a JSON body of at most MaxBodyBytes into v. An empty body is
// JSON null.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if media, _, err := mime.ParseMediaType(ct); err != nil || media != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, CodeUnsupported, "send JSON")
			return false
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "the body is too large")
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, CodeBadRequest, "the body could not be read")
		return false
	case len(strings.TrimSpace(string(body))) == 0:
		return true
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "the body is not the expected JSON")
		return false
	}
	return true
}

// fail logs err (kryptos errors hold no secret) and answers with the code
// the frontend can act on, never with err's text.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	var apiErr *kryptos.Error
	switch {
	case errors.Is(err, kryptos.ErrOutcomeUnknown):
		h.logger.Warn("connecthttp: "+what, "err", err)
		writeError(w, http.StatusBadGateway, CodeOutcomeUnknown, "the connection may not have been made; check the status, or connect again")
	case errors.Is(err, kryptos.ErrTokenExpired), errors.Is(err, kryptos.ErrTokenAlreadyUsed),
		errors.Is(err, kryptos.ErrInvalidToken), errors.Is(err, kryptos.ErrAccessDenied):
		h.logger.Info("connecthttp: "+what, "err", err)
		writeError(w, http.StatusConflict, CodeLinkExpired, "this link is no longer valid; connect again")
	case errors.Is(err, kryptos.ErrRateLimited):
		h.logger.Warn("connecthttp: "+what, "err", err)
		if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(apiErr.RetryAfter.Seconds()+0.999)))
		}
		writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests; try again later")
	case errors.Is(err, kryptos.ErrQuotaWait):
		h.logger.Warn("connecthttp: "+what, "err", err)
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests; try again later")
	case r.Context().Err() != nil:
		// The browser went away; nobody reads the answer.
	default:
		h.logger.Error("connecthttp: "+what, "err", err)
		writeError(w, http.StatusBadGateway, CodeUnavailable, "the service is unavailable; try again later")
	}
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
