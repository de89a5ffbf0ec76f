package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// fmtVerbs are the verbs every value is formatted with.
var fmtVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x"}

// leakCheck holds a run's real secrets and counts where it looked for them.
type leakCheck struct {
	t       *testing.T
	secrets []string
	looked  int
	leaks   int
}

func (l *leakCheck) add(secrets ...string) {
	for _, s := range secrets {
		require.NotEmpty(l.t, s, "a secret to look for")
		l.secrets = append(l.secrets, s)
	}
}

// look fails the test if out holds any secret.
func (l *leakCheck) look(what, out string) {
	l.t.Helper()
	l.looked++
	for _, s := range l.secrets {
		if strings.Contains(out, s) {
			l.leaks++
			l.t.Errorf("a secret leaked through %s: %.120q...", what, out)
		}
	}
}

// TestTheWholeFlowLeaksNoSecret runs the quickstart's flow against the
// sandbox, with faults, under debug-level text and JSON logging, and looks
// for the run's real secrets in every log line, every error, and every
// formatting (fmt verbs, slog text and JSON, encoding/json) of every value
// the SDK returned, alone and nested in structs, slices and maps.
func TestTheWholeFlowLeaksNoSecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var logs bytes.Buffer
	debug := &slog.HandlerOptions{Level: slog.LevelDebug}
	text, jsonHandler := slog.NewTextHandler(&logs, debug), slog.NewJSONHandler(&logs, debug)
	srv := kryptostest.NewServer(kryptostest.WithSyncTimings(time.Millisecond, time.Millisecond))
	defer srv.Close()
	check := &leakCheck{t: t}
	check.add(srv.ClientSecret)

	var values []any
	var errs []error
	keep := func(v any, err error) {
		if rv := reflect.ValueOf(v); v != nil && !(rv.Kind() == reflect.Pointer && rv.IsNil()) {
			values = append(values, v)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	var grants []*kryptos.AccessGrant
	var links []kryptos.LinkToken
	for _, h := range []slog.Handler{text, jsonHandler} {
		c := srv.Client(kryptos.WithLogger(slog.New(h)),
			kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}))
		values = append(values, c)
		lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
		require.NoError(t, err)
		keep(lt, nil)
		links = append(links, *lt)
		public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true,
			Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
		require.NoError(t, err)
		grant, err := c.ExchangePublicToken(ctx, public)
		require.NoError(t, err)
		keep(grant, nil)
		grants = append(grants, grant)
		check.add(lt.Token.Reveal(), public, grant.AccessToken.Reveal())

		params := kryptos.LinkTokenParams{AccessToken: grant.AccessToken}
		values = append(values, params, &params, grant.AccessToken, grant.Credential(), c.User(grant.Credential()))
		keep(c.CreateLinkToken(ctx, params))
		session, err := c.CheckSession(ctx, grant.AccessToken.Reveal())
		keep(session, err)
		keep(c.ListGrants(ctx))
		user := c.User(grant.Credential())
		ints, err := user.ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
		require.NoError(t, err)
		keep(ints, err)
		srv.FailNext("/developer/integrations/"+ints.Items[0].ID+"/resync", 1, kryptostest.Fault{Drop: true, AfterProcessing: true})
		keep(c.ResyncIntegration(ctx, ints.Items[0].ID, kryptos.ResyncParams{UserID: session.UserID, Mode: kryptos.ResyncLatest}))
		job, err := c.ResyncIntegration(ctx, ints.Items[0].ID, kryptos.ResyncParams{UserID: session.UserID, Mode: kryptos.ResyncLatest})
		require.NoError(t, err)
		keep(job, err)
		keep(user.GetSyncJob(ctx, job.JobID))
		srv.FailNext("/developer/grants/"+grant.GrantID+"/transaction-limit", 1, kryptostest.Fault{Status: 503})
		keep(c.UpdateTransactionLimit(ctx, grant.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](5)}))
		srv.FailNext("/token/grants", 1, kryptostest.Fault{Status: 429, Code: "RATE_LIMIT_EXCEEDED", Header: http.Header{"retry_after": {"0.01"}}})
		keep(c.ListGrants(ctx)) // a warning record, then a retry
		srv.FailNext("/token/exchange", 1, kryptostest.Fault{Truncate: true})
		lt2, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
		require.NoError(t, err)
		public2, err := srv.CompleteLink(lt2.Token, kryptostest.LinkUser{Guest: true})
		require.NoError(t, err)
		check.add(lt2.Token.Reveal(), public2)
		keep(c.ExchangePublicToken(ctx, public2)) // truncated answer: an unknown outcome
		keep(c.ExchangePublicToken(ctx, public2)) // TOKEN_ALREADY_USED
		keep(nil, c.RevokeGrant(ctx, grant.GrantID))
		keep(c.CheckSession(ctx, grant.AccessToken.Reveal()))
		keep(user.ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})) // revoked: 401
	}

	// The same values nested, the way an application keeps them.
	type stored struct {
		Grant  kryptos.AccessGrant
		Links  []kryptos.LinkToken
		ByUser map[string]kryptos.AccessGrant
		Ptr    *kryptos.AccessGrant
		Any    []any
	}
	type unexported struct {
		grant kryptos.AccessGrant
		token kryptos.Secret
	}
	nested := stored{Grant: *grants[0], Links: links, ByUser: map[string]kryptos.AccessGrant{"u1": *grants[0], "u2": *grants[1]},
		Ptr: grants[1], Any: []any{*grants[0], grants[1].AccessToken, links}}
	values = append(values, nested, &nested, links, []*kryptos.AccessGrant{grants[0], grants[1]}, nested.ByUser,
		map[string]any{"grant": grants[0], "token": grants[1].AccessToken},
		unexported{grant: *grants[0], token: grants[1].AccessToken}, &unexported{grant: *grants[1]},
		[]kryptos.Secret{grants[0].AccessToken, links[1].Token}, errs)

	for _, v := range values {
		slog.New(text).Info("value", "v", v)
		slog.New(jsonHandler).Info("value", "v", v)
		slog.New(jsonHandler).Info("group", slog.Group("g", slog.Any("v", v)))
	}
	for _, err := range errs {
		slog.New(text).Error("failed", "err", err)
		slog.New(jsonHandler).Error("failed", "err", err)
	}

	check.look("the logs", logs.String())
	for _, v := range values {
		for _, verb := range fmtVerbs {
			check.look(fmt.Sprintf("%s of %T", verb, v), fmt.Sprintf(verb, v))
		}
		if b, err := json.Marshal(v); err == nil {
			check.look(fmt.Sprintf("json of %T", v), string(b))
		}
	}
	for _, err := range errs {
		check.look("an error", err.Error())
		check.look("an error", fmt.Sprintf("%+v", err))
		check.look("an error", fmt.Sprintf("%#v", err))
	}

	// The checks could fail: the secrets really are in the values.
	assert.Equal(t, grants[0].AccessToken.Reveal(), nested.ByUser["u1"].AccessToken.Reveal())
	assert.True(t, strings.HasPrefix(grants[0].AccessToken.Reveal(), "cat_"))
	assert.Contains(t, fmt.Sprint(nested.Grant.AccessToken), "cat_[redacted]")
	lines := strings.Count(logs.String(), "\n")
	assert.Greater(t, lines, 100, "the flow was logged")
	assert.Contains(t, logs.String(), `"msg":"kryptos: attempt"`)
	assert.Contains(t, logs.String(), `level=WARN msg="kryptos: attempt"`, "the 429 was logged as a warning")
	assert.GreaterOrEqual(t, len(errs), 8, "the failures were exercised")
	t.Logf("redaction: %d secrets searched in %d log lines, %d errors and %d values, each formatted %d ways and as JSON (%d outputs searched): %d leaks",
		len(check.secrets), lines, len(errs), len(values), len(fmtVerbs), check.looked, check.leaks)
}

