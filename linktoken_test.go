package kryptos

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateLinkTokenSendsTheDocumentedRequest(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t, WithUserAgent("acme-backend/2.0"))
	api.on(http.MethodPost, "/link-token", reply(200, golden(t, "connect.link_token.json")))

	lt, err := api.client.CreateLinkToken(context.Background(), LinkTokenParams{})
	require.NoError(t, err)

	req := api.rec.last(t)
	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, "/link-token", req.Path)
	assert.Equal(t, testClientID, req.Header.Get("X-Client-Id"))
	assert.Equal(t, testClientSecret, req.Header.Get("X-Client-Secret"))
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	assert.Equal(t, "application/json", req.Header.Get("Accept"))
	assert.Equal(t, "kryptos-go/"+Version+" acme-backend/2.0", req.Header.Get("User-Agent"))
	// Nil scopes send the documented default set, as one string; no other
	// field is sent.
	assert.JSONEq(t, `{"scopes":"openid profile offline_access email portfolios:read transactions:read integrations:read tax:read accounting:read reports:read workspace:read users:read"}`, req.Body)

	assert.Equal(t, &LinkToken{Token: NewSecret("link_abc123xyz789"), ExpiresAt: time.Date(2024, 1, 28, 10, 30, 0, 0, time.UTC)}, lt)
}

func TestCreateLinkTokenSendsEveryOptionalField(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on(http.MethodPost, "/link-token", reply(200, golden(t, "connect.link_token.resumed.json")))

	_, err := api.client.CreateLinkToken(context.Background(), LinkTokenParams{
		Scopes:      Scopes{ScopeOpenID, ScopePortfoliosRead},
		AccessToken: NewSecret(testAccessToken),
		RedirectURI: "https://yourapp.com/callback",
		State:       "st4te",
		Metadata:    map[string]string{"user_id": "u-1"},
	})
	require.NoError(t, err)
	assert.JSONEq(t, `{"scopes":"openid portfolios:read","access_token":"`+testAccessToken+`",
		"redirect_uri":"https://yourapp.com/callback","state":"st4te","metadata":{"user_id":"u-1"}}`, api.rec.last(t).Body)
}

func TestCreateLinkTokenDecodesEveryDocumentedAnswer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
		want LinkToken
	}{
		{"fresh session", golden(t, "connect.link_token.json"), LinkToken{
			Token: NewSecret("link_abc123xyz789"), ExpiresAt: time.Date(2024, 1, 28, 10, 30, 0, 0, time.UTC)}},
		{"session resumed with access_token", golden(t, "connect.link_token.resumed.json"), LinkToken{
			Token: NewSecret("link_abc123xyz789"), ExpiresAt: time.Date(2024, 1, 28, 10, 30, 0, 0, time.UTC),
			UserID: "uuid-user-123", WorkspaceID: "uuid-workspace-456", HasExistingGrant: true}},
		{"the docs' elided sample", golden(t, "connect.link_token.elided.json"), LinkToken{
			Token: NewSecret("link_xxx..."), UserID: "user123", WorkspaceID: "ws123", HasExistingGrant: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			api.on(http.MethodPost, "/link-token", reply(200, tc.body))
			lt, err := api.client.CreateLinkToken(context.Background(), LinkTokenParams{AccessToken: NewSecret(testAccessToken)})
			require.NoError(t, err)
			assert.Equal(t, tc.want, *lt)
		})
	}
}

func TestCreateLinkTokenRejectsBadParamsBeforeSending(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		params LinkTokenParams
		field  string
	}{
		{"malformed scope", LinkTokenParams{Scopes: Scopes{ScopeOpenID, `portfolios:"read"`}}, "params.Scopes"},
		{"long state", LinkTokenParams{State: strings.Repeat("s", 5000)}, "params.State"},
		{"a 1 MB access token", LinkTokenParams{AccessToken: NewSecret("cat_" + strings.Repeat("x", 1<<20))}, "params.AccessToken"},
		{"scope with a space", LinkTokenParams{Scopes: Scopes{"openid profile"}}, "params.Scopes"},
		{"empty scope", LinkTokenParams{Scopes: Scopes{ScopeOpenID, ""}}, "params.Scopes"},
		{"no openid", LinkTokenParams{Scopes: Scopes{ScopeProfile}}, "params.Scopes"},
		{"empty scope set", LinkTokenParams{Scopes: Scopes{}}, "params.Scopes"},
		{"public token as access token", LinkTokenParams{AccessToken: NewSecret(testPublicToken)}, "params.AccessToken"},
		{"access token with CRLF", LinkTokenParams{AccessToken: NewSecret("cat_x\r\nX-Evil: 1")}, "params.AccessToken"},
		{"prefix only", LinkTokenParams{AccessToken: NewSecret("cat_")}, "params.AccessToken"},
		{"relative redirect", LinkTokenParams{RedirectURI: "/callback"}, "params.RedirectURI"},
		{"unparsable redirect", LinkTokenParams{RedirectURI: "http://[::1"}, "params.RedirectURI"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			_, err := api.client.CreateLinkToken(context.Background(), tc.params)
			require.ErrorIs(t, err, ErrInvalidParams)
			var pe *ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.field, pe.Field)
			assert.Equal(t, 0, api.rec.count(), "nothing may be sent")
		})
	}
}

