package kryptostest

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// TestEveryDocumentedErrorCodeIsReachable triggers each error code of
// API.md through the sandbox's own semantics where it has any, and through
// fault injection for the codes that depend on state outside it (roles,
// workspaces, upstream providers). Each comes back in the API's envelope.
func TestEveryDocumentedErrorCodeIsReachable(t *testing.T) {
	t.Parallel()
	type env struct {
		srv *Server
		c   *kryptos.Client
	}
	setup := func(opts ...Option) env {
		srv := NewServer(opts...)
		t.Cleanup(srv.Close)
		return env{srv, srv.Client(fast...)}
	}
	// viaWidget posts a widget request for a fresh link token.
	viaWidget := func(e env, steps ...[2]string) error {
		lt, err := e.c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
		require.NoError(t, err)
		var last map[string]any
		var status int
		for _, s := range steps {
			status, _, last = raw(t, e.srv, http.MethodPost, s[0], map[string]string{"X-LINK-TOKEN": lt.Token.Reveal()}, s[1])
		}
		if status == http.StatusOK {
			return nil
		}
		return &kryptos.Error{StatusCode: status, Code: last["code"].(string)}
	}
	cases := []struct {
		code    string
		trigger func(env) error
	}{
		{"INVALID_CLIENT", func(e env) error {
			_, err := kryptos.NewClient(e.srv.ClientID, "wrong", kryptos.WithSandbox(e.srv.URL))
			require.NoError(t, err)
			c, _ := kryptos.NewClient(e.srv.ClientID, "wrong", kryptos.WithSandbox(e.srv.URL))
			_, err = c.ListGrants(ctx)
			return err
		}},
		{"INVALID_TOKEN", func(e env) error { _, err := e.c.ExchangePublicToken(ctx, "public_nope"); return err }},
		{"TOKEN_EXPIRED", func(e env) error {
			clock := NewFakeClock(epoch)
			e = setup(WithClock(clock))
			lt, _ := e.c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
			public, _ := e.srv.CompleteLink(lt.Token, LinkUser{Guest: true})
			clock.Advance(PublicTokenTTL)
			_, err := e.c.ExchangePublicToken(ctx, public)
			return err
		}},
		{"TOKEN_ALREADY_USED", func(e env) error {
			lt, _ := e.c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
			public, _ := e.srv.CompleteLink(lt.Token, LinkUser{Guest: true})
			_, _ = e.c.ExchangePublicToken(ctx, public)
			_, err := e.c.ExchangePublicToken(ctx, public)
			return err
		}},
		{"INVALID_SCOPE", func(e env) error {
			e = setup(WithAllowedScopes(kryptos.Scopes{kryptos.ScopeOpenID, kryptos.ScopeProfile}))
			_, err := e.c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.Scopes{kryptos.ScopeOpenID, kryptos.ScopeTaxWrite}})
			return err
		}},
		{"insufficient_scope", func(e env) error {
			lt, _ := e.c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.Scopes{kryptos.ScopeOpenID}})
			public, _ := e.srv.CompleteLink(lt.Token, LinkUser{Guest: true})
			g, _ := e.c.ExchangePublicToken(ctx, public)
			_, err := e.c.User(g.Credential()).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
			return err
		}},
		{"unauthorized", func(e env) error {
			g := connect(t, e.srv, e.c, LinkUser{Guest: true})
			_ = e.c.RevokeGrant(ctx, g.GrantID)
			_, err := e.c.User(g.Credential()).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
			return err
		}},
		{"GRANT_NOT_FOUND", func(e env) error { return e.c.RevokeGrant(ctx, "cgrant_nope") }},
		{"ACCESS_DENIED", func(e env) error {
			g := connect(t, e.srv, e.c, LinkUser{Guest: true})
			e.srv.AddClient("other", "other-secret")
			other, _ := kryptos.NewClient("other", "other-secret", kryptos.WithSandbox(e.srv.URL))
			_, err := other.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{EnableLimiter: kryptos.Ptr(true)})
			return err
		}},
		{"NOT_ANON_USER", func(e env) error {
			g := connect(t, e.srv, e.c, LinkUser{Email: "a@example.com"})
			_, err := e.c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{EnableLimiter: kryptos.Ptr(true)})
			return err
		}},
		{"INTEGRATION_NOT_FOUND", func(e env) error {
			g := connect(t, e.srv, e.c, LinkUser{Guest: true})
			s, _ := e.c.CheckSession(ctx, g.AccessToken.Reveal())
			_, err := e.c.ResyncIntegration(ctx, "wallet-nope", kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncLatest})
			return err
		}},
		{"SYNC_DISABLED", func(e env) error {
			g := connect(t, e.srv, e.c, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "ethereum", Address: EthereumTestAddress, SyncDisabled: true}}})
			s, _ := e.c.CheckSession(ctx, g.AccessToken.Reveal())
			ints := integrationsOf(t, e.c.User(g.Credential()))
			_, err := e.c.ResyncIntegration(ctx, ints[0].ID, kryptos.ResyncParams{UserID: s.UserID, Mode: kryptos.ResyncLatest})
			return err
		}},
		{"SANDBOX_PROVIDER_NOT_ALLOWED", func(e env) error {
			lt, _ := e.c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
			_, err := e.srv.CompleteLink(lt.Token, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "binance", Address: "acct"}}})
			return err
		}},
		{"SANDBOX_ADDRESS_NOT_ALLOWED", func(e env) error {
			lt, _ := e.c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
			_, err := e.srv.CompleteLink(lt.Token, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "solana", Address: "So1anaAddressNotTheTestOne"}}})
			return err
		}},
		{"RATE_LIMIT_EXCEEDED", func(e env) error {
			e = setup(WithRateLimits(LegacyRateLimits()))
			c := e.srv.Client(kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 0}))
			var err error
			for range 6 {
				_, err = c.ExchangePublicToken(ctx, "public_nope")
			}
			return err
		}},
		{"VALIDATION_ERROR", func(e env) error {
			status, _, body := raw(t, e.srv, http.MethodPost, "/developer/integrations/w/resync", creds(e.srv), `{"user_id":"u","mode":"sideways"}`)
			return &kryptos.Error{StatusCode: status, Code: body["code"].(string)}
		}},
		{"NOT_FOUND", func(e env) error {
			status, _, body := raw(t, e.srv, http.MethodGet, "/no/such/endpoint", nil, "")
			return &kryptos.Error{StatusCode: status, Code: body["code"].(string)}
		}},
		{"OTP_NOT_REQUESTED", func(e env) error {
			return viaWidget(e, [2]string{"/widget/otp/verify", `{"email":"a@example.com","otp":"123456"}`})
		}},
		{"EMAIL_MISMATCH", func(e env) error {
			return viaWidget(e, [2]string{"/widget/otp/request", `{"email":"a@example.com"}`},
				[2]string{"/widget/otp/verify", `{"email":"b@example.com","otp":"123456"}`})
		}},
		{"INVALID_OTP", func(e env) error {
			return viaWidget(e, [2]string{"/widget/otp/request", `{"email":"a@example.com"}`},
				[2]string{"/widget/otp/verify", `{"email":"a@example.com","otp":"000000"}`})
		}},
	}
	// Codes that depend on state outside the sandbox: reachable by injection.
	// INVALID_GRANT answered older data API versions' calls with a revoked
	// grant; the v2 data API answers 401 unauthorized instead.
	for _, code := range []string{"INSUFFICIENT_PERMISSIONS", "WORKSPACE_NOT_FOUND", "INTERNAL_ERROR", "EXTERNAL_SERVICE_ERROR", "INVALID_GRANT"} {
		cases = append(cases, struct {
			code    string
			trigger func(env) error
		}{code, func(e env) error {
			e.srv.FailNext("/token/grants", 1, Fault{Status: http.StatusForbidden, Code: code, Message: "injected"})
			_, err := e.c.ListGrants(ctx)
			return err
		}})
	}
	// The CSV codes, in both API versions.
	csvCase := func(code string, opts []Option, mode kryptos.ResyncMode, missing bool) {
		cases = append(cases, struct {
			code    string
			trigger func(env) error
		}{code, func(env) error {
			e := setup(opts...)
			g := connect(t, e.srv, e.c, LinkUser{Guest: true, Wallets: []Wallet{{Provider: "csv", Address: "f.csv", SourceMissing: missing}}})
			s, _ := e.c.CheckSession(ctx, g.AccessToken.Reveal())
			ints := integrationsOf(t, e.c.User(g.Credential()))
			_, err := e.c.ResyncIntegration(ctx, ints[0].ID, kryptos.ResyncParams{UserID: s.UserID, Mode: mode})
			return err
		}})
	}
	csvCase("CSV_SOURCE_MISSING", nil, kryptos.ResyncFromStart, true)
	csvCase("CSV_RESYNC_LATEST_UNSUPPORTED", nil, kryptos.ResyncLatest, false)
	csvCase("CSV_RESYNC_UNSUPPORTED", []Option{WithCSVResyncUnsupported()}, kryptos.ResyncFromStart, false)

	documented := []string{"INVALID_CLIENT", "INVALID_TOKEN", "TOKEN_EXPIRED", "TOKEN_ALREADY_USED", "INVALID_SCOPE",
		"INVALID_GRANT", "INSUFFICIENT_PERMISSIONS", "WORKSPACE_NOT_FOUND", "GRANT_NOT_FOUND", "ACCESS_DENIED", "NOT_ANON_USER",
		"INTEGRATION_NOT_FOUND", "CSV_SOURCE_MISSING", "CSV_RESYNC_LATEST_UNSUPPORTED", "CSV_RESYNC_UNSUPPORTED", "SYNC_DISABLED",
		"SANDBOX_PROVIDER_NOT_ALLOWED", "SANDBOX_ADDRESS_NOT_ALLOWED", "RATE_LIMIT_EXCEEDED", "VALIDATION_ERROR", "NOT_FOUND",
		"INTERNAL_ERROR", "EXTERNAL_SERVICE_ERROR", "OTP_NOT_REQUESTED", "EMAIL_MISMATCH", "INVALID_OTP", "insufficient_scope", "unauthorized"}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.code] = true
	}
	for _, code := range documented {
		assert.True(t, covered[code], "no case reaches %s", code)
	}

	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			err := tc.trigger(setup())
			var apiErr *kryptos.Error
			require.True(t, errors.As(err, &apiErr), "want an API error, got %v", err)
			assert.Equal(t, tc.code, apiErr.Code)
			assert.GreaterOrEqual(t, apiErr.StatusCode, 400)
		})
	}
}

