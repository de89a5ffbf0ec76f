package kryptostest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/kryptos-connect/kryptos-go"
)

// The sandbox as an OpenID Connect provider (OAUTH.md): "Sign in with
// Kryptos" at /oidc, the docs' layout, and the same code flow in the layout
// of another provider (the Kyber sign-in guide) at /kyber, so that client
// code is proven against two providers. Tokens are RS256 JWTs signed with a
// key made when the sandbox starts; its data API accepts the access tokens
// it issues, scoped by their grant.

// Lifetimes of the OIDC tokens, as documented.
const (
	OIDCAccessTokenTTL  = 24 * time.Hour
	OIDCRefreshTokenTTL = 30 * 24 * time.Hour
	OIDCCodeTTL         = 10 * time.Minute
	// KyberAccessTokenTTL is the lifetime of the Kyber layout's tokens.
	KyberAccessTokenTTL = time.Hour
)

// oidcProvider is the provider's own state. Server.mu guards it, except
// its signing key, which is made once, when first needed: an RSA key takes
// a moment, and most sandboxes never sign in anyone.
type oidcProvider struct {
	keyOnce sync.Once
	key     *rsa.PrivateKey
	kid     string
	signer  jose.Signer
	// requests are authorizations waiting for the user's consent, by id.
	requests map[string]*authRequest
	codes    map[string]*authCode
	// refresh holds every refresh token issued, spent or not, so that the
	// reuse of a spent one is detected.
	refresh map[string]*refreshToken
}

// layout is how a provider lays out its endpoints and answers.
type layout string

const (
	kryptosLayout layout = "kryptos" // /oidc: PKCE required, ID tokens, Bearer
	kyberLayout   layout = "kyber"   // /kyber: no PKCE, no ID token, "bearer", bare {error}
)

type authRequest struct {
	id, clientID, redirectURI, state, nonce string
	challenge                               string
	scopes                                  kryptos.Scopes
	layout                                  layout
	expiresAt                               time.Time
}

type authCode struct {
	clientID, redirectURI, challenge, nonce string
	grantID                                 string
	layout                                  layout
	expiresAt                               time.Time
	used                                    bool
}

type refreshToken struct {
	clientID, grantID string
	// family is the first token of a rotation chain: a reused token revokes
	// its whole family.
	family    string
	layout    layout
	legacy    bool // a Connect crt_ token
	expiresAt time.Time
	spent     bool
}

func newOIDCProvider() *oidcProvider {
	return &oidcProvider{requests: map[string]*authRequest{}, codes: map[string]*authCode{}, refresh: map[string]*refreshToken{}}
}

// keys makes the signing key on first use.
func (p *oidcProvider) keys() {
	p.keyOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic("kryptostest: generating the OIDC signing key: " + err.Error())
		}
		p.key, p.kid = key, randomHex(8)
		p.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
			(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", p.kid))
		if err != nil {
			panic("kryptostest: making the OIDC signer: " + err.Error())
		}
	})
}

// Issuer returns the sandbox's OIDC issuer, such as
// http://127.0.0.1:54321/oidc.
func (s *Server) Issuer() string { return s.URL + "/oidc" }

// sign serializes claims as a JWT signed with the provider's key.
func (p *oidcProvider) sign(claims any) string {
	p.keys()
	token, err := jwt.Signed(p.signer).Claims(claims).Serialize()
	if err != nil {
		panic("kryptostest: signing a JWT: " + err.Error())
	}
	return token
}

// GET /oidc/.well-known/openid-configuration, and the docs' spelling
// /oidc/.well-known/openid_configuration. Discovery and the JWKS carry no
// client ID, and the OIDC limits are per client ID (OAUTH.md): neither is
// counted.
func (s *Server) oidcDiscovery(w http.ResponseWriter, r *http.Request) {
	iss := s.Issuer()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/auth",
		"token_endpoint":                        iss + "/token",
		"userinfo_endpoint":                     iss + "/userinfo",
		"revocation_endpoint":                   iss + "/token/revocation",
		"introspection_endpoint":                iss + "/token/introspection",
		"jwks_uri":                              iss + "/jwks",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "client_credentials"},
		"code_challenge_methods_supported":      []string{"S256"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"subject_types_supported":               []string{"public"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      allScopes(),
		"claims_supported":                      []string{"sub", "name", "email", "email_verified", "picture", "updated_at", "preferred_username", "language"},
	})
}

// GET /oidc/jwks
func (s *Server) oidcJWKS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oidc.keys()
	key := jose.JSONWebKey{Key: &s.oidc.key.PublicKey, KeyID: s.oidc.kid, Algorithm: string(jose.RS256), Use: "sig"}
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key}})
}

// oauthError answers an OAuth error: {error, error_description} in the
// Kryptos layout, the bare {error} of the Kyber layout.
func oauthError(w http.ResponseWriter, l layout, status int, code, description string) {
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		// A bearer-token endpoint (userinfo) has set its own challenge.
		w.Header().Set("WWW-Authenticate", `Basic realm="kryptos-sandbox"`)
	}
	if l == kyberLayout {
		writeJSON(w, status, map[string]any{"error": code})
		return
	}
	writeOAuthError(w, status, code, description)
}

// s256 is the PKCE S256 challenge of a verifier.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// clientOf authenticates the client of a token-endpoint request, by HTTP
// Basic or by client_id and client_secret in the form. The caller holds
// s.mu.
func (s *Server) clientOf(r *http.Request) (string, bool) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	want, ok := s.state.clients[id]
	return id, ok && id != "" && secret == want
}

// scopeClaims are the userinfo booleans that say which data the grant
// reaches: portfolios_access, transactions_access, ...
func scopeClaims(scopes kryptos.Scopes) map[string]any {
	out := map[string]any{}
	for _, res := range []string{"portfolios", "transactions", "integrations", "tax", "accounting", "reports", "workspace", "users"} {
		out[res+"_access"] = scopes.Has(kryptos.Scope(res+":read")) || scopes.Has(kryptos.Scope(res+":write"))
	}
	return out
}

// nameOf makes a display name from an email address.
func nameOf(email string) string {
	local, _, _ := strings.Cut(email, "@")
	parts := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' })
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, " ")
}
