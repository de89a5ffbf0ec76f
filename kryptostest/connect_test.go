package kryptostest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/golden"
)

// connectRequest sends a Connect API request as the client does: a JSON
// body, and the client credentials in the documented headers. It fails the
// test unless the answer has status want.
func connectRequest(t *testing.T, srv *Server, method, path, body string, want int) *http.Response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, r)
	require.NoError(t, err)
	for k, v := range creds(srv) {
		req.Header.Set(k, v)
	}
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, want, resp.StatusCode, "%s %s", method, path)
	return resp
}

// dataOf returns the data object of a Connect answer.
func dataOf(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var v struct {
		Data map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &v))
	require.NotNil(t, v.Data, "no data in %s", truncate(body))
	return v.Data
}

// TestConnectAnswersHaveTheSamplesShape runs the Connect flow over plain
// HTTP and holds every answer to the docs' sample for it: the same keys and
// JSON types, beyond the keys that other pages of the docs add.
func TestConnectAnswersHaveTheSamplesShape(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock))
	defer srv.Close()
	scopes := `"scopes":"` + kryptos.DefaultScopes().String() + `"`

	body := sameShapeAsSample(t, "connect.link_token.json",
		connectRequest(t, srv, http.MethodPost, "/link-token", `{`+scopes+`}`, http.StatusOK), golden.Options{})
	public, err := srv.CompleteLink(kryptos.NewSecret(dataOf(t, body)["link_token"].(string)), LinkUser{Guest: true, Wallets: []Wallet{ethWallet}})
	require.NoError(t, err)

	body = sameShapeAsSample(t, "connect.exchange.json",
		connectRequest(t, srv, http.MethodPost, "/token/exchange", `{"public_token":"`+public+`"}`, http.StatusOK), golden.Options{})
	exchanged := dataOf(t, body)
	token, grantID := exchanged["access_token"].(string), exchanged["grant_id"].(string)
	assert.EqualValues(t, 473040000, exchanged["expires_in"], "15 years")

	// A returning user: the docs show the resumed answer twice, once with
	// its values elided.
	resumed := `{` + scopes + `,"access_token":"` + token + `"}`
	for _, sample := range []string{"connect.link_token.resumed.json", "connect.link_token.elided.json"} {
		sameShapeAsSample(t, sample, connectRequest(t, srv, http.MethodPost, "/link-token", resumed, http.StatusOK), golden.Options{})
	}

	body = sameShapeAsSample(t, "connect.session.valid.json",
		connectRequest(t, srv, http.MethodPost, "/link-token/check-session", `{"access_token":"`+token+`"}`, http.StatusOK), golden.Options{})
	userID := dataOf(t, body)["user_id"].(string)

	sameShapeAsSample(t, "connect.grants.json", connectRequest(t, srv, http.MethodGet, "/token/grants", "", http.StatusOK), golden.Options{})

	// The sample is the older answer; the newer docs add the previous
	// values and the resync the change queued (API.md §2).
	newerLimit := golden.Options{Documented: []string{"data.previous_transaction_limit", "data.previous_enable_limiter", "data.resync"}}
	sameShapeAsSample(t, "connect.transaction_limit.json",
		connectRequest(t, srv, http.MethodPatch, "/developer/grants/"+grantID+"/transaction-limit",
			`{"transactionLimit":10000,"enableLimiter":true}`, http.StatusOK), newerLimit)

	// The wallet sample has no job id and no note, the CSV sample no note;
	// API.md §2 gives both as optional, and DATA-API.md §5.13's sample of
	// the same answer has both.
	walletID := integrationsOf(t, srv.Client().User(kryptos.AccessToken(token)))[0].ID
	resynced := sameShapeAsSample(t, "connect.resync.wallet.json",
		connectRequest(t, srv, http.MethodPost, "/developer/integrations/"+walletID+"/resync",
			`{"user_id":"`+userID+`","mode":"latest"}`, http.StatusAccepted),
		golden.Options{Documented: []string{"data.job_id", "data.note"}})
	sameStatusAsSample(t, "connect.resync.wallet.json", resynced)
	csvUser := connect(t, srv, srv.Client(fast...), LinkUser{Guest: true, Wallets: []Wallet{{Provider: "csv", Address: "trades.csv"}}})
	csvSession, err := srv.Client().CheckSession(ctx, csvUser.AccessToken.Reveal())
	require.NoError(t, err)
	csvID := integrationsOf(t, srv.Client().User(csvUser.Credential()))[0].ID
	resynced = sameShapeAsSample(t, "connect.resync.csv.json",
		connectRequest(t, srv, http.MethodPost, "/developer/integrations/"+csvID+"/resync",
			`{"user_id":"`+csvSession.UserID+`","mode":"from_start"}`, http.StatusAccepted),
		golden.Options{Documented: []string{"data.note"}})
	sameStatusAsSample(t, "connect.resync.csv.json", resynced)
	job, err := srv.Client().User(csvUser.Credential()).GetSyncJob(ctx, resyncOf(t, resynced).JobID)
	require.NoError(t, err)
	assert.Equal(t, kryptos.SyncInProgress, job.Status, "an ongoing CSV resync is in progress at once")

	// A Guest with no limit of their own: API.md §2 gives transaction_limit
	// as an int or null.
	sameShapeAsSample(t, "connect.transaction_limit.json",
		connectRequest(t, srv, http.MethodPatch, "/developer/grants/"+csvUser.GrantID+"/transaction-limit",
			`{"enableLimiter":false}`, http.StatusOK),
		golden.Options{Nullable: []string{"data.transaction_limit"}, Documented: newerLimit.Documented})

	sameShapeAsSample(t, "connect.revoke.json",
		connectRequest(t, srv, http.MethodPost, "/token/revoke", `{"grant_id":"`+grantID+`"}`, http.StatusOK), golden.Options{})

	// No valid session, for each reason the sandbox knows.
	clock.Advance(AccessTokenTTL)
	for _, tok := range []string{token, csvUser.AccessToken.Reveal(), "cat_unknown"} {
		sameShapeAsSample(t, "connect.session.invalid.json",
			connectRequest(t, srv, http.MethodPost, "/link-token/check-session", `{"access_token":"`+tok+`"}`, http.StatusOK), golden.Options{})
	}
}