func TestTheWidgetEndpointsSignAUserIn(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	lt, _ := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	h := map[string]string{"X-LINK-TOKEN": lt.Token.Reveal()}

	status, _, body := raw(t, srv, http.MethodPost, "/widget/complete", h, `{"wallets":[]}`)
	assert.Equal(t, http.StatusBadRequest, status, "a Linked user must sign in first")
	assert.Equal(t, "OTP_NOT_REQUESTED", body["code"])

	status, _, _ = raw(t, srv, http.MethodPost, "/widget/otp/request", h, `{"email":"Grace@example.com"}`)
	require.Equal(t, http.StatusOK, status)
	status, _, _ = raw(t, srv, http.MethodPost, "/widget/otp/verify", h, `{"email":"grace@example.com","otp":"`+SandboxOTP+`"}`)
	require.Equal(t, http.StatusOK, status)
	status, _, body = raw(t, srv, http.MethodPost, "/widget/complete", h,
		`{"wallets":[{"provider":"ethereum","address":"`+EthereumTestAddress+`"}]}`)
	require.Equal(t, http.StatusOK, status, body)
	public := body["data"].(map[string]any)["public_token"].(string)
	g, err := c.ExchangePublicToken(ctx, public)
	require.NoError(t, err)
	_, err = c.UpdateTransactionLimit(ctx, g.GrantID, kryptos.TransactionLimitParams{EnableLimiter: kryptos.Ptr(true)})
	require.ErrorIs(t, err, kryptos.ErrNotAnonUser, "an email sign-in is a Linked user")

	// A returning user's widget completes with a null public token.
	again, _ := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: g.AccessToken})
	status, _, body = raw(t, srv, http.MethodPost, "/widget/complete", map[string]string{"X-LINK-TOKEN": again.Token.Reveal()}, `{}`)
	require.Equal(t, http.StatusOK, status)
	assert.Nil(t, body["data"].(map[string]any)["public_token"])

	status, _, body = raw(t, srv, http.MethodPost, "/widget/complete", map[string]string{"X-LINK-TOKEN": "link_nope"}, `{"guest":true}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "INVALID_TOKEN", body["code"])
}

func TestCompleteLinkRejectsWhatTheWidgetWould(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	for _, tc := range []struct {
		user LinkUser
		code string
	}{
		{LinkUser{Guest: true, Deny: true}, "ACCESS_DENIED"},
		{LinkUser{}, "VALIDATION_ERROR"},
		{LinkUser{Guest: true, Wallets: []Wallet{{Provider: "ethereum"}}}, "VALIDATION_ERROR"},
		{LinkUser{Guest: true, Wallets: []Wallet{{Provider: "ethereum", Address: "0xdead"}}}, "SANDBOX_ADDRESS_NOT_ALLOWED"},
	} {
		lt, _ := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
		_, err := srv.CompleteLink(lt.Token, tc.user)
		var apiErr *kryptos.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, tc.code, apiErr.Code)
	}
	_, err := srv.CompleteLink(kryptos.NewSecret("link_nope"), LinkUser{Guest: true})
	require.ErrorIs(t, err, kryptos.ErrInvalidToken)
}

func TestOlderRequestShapesAreAccepted(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	// Older docs: credentials in the body, plus redirect_uri, state and
	// metadata.
	status, _, body := raw(t, srv, http.MethodPost, "/link-token", nil, `{"client_id":"`+srv.ClientID+`","client_secret":"`+srv.ClientSecret+`",
		"scopes":"openid profile offline_access portfolios:read transactions:read integrations:read integrations:write",
		"redirect_uri":"https://yourapp.com/callback","state":"abc","metadata":{"user_id":"u-1"}}`)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, true, body["success"])

	status, _, body = raw(t, srv, http.MethodPost, "/link-token", nil, `{"scopes":"openid"}`)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "INVALID_CLIENT", body["code"])
	status, _, body = raw(t, srv, http.MethodPost, "/link-token", creds(srv), `not json`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "VALIDATION_ERROR", body["code"])
	status, _, body = raw(t, srv, http.MethodPost, "/link-token", creds(srv), `{"scopes":"profile"}`)
	assert.Equal(t, http.StatusBadRequest, status, "openid is required")
	assert.Equal(t, "INVALID_SCOPE", body["code"])
}

// TestTransactionsAndLedgersErrorsAreNested: DATA-API.md §2.1 row 3,
// the bare family of transactions and ledgers: "no `success` field; errors
// nested `{ "error": { "code", "message" } }`", and §3.3 lists INTERNAL_ERROR
// among its nested codes. The sandbox's own 429 and its injected faults
// must keep that shape there; portfolios keep the wrapped one (§3.2).
func TestTransactionsAndLedgersErrorsAreNested(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithRateLimits(RateLimits{kryptos.ClassData: {Requests: 1, Per: time.Hour}}))
	defer srv.Close()
	token := connect(t, srv, srv.Client(fast...), LinkUser{Email: "nested@example.com"}).AccessToken.Reveal()
	auth := map[string]string{"Authorization": "Bearer " + token}

	nested := func(t *testing.T, status, want int, body map[string]any, code string) {
		t.Helper()
		assert.Equal(t, want, status)
		_, hasSuccess := body["success"]
		assert.False(t, hasSuccess, "the bare family has no success field: %v", body)
		inner, ok := body["error"].(map[string]any)
		require.True(t, ok, "error must be an object {code, message}: %v", body)
		assert.Equal(t, code, inner["code"])
		assert.NotEmpty(t, inner["message"])
		_, topCode := body["code"]
		assert.False(t, topCode, "no top-level code: %v", body)
	}

	srv.FailNext("/v1/ledgers", 1, Fault{Status: 500, Code: "INTERNAL_ERROR", Message: "Internal server error"})
	status, _, body := raw(t, srv, http.MethodGet, "/v1/ledgers", auth, "")
	nested(t, status, 500, body, "INTERNAL_ERROR")

	status, _, _ = raw(t, srv, http.MethodGet, "/v1/transactions", auth, "")
	require.Equal(t, 200, status, "the first data call is within the quota")
	status, _, body = raw(t, srv, http.MethodGet, "/v1/transactions", auth, "")
	nested(t, status, 429, body, "RATE_LIMIT_EXCEEDED")

	// The wrapped family is unchanged.
	status, _, body = raw(t, srv, http.MethodGet, "/v1/portfolios", auth, "")
	assert.Equal(t, 429, status)
	assert.Equal(t, false, body["success"])
	assert.Equal(t, "RATE_LIMIT_EXCEEDED", body["code"])
}