// TestEchoedSecretsAreMaskedInErrors makes the server echo the client
// secret and the caller's tokens in its error messages, with CR/LF and
// other control characters around them, and checks that no error, however
// formatted or logged, carries them, and that each is one line.
func TestEchoedSecretsAreMaskedInErrors(t *testing.T) {
	t.Parallel()
	srv := kryptostest.NewServer()
	defer srv.Close()
	c := srv.Client(kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: 0}))
	g := connectGuest(t, srv, c)
	public := linkGuest(t, srv, c)
	access := g.grant.AccessToken.Reveal()
	// A token in no format the SDK knows, such as an OAuth JWT: only the
	// value the call carried can mask it.
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJl"
	other := "cat_" + strings.Repeat("9", 48) // another user's token, in the API's format

	cases := []struct {
		name    string
		path    string
		secrets []string // echoed by the server
		call    func(context.Context) error
	}{
		{"CheckSession", "/link-token/check-session", []string{srv.ClientSecret, access, other}, func(ctx context.Context) error {
			_, err := c.CheckSession(ctx, access)
			return err
		}},
		{"ExchangePublicToken", "/token/exchange", []string{srv.ClientSecret, public}, func(ctx context.Context) error {
			_, err := c.ExchangePublicToken(ctx, public)
			return err
		}},
		{"CreateLinkToken", "/link-token", []string{srv.ClientSecret, access}, func(ctx context.Context) error {
			_, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: g.grant.AccessToken})
			return err
		}},
		{"RevokeGrant", "/token/revoke", []string{srv.ClientSecret, access}, func(ctx context.Context) error {
			return c.RevokeGrant(ctx, g.grant.GrantID)
		}},
		{"ListIntegrations", "/v1/integrations", []string{access, other}, func(ctx context.Context) error {
			_, err := c.User(g.grant.Credential()).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
			return err
		}},
		{"ListIntegrations with a JWT", "/v1/integrations", []string{jwt}, func(ctx context.Context) error {
			_, err := c.User(kryptos.AccessToken(jwt)).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := &leakCheck{t: t}
			check.add(tc.secrets...)
			message := "refused\r\nX-Forged: 1\n\x1b[31m" + strings.Join(tc.secrets, " and ") + "\x00 end"
			srv.FailNext(tc.path, 1, kryptostest.Fault{Status: 400, Code: "VALIDATION_ERROR", Message: message})
			err := tc.call(context.Background())
			var apiErr *kryptos.Error
			require.ErrorAs(t, err, &apiErr)
			assert.ErrorIs(t, err, kryptos.ErrValidation)
			assert.Contains(t, apiErr.Message, "refused", "the rest of the message is kept")
			assert.Contains(t, apiErr.Message, "[redacted]")
			for _, s := range []string{err.Error(), apiErr.Message} {
				assert.False(t, strings.ContainsFunc(s, unicode.IsControl), "one line: %q", s)
			}
			var logs bytes.Buffer
			slog.New(slog.NewTextHandler(&logs, nil)).Error("failed", "err", err)
			slog.New(slog.NewJSONHandler(&logs, nil)).Error("failed", "err", err, "e", apiErr)
			assert.Equal(t, 2, strings.Count(logs.String(), "\n"), "two records, two lines: %s", logs.String())
			check.look("the error", err.Error())
			check.look("the message", apiErr.Message)
			for _, verb := range fmtVerbs {
				check.look(verb+" of the error", fmt.Sprintf(verb, err))
				check.look(verb+" of the *Error", fmt.Sprintf(verb, apiErr))
			}
			check.look("the logs", logs.String())
		})
	}
}