func TestCreateLinkTokenReportsAMissingToken(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on(http.MethodPost, "/link-token", reply(200, `{"success":true,"data":{}}`))
	_, err := api.client.CreateLinkToken(context.Background(), LinkTokenParams{})
	require.ErrorIs(t, err, ErrMalformedResponse)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown, "a link token has no effect to be unsure of")
}

func TestCreateLinkTokenReturnsTheAPIError(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on(http.MethodPost, "/link-token", fail(400, "INVALID_SCOPE", "Requested scope not allowed"))
	_, err := api.client.CreateLinkToken(context.Background(), LinkTokenParams{})
	require.ErrorIs(t, err, ErrInvalidScope)
	assert.EqualError(t, err, "kryptos: CreateLinkToken: API error 400 INVALID_SCOPE: Requested scope not allowed")
	assert.Equal(t, 1, api.rec.count(), "a 400 is not retried")
}

func TestLinkTokenValuesPrintRedacted(t *testing.T) {
	t.Parallel()
	lt := LinkToken{Token: NewSecret(testLinkToken), UserID: "u1", HasExistingGrant: true}
	p := LinkTokenParams{AccessToken: NewSecret(testAccessToken), State: "s"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{lt, &lt, p, &p} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, "never_printed", "%s of %T", verb, v)
			assert.Contains(t, out, redactedMark, "%s of %T", verb, v)
		}
	}
	assert.Contains(t, fmt.Sprintf("%#v", lt), `kryptos.LinkToken{Token:kryptos.NewSecret("link_[redacted]")`)
	assert.Contains(t, fmt.Sprintf("%+v", p), "State:s")
}

func TestCreateLinkTokenSendsAScopeThePackageDoesNotKnow(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on(http.MethodPost, "/link-token", reply(200, golden(t, "connect.link_token.json")))
	_, err := api.client.CreateLinkToken(context.Background(), LinkTokenParams{Scopes: Scopes{ScopeOpenID, "reports:export"}})
	require.NoError(t, err, "the API adds scopes over time")
	assert.JSONEq(t, `{"scopes":"openid reports:export"}`, api.rec.last(t).Body)
}

// TestCreateLinkTokenKeepsTheTokenWhateverFormItsOtherFieldsTake: a link
// token answer is a success whatever form its optional fields take; each
// oddity is logged with the request ID.
func TestCreateLinkTokenKeepsTheTokenWhateverFormItsOtherFieldsTake(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, data string
		want       LinkToken
		note       string
	}{
		{"expires_at in Unix milliseconds", `"expires_at":1706437800000`,
			LinkToken{ExpiresAt: time.Date(2024, 1, 28, 10, 30, 0, 0, time.UTC)}, ""},
		{"expires_at a date only", `"expires_at":"2024-01-28"`,
			LinkToken{ExpiresAt: time.Date(2024, 1, 28, 0, 0, 0, 0, time.UTC)}, ""},
		{"expires_at elided, as in the docs", `"expires_at":"..."`,
			LinkToken{}, `expires_at: want an RFC 3339 time, got \"...\"`},
		{"expires_at an object", `"expires_at":{"at":1}`,
			LinkToken{}, `expires_at: want an RFC 3339 time, got {\"at\":1}`},
		{"has_existing_grant a number", `"has_existing_grant":1`,
			LinkToken{}, `has_existing_grant: want true or false, got 1`},
		{"has_existing_grant in a string", `"has_existing_grant":"true"`,
			LinkToken{HasExistingGrant: true}, ""},
		{"workspace_id a number", `"workspace_id":456`,
			LinkToken{}, `workspace_id: want a string, got 456`},
		{"every optional field null", `"expires_at":null,"user_id":null,"workspace_id":null,"has_existing_grant":null`,
			LinkToken{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			api := newMockAPI(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			api.on(http.MethodPost, "/link-token", reply(200, `{"success":true,"data":{"link_token":"link_ok",`+tc.data+`}}`, "X-Request-Id", "req_x"))
			lt, err := api.client.CreateLinkToken(context.Background(), LinkTokenParams{})
			require.NoError(t, err)
			tc.want.Token = NewSecret("link_ok")
			assert.Equal(t, tc.want, *lt)
			if tc.note == "" {
				assert.Empty(t, logs.String())
			} else {
				assert.Contains(t, logs.String(), `op=CreateLinkToken request_id=req_x field="`+tc.note+`"`)
			}
		})
	}
}

// TestALinkTokenInAnOddFormIsMalformedAndNotRepeated: an answer whose
// link_token is not a string lacks the token: an error matching
// ErrMalformedResponse with the request ID, which neither the error nor the
// log repeats the value of.
func TestALinkTokenInAnOddFormIsMalformedAndNotRepeated(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	api := newMockAPI(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	api.on(http.MethodPost, "/link-token", reply(200, `{"success":true,"data":{"link_token":{"value":"zz_link_value"},"expires_at":"soon"}}`, "X-Request-Id", "req_lt"))
	_, err := api.client.CreateLinkToken(context.Background(), LinkTokenParams{})
	require.ErrorIs(t, err, ErrMalformedResponse)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "req_lt", apiErr.RequestID)
	assert.NotContains(t, err.Error(), "zz_link_value")
	assert.NotContains(t, logs.String(), "zz_link_value")
}
