package kryptos

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCaptureResponseReportsTheFinalAnswer(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on(http.MethodGet, "/token/grants", httpmock504().Then(reply(200, golden(t, "connect.grants.json"), "X-Request-Id", "req_ok")))
	var resp Response
	_, err := api.client.ListGrants(context.Background(), CaptureResponse(&resp), nil, CaptureResponse(nil))
	require.NoError(t, err, "nil options and a nil target are ignored")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "req_ok", resp.RequestID)
	assert.Equal(t, 2, resp.Attempts)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))

	api.on(http.MethodPost, "/token/revoke", fail(404, "GRANT_NOT_FOUND", "gone", "X-Request-Id", "req_404"))
	err = api.client.RevokeGrant(context.Background(), testGrantID, CaptureResponse(&resp))
	require.ErrorIs(t, err, ErrGrantNotFound)
	assert.Equal(t, Response{StatusCode: 404, RequestID: "req_404", Header: resp.Header, Attempts: 1}, resp, "a failure is captured too")

	api.on(http.MethodPost, "/link-token/check-session", httpmock.NewErrorResponder(errRefused))
	_, err = api.client.CheckSession(context.Background(), testAccessToken, CaptureResponse(&resp))
	require.Error(t, err)
	assert.Equal(t, Response{Attempts: 4}, resp, "no answer came")
}

// TestASuccessWithoutItsResultIsMalformed: a 2xx that lacks the field the
// operation is for is an *Error matching ErrMalformedResponse, with the
// request ID; for the one-time exchange it is also ErrOutcomeUnknown.
func TestASuccessWithoutItsResultIsMalformed(t *testing.T) {
	t.Parallel()
	type call func(*Client) error
	linkToken := func(c *Client) error {
		_, err := c.CreateLinkToken(context.Background(), LinkTokenParams{})
		return err
	}
	exchange := func(c *Client) error {
		_, err := c.ExchangePublicToken(context.Background(), testPublicToken)
		return err
	}
	session := func(c *Client) error { _, err := c.CheckSession(context.Background(), testAccessToken); return err }
	grants := func(c *Client) error { _, err := c.ListGrants(context.Background()); return err }
	integrations := func(c *Client) error {
		_, err := c.User(AccessToken(testAccessToken)).ListIntegrationsPage(context.Background(), IntegrationsParams{})
		return err
	}
	transactions := func(c *Client) error {
		for _, err := range c.User(AccessToken(testAccessToken)).ListTransactions(context.Background(), TransactionsParams{}) {
			return err
		}
		return errors.New("an answer without its list read as an empty list")
	}
	cases := []struct {
		name, method, path, body string
		call                     call
		unknown                  bool
	}{
		{"link token: data null", "POST", "/link-token", `{"success":true,"data":null}`, linkToken, false},
		{"link token: data {}", "POST", "/link-token", `{"success":true,"data":{}}`, linkToken, false},
		{"link token: no data", "POST", "/link-token", `{"success":true}`, linkToken, false},
		{"link token: not a string", "POST", "/link-token", `{"success":true,"data":{"link_token":42}}`, linkToken, false},
		{"exchange: no access_token", "POST", "/token/exchange", `{"success":true,"data":{"grant_id":"cgrant_1"}}`, exchange, true},
		{"exchange: data is a string", "POST", "/token/exchange", `{"success":true,"data":"cat_x"}`, exchange, true},
		{"session: no has_valid_session", "POST", "/link-token/check-session", `{"success":true,"data":{"user_id":"u1"}}`, session, false},
		{"session: data null", "POST", "/link-token/check-session", `{"success":true,"data":null}`, session, false},
		{"grants: data {}", "GET", "/token/grants", `{"success":true,"data":{}}`, grants, false},
		{"a list page: data {}", "GET", "/v1/integrations", `{"success":true,"data":{}}`, integrations, false},
		{"a list page: data null", "GET", "/v1/transactions", `{"data":null,"meta":{"total":0}}`, transactions, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newMockAPI(t)
			register := api.on
			if strings.HasPrefix(tc.path, "/v1/") {
				register = api.onData
			}
			register(tc.method, tc.path, reply(200, tc.body, "X-Request-Id", "req_odd"))
			err := tc.call(api.client)
			require.ErrorIs(t, err, ErrMalformedResponse)
			var apiErr *Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, 200, apiErr.StatusCode)
			assert.Equal(t, "req_odd", apiErr.RequestID)
			assert.Equal(t, tc.unknown, errors.Is(err, ErrOutcomeUnknown))
			assert.Equal(t, 1, api.rec.count(), "a malformed success is not retried")
		})
	}
}

