package kryptos

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExchangePublicTokenSendsTheDocumentedRequest(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on(http.MethodPost, "/token/exchange", reply(200, golden(t, "connect.exchange.json")))

	grant, err := api.client.ExchangePublicToken(context.Background(), testPublicToken)
	require.NoError(t, err)

	req := api.rec.last(t)
	assert.Equal(t, "/token/exchange", req.Path)
	assert.Equal(t, testClientSecret, req.Header.Get("X-Client-Secret"))
	assert.JSONEq(t, `{"public_token":"`+testPublicToken+`"}`, req.Body)
	assert.Equal(t, AccessGrant{
		AccessToken: NewSecret("cat_abc123xyz789"), GrantID: "cgrant_abc123xyz789", TokenType: "Bearer",
		ExpiresIn: 473040000 * time.Second, Scopes: DefaultScopes(), WorkspaceID: "uuid-workspace-123",
	}, *grant)
	assert.Equal(t, 15*365*24*time.Hour, grant.ExpiresIn)
}

func TestExchangePublicTokenDecodesTheOlderAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on(http.MethodPost, "/token/exchange", reply(200, golden(t, "connect.exchange.older.json")))
	grant, err := api.client.ExchangePublicToken(context.Background(), testPublicToken)
	require.NoError(t, err)
	assert.Equal(t, "crt_abc123xyz789", grant.RefreshToken.Reveal())
	assert.Equal(t, 24*time.Hour, grant.ExpiresIn)
	assert.Empty(t, grant.GrantID)
	assert.True(t, grant.Scopes.Has(ScopeIntegrationsWrite))
}

// TestExchangeRetriesOnlyWhatCannotHaveConsumedTheToken is the retry table of
// a one-shot operation: what is repeated, how often the server saw the
// request, and whether the caller is told the token may be spent.
func TestExchangeRetriesOnlyWhatCannotHaveConsumedTheToken(t *testing.T) {
	t.Parallel()
	ok := reply(200, golden(t, "connect.exchange.json"))
	cases := []struct {
		name      string
		responder httpmock.Responder
		attempts  int
		wantErr   error // nil: success
		unknown   bool
		status    int
	}{
		{"refused, then success", httpmock.NewErrorResponder(errRefused).Then(ok), 2, nil, false, 0},
		{"refused every time", httpmock.NewErrorResponder(errRefused), 4, errRefused, false, 0},
		{"429, then success", fail(429, "RATE_LIMIT_EXCEEDED", "slow down", "retry_after", "0").Then(ok), 2, nil, false, 0},
		{"429 every time", fail(429, "RATE_LIMIT_EXCEEDED", "slow down"), 4, ErrRateLimited, false, 429},
		{"reset after sending", httpmock.NewErrorResponder(errReset), 1, errReset, true, 0},
		{"500", fail(500, "INTERNAL_ERROR", "boom"), 1, ErrInternal, true, 500},
		{"502", reply(502, `<html>Bad Gateway</html>`, "Content-Type", "text/html"), 1, ErrUnauthorized, true, 502},
		{"503 with Retry-After", fail(503, "", "down", "Retry-After", "0"), 1, nil, true, 503},
		{"504", reply(504, ``), 1, nil, true, 504},
		{"200 with truncated JSON", reply(200, golden(t, "connect.exchange.json")[:60]), 1, ErrMalformedResponse, true, 200},
		{"200 without access_token", reply(200, `{"success":true,"data":{"grant_id":"cgrant_1"}}`), 1, ErrMalformedResponse, true, 200},
		{"200 with data null", reply(200, `{"success":true,"data":null}`), 1, ErrMalformedResponse, true, 200},
		{"200 with data {}", reply(200, `{"success":true,"data":{}}`), 1, ErrMalformedResponse, true, 200},
		{"200 with an empty body", reply(200, ``), 1, ErrMalformedResponse, true, 200},
		{"success:false on a 200", reply(200, `{"success":false,"error":"Token expired","code":"TOKEN_EXPIRED"}`), 1, ErrTokenExpired, false, 200},
		{"TOKEN_ALREADY_USED on the first attempt", fail(400, "TOKEN_ALREADY_USED", "used"), 1, ErrTokenAlreadyUsed, false, 400},
		// A 429 and a refused connection provably did not reach the API, so
		// the token was spent by someone else: a plain answer.
		{"TOKEN_ALREADY_USED after a 429", fail(429, "", "slow").Then(fail(400, "TOKEN_ALREADY_USED", "used")), 2, ErrTokenAlreadyUsed, false, 400},
		{"TOKEN_ALREADY_USED after a refused connection", httpmock.NewErrorResponder(errRefused).Then(fail(400, "TOKEN_ALREADY_USED", "used")), 2, ErrTokenAlreadyUsed, false, 400},
		{"TOKEN_EXPIRED", fail(400, "TOKEN_EXPIRED", "expired"), 1, ErrTokenExpired, false, 400},
		{"401 without a body", httpmock.NewStringResponder(401, ""), 1, ErrUnauthorized, false, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on(http.MethodPost, "/token/exchange", tc.responder)
			grant, err := api.client.ExchangePublicToken(context.Background(), testPublicToken)
			assert.Equal(t, tc.attempts, api.rec.count(), "attempts")
			if tc.wantErr == nil && !tc.unknown {
				require.NoError(t, err)
				assert.Equal(t, "cat_abc123xyz789", grant.AccessToken.Reveal())
				return
			}
			require.Error(t, err)
			assert.Nil(t, grant)
			if tc.wantErr != nil && tc.wantErr != ErrUnauthorized {
				assert.ErrorIs(t, err, tc.wantErr)
			}
			assert.Equal(t, tc.unknown, errorIs(err, ErrOutcomeUnknown), "ErrOutcomeUnknown in %v", err)
			if tc.unknown {
				assert.Contains(t, err.Error(), "may already be consumed")
			}
			var apiErr *Error
			if tc.status != 0 {
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tc.status, apiErr.StatusCode)
			} else {
				assert.False(t, errorAs(err, &apiErr), "a transport failure is not an *Error: %v", err)
			}
		})
	}
}