// headerLog records the credentials each request carried, by API.
type headerLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []sentHeaders
}

type sentHeaders struct {
	data                  bool // a data API path
	clientID, secret      string
	authorization, apiKey string
	url                   string
}

func (l *headerLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.seen = append(l.seen, sentHeaders{
		data: strings.HasPrefix(r.URL.Path, "/v1/"), clientID: r.Header.Get("X-Client-Id"), secret: r.Header.Get("X-Client-Secret"),
		authorization: r.Header.Get("Authorization"), apiKey: r.Header.Get("X-Api-Key"), url: r.URL.String(),
	})
	l.mu.Unlock()
	return l.next.RoundTrip(r)
}

// TestCredentialsGoOnlyWhereTheyBelong checks every request of a flow: the
// client secret goes to the Connect API only, a user's token to the data API
// only (and to Connect only inside the body of the calls that take it), and
// no secret travels in a URL.
func TestCredentialsGoOnlyWhereTheyBelong(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := kryptostest.NewServer(kryptostest.WithSyncTimings(time.Millisecond, time.Millisecond))
	defer srv.Close()
	log := &headerLog{next: http.DefaultTransport}
	c := srv.Client(kryptos.WithHTTPClient(&http.Client{Transport: log}))
	g := connectGuest(t, srv, c)
	user := c.User(g.grant.Credential())
	job, err := c.ResyncIntegration(ctx, g.walletID, kryptos.ResyncParams{UserID: g.userID, Mode: kryptos.ResyncLatest})
	require.NoError(t, err)
	_, err = user.GetSyncJob(ctx, job.JobID)
	require.NoError(t, err)
	_, err = c.ListGrants(ctx)
	require.NoError(t, err)
	_, err = c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: g.grant.AccessToken})
	require.NoError(t, err)

	bearer := "Bearer " + g.grant.AccessToken.Reveal()
	var connect, data int
	for _, h := range log.seen {
		if h.data {
			data++
			assert.Empty(t, h.clientID, "client ID sent to the data API: %s", h.url)
			assert.Empty(t, h.secret, "client secret sent to the data API: %s", h.url)
			assert.Equal(t, bearer, h.authorization, h.url)
		} else {
			connect++
			assert.Equal(t, srv.ClientID, h.clientID, h.url)
			assert.Equal(t, srv.ClientSecret, h.secret, h.url)
			assert.Empty(t, h.authorization, "a user's token in a Connect header: %s", h.url)
		}
		assert.Empty(t, h.apiKey, "an API key sent: %s", h.url)
		assert.NotContains(t, h.url, srv.ClientSecret)
		assert.NotContains(t, h.url, g.grant.AccessToken.Reveal())
	}
	assert.Equal(t, 6, connect, "Connect requests")
	assert.Equal(t, 2, data, "data API requests")
}
