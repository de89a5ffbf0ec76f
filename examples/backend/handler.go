package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/kryptos-connect/kryptos-go"
)

// Handler is the backend the Kryptos Web SDK expects:
//
//	POST /api/kryptos/create-link-token  -> {"link_token", "isAuthorized"}  (generateLinkToken)
//	POST /api/kryptos/exchange-token     {"public_token"} -> {"success": true}  (onConnectSuccess)
//	GET  /api/kryptos/session            -> {"connected", "reason"?, "scopes"?}
//	POST /api/kryptos/disconnect         -> {"success": true}  (revokes the grant)
//
// Requests are made on behalf of the app user that userID names; in this
// example the X-User-Id header stands in for your own authentication.
type Handler struct {
	Client *kryptos.Client
	Store  TokenStore
	Log    *slog.Logger
	// UserID returns the signed-in app user, or "" when there is none.
	UserID func(*http.Request) string
}

// Routes returns the four endpoints, to mount on your server.
func (h *Handler) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/kryptos/create-link-token", h.createLinkToken)
	mux.HandleFunc("POST /api/kryptos/exchange-token", h.exchangeToken)
	mux.HandleFunc("GET /api/kryptos/session", h.session)
	mux.HandleFunc("POST /api/kryptos/disconnect", h.disconnect)
	return mux
}

func (h *Handler) createLinkToken(w http.ResponseWriter, r *http.Request) {
	_, conn, _, ok := h.connection(w, r)
	if !ok {
		return
	}
	// A stored token lets a returning user skip sign-in. If it expired or
	// was revoked, Kryptos answers with a plain link token instead, so
	// isAuthorized must come from the answer, not from having sent one.
	lt, err := h.Client.CreateLinkToken(r.Context(), kryptos.LinkTokenParams{AccessToken: kryptos.NewSecret(conn.AccessToken)})
	if err != nil {
		h.fail(w, "creating a link token", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"link_token": lt.Token.Reveal(), "isAuthorized": lt.HasExistingGrant})
}

func (h *Handler) exchangeToken(w http.ResponseWriter, r *http.Request) {
	user, ok := h.user(w, r)
	if !ok {
		return
	}
	var body struct {
		PublicToken string `json:"public_token"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body); err != nil || body.PublicToken == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": `send {"public_token": "..."}; a returning user's widget returns null and needs no exchange`})
		return
	}
	grant, err := h.Client.ExchangePublicToken(r.Context(), body.PublicToken)
	if err != nil {
		h.fail(w, "exchanging the public token", err)
		return
	}
	if err := h.Store.Put(r.Context(), user, Connection{AccessToken: grant.AccessToken.Reveal(), GrantID: grant.GrantID, WorkspaceID: grant.WorkspaceID}); err != nil {
		h.fail(w, "saving the connection", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}

func (h *Handler) session(w http.ResponseWriter, r *http.Request) {
	_, conn, found, ok := h.connection(w, r)
	if !ok {
		return
	}
	if !found {
		writeJSON(w, http.StatusOK, map[string]any{"connected": false, "reason": "not_connected"})
		return
	}
	s, err := h.Client.CheckSession(r.Context(), conn.AccessToken)
	if err != nil {
		h.fail(w, "checking the session", err)
		return
	}
	if !s.Valid {
		writeJSON(w, http.StatusOK, map[string]any{"connected": false, "reason": s.Reason})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"connected": true, "scopes": s.GrantedScopes})
}

func (h *Handler) disconnect(w http.ResponseWriter, r *http.Request) {
	user, conn, found, ok := h.connection(w, r)
	if !ok {
		return
	}
	if found {
		// A grant that is already gone is as good as revoked.
		if err := h.Client.RevokeGrant(r.Context(), conn.GrantID); err != nil && !errors.Is(err, kryptos.ErrGrantNotFound) {
			h.fail(w, "revoking the grant", err)
			return
		}
		if err := h.Store.Delete(r.Context(), user); err != nil {
			h.fail(w, "deleting the connection", err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}

// connection returns the signed-in user and their stored connection, if any;
// when it returns false it has answered the request already.
func (h *Handler) connection(w http.ResponseWriter, r *http.Request) (user string, conn Connection, found, ok bool) {
	if user, ok = h.user(w, r); !ok {
		return "", Connection{}, false, false
	}
	conn, found, err := h.Store.Get(r.Context(), user)
	if err != nil {
		h.fail(w, "reading the token store", err)
		return "", Connection{}, false, false
	}
	return user, conn, found, true
}

func (h *Handler) user(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := h.UserID(r)
	if id == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "sign in first"})
		return "", false
	}
	return id, true
}

// fail logs what went wrong (kryptos errors carry no secrets) and answers
// without details.
func (h *Handler) fail(w http.ResponseWriter, what string, err error) {
	h.Log.Error("kryptos backend: "+what, "err", err)
	status := http.StatusBadGateway
	if errors.Is(err, kryptos.ErrTokenExpired) || errors.Is(err, kryptos.ErrTokenAlreadyUsed) ||
		errors.Is(err, kryptos.ErrInvalidToken) || errors.Is(err, kryptos.ErrInvalidParams) {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, map[string]any{"error": "failed " + what})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
