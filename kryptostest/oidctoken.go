package kryptostest

import (
	"net/http"
	"strings"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// POST /oidc/token and POST /kyber/oauth/token: code exchange (with PKCE in
// the Kryptos layout), refresh with rotation and reuse detection (also of
// legacy Connect crt_ tokens), and client credentials.
func (s *Server) oidcToken(l layout) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.oauthClientCall(w, r, l, kryptos.ClassOIDCToken, func(clientID string) {
			f := r.PostForm
			switch f.Get("grant_type") {
			case "authorization_code":
				s.exchangeCode(w, l, clientID, f.Get("code"), f.Get("redirect_uri"), f.Get("code_verifier"))
			case "refresh_token":
				s.refreshGrant(w, l, clientID, f.Get("refresh_token"))
			case "client_credentials":
				s.clientCredentials(w, l, clientID, f.Get("scope"))
			case "":
				oauthError(w, l, http.StatusBadRequest, "invalid_request", "grant_type is required")
			default:
				oauthError(w, l, http.StatusBadRequest, "unsupported_grant_type", "grant_type "+f.Get("grant_type")+" is not supported")
			}
		})
	}
}

// oauthClientCall runs serve for a form-encoded request of an OAuth client
// to an endpoint of class: it parses the form, authenticates the client and
// counts the call against its quota, answering any failure itself. serve
// runs with s.mu held.
func (s *Server) oauthClientCall(w http.ResponseWriter, r *http.Request, l layout, class kryptos.QuotaClass, serve func(clientID string)) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, l, http.StatusBadRequest, "invalid_request", "the body must be form-encoded")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	clientID, ok := s.clientOf(r)
	if !ok {
		oauthError(w, l, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if s.admit(w, clientID, class) {
		serve(clientID)
	}
}

// exchangeCode turns a code into tokens. Codes work once and for 10
// minutes; the verifier must match the challenge. The caller holds s.mu.
func (s *Server) exchangeCode(w http.ResponseWriter, l layout, clientID, code, redirectURI, verifier string) {
	c := s.oidc.codes[code]
	now := s.cfg.clock.Now()
	switch {
	case c == nil || c.clientID != clientID || c.layout != l:
		oauthError(w, l, http.StatusBadRequest, "invalid_grant", "the code is not valid")
		return
	case c.used:
		// A replayed code: revoke what it gave (RFC 6749 §4.1.2).
		s.state.grants[c.grantID].revoked = true
		oauthError(w, l, http.StatusBadRequest, "invalid_grant", "the code was already used")
		return
	case !now.Before(c.expiresAt):
		oauthError(w, l, http.StatusBadRequest, "invalid_grant", "the code expired")
		return
	case c.redirectURI != redirectURI:
		oauthError(w, l, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
		return
	case c.challenge != "" && !validVerifier(verifier):
		// RFC 7636 §4.1, and OAUTH.md: 43 to 128 characters.
		oauthError(w, l, http.StatusBadRequest, "invalid_grant", "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]")
		return
	case c.challenge != "" && s256(verifier) != c.challenge:
		oauthError(w, l, http.StatusBadRequest, "invalid_grant", "the code_verifier does not match the code_challenge")
		return
	}
	c.used = true
	g := s.state.grants[c.grantID]
	writeJSON(w, http.StatusOK, s.issueTokens(l, g, "", c.nonce, now))
}

// refreshGrant rotates a refresh token: the answer carries a new one and
// the old one stops working. A spent token presented again is a sign that
// it leaked: the whole chain is revoked. The caller holds s.mu.
func (s *Server) refreshGrant(w http.ResponseWriter, l layout, clientID, token string) {
	rt := s.oidc.refresh[token]
	now := s.cfg.clock.Now()
	switch {
	case rt == nil || rt.clientID != clientID || rt.layout != l:
		oauthError(w, l, http.StatusBadRequest, "invalid_grant", "the refresh token is not valid")
		return
	case rt.spent:
		for _, other := range s.oidc.refresh {
			if other.family == rt.family {
				other.spent = true
			}
		}
		s.state.grants[rt.grantID].revoked = true
		oauthError(w, l, http.StatusBadRequest, "invalid_grant", "the refresh token was already used; every token of its chain is revoked")
		return
	case !now.Before(rt.expiresAt) || !s.state.grants[rt.grantID].active(now):
		oauthError(w, l, http.StatusBadRequest, "invalid_grant", "the refresh token expired or its grant was revoked")
		return
	}
	rt.spent = true
	g := s.state.grants[rt.grantID]
	if rt.legacy {
		writeJSON(w, http.StatusOK, s.issueLegacyTokens(g, rt.family, now))
		return
	}
	writeJSON(w, http.StatusOK, s.issueTokens(l, g, rt.family, "", now))
}

// clientCredentials issues an application token, bound to no user. The
// caller holds s.mu.
func (s *Server) clientCredentials(w http.ResponseWriter, l layout, clientID, scope string) {
	scopes, err := kryptos.ParseScopes(scope)
	if err != nil {
		oauthError(w, l, http.StatusBadRequest, "invalid_scope", "scope is malformed")
		return
	}
	for _, sc := range scopes {
		if !s.cfg.allowedScopes.Has(sc) {
			oauthError(w, l, http.StatusBadRequest, "invalid_scope", "scope "+string(sc)+" is not allowed for this client")
			return
		}
	}
	now := s.cfg.clock.Now()
	ttl := OIDCAccessTokenTTL
	if l == kyberLayout {
		ttl = KyberAccessTokenTTL
	}
	token := s.oidc.sign(map[string]any{
		"iss": s.Issuer(), "sub": clientID, "aud": clientID, "client_id": clientID, "scope": scope,
		"iat": now.Unix(), "exp": now.Add(ttl).Unix(), "jti": randomHex(8),
	})
	writeJSON(w, http.StatusOK, map[string]any{"access_token": token, "token_type": tokenType(l), "expires_in": int64(ttl / time.Second), "scope": scope})
}

// validVerifier reports whether v is a PKCE code verifier: 43 to 128
// unreserved characters (RFC 7636 §4.1).
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

func tokenType(l layout) string {
	if l == kyberLayout {
		return "bearer" // the Kyber guide's lower case
	}
	return "Bearer"
}

// issueTokens makes an access token (a JWT the data API accepts), a refresh
// token in the given rotation family (a new one when family is ""), and an
// ID token when openid was granted. The caller holds s.mu.
func (s *Server) issueTokens(l layout, g *grant, family, nonce string, now time.Time) map[string]any {
	ttl := OIDCAccessTokenTTL
	if l == kyberLayout {
		ttl = KyberAccessTokenTTL
	}
	u := s.state.users[g.userID]
	access := s.oidc.sign(map[string]any{
		"iss": s.Issuer(), "sub": u.id, "aud": g.clientID, "client_id": g.clientID, "scope": g.scopes.String(),
		"iat": now.Unix(), "exp": now.Add(ttl).Unix(), "jti": randomHex(8),
	})
	s.state.accessTokens[access] = &accessToken{grantID: g.id, issuedAt: now, expiresAt: now.Add(ttl)}
	out := map[string]any{
		"access_token": access, "token_type": tokenType(l), "expires_in": int64(ttl / time.Second),
		"scope": g.scopes.String(),
	}
	// offline_access "Enable[s] refresh tokens" (seeds 000): without it,
	// the user signs in again when the access token expires. The Kyber
	// layout has no scopes and always sends one.
	if l == kyberLayout || g.scopes.Has(kryptos.ScopeOfflineAccess) {
		refresh := "def50200" + randomHex(32)
		if family == "" {
			family = refresh
		}
		s.oidc.refresh[refresh] = &refreshToken{clientID: g.clientID, grantID: g.id, family: family, layout: l, expiresAt: now.Add(OIDCRefreshTokenTTL)}
		out["refresh_token"] = refresh
	}
	if l == kryptosLayout && g.scopes.Has(kryptos.ScopeOpenID) {
		claims := map[string]any{
			"iss": s.Issuer(), "sub": u.id, "aud": g.clientID, "iat": now.Unix(), "exp": now.Add(OIDCAccessTokenTTL).Unix(),
			"auth_time": g.createdAt.Unix(), "email": u.email, "email_verified": true, "name": nameOf(u.email),
		}
		if nonce != "" {
			claims["nonce"] = nonce
		}
		out["id_token"] = s.oidc.sign(claims)
	}
	return out
}

// issueLegacyTokens answers the refresh of a legacy Connect token: a new
// cat_ access token of 24 hours and a new crt_ refresh token. The caller
// holds s.mu.
func (s *Server) issueLegacyTokens(g *grant, family string, now time.Time) map[string]any {
	access := "cat_" + randomHex(24)
	s.state.accessTokens[access] = &accessToken{grantID: g.id, issuedAt: now, expiresAt: now.Add(LegacyAccessTokenTTL)}
	refresh := s.legacyRefreshToken(g, family, now)
	return map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": int64(LegacyAccessTokenTTL / time.Second),
		"refresh_token": refresh, "scope": g.scopes.String(),
	}
}

// legacyRefreshToken issues a crt_ refresh token in family (a new one when
// family is ""). The caller holds s.mu.
func (s *Server) legacyRefreshToken(g *grant, family string, now time.Time) string {
	refresh := "crt_" + randomHex(24)
	if family == "" {
		family = refresh
	}
	s.oidc.refresh[refresh] = &refreshToken{clientID: g.clientID, grantID: g.id, family: family, layout: kryptosLayout,
		legacy: true, expiresAt: now.Add(OIDCRefreshTokenTTL)}
	return refresh
}

// GET /oidc/userinfo and GET /kyber/api/user_info
func (s *Server) oidcUserInfo(l layout) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok && l == kyberLayout {
			token, ok = r.URL.Query().Get("access_token"), true // the Kyber guide also takes a parameter
		}
		g, reason := s.state.tokenState(token, s.cfg.clock.Now())
		if !ok || token == "" || reason != "" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			oauthError(w, l, http.StatusUnauthorized, "invalid_token", "the access token is expired or invalid")
			return
		}
		if !s.admit(w, g.clientID, kryptos.ClassOIDCUserInfo) {
			return
		}
		u := s.state.users[g.userID]
		info := map[string]any{"sub": u.id, "updated_at": u.createdAt.Unix()}
		if g.scopes.Has(kryptos.ScopeProfile) {
			info["name"] = nameOf(u.email)
			info["picture"] = "https://sandbox.kryptos.invalid/avatars/" + u.id + ".png"
			info["preferred_username"] = strings.SplitN(u.email, "@", 2)[0]
			info["language"] = "en"
			if limit := s.effectiveCap(u); limit >= 0 {
				info["transaction_limit"] = limit
			} else {
				info["transaction_limit"] = nil // no cap
			}
		}
		if g.scopes.Has(kryptos.ScopeEmail) {
			info["email"], info["email_verified"] = u.email, u.email != ""
		}
		if l == kryptosLayout {
			for k, v := range scopeClaims(g.scopes) {
				info[k] = v
			}
		}
		writeJSON(w, http.StatusOK, info)
	}
}

