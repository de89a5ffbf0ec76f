package kryptostest

import (
	"net/http"

	"github.com/kryptos-connect/kryptos-go"
)

// credentials are the client credentials older API versions took in the
// body; the headers X-Client-Id and X-Client-Secret take precedence.
type credentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// withClient starts a Connect backend request: it decodes the JSON body into
// req (unless req is nil), takes s.mu, authenticates the client by the
// X-Client-Id and X-Client-Secret headers, or by body, the credentials older
// API versions took in the body, and counts the request against the
// client's quota of class. On success it returns the client's ID with s.mu
// held, for the caller to release; otherwise it has answered the error.
func (s *Server) withClient(w http.ResponseWriter, r *http.Request, class kryptos.QuotaClass, req any, body *credentials) (string, bool) {
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
	if !s.admit(w, id, class) {
		s.mu.Unlock()
		return "", false
	}
	return id, true
}
