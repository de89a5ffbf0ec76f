package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/oauth2"
)

// Provider is where an OAuth 2.0 (and OpenID Connect) provider has its
// endpoints, and how it expects to be called.
type Provider struct {
	// Issuer is the OpenID Connect issuer that ID tokens name. Leave it
	// empty for a plain OAuth 2.0 provider, which issues no ID tokens.
	Issuer string
	// AuthURL is where the browser is sent to sign in; TokenURL where codes
	// and refresh tokens are exchanged.
	AuthURL, TokenURL string
	// UserInfoURL, RevocationURL (RFC 7009), IntrospectionURL (RFC 7662) and
	// JWKSURL are empty when the provider has none.
	UserInfoURL, RevocationURL, IntrospectionURL, JWKSURL string
	// PKCE says whether the provider takes a PKCE S256 challenge. Kryptos
	// requires one.
	PKCE bool
	// AuthStyle says how the client authenticates at the token endpoint:
	// oauth2.AuthStyleInParams sends client_id and client_secret in the
	// form (as the Kryptos docs show), oauth2.AuthStyleInHeader uses HTTP
	// Basic, oauth2.AuthStyleAutoDetect tries both.
	AuthStyle oauth2.AuthStyle
}

// KryptosIssuer is the issuer of "Sign in with Kryptos".
const KryptosIssuer = "https://oauth.kryptos.io/oidc"

// Kryptos returns the provider of "Sign in with Kryptos" (OAUTH.md).
func Kryptos() Provider { return KryptosAt(KryptosIssuer) }

// KryptosAt returns the Kryptos endpoint layout below another issuer, such
// as a kryptostest sandbox's Issuer().
func KryptosAt(issuer string) Provider {
	issuer = strings.TrimRight(issuer, "/")
	return Provider{
		Issuer:           issuer,
		AuthURL:          issuer + "/auth",
		TokenURL:         issuer + "/token",
		UserInfoURL:      issuer + "/userinfo",
		RevocationURL:    issuer + "/token/revocation",
		IntrospectionURL: issuer + "/token/introspection",
		JWKSURL:          issuer + "/jwks",
		PKCE:             true,
		AuthStyle:        oauth2.AuthStyleInParams,
	}
}

// discoveryDocument is the part of an OpenID Connect discovery document
// that a Provider needs.
type discoveryDocument struct {
	Issuer                string   `json:"issuer"`
	AuthURL               string   `json:"authorization_endpoint"`
	TokenURL              string   `json:"token_endpoint"`
	UserInfoURL           string   `json:"userinfo_endpoint"`
	RevocationURL         string   `json:"revocation_endpoint"`
	IntrospectionURL      string   `json:"introspection_endpoint"`
	JWKSURL               string   `json:"jwks_uri"`
	ChallengeMethods      []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthWith []string `json:"token_endpoint_auth_methods_supported"`
}

// Discover reads the OpenID Connect discovery document of issuer and
// returns its Provider. It tries the standard path,
// /.well-known/openid-configuration, then the spelling of the Kryptos docs,
// /.well-known/openid_configuration. The document must name issuer exactly,
// or ID tokens could not be trusted. hc may be nil for a client with a 30 s
// timeout.
func Discover(ctx context.Context, issuer string, hc *http.Client) (Provider, error) {
	issuer = strings.TrimRight(issuer, "/")
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	var lastErr error
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/openid_configuration"} {
		doc, err := fetchDiscovery(ctx, hc, issuer+path)
		if err != nil {
			lastErr = err
			continue
		}
		if doc.Issuer != issuer {
			return Provider{}, fmt.Errorf("oauth: Discover: the document at %s names issuer %q, not %q", issuer+path, doc.Issuer, issuer)
		}
		if doc.AuthURL == "" || doc.TokenURL == "" {
			return Provider{}, fmt.Errorf("oauth: Discover: the document at %s has no authorization or token endpoint", issuer+path)
		}
		style := oauth2.AuthStyleAutoDetect
		switch {
		case slices.Contains(doc.TokenEndpointAuthWith, "client_secret_post"):
			style = oauth2.AuthStyleInParams
		case slices.Contains(doc.TokenEndpointAuthWith, "client_secret_basic"):
			style = oauth2.AuthStyleInHeader
		}
		return Provider{
			Issuer: doc.Issuer, AuthURL: doc.AuthURL, TokenURL: doc.TokenURL, UserInfoURL: doc.UserInfoURL,
			RevocationURL: doc.RevocationURL, IntrospectionURL: doc.IntrospectionURL, JWKSURL: doc.JWKSURL,
			PKCE: slices.Contains(doc.ChallengeMethods, "S256"), AuthStyle: style,
		}, nil
	}
	return Provider{}, fmt.Errorf("oauth: Discover: %w", lastErr)
}

func fetchDiscovery(ctx context.Context, hc *http.Client, url string) (*discoveryDocument, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d", url, resp.StatusCode)
	}
	var doc discoveryDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%s is not a discovery document: %w", url, err)
	}
	return &doc, nil
}
