// Package kryptostest runs a faithful, stateful fake of the Kryptos Connect
// API on loopback, the way net/http/httptest runs a server: for your tests,
// for examples, and for local development with no network and no
// credentials.
//
//	srv := kryptostest.NewServer()
//	defer srv.Close()
//	client := srv.Client() // a *kryptos.Client pointed at the sandbox
//	lt, _ := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
//	public, _ := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true,
//		Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
//	grant, _ := client.ExchangePublicToken(ctx, public)
//
// It implements every Connect backend endpoint with the API's semantics,
// not canned replies: client credentials and scopes are checked, link and
// public tokens expire after 30 minutes and public tokens work once, revoking
// a grant invalidates its tokens at once, transaction limits apply to Guest
// users only, resyncs follow the rules per integration type and queue jobs
// that progress over time, sandbox-mode rules limit wallets to the test
// addresses, and each client's rate limits (by quota class, counted by the
// sandbox's own bookkeeping) are enforced with 429 and retry_after. The
// data API is served at the same URL.
//
// CompleteLink plays the user's part in the widget. Fault injection (FailNext,
// InjectRandomFaults) makes the sandbox fail the way networks and proxies do,
// and Stats counts what it did, so tests can assert that nothing happened
// twice.
package kryptostest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// Token lifetimes, as documented.
const (
	LinkTokenTTL   = 30 * time.Minute
	PublicTokenTTL = 30 * time.Minute
	AccessTokenTTL = 473040000 * time.Second // 15 years
)

// The only addresses a client in sandbox mode may connect.
const (
	EthereumTestAddress = "0x47c2e31e9ce22437bcf6313d2b9e98245a7bfcfa"
	SolanaTestAddress   = "2r8Hm938GzCQ2gXTP2deDarkn52ezYf1UUaEzMpkwrk1"
)

// SandboxOTP is the one-time code every email receives in the sandbox's
// widget endpoints.
const SandboxOTP = "123456"

// PlatformTransactionLimit is the limit of a Guest user when neither the
// user nor the workspace sets one.
const PlatformTransactionLimit = 100000

// Server is a running sandbox. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of both the Connect API and the data API, such as
	// http://127.0.0.1:54321.
	URL string
	// ClientID and ClientSecret are the credentials of the client the
	// sandbox registers at start.
	ClientID     string
	ClientSecret string

	http   *httptest.Server
	cfg    config
	faults faultTable

	mu    sync.Mutex
	state state
	oidc  *oidcProvider
	stats Stats
	hooks *webhookSink // nil until RegisterWebhook
	// closed is set by Close: a later RegisterWebhook starts nothing.
	closed bool
}

// NewServer starts a sandbox on a loopback port. Close it when done. An
// invalid option (a nil clock, empty credentials, a negative sync timing,
// a workspace limit that is not positive) panics here, as this is meant for
// tests; Listen returns it as an error.
func NewServer(opts ...Option) *Server {
	s, err := newServer(opts...)
	if err != nil {
		panic(err.Error())
	}
	s.http = httptest.NewServer(widgetCORS(s.handler()))
	s.URL = s.http.URL
	return s
}

// Listen starts a sandbox on addr, such as "127.0.0.1:8088", instead of a
// random port: for `kryptos sandbox` (cmd/kryptos) and for frontends that need a fixed
// URL.
func Listen(addr string, opts ...Option) (*Server, error) {
	s, err := newServer(opts...)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("kryptostest: %w", err)
	}
	s.http = httptest.NewUnstartedServer(widgetCORS(s.handler()))
	_ = s.http.Listener.Close()
	s.http.Listener = ln
	s.http.Start()
	s.URL = s.http.URL
	return s, nil
}

func newServer(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{ClientID: cfg.clientID, ClientSecret: cfg.clientSecret, cfg: cfg, oidc: newOIDCProvider()}
	s.state = newState(cfg)
	return s, nil
}

// Close shuts the sandbox down and waits for its requests and webhook
// deliveries to finish.
func (s *Server) Close() {
	s.mu.Lock()
	hooks := s.hooks
	s.hooks, s.closed = nil, true
	s.mu.Unlock()
	if hooks != nil {
		hooks.close()
	}
	s.http.Close()
}

// Client returns a *kryptos.Client for the sandbox's client, pointed at
// both of its APIs (kryptos.WithSandbox). opts are applied after that; an
// invalid option panics, as this is meant for tests.
func (s *Server) Client(opts ...kryptos.Option) *kryptos.Client {
	base := []kryptos.Option{kryptos.WithSandbox(s.URL)}
	c, err := kryptos.NewClient(s.ClientID, s.ClientSecret, append(base, opts...)...)
	if err != nil {
		panic(fmt.Sprintf("kryptostest: Client: %v", err))
	}
	return c
}