// selfChecked is an answer with a check of its own, read with a check of
// the request's too.
type selfChecked struct {
	ID    string `json:"id"`
	Ready bool   `json:"ready"`
}

func (a *selfChecked) check() error {
	if !a.Ready {
		return errors.New("not ready")
	}
	return nil
}

func TestAnAnswersOwnCheckAndTheRequestsBothRun(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	ctx := context.Background()
	for body, want := range map[string]string{
		`{"success":true,"data":{"id":"p1","ready":false}}`: "not ready",
		`{"success":true,"data":{"ready":true}}`:            "no portfolio in the answer",
		`{"success":true,"data":{"id":"p1","ready":true}}`:  "",
	} {
		api.onData(http.MethodGet, "/v1/portfolios/p1", reply(200, body))
		got, err := getObject(ctx, api.client, opGetPortfolio, request{params: []string{"p1"}, cred: AccessToken(testAccessToken)},
			nil, "portfolio", func(a *selfChecked) string { return a.ID })
		if want == "" {
			require.NoError(t, err, body)
			assert.Equal(t, &selfChecked{ID: "p1", Ready: true}, got)
			continue
		}
		require.ErrorIs(t, err, ErrMalformedResponse, body)
		assert.ErrorContains(t, err, want, body)
	}
}

// TestOddOptionalFieldsNeverCostTheToken: an answer that carries the token
// is a success, whatever form its optional fields come in; each oddity is
// logged as a warning with the request ID.
func TestOddOptionalFieldsNeverCostTheToken(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	api := newMockAPI(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	api.on(http.MethodPost, "/token/exchange", reply(200, `{"success":true,"data":{"access_token":"cat_ok","grant_id":7,
		"token_type":"Bearer","expires_in":"473040000","scope":{"odd":true},"workspace_id":null}}`, "X-Request-Id", "req_1"))
	grant, err := api.client.ExchangePublicToken(context.Background(), testPublicToken)
	require.NoError(t, err)
	assert.Equal(t, "cat_ok", grant.AccessToken.Reveal())
	assert.Equal(t, 473040000*time.Second, grant.ExpiresIn, "a number in a string is read")
	assert.Empty(t, grant.GrantID)
	assert.Empty(t, grant.Scopes)
	assert.Contains(t, logs.String(), `level=WARN msg="kryptos: an optional field of the answer was odd and was left empty" op=ExchangePublicToken request_id=req_1 field="grant_id: want a string, got 7"`)
	assert.Contains(t, logs.String(), `field="scope: want a space-separated string, got {\"odd\":true}"`)
	assert.NotContains(t, logs.String(), "expires_in")

	api.on(http.MethodPost, "/link-token", reply(200, `{"success":true,"data":{"link_token":"link_ok","expires_at":"2026-03-01 12:30:00",
		"has_existing_grant":"true","user_id":["u"]}}`))
	lt, err := api.client.CreateLinkToken(context.Background(), LinkTokenParams{})
	require.NoError(t, err)
	assert.Equal(t, "link_ok", lt.Token.Reveal())
	assert.Equal(t, time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC), lt.ExpiresAt, "a date in another layout is read")
	assert.True(t, lt.HasExistingGrant)
	assert.Contains(t, logs.String(), `field="user_id: want a string, got [\"u\"]"`)

	api.on(http.MethodPost, "/token/exchange", reply(200, `{"success":true,"data":{"access_token":"cat_ok","expires_in":"soon"}}`))
	grant, err = api.client.ExchangePublicToken(context.Background(), testPublicToken)
	require.NoError(t, err)
	assert.Zero(t, grant.ExpiresIn)
	assert.Contains(t, logs.String(), `field="expires_in: want a number of seconds, got \"soon\""`)
}

