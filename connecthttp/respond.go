package connecthttp

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

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
			w.Header().Set("Retry-After", seconds(apiErr.RetryAfter))
		}
		writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests; try again later")
	case errors.Is(err, kryptos.ErrQuotaWait):
		h.logger.Warn("connecthttp: "+what, "err", err)
		retry := "60"
		var q *kryptos.QuotaWaitError
		if errors.As(err, &q) && q.Wait > 0 {
			retry = seconds(q.Wait) // what the quota would have held the call
		}
		w.Header().Set("Retry-After", retry)
		writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests; try again later")
	case r.Context().Err() != nil:
		// The browser went away; nobody reads the answer.
	default:
		h.logger.Error("connecthttp: "+what, "err", err)
		writeError(w, http.StatusBadGateway, CodeUnavailable, "the service is unavailable; try again later")
	}
}

// seconds is a Retry-After value: d in whole seconds, rounded up.
func seconds(d time.Duration) string {
	return strconv.FormatInt(int64(math.Ceil(min(d.Seconds(), math.MaxInt32))), 10)
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