// handler routes the sandbox's endpoints; unknown ones get 404 NOT_FOUND.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, h func(http.ResponseWriter, *http.Request)) {
		mux.Handle(pattern, s.instrument(pattern, http.HandlerFunc(h)))
	}
	route("POST /link-token", s.createLinkToken)
	route("POST /token/exchange", s.exchange)
	route("POST /link-token/check-session", s.checkSession)
	route("POST /token/revoke", s.revoke)
	route("GET /token/grants", s.listGrants)
	route("POST /developer/integrations/{walletId}/resync", s.resync)
	route("PATCH /developer/grants/{grantId}/transaction-limit", s.updateLimit)
	// The data API (DATA-API.md §5), one family per file.
	route("GET /v1/users/me", s.me)
	route("GET /v1/workspaces", s.listWorkspaces)
	route("GET /v1/workspaces/{wid}", s.getWorkspace)
	route("GET /v1/portfolios", s.listPortfolios)
	route("GET /v1/portfolios/default", s.getDefaultPortfolio)
	route("GET /v1/portfolios/{portfolioId}", s.getPortfolio)
	route("GET /v1/holdings", s.listHoldings)
	route("GET /v1/holdings/portfolio/{portfolioId}", s.listHoldings)
	route("GET /v1/holdings/{assetId}", s.getHolding)
	route("GET /v1/holdings/portfolio/{portfolioId}/holdings/{assetId}", s.getHolding)
	route("GET /v1/calculated-balances", s.listCalculatedBalances)
	route("GET /v1/calculated-balances/portfolio/{portfolioId}", s.listCalculatedBalances)
	route("GET /v1/transactions", s.listTransactions)
	route("GET /v1/transactions/counts", s.transactionCounts)
	route("GET /v1/transactions/{transactionId}", s.getTransaction)
	route("GET /v1/transactions/{transactionId}/ledgers", s.getTransactionLedgers)
	route("GET /v1/ledgers", s.listLedgers)
	route("GET /v1/ledgers/{ledgerId}", s.getLedger)
	route("GET /v1/integrations", s.listIntegrations)
	route("GET /v1/integrations/search", s.searchIntegrations)
	route("GET /v1/integrations/sync-status", s.integrationSyncStatus)
	route("GET /v1/integrations/{integrationId}", s.getIntegration)
	route("GET /v1/integrations/{integrationId}/assets", s.listIntegrationAssets)
	route("POST /v1/integrations/{integrationId}/resync", s.resyncUserIntegration)
	route("GET /v1/sync", s.listSyncJobs)
	route("GET /v1/sync/{syncId}", s.getSyncJob)
	route("GET /v1/defi", s.listDeFi)
	route("GET /v1/defi/{category}", s.listDeFi) // staking, lending, farming
	route("GET /v1/defi/totals", s.defiTotals)
	route("GET /v1/defi/networks", s.defiNetworks)
	route("GET /v1/defi/portfolio/{portfolioId}", s.listDeFi)
	route("GET /v1/defi/portfolio/{portfolioId}/{category}", s.listDeFi)
	route("GET /v1/defi/portfolio/{portfolioId}/totals", s.defiTotals)
	route("GET /v1/defi-metadata", s.listDeFiMetadata)
	route("GET /v1/defi-metadata/{protocolId}", s.getDeFiMetadata)
	route("GET /v1/nfts", s.listNFTs)
	route("GET /v1/nfts/collections", s.listNFTCollections)
	route("GET /v1/nfts/{contractAddress}/{tokenId}", s.getNFT)
	route("GET /v1/nfts/portfolio/{portfolioId}", s.listNFTs)
	route("GET /v1/nfts/portfolio/{portfolioId}/{contractAddress}/{tokenId}", s.getNFT)
	route("GET /v1/spam", s.listSpam)
	route("GET /v1/labels", s.listLabels)
	route("GET /v1/assets/search", s.searchAssets)
	route("GET /v1/providers", s.listProviders)
	route("GET /v1/providers/{providerId}", s.getProvider)
	route("GET /v1/contacts", s.listContacts)
	route("GET /v1/contacts/{contactId}", s.getContact)
	route("GET /v1/counter-parties", s.listCounterParties)
	// OpenID Connect (OAUTH.md), and the same flow in the Kyber layout.
	route("GET /oidc/.well-known/openid-configuration", s.oidcDiscovery)
	route("GET /oidc/.well-known/openid_configuration", s.oidcDiscovery)
	route("GET /oidc/jwks", s.oidcJWKS)
	route("GET /oidc/auth", s.oidcAuthorize(kryptosLayout))
	route("POST /oidc/consent", s.oidcConsent)
	route("POST /oidc/token", s.oidcToken(kryptosLayout))
	route("GET /oidc/userinfo", s.oidcUserInfo(kryptosLayout))
	route("POST /oidc/token/revocation", s.oidcRevoke)
	route("POST /oidc/token/introspection", s.oidcIntrospect)
	route("GET /kyber/oauth/authorize", s.oidcAuthorize(kyberLayout))
	route("POST /kyber/oauth/token", s.oidcToken(kyberLayout))
	route("GET /kyber/api/user_info", s.oidcUserInfo(kyberLayout))
	route("GET /widget/sdk.js", widgetAsset("sdk.js", "text/javascript; charset=utf-8"))
	route("GET /widget/widget.css", widgetAsset("widget.css", "text/css; charset=utf-8"))
	route("GET /widget/demo", widgetAsset("demo.html", "text/html; charset=utf-8"))
	route("POST /widget/demo/link-token", s.widgetDemoLinkToken)
	route("GET /widget/session", s.widgetSession)
	route("POST /widget/otp/request", s.widgetRequestOTP)
	route("POST /widget/otp/verify", s.widgetVerifyOTP)
	route("POST /widget/complete", s.widgetComplete)
	route("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// apiError is an error answer: it becomes the API's error envelope, and a
// *kryptos.Error for CompleteLink's Go callers.
type apiError struct {
	status  int
	code    string
	message string
	// details, when set, goes into the envelope: validation issues.
	details map[string]any
}

func (e *apiError) toKryptos() error {
	return &kryptos.Error{StatusCode: e.status, Code: e.code, Message: e.message}
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeData(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, map[string]any{"success": true, "data": data})
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"success": false, "error": message, "code": code})
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	if e.details == nil {
		writeError(w, e.status, e.code, e.message)
		return
	}
	writeJSON(w, e.status, map[string]any{"success": false, "error": e.message, "code": e.code, "details": e.details})
}

// decodeBody reads a JSON request body into v.
func decodeBody(r *http.Request, v any) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "VALIDATION_ERROR", "the body must be a JSON object: %v", err)
	}
	return nil
}
