package kryptos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEverySentinelMatchesItsCode sends each documented code and checks that
// only its own sentinel matches.
func TestEverySentinelMatchesItsCode(t *testing.T) {
	t.Parallel()
	sentinels := map[string]error{
		"INVALID_CLIENT": ErrInvalidClient, "INVALID_TOKEN": ErrInvalidToken, "TOKEN_EXPIRED": ErrTokenExpired,
		"TOKEN_ALREADY_USED": ErrTokenAlreadyUsed, "INVALID_SCOPE": ErrInvalidScope, "insufficient_scope": ErrInsufficientScope,
		"INVALID_GRANT": ErrInvalidGrant, "INSUFFICIENT_PERMISSIONS": ErrInsufficientPermissions,
		"WORKSPACE_NOT_FOUND": ErrWorkspaceNotFound, "GRANT_NOT_FOUND": ErrGrantNotFound, "ACCESS_DENIED": ErrAccessDenied,
		"NOT_ANON_USER": ErrNotAnonUser, "INTEGRATION_NOT_FOUND": ErrIntegrationNotFound,
		"CSV_SOURCE_MISSING": ErrCSVSourceMissing, "CSV_RESYNC_LATEST_UNSUPPORTED": ErrCSVResyncLatestUnsupported,
		"CSV_RESYNC_UNSUPPORTED": ErrCSVResyncUnsupported, "SYNC_DISABLED": ErrSyncDisabled,
		"SANDBOX_PROVIDER_NOT_ALLOWED": ErrSandboxProviderNotAllowed, "SANDBOX_ADDRESS_NOT_ALLOWED": ErrSandboxAddressNotAllowed,
		"RATE_LIMIT_EXCEEDED": ErrRateLimited, "VALIDATION_ERROR": ErrValidation, "NOT_FOUND": ErrNotFound,
		"INTERNAL_ERROR": ErrInternal, "EXTERNAL_SERVICE_ERROR": ErrExternalService,
		"OTP_NOT_REQUESTED": ErrOTPNotRequested, "EMAIL_MISMATCH": ErrEmailMismatch, "INVALID_OTP": ErrInvalidOTP,
	}
	for code, want := range sentinels {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on(http.MethodGet, "/token/grants", fail(400, code, "message for "+code))
			_, err := api.client.ListGrants(context.Background())
			require.ErrorIs(t, err, want)
			for other, s := range sentinels {
				if other != code {
					assert.NotErrorIs(t, err, s, "%s must not match %s", code, other)
				}
			}
			var apiErr *Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, code, apiErr.Code)
			assert.Equal(t, "message for "+code, apiErr.Message)
			assert.NotErrorIs(t, err, ErrUnauthorized)
		})
	}
}

func TestErrorShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		responder httpmock.Responder
		want      Error
		is        []error
	}{
		{"unknown code survives", fail(418, "BRAND_NEW_CODE", "Something new"),
			Error{StatusCode: 418, Code: "BRAND_NEW_CODE", Message: "Something new"}, nil},
		{"the docs' envelope, with its placeholder code", reply(400, golden(t, "connect.error.json")),
			Error{StatusCode: 400, Code: "ERROR_CODE", Message: "Error message"}, nil},
		{"401 with no envelope", httpmock.NewStringResponder(401, ""),
			Error{StatusCode: 401, Message: "Unauthorized (empty body)"}, []error{ErrUnauthorized}},
		{"401 with INVALID_CLIENT", fail(401, "INVALID_CLIENT", "Invalid client credentials"),
			Error{StatusCode: 401, Code: "INVALID_CLIENT", Message: "Invalid client credentials"}, []error{ErrUnauthorized, ErrInvalidClient}},
		{"proxy HTML page", reply(403, "<html><body>Forbidden by proxy</body></html>", "Content-Type", "text/html; charset=utf-8"),
			Error{StatusCode: 403, Message: "Forbidden (text/html body of 44 bytes, not the API's JSON)"}, nil},
		{"success:false on a 200", reply(200, `{"success":false,"error":"Grant revoked","code":"INVALID_GRANT"}`),
			Error{StatusCode: 200, Code: "INVALID_GRANT", Message: "Grant revoked"}, []error{ErrInvalidGrant}},
		{"OAuth style", reply(403, `{"error":"insufficient_scope","error_description":"needs portfolios:read"}`),
			Error{StatusCode: 403, Code: "insufficient_scope", Message: "needs portfolios:read"}, []error{ErrInsufficientScope}},
		{"nested error object", reply(404, `{"error":{"code":"NOT_FOUND","message":"no such thing"}}`),
			Error{StatusCode: 404, Code: "NOT_FOUND", Message: "no such thing"}, []error{ErrNotFound}},
		{"message only", reply(400, `{"success":false,"message":"bad"}`),
			Error{StatusCode: 400, Message: "bad"}, nil},
		{"envelope without message", reply(404, `{"success":false,"code":"NOT_FOUND"}`),
			Error{StatusCode: 404, Code: "NOT_FOUND", Message: "Not Found"}, []error{ErrNotFound}},
		{"request id and retry_after", fail(429, "RATE_LIMIT_EXCEEDED", "Too many", "X-Request-Id", "req-42", "retry_after", "120"),
			Error{StatusCode: 429, Code: "RATE_LIMIT_EXCEEDED", Message: "Too many", RequestID: "req-42", RetryAfter: 2 * time.Minute},
			[]error{ErrRateLimited}},
		{"a token echoed by the server is masked", fail(400, "INVALID_TOKEN", "token cat_abc.DEF-123 is not valid"),
			Error{StatusCode: 400, Code: "INVALID_TOKEN", Message: "token cat_[redacted] is not valid"}, []error{ErrInvalidToken}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// MaxWait keeps a 429 asking for minutes from being retried.
			api := newMockAPI(t, WithRetryPolicy(RetryPolicy{MaxRetries: 0}))
			api.on(http.MethodGet, "/token/grants", tc.responder)
			_, err := api.client.ListGrants(context.Background())
			var apiErr *Error
			require.ErrorAs(t, err, &apiErr)
			got := *apiErr
			got.cause = nil
			assert.Equal(t, tc.want, got)
			for _, s := range tc.is {
				assert.ErrorIs(t, err, s)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	e := &Error{StatusCode: 429, Code: "RATE_LIMIT_EXCEEDED", Message: "Too many", RequestID: "r1", RetryAfter: 3 * time.Second}
	assert.Equal(t, "API error 429 RATE_LIMIT_EXCEEDED: Too many (request r1) (retry after 3s)", e.Error())
	assert.Equal(t, "API error 500", (&Error{StatusCode: 500}).Error())
	assert.False(t, errors.Is(e, errors.New("RATE_LIMIT_EXCEEDED")), "only sentinels match by code")
	assert.Equal(t, "kryptos: TOKEN_EXPIRED", ErrTokenExpired.Error())
	assert.True(t, errors.Is(&Error{Code: "token_expired"}, ErrTokenExpired), "codes match regardless of case")
}

func TestResponseBodyCap(t *testing.T) {
	t.Parallel()
	big := `{"success":true,"data":{"grants":[` + strings.Repeat(`{"grant_id":"cgrant_1"},`, 100) + `{"grant_id":"cgrant_2"}]}}`
	api := newMockAPI(t, WithMaxResponseBytes(1024))
	api.on(http.MethodGet, "/token/grants", reply(200, big))
	_, err := api.client.ListGrants(context.Background())
	require.ErrorIs(t, err, ErrResponseTooLarge)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 200, apiErr.StatusCode)
	assert.Contains(t, err.Error(), "over 1024 bytes")

	roomy := newMockAPI(t, WithMaxResponseBytes(int64(len(big))))
	roomy.on(http.MethodGet, "/token/grants", reply(200, big))
	grants, err := roomy.client.ListGrants(context.Background())
	require.NoError(t, err)
	assert.Len(t, grants, 101)
}

func TestParamError(t *testing.T) {
	t.Parallel()
	err := error(&ParamError{Field: "grantID", Problem: "must not be empty"})
	assert.Equal(t, "invalid grantID: must not be empty", err.Error())
	assert.ErrorIs(t, err, ErrInvalidParams)
}

// TestValidationErrorKeepsItsDetails: DATA-API.md §3.2, wrapped errors
// { "success": false, "error": ..., "code": ..., "details": {} }, where for
// VALIDATION_ERROR "`details.issues` lists each offending field". The
// *Error kept the code and the message ("Validation failed") but dropped
// the only part that says which field was wrong.
func TestValidationErrorKeepsItsDetails(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.onData(http.MethodGet, "/v1/portfolios", reply(400,
		`{"success":false,"error":"Validation failed","code":"VALIDATION_ERROR","details":{"issues":[{"path":["workspaceId"],"message":"Required; got `+testAccessToken+`"}]}}`))
	_, err := api.user().ListPortfoliosPage(context.Background(), PortfoliosParams{})
	require.ErrorIs(t, err, ErrValidation)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Validation failed", apiErr.Message)
	assert.JSONEq(t, `{"issues":[{"path":["workspaceId"],"message":"Required; got [redacted]"}]}`, string(apiErr.Details),
		"details kept, with the secrets masked as in Message")
	assert.NotContains(t, string(apiErr.Details), testAccessToken)

	// A secret spelled with JSON escapes, or used as a key, is masked too.
	escaped := `\u00` + fmt.Sprintf("%x", testAccessToken[0]) + testAccessToken[1:]
	api3 := newMockAPI(t)
	api3.onData(http.MethodGet, "/v1/portfolios", reply(400,
		`{"success":false,"error":"Validation failed","code":"VALIDATION_ERROR","details":{"issues":[{"message":"got `+escaped+`"}],"`+testAccessToken+`":1.50}}`))
	_, err = api3.user().ListPortfoliosPage(context.Background(), PortfoliosParams{})
	require.ErrorAs(t, err, &apiErr)
	assert.JSONEq(t, `{"issues":[{"message":"got [redacted]"}],"[redacted]":1.50}`, string(apiErr.Details))
	assert.Contains(t, string(apiErr.Details), "1.50", "numbers as sent")

	// An answer without details has none.
	api2 := newMockAPI(t)
	api2.onData(http.MethodGet, "/v1/portfolios/pf_x", reply(404, `{"success":false,"error":"Portfolio not found","code":"NOT_FOUND"}`))
	_, err = api2.user().GetPortfolio(context.Background(), "pf_x")
	require.ErrorAs(t, err, &apiErr)
	assert.Nil(t, apiErr.Details)
}

// TestOAuthErrorWithoutDescription: DATA-API.md §3.1 "Auth/authorization
// errors (OAuth style, no `success` field)": the code is in `error`;
// error_description is optional in OAuth (RFC 6749 §5.2, and OAUTH.md shows
// `{"error": "invalid_request"}` alone). Without it the code must not turn
// into the message.
func TestOAuthErrorWithoutDescription(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status   int
		body     string
		sentinel error
		code     string
	}{
		{403, `{"error":"forbidden"}`, ErrForbidden, "forbidden"},
		{403, `{"error":"insufficient_scope"}`, ErrInsufficientScope, "insufficient_scope"},
		{400, `{"error":"bad_request"}`, ErrBadRequest, "bad_request"},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.onData(http.MethodGet, "/v1/portfolios", reply(tc.status, tc.body))
			_, err := api.user().ListPortfoliosPage(context.Background(), PortfoliosParams{})
			require.ErrorIs(t, err, tc.sentinel)
			var apiErr *Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.code, apiErr.Code)
		})
	}
}