// TestConnectErrorsHaveTheDocumentedEnvelope holds the sandbox's Connect
// errors to the docs' error format, whichever check refuses the request.
func TestConnectErrorsHaveTheDocumentedEnvelope(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithRateLimits(LegacyRateLimits()))
	defer srv.Close()
	cases := []struct {
		name, method, path, body string
		status                   int
	}{
		{"unknown public token", http.MethodPost, "/token/exchange", `{"public_token":"public_nope"}`, http.StatusBadRequest},
		{"a body that is not JSON", http.MethodPost, "/token/exchange", `{"public_token":`, http.StatusBadRequest},
		{"scope not allowed", http.MethodPost, "/link-token", `{"scopes":"openid nft:launch"}`, http.StatusBadRequest},
		{"unknown grant", http.MethodPost, "/token/revoke", `{"grant_id":"cgrant_nope"}`, http.StatusNotFound},
		{"unknown grant's limit", http.MethodPatch, "/developer/grants/cgrant_nope/transaction-limit", `{"enableLimiter":true}`, http.StatusNotFound},
		{"unknown mode", http.MethodPost, "/developer/integrations/w1/resync", `{"user_id":"u1","mode":"sideways"}`, http.StatusBadRequest},
		{"no grant for the user", http.MethodPost, "/developer/integrations/w1/resync", `{"user_id":"u1","mode":"latest"}`, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sameShapeAsSample(t, "connect.error.json", connectRequest(t, srv, tc.method, tc.path, tc.body, tc.status), golden.Options{})
		})
	}

	req, err := http.NewRequest(http.MethodGet, srv.URL+"/token/grants", nil)
	require.NoError(t, err)
	req.Header.Set("X-Client-Id", srv.ClientID)
	req.Header.Set("X-Client-Secret", "wrong")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	sameShapeAsSample(t, "connect.error.json", resp, golden.Options{})

	// Past the seed-era quota of 5 exchanges a minute, one of them spent
	// above.
	exchange := func() *http.Response {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/token/exchange", strings.NewReader(`{"public_token":"public_nope"}`))
		require.NoError(t, err)
		for k, v := range creds(srv) {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		return resp
	}
	for range 5 {
		exchange().Body.Close()
	}
	last := exchange()
	require.Equal(t, http.StatusTooManyRequests, last.StatusCode)
	sameShapeAsSample(t, "connect.error.json", last, golden.Options{})
}

// TestLegacyTokensAnswerTheOlderExchangeSample: with WithLegacyTokens the
// sandbox plays the older API, whose exchange answer the older docs show.
func TestLegacyTokensAnswerTheOlderExchangeSample(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithLegacyTokens())
	defer srv.Close()
	body := sameShapeAsSample(t, "connect.link_token.json",
		connectRequest(t, srv, http.MethodPost, "/link-token", `{"scopes":"openid profile offline_access portfolios:read transactions:read integrations:read integrations:write"}`, http.StatusOK),
		golden.Options{})
	public, err := srv.CompleteLink(kryptos.NewSecret(dataOf(t, body)["link_token"].(string)), LinkUser{Guest: true})
	require.NoError(t, err)
	body = sameShapeAsSample(t, "connect.exchange.older.json",
		connectRequest(t, srv, http.MethodPost, "/token/exchange", `{"public_token":"`+public+`"}`, http.StatusOK), golden.Options{})
	assert.EqualValues(t, 86400, dataOf(t, body)["expires_in"], "24 hours")
}

// resyncData is the part of a resync answer the tests compare.
type resyncData struct {
	Status string `json:"status"`
	JobID  string `json:"job_id"`
}

func resyncOf(t *testing.T, answer []byte) resyncData {
	t.Helper()
	var a struct{ Data resyncData }
	require.NoError(t, json.Unmarshal(answer, &a))
	return a.Data
}

// sameStatusAsSample checks that a resync answer's status is the sample's:
// "queued" for a wallet, "ongoing" for a CSV read from the file on record.
func sameStatusAsSample(t *testing.T, sample string, got []byte) {
	t.Helper()
	want, err := golden.Load(sample)
	require.NoError(t, err)
	assert.Equal(t, resyncOf(t, want).Status, resyncOf(t, got).Status, sample)
}