func TestARevokeAnsweredWithoutABodyIsASuccess(t *testing.T) {
	t.Parallel()
	for _, responder := range []httpmock.Responder{
		httpmock.NewStringResponder(204, ""),
		httpmock.NewStringResponder(200, ""),
		reply(200, golden(t, "connect.revoke.json")),
	} {
		api := newMockAPI(t)
		api.on(http.MethodPost, "/token/revoke", responder)
		require.NoError(t, api.client.RevokeGrant(context.Background(), testGrantID))
	}
}

// TestErrorMessagesAreOneLineWithoutEchoedSecrets: a server that echoes the
// client secret or the user's token, and breaks lines to forge log entries,
// gets neither into the error.
func TestErrorMessagesAreOneLineWithoutEchoedSecrets(t *testing.T) {
	t.Parallel()
	api := newMockAPI(t)
	api.on(http.MethodPost, "/token/revoke", fail(400, "BAD\nCODE", "secret "+testClientSecret+" is wrong\r\nlevel=ERROR msg=forged", "X-Request-Id", "req\n1"))
	err := api.client.RevokeGrant(context.Background(), testGrantID)
	require.Error(t, err)
	assert.Equal(t, `kryptos: RevokeGrant: API error 400 BAD\nCODE: secret [redacted] is wrong\r\nlevel=ERROR msg=forged (request req\n1)`, err.Error())

	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"
	api.mock.RegisterResponder(http.MethodGet, DefaultDataURL+"/v1/integrations",
		reply(401, `{"error":"unauthorized","error_description":"token `+jwt+` expired"}`))
	_, err = api.client.User(AccessToken(jwt)).ListIntegrationsPage(context.Background(), IntegrationsParams{})
	require.ErrorIs(t, err, ErrUnauthorized)
	assert.NotContains(t, err.Error(), jwt)
	assert.Contains(t, err.Error(), "token [redacted] expired")
}

// TestABodyCutShortIsMalformed: a 2xx body that breaks off is retried when
// that is safe; when it is not, the error matches ErrMalformedResponse.
func TestABodyCutShortIsMalformed(t *testing.T) {
	t.Parallel()
	cut := func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, ContentLength: 500,
			Body: &brokenBody{strings.NewReader(`{"success":true,"data":{"access_token":"cat_`)}}, nil
	}
	api := newMockAPI(t)
	api.on(http.MethodPost, "/token/exchange", cut)
	_, err := api.client.ExchangePublicToken(context.Background(), testPublicToken)
	require.ErrorIs(t, err, ErrMalformedResponse)
	require.ErrorIs(t, err, ErrOutcomeUnknown, "the token may be spent")
	assert.Equal(t, 1, api.rec.count())

	api.on(http.MethodGet, "/token/grants", httpmock.Responder(cut).Then(reply(200, golden(t, "connect.grants.json"))))
	grants, err := api.client.ListGrants(context.Background())
	require.NoError(t, err, "an idempotent read is repeated")
	assert.Len(t, grants, 1)
}

// brokenBody ends with a reset connection.
type brokenBody struct{ *strings.Reader }

func (b *brokenBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err != nil {
		return n, errReset
	}
	return n, nil
}

func (b *brokenBody) Close() error { return nil }

func TestArgumentsHaveLengthBounds(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("x", 1<<20)
	api := newMockAPI(t)
	ctx := context.Background()
	errs := []error{
		api.client.RevokeGrant(ctx, "cgrant_"+huge),
		func() error { _, err := api.client.ExchangePublicToken(ctx, "public_"+huge); return err }(),
		func() error { _, err := api.client.CheckSession(ctx, "cat_"+huge); return err }(),
		func() error {
			_, err := api.client.ResyncIntegration(ctx, huge, ResyncParams{UserID: "u", Mode: ResyncLatest})
			return err
		}(),
		func() error {
			_, err := api.client.ResyncIntegration(ctx, "w", ResyncParams{UserID: huge, Mode: ResyncLatest})
			return err
		}(),
		func() error {
			_, err := api.client.User(AccessToken(huge)).ListIntegrationsPage(ctx, IntegrationsParams{})
			return err
		}(),
		func() error { _, err := api.client.User(AccessToken("t")).GetSyncJob(ctx, huge); return err }(),
	}
	for i, err := range errs {
		require.ErrorIs(t, err, ErrInvalidParams, "case %d", i)
		assert.Less(t, len(err.Error()), 300, "the value is not repeated")
	}
	assert.Equal(t, 0, api.rec.count())
}