func TestExchangeTimeoutIsAnUnknownOutcome(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t, WithTimeout(20*time.Millisecond))
	api.on(http.MethodPost, "/token/exchange", func(req *http.Request) (*http.Response, error) {
		<-req.Context().Done() // a server that never answers
		return nil, req.Context().Err()
	})
	start := time.Now()
	_, err := api.client.ExchangePublicToken(context.Background(), testPublicToken)
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorIs(t, err, ErrAttemptTimeout)
	assert.Equal(t, 1, api.rec.count(), "a timed-out exchange is never repeated")
	assert.Less(t, time.Since(start), time.Second)
}

func TestExchangeCancelledInFlightIsAnUnknownOutcome(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	ctx, cancel := context.WithCancel(context.Background())
	api.on(http.MethodPost, "/token/exchange", func(req *http.Request) (*http.Response, error) {
		cancel()
		<-req.Context().Done()
		return nil, req.Context().Err()
	})
	_, err := api.client.ExchangePublicToken(ctx, testPublicToken)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, ErrOutcomeUnknown, "the request was on the wire when ctx ended")
}

func TestExchangeRejectsBadTokensBeforeSending(t *testing.T) {
	t.Parallel()
	for _, token := range []string{"", " ", "cat_never_printed", "public_", "public_never printed", "public_never_printed\nHost: evil", "link_never_printed"} {
		api := newMockAPI(t)
		_, err := api.client.ExchangePublicToken(context.Background(), token)
		var pe *ParamError
		require.ErrorAs(t, err, &pe, "token %q", token)
		assert.Equal(t, "publicToken", pe.Field)
		assert.Equal(t, 0, api.rec.count())
		assert.NotContains(t, err.Error(), "never", "the rejected value is not repeated")
	}
}

func TestAccessGrantPrintsRedacted(t *testing.T) {
	t.Parallel()
	g := AccessGrant{AccessToken: NewSecret(testAccessToken), RefreshToken: NewSecret(testRefreshToken), GrantID: testGrantID, ExpiresIn: time.Hour}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{g, &g} {
			assert.NotContains(t, fmt.Sprintf(verb, v), "never_printed", "%s of %T", verb, v)
		}
	}
	assert.Contains(t, fmt.Sprintf("%+v", g), "AccessToken:cat_[redacted]")
	assert.Contains(t, fmt.Sprintf("%+v", g), "GrantID:"+testGrantID, "grant ids are handles, not secrets")
	assert.Equal(t, "<nil>", fmt.Sprintf("%v", (*AccessGrant)(nil)))
}

