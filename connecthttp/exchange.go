package connecthttp

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// flight is one public token's exchange.
type flight struct {
	key  [32]byte // the hash of its public token, its key in Handler.flights
	user string
	done chan struct{}
	err  error
	at   time.Time
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
		// It makes no connection: say whether one is stored.
		_, err := h.cfg.Store.Get(r.Context(), user)
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, map[string]any{"connected": true, "exchanged": false})
		case errors.Is(err, ErrNoConnection), errors.Is(err, ErrUnreadable):
			writeJSON(w, http.StatusOK, map[string]any{"connected": false, "exchanged": false})
		default:
			h.fail(w, r, "reading the stored connection", err)
		}
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
		f.err = h.run(context.WithoutCancel(r.Context()), f, public)
		h.finish(f)
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
	f := &flight{key: key, user: user, done: make(chan struct{}), at: now}
	h.flights[key] = f
	return f, true
}

// errExchangePanicked is the outcome of an exchange that panicked (in the
// app's Store, say): the public token may have been spent.
var errExchangePanicked = fmt.Errorf("%w: the exchange panicked", kryptos.ErrOutcomeUnknown)

// run flies f. If the exchange panics, the flight still ends, as one whose
// outcome is unknown (so the token is not sent again, and the flight is
// swept in time), before the panic goes on to net/http: otherwise every
// request that shares it would wait for ever, and it would stay in
// h.flights for good.
func (h *Handler) run(ctx context.Context, f *flight, public string) error {
	ctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	ended := false
	defer func() {
		if !ended {
			f.err = errExchangePanicked
			h.finish(f)
		}
	}()
	err := h.exchange(ctx, f.user, public)
	ended = true
	return err
}

// finish ends a flight. One that failed without spending the token (it
// was refused before or by the API, not lost on the way) is forgotten, so
// that the browser may try again; one whose outcome is unknown is kept, so
// the token is never sent twice.
func (h *Handler) finish(f *flight) {
	close(f.done)
	if f.err != nil && !errors.Is(f.err, kryptos.ErrOutcomeUnknown) {
		h.mu.Lock()
		delete(h.flights, f.key)
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
		Scopes: grant.Scopes, ConnectedAt: time.Now().UTC(), RefreshToken: grant.RefreshToken}
	if grant.ExpiresIn > 0 {
		conn.ExpiresAt = conn.ConnectedAt.Add(grant.ExpiresIn)
	}
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