// POST /oidc/token/revocation (RFC 7009): always 200, whether the token was
// known or not; revoking a refresh token ends its grant.
func (s *Server) oidcRevoke(w http.ResponseWriter, r *http.Request) {
	s.oauthClientCall(w, r, kryptosLayout, kryptos.ClassOIDCOther, func(clientID string) {
		token := r.PostForm.Get("token")
		if rt := s.oidc.refresh[token]; rt != nil && rt.clientID == clientID {
			s.state.grants[rt.grantID].revoked = true
		}
		if at := s.state.accessTokens[token]; at != nil && s.state.grants[at.grantID].clientID == clientID {
			at.expiresAt = s.cfg.clock.Now()
		}
		w.WriteHeader(http.StatusOK)
	})
}

// POST /oidc/token/introspection (RFC 7662)
func (s *Server) oidcIntrospect(w http.ResponseWriter, r *http.Request) {
	s.oauthClientCall(w, r, kryptosLayout, kryptos.ClassOIDCOther, func(clientID string) {
		now := s.cfg.clock.Now()
		token := r.PostForm.Get("token")
		if g, reason := s.state.tokenState(token, now); reason == "" && g.clientID == clientID {
			at := s.state.accessTokens[token]
			writeJSON(w, http.StatusOK, map[string]any{"active": true, "scope": g.scopes.String(), "client_id": g.clientID,
				"sub": g.userID, "token_type": "access_token", "exp": at.expiresAt.Unix(), "iat": at.issuedAt.Unix(), "iss": s.Issuer()})
			return
		}
		if rt := s.oidc.refresh[token]; rt != nil && rt.clientID == clientID && !rt.spent && now.Before(rt.expiresAt) &&
			s.state.grants[rt.grantID].active(now) {
			g := s.state.grants[rt.grantID]
			writeJSON(w, http.StatusOK, map[string]any{"active": true, "scope": g.scopes.String(), "client_id": g.clientID,
				"sub": g.userID, "token_type": "refresh_token", "exp": rt.expiresAt.Unix(), "iss": s.Issuer()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
	})
}

// LegacyAccessTokenTTL is the lifetime of the Connect access tokens that
// older API versions issued with a refresh token.
const LegacyAccessTokenTTL = 24 * time.Hour
