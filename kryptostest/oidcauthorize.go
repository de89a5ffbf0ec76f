package kryptostest

import (
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/kryptos-connect/kryptos-go"
)

// The authorization step of the code flow: the app redirects the browser
// to /oidc/auth (or /kyber/oauth/authorize), the sandbox shows a consent
// page where the user signs in with an email and allows or denies, and the
// browser goes back to the app's redirect URI with a code or an error.

// GET /oidc/auth and GET /kyber/oauth/authorize
func (s *Server) oidcAuthorize(l layout) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		req, e := s.authorizeRequest(r.URL.Query(), l)
		if e != nil {
			// Errors before the redirect URI is trusted are shown, never
			// redirected (RFC 6749 §4.1.2.1).
			http.Error(w, "sign-in cannot start: "+e.message, e.status)
			return
		}
		s.pending(req)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = consentPage.Execute(w, consentView{
			Request: req.id, Action: s.URL + "/oidc/consent", Client: req.clientID,
			Scopes: req.scopes, Layout: string(l), Email: "alex@example.com",
		})
	}
}

// pending stores a sign-in waiting for the user's answer, and forgets the
// ones that expired unanswered (decide refuses them alike whether they are
// kept or not), so that page loads nobody answers do not pile up. The caller
// holds s.mu.
func (s *Server) pending(req *authRequest) {
	now := s.cfg.clock.Now()
	for id, r := range s.oidc.requests {
		if !now.Before(r.expiresAt) {
			delete(s.oidc.requests, id)
		}
	}
	s.oidc.requests[req.id] = req
}

// authorizeRequest checks an authorization request. The caller holds s.mu.
func (s *Server) authorizeRequest(q url.Values, l layout) (*authRequest, *apiError) {
	bad := func(format string, args ...any) (*authRequest, *apiError) {
		return nil, errorf(http.StatusBadRequest, "invalid_request", format, args...)
	}
	req := &authRequest{
		id: randomHex(12), clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), state: q.Get("state"),
		nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), layout: l,
		expiresAt: s.cfg.clock.Now().Add(OIDCCodeTTL),
	}
	if _, ok := s.state.clients[req.clientID]; !ok {
		return bad("unknown client_id %q", req.clientID)
	}
	if u, err := url.Parse(req.redirectURI); err != nil || !u.IsAbs() || (u.Scheme != "https" && u.Scheme != "http") {
		return bad("redirect_uri must be an absolute http(s) URL")
	}
	if q.Get("response_type") != "code" {
		return bad("response_type must be code")
	}
	if l == kryptosLayout {
		switch {
		case req.state == "":
			return bad("state is required")
		case req.challenge == "" || q.Get("code_challenge_method") != "S256":
			return bad("PKCE is required: send code_challenge with code_challenge_method=S256")
		}
		scopes, err := kryptos.ParseScopes(q.Get("scope"))
		switch {
		case err != nil:
			return bad("scope is malformed")
		case !scopes.Has(kryptos.ScopeOpenID):
			return bad("scope must include openid")
		}
		for _, sc := range scopes {
			if !s.cfg.allowedScopes.Has(sc) {
				// OAUTH.md's invalid_scope: "Requested scope not allowed".
				return nil, errorf(http.StatusBadRequest, "invalid_scope", "scope %q is not allowed for this client", sc)
			}
		}
		req.scopes = scopes
	} else {
		req.scopes = kryptos.Scopes{kryptos.ScopeProfile, kryptos.ScopeEmail}
	}
	return req, nil
}

// POST /oidc/consent: the consent page's form.
func (s *Server) oidcConsent(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	target, e := s.decide(r.PostForm.Get("request"), r.PostForm.Get("email"), r.PostForm.Get("decision") == "allow")
	if e != nil {
		http.Error(w, e.message, e.status)
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// decide ends a pending authorization with the user's answer and returns
// the URL the browser goes back to: the redirect URI with a code, or with
// error=access_denied. The caller holds s.mu.
func (s *Server) decide(requestID, email string, allow bool) (string, *apiError) {
	req := s.oidc.requests[requestID]
	now := s.cfg.clock.Now()
	if req == nil || !now.Before(req.expiresAt) {
		return "", errorf(http.StatusBadRequest, "invalid_request", "this sign-in expired; start again")
	}
	delete(s.oidc.requests, requestID)
	back, _ := url.Parse(req.redirectURI)
	q := back.Query()
	if req.state != "" {
		q.Set("state", req.state)
	}
	if !allow {
		q.Set("error", "access_denied")
		q.Set("error_description", "The user denied the request")
		back.RawQuery = q.Encode()
		return back.String(), nil
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if !strings.Contains(email, "@") {
		return "", errorf(http.StatusBadRequest, "invalid_request", "sign in with an email address")
	}
	u := s.state.usersByEmail[email]
	if u == nil {
		u = s.newUser("uuid-user-"+randomHex(8), false, email)
	}
	g := &grant{id: "ogrant_" + randomHex(12), clientID: req.clientID, userID: u.id, scopes: req.scopes,
		createdAt: now, expiresAt: now.Add(AccessTokenTTL), seq: s.state.grantSeq, oauth: true}
	s.state.grantSeq++
	s.state.grants[g.id] = g
	code := randomHex(20)
	s.oidc.codes[code] = &authCode{clientID: req.clientID, redirectURI: req.redirectURI, challenge: req.challenge,
		nonce: req.nonce, grantID: g.id, layout: req.layout, expiresAt: now.Add(OIDCCodeTTL)}
	q.Set("code", code)
	back.RawQuery = q.Encode()
	return back.String(), nil
}

// Consent does, for the authorization URL an app redirected a browser to,
// what the user does on the consent page: sign in as email and allow (or
// deny). It returns the URL the browser is sent back to, with a code and
// the state, or with error=access_denied: for tests that drive the code
// flow without a browser, as CompleteLink does for the widget.
func (s *Server) Consent(authURL, email string, allow bool) (callbackURL string, err error) {
	u, perr := url.Parse(authURL)
	if perr != nil {
		return "", errorf(http.StatusBadRequest, "invalid_request", "not a URL").toKryptos()
	}
	l := kryptosLayout
	if strings.HasSuffix(u.Path, "/kyber/oauth/authorize") {
		l = kyberLayout
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req, e := s.authorizeRequest(u.Query(), l)
	if e == nil {
		s.pending(req)
		callbackURL, e = s.decide(req.id, email, allow)
	}
	if e != nil {
		return "", e.toKryptos()
	}
	return callbackURL, nil
}

//go:embed oidcconsent.html
var consentHTML string

var consentPage = template.Must(template.New("consent").Parse(consentHTML))

type consentView struct {
	Request, Action, Client, Layout, Email string
	Scopes                                 kryptos.Scopes
}