// TestExchangeKeepsTheTokenWhateverFormItsOtherFieldsTake: an exchange that
// returned its access token is a success, never ErrOutcomeUnknown, however
// odd its optional fields; each oddity is logged, and a token field is
// logged without its value.
func TestExchangeKeepsTheTokenWhateverFormItsOtherFieldsTake(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, data string
		check      func(*testing.T, *AccessGrant)
		note       string
	}{
		{"expires_in in a string", `"expires_in":"473040000"`,
			func(t *testing.T, g *AccessGrant) { assert.Equal(t, 473040000*time.Second, g.ExpiresIn) }, ""},
		{"expires_in negative", `"expires_in":-1`,
			func(t *testing.T, g *AccessGrant) { assert.Zero(t, g.ExpiresIn) }, `expires_in: want a number of seconds, got -1`},
		{"expires_in past time.Duration", `"expires_in":1e300`,
			func(t *testing.T, g *AccessGrant) { assert.Zero(t, g.ExpiresIn) }, `expires_in: want a number of seconds, got 1e300`},
		{"expires_in not a number", `"expires_in":"NaN"`,
			func(t *testing.T, g *AccessGrant) { assert.Zero(t, g.ExpiresIn) }, `expires_in: want a number of seconds, got \"NaN\"`},
		{"token_type an object", `"token_type":{"kind":"Bearer"}`,
			func(t *testing.T, g *AccessGrant) { assert.Empty(t, g.TokenType) }, `token_type: want a string, got {\"kind\":\"Bearer\"}`},
		{"scope an array", `"scope":["openid","profile"]`,
			func(t *testing.T, g *AccessGrant) { assert.Equal(t, Scopes{ScopeOpenID, ScopeProfile}, g.Scopes) }, ""},
		{"scope a number", `"scope":3`,
			func(t *testing.T, g *AccessGrant) { assert.Nil(t, g.Scopes) }, `scope: want a space-separated string, got 3`},
		{"refresh_token an array", `"refresh_token":["crt_zz_refresh_value"]`,
			func(t *testing.T, g *AccessGrant) { assert.True(t, g.RefreshToken.IsZero()) }, `refresh_token: want a string, got an array`},
		{"refresh_token an object", `"refresh_token":{"value":"zz_refresh_value"}`,
			func(t *testing.T, g *AccessGrant) { assert.True(t, g.RefreshToken.IsZero()) }, `refresh_token: want a string, got an object`},
		{"a token-shaped value in another field", `"workspace_id":["cat_zz_refresh_value"]`,
			func(t *testing.T, g *AccessGrant) { assert.Empty(t, g.WorkspaceID) }, `workspace_id: want a string, got [\"cat_[redacted]\"]`},
		{"a repeated key: the last wins", `"grant_id":7,"grant_id":"cgrant_2"`,
			func(t *testing.T, g *AccessGrant) { assert.Equal(t, "cgrant_2", g.GrantID) }, ""},
		{"every optional field null", `"grant_id":null,"token_type":null,"expires_in":null,"scope":null,"workspace_id":null,"refresh_token":null`,
			func(t *testing.T, g *AccessGrant) { assert.Equal(t, AccessGrant{AccessToken: NewSecret("cat_ok")}, *g) }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			api := newMockAPI(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			api.on(http.MethodPost, "/token/exchange", reply(200, `{"success":true,"data":{"access_token":"cat_ok",`+tc.data+`}}`, "X-Request-Id", "req_x"))
			grant, err := api.client.ExchangePublicToken(context.Background(), testPublicToken)
			require.NoError(t, err)
			assert.Equal(t, "cat_ok", grant.AccessToken.Reveal())
			tc.check(t, grant)
			if tc.note == "" {
				assert.Empty(t, logs.String())
			} else {
				assert.Contains(t, logs.String(), `op=ExchangePublicToken request_id=req_x field="`+tc.note+`"`)
			}
			assert.NotContains(t, logs.String(), "zz_refresh_value")
		})
	}
}
