package connecthttp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

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
	// host ("https://app.example.com"). Their requests get the CORS answers
	// a browser needs (the preflight, and the origin allowed with
	// credentials, for the app's session cookie). Cross-site requests from
	// any other origin are refused.
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
//	POST /exchange-token     {"public_token": "..." | null} -> {"connected": bool, "exchanged": bool}
//	POST /disconnect         -> {"connected": false}
//	GET  /status             -> {"connected": bool, "reason"?, "scopes"?}
//
// A route asked with another method answers 405 with Allow, any other path
// 404, both as {"error": {"code": "bad_request", ...}}.
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
	// trusted are cfg.TrustedOrigins, answered with CORS headers.
	trusted map[string]bool

	mu sync.Mutex
	// flights are the exchanges under way or just done, by the hash of
	// their public token: a double-submitted token is exchanged once.
	flights map[[32]byte]*flight
	// users serialises the changes of one user's connection.
	users userLocks
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
	for _, route := range []struct {
		method, path string
		serve        http.HandlerFunc
	}{
		{http.MethodPost, "/create-link-token", h.createLinkToken},
		{http.MethodPost, "/exchange-token", h.exchangeToken},
		{http.MethodPost, "/disconnect", h.disconnect},
		{http.MethodGet, "/status", h.status},
	} {
		h.mux.HandleFunc(route.method+" "+route.path, route.serve)
		h.mux.HandleFunc(route.path, func(w http.ResponseWriter, r *http.Request) {
			allow := route.method
			if allow == http.MethodGet {
				allow += ", " + http.MethodHead // a GET pattern serves HEAD too
			}
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, CodeBadRequest, route.path+" takes "+route.method)
		})
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, CodeBadRequest, "no such route")
	})
	cop := http.NewCrossOriginProtection()
	h.trusted = map[string]bool{}
	for _, o := range cfg.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("connecthttp: New: %w", &kryptos.ParamError{Field: "TrustedOrigins", Problem: err.Error()})
		}
		h.trusted[o] = true
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, CodeCrossOrigin, "cross-site requests are refused")
	}))
	h.guard = cop.Handler(h.mux)
	return h, nil
}

// ServeHTTP serves the routes. A trusted origin's browser requests get the
// CORS answers a browser needs to send them and hand their answers to the
// page: a preflight is answered, and the origin is allowed with
// credentials (the app's session cookie; the page calls with
// credentials: "include").
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if origin := r.Header.Get("Origin"); origin != "" {
		w.Header().Add("Vary", "Origin")
		if h.trusted[origin] {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
				w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
				w.Header().Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
	}
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
