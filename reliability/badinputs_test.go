package reliability

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// badCall is one method call with an invalid argument: it must fail with a
// *ParamError naming field, before any request is sent.
type badCall struct {
	name  string
	field string
	call  func(context.Context, *kryptos.Client) error
}

// huge is a megabyte-long value: far past any identifier or token.
var huge = strings.Repeat("a", 1<<20)

// badInputs lists invalid arguments of every method.
func badInputs() []badCall {
	var rows []badCall
	// The same bad values for every token or id argument, with the kind's
	// prefix in front.
	tricks := []struct{ name, value string }{
		{"empty", ""}, {"whitespace", "   "}, {"inner space", "a b"}, {"CR/LF", "a\r\nX-Evil: 1"}, {"tab", "\tx"},
		{"NUL", "a\x00b"}, {"invalid UTF-8", "\xff\xfe"}, {"1 MB", huge},
	}
	for _, tr := range tricks {
		v := tr.value
		prefixed := func(prefix string) string {
			if v == "" || strings.TrimSpace(v) == "" {
				return v
			}
			return prefix + v
		}
		rows = append(rows,
			badCall{"CheckSession/" + tr.name, "accessToken", func(ctx context.Context, c *kryptos.Client) error {
				_, err := c.CheckSession(ctx, prefixed("cat_"))
				return err
			}},
			badCall{"ExchangePublicToken/" + tr.name, "publicToken", func(ctx context.Context, c *kryptos.Client) error {
				_, err := c.ExchangePublicToken(ctx, prefixed("public_"))
				return err
			}},
			badCall{"RevokeGrant/" + tr.name, "grantID", func(ctx context.Context, c *kryptos.Client) error {
				return c.RevokeGrant(ctx, prefixed("cgrant_"))
			}},
			badCall{"UpdateTransactionLimit/" + tr.name, "grantID", func(ctx context.Context, c *kryptos.Client) error {
				_, err := c.UpdateTransactionLimit(ctx, prefixed("cgrant_"), kryptos.TransactionLimitParams{EnableLimiter: kryptos.Ptr(true)})
				return err
			}},
			badCall{"ResyncIntegration wallet/" + tr.name, "walletID", func(ctx context.Context, c *kryptos.Client) error {
				_, err := c.ResyncIntegration(ctx, v, kryptos.ResyncParams{UserID: "u1", Mode: kryptos.ResyncLatest})
				return err
			}},
			badCall{"ResyncIntegration user/" + tr.name, "params.UserID", func(ctx context.Context, c *kryptos.Client) error {
				_, err := c.ResyncIntegration(ctx, "w1", kryptos.ResyncParams{UserID: v, Mode: kryptos.ResyncLatest})
				return err
			}},
			badCall{"CreateLinkToken access token/" + tr.name, "params.AccessToken", func(ctx context.Context, c *kryptos.Client) error {
				tok := prefixed("cat_")
				if tok == "" {
					tok = "cat_" // an empty Secret means "no returning user"
				}
				_, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: kryptos.NewSecret(tok)})
				return err
			}},
			badCall{"ListIntegrations/" + tr.name, "credential", func(ctx context.Context, c *kryptos.Client) error {
				_, err := c.User(kryptos.AccessToken(prefixed("cat_"))).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
				return err
			}},
			badCall{"GetSyncJob token/" + tr.name, "credential", func(ctx context.Context, c *kryptos.Client) error {
				_, err := c.User(kryptos.AccessToken(prefixed("cat_"))).GetSyncJob(ctx, "job_1")
				return err
			}},
			badCall{"GetSyncJob syncID/" + tr.name, "syncID", func(ctx context.Context, c *kryptos.Client) error {
				_, err := c.User(kryptos.AccessToken("cat_x")).GetSyncJob(ctx, v)
				return err
			}},
		)
	}
	lt := func(p kryptos.LinkTokenParams) func(context.Context, *kryptos.Client) error {
		return func(ctx context.Context, c *kryptos.Client) error { _, err := c.CreateLinkToken(ctx, p); return err }
	}
	resync := func(wallet string, p kryptos.ResyncParams) func(context.Context, *kryptos.Client) error {
		return func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.ResyncIntegration(ctx, wallet, p)
			return err
		}
	}
	limit := func(grant string, p kryptos.TransactionLimitParams) func(context.Context, *kryptos.Client) error {
		return func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.UpdateTransactionLimit(ctx, grant, p)
			return err
		}
	}
	user := func(cred kryptos.Credential) func(context.Context, *kryptos.Client) error {
		return func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.User(cred).ListIntegrationsPage(ctx, kryptos.IntegrationsParams{})
			return err
		}
	}
	ok := kryptos.ResyncParams{UserID: "u1", Mode: kryptos.ResyncLatest}
	on := kryptos.TransactionLimitParams{EnableLimiter: kryptos.Ptr(true)}
	rows = append(rows,
		// Wrong kinds of token: the API's prefixes tell them apart.
		badCall{"CheckSession/public token", "accessToken", func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.CheckSession(ctx, "public_x")
			return err
		}},
		badCall{"CheckSession/prefix only", "accessToken", func(ctx context.Context, c *kryptos.Client) error { _, err := c.CheckSession(ctx, "cat_"); return err }},
		badCall{"ExchangePublicToken/access token", "publicToken", func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.ExchangePublicToken(ctx, "cat_x")
			return err
		}},
		badCall{"ExchangePublicToken/link token", "publicToken", func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.ExchangePublicToken(ctx, "link_x")
			return err
		}},
		badCall{"RevokeGrant/access token", "grantID", func(ctx context.Context, c *kryptos.Client) error { return c.RevokeGrant(ctx, "cat_x") }},
		badCall{"RevokeGrant/no prefix", "grantID", func(ctx context.Context, c *kryptos.Client) error { return c.RevokeGrant(ctx, "abc123") }},
		// Scopes: malformed ones are refused; unknown but well-formed ones
		// are sent (see TestUnknownScopesAreSent).
		badCall{"CreateLinkToken/no openid", "params.Scopes", lt(kryptos.LinkTokenParams{Scopes: kryptos.Scopes{"profile"}})},
		badCall{"CreateLinkToken/empty scope set", "params.Scopes", lt(kryptos.LinkTokenParams{Scopes: kryptos.Scopes{}})},
		badCall{"CreateLinkToken/scope with space", "params.Scopes", lt(kryptos.LinkTokenParams{Scopes: kryptos.Scopes{"openid", "openid email"}})},
		badCall{"CreateLinkToken/scope with CRLF", "params.Scopes", lt(kryptos.LinkTokenParams{Scopes: kryptos.Scopes{"openid", "email\r\n"}})},
		badCall{"CreateLinkToken/scope with a quote", "params.Scopes", lt(kryptos.LinkTokenParams{Scopes: kryptos.Scopes{"openid", `a"b`}})},
		badCall{"CreateLinkToken/non-ASCII scope", "params.Scopes", lt(kryptos.LinkTokenParams{Scopes: kryptos.Scopes{"openid", "portfolios:lé"}})},
		badCall{"CreateLinkToken/empty scope", "params.Scopes", lt(kryptos.LinkTokenParams{Scopes: kryptos.Scopes{"openid", ""}})},
		badCall{"CreateLinkToken/1 MB scope", "params.Scopes", lt(kryptos.LinkTokenParams{Scopes: kryptos.Scopes{"openid", kryptos.Scope(huge)}})},
		badCall{"CreateLinkToken/wrong token kind", "params.AccessToken", lt(kryptos.LinkTokenParams{AccessToken: kryptos.NewSecret("public_x")})},
		badCall{"CreateLinkToken/relative redirect", "params.RedirectURI", lt(kryptos.LinkTokenParams{RedirectURI: "/cb"})},
		badCall{"CreateLinkToken/1 MB state", "params.State", lt(kryptos.LinkTokenParams{State: huge})},
		badCall{"ResyncIntegration/dot-dot", "walletID", resync("..", ok)},
		badCall{"ResyncIntegration/path trick", "walletID", resync("../../token/revoke", ok)},
		badCall{"ResyncIntegration/encoded slash", "walletID", resync("a%2F..", ok)},
		badCall{"ResyncIntegration/query", "walletID", resync("w?x=1", ok)},
		badCall{"ResyncIntegration/fragment", "walletID", resync("w#x", ok)},
		badCall{"ResyncIntegration/backslash", "walletID", resync(`w\x`, ok)},
		badCall{"ResyncIntegration/no mode", "params.Mode", resync("w", kryptos.ResyncParams{UserID: "u"})},
		badCall{"ResyncIntegration/unknown mode", "params.Mode", resync("w", kryptos.ResyncParams{UserID: "u", Mode: "LATEST"})},
		badCall{"UpdateTransactionLimit/no field", "params", limit("cgrant_1", kryptos.TransactionLimitParams{})},
		badCall{"UpdateTransactionLimit/zero", "params.TransactionLimit", limit("cgrant_1", kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](0)})},
		badCall{"UpdateTransactionLimit/negative", "params.TransactionLimit", limit("cgrant_1", kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](-1)})},
		badCall{"UpdateTransactionLimit/over 2^53-1", "params.TransactionLimit", limit("cgrant_1", kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](1 << 60)})},
		badCall{"UpdateTransactionLimit/path trick", "grantID", limit("cgrant_/../../token/grants", on)},
		badCall{"UpdateTransactionLimit/wrong kind", "grantID", limit("cat_x", on)},
		badCall{"GetSyncJob/path trick", "syncID", func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.User(kryptos.AccessToken("cat_x")).GetSyncJob(ctx, "../grants")
			return err
		}},
		// Credentials of the data API.
		badCall{"ListIntegrations/nil credential", "credential", user(nil)},
		badCall{"ListIntegrations/grant never filled in", "credential", user((&kryptos.AccessGrant{}).Credential())},
		badCall{"ListIntegrations/token with CR/LF", "credential", user(kryptos.AccessToken("cat_x\r\nX-Evil: 1"))},
		badCall{"ListIntegrations/API key", "credential", user(kryptos.APIKey("kryptos_live_abc"))},
		badCall{"ListIntegrations/nil TokenSource", "credential", user(kryptos.TokenSource(nil))},
		badCall{"GetSyncJob/nil credential", "credential", func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.User(nil).GetSyncJob(ctx, "job_1")
			return err
		}},
		badCall{"GetSyncJob/API key", "credential", func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.User(kryptos.APIKey("kryptos_live_abc")).GetSyncJob(ctx, "job_1")
			return err
		}},
	)
	return rows
}

// TestBadInputsNeverReachTheTransport calls every method with every bad
// argument, builds Clients with bad options and credentials, and checks
// that each fails with a *ParamError that names the field, without a
// single request reaching the transport.
func TestBadInputsNeverReachTheTransport(t *testing.T) {
	t.Parallel()
	transport := &refusingTransport{}
	c, err := kryptos.NewClient("id", "secret", kryptos.WithHTTPClient(&http.Client{Transport: transport}))
	require.NoError(t, err)
	rows := badInputs()
	for _, r := range rows {
		t.Run("argument/"+r.name, func(t *testing.T) {
			err := r.call(context.Background(), c)
			var pe *kryptos.ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, r.field, pe.Field)
			assert.ErrorIs(t, err, kryptos.ErrInvalidParams)
			assert.NotErrorIs(t, err, kryptos.ErrOutcomeUnknown)
			assert.True(t, strings.HasPrefix(err.Error(), "kryptos: "), err.Error())
			if pe.Field != "params.Scopes" { // a bad scope is named, as scopes are not secret
				assert.Less(t, len(err.Error()), 300, "the error does not repeat the value")
				assert.NotContains(t, err.Error(), "X-Evil")
			}
		})
	}

	limiter, err := kryptos.NewLimiter(kryptos.LimiterConfig{})
	require.NoError(t, err)
	options := []struct {
		name  string
		field string
		opt   kryptos.Option
	}{
		{"http sandbox off loopback", "Endpoints.Connect", kryptos.WithSandbox("http://connect-api.kryptos.io")},
		{"ftp sandbox", "Endpoints.Connect", kryptos.WithSandbox("ftp://x")},
		{"URL with credentials", "Endpoints.Connect", kryptos.WithSandbox("https://u:p@x")},
		{"URL with query", "Endpoints.Connect", kryptos.WithSandbox("https://x/?a=1")},
		{"URL with fragment", "Endpoints.Connect", kryptos.WithSandbox("https://x/#a")},
		{"relative URL", "Endpoints.Connect", kryptos.WithSandbox("/api")},
		{"empty URL", "Endpoints.Connect", kryptos.WithSandbox("")},
		{"http data API", "Endpoints.Data", kryptos.WithEndpoints(kryptos.Endpoints{Connect: kryptos.DefaultConnectURL, Data: "http://api-v2.kryptos.io"})},
		{"loopback Connect, production data", "Endpoints", kryptos.WithEndpoints(kryptos.Endpoints{Connect: "http://127.0.0.1:8088", Data: kryptos.DefaultDataURL})},
		{"production Connect, loopback data", "Endpoints", kryptos.WithEndpoints(kryptos.Endpoints{Connect: kryptos.DefaultConnectURL, Data: "http://localhost:8088"})},
		{"IPv6 loopback Connect, production data", "Endpoints", kryptos.WithEndpoints(kryptos.Endpoints{Connect: "http://[::1]:8088", Data: kryptos.DefaultDataURL})},
		{"nil HTTP client", "httpClient", kryptos.WithHTTPClient(nil)},
		{"negative retries", "RetryPolicy.MaxRetries", kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: -1})},
		{"max wait under min", "RetryPolicy.MaxWait", kryptos.WithRetryPolicy(kryptos.RetryPolicy{MinWait: time.Minute, MaxWait: time.Second})},
		{"zero timeout", "perAttempt", kryptos.WithTimeout(0)},
		{"negative timeout", "perAttempt", kryptos.WithTimeout(-time.Second)},
		{"user agent with CRLF", "appInfo", kryptos.WithUserAgent("a\r\nb")},
		{"zero body cap", "maxResponseBytes", kryptos.WithMaxResponseBytes(0)},
		{"nil limiter", "limiter", kryptos.WithLimiter(nil)},
		{"negative max quota wait", "maxQuotaWait", kryptos.WithMaxQuotaWait(-1)},
	}
	for _, o := range options {
		t.Run("option/"+o.name, func(t *testing.T) {
			// Each option comes with good ones around it, which must not
			// hide it.
			_, err := kryptos.NewClient("id", "secret", kryptos.WithLimiter(limiter), o.opt, kryptos.WithHTTPClient(&http.Client{Transport: transport}))
			var pe *kryptos.ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, o.field, pe.Field)
			assert.ErrorIs(t, err, kryptos.ErrInvalidParams)
		})
	}

	credentials := []struct{ name, id, secret, field string }{
		{"empty id", "", "s", "clientID"}, {"empty secret", "i", "", "clientSecret"},
		{"id with CR/LF", "i\r\n", "s", "clientID"}, {"secret with LF", "i", "s\n", "clientSecret"},
		{"id with a space", " i", "s", "clientID"}, {"secret with NUL", "i", "s\x00", "clientSecret"},
		{"1 MB secret", "i", huge, "clientSecret"},
	}
	for _, cr := range credentials {
		t.Run("credentials/"+cr.name, func(t *testing.T) {
			_, err := kryptos.NewClient(cr.id, cr.secret, kryptos.WithHTTPClient(&http.Client{Transport: transport}))
			var pe *kryptos.ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, cr.field, pe.Field)
			if cr.secret != "" && cr.secret != "s" {
				assert.NotContains(t, err.Error(), cr.secret, "the error repeats the secret")
			}
		})
	}
	assert.Zero(t, transport.n.Load(), "a request reached the transport")
	t.Logf("bad inputs: %d method arguments, %d options, %d credential pairs; requests sent: %d",
		len(rows), len(options), len(credentials), transport.n.Load())
}

// TestUnknownScopesAreSent checks the other side of scope validation: a
// well-formed scope the SDK does not know is the API's to judge, as the API
// adds scopes over time, so it is sent rather than refused.
func TestUnknownScopesAreSent(t *testing.T) {
	t.Parallel()
	const future = kryptos.Scope("wallets:read")
	require.False(t, future.Known(), "pick a scope the SDK does not know")
	srv := kryptostest.NewServer(kryptostest.WithAllowedScopes(append(kryptos.DefaultScopes(), future)))
	defer srv.Close()
	counter := newCountingTransport()
	c := srv.Client(kryptos.WithHTTPClient(&http.Client{Transport: counter}))

	lt, err := c.CreateLinkToken(context.Background(), kryptos.LinkTokenParams{Scopes: kryptos.Scopes{kryptos.ScopeOpenID, future}})
	require.NoError(t, err)
	assert.False(t, lt.Token.IsZero())
	assert.Equal(t, int32(1), counter.n.Load())
	// And granted: the user's consent covers it, and the grant reports it.
	public, err := srv.CompleteLink(lt.Token, kryptostest.LinkUser{Guest: true})
	require.NoError(t, err)
	grant, err := c.ExchangePublicToken(context.Background(), public)
	require.NoError(t, err)
	assert.True(t, grant.Scopes.Has(future), "granted scopes %v", grant.Scopes)

	// A server that does not grant it answers for itself.
	strict := kryptostest.NewServer()
	defer strict.Close()
	_, err = strict.Client().CreateLinkToken(context.Background(), kryptos.LinkTokenParams{Scopes: kryptos.Scopes{kryptos.ScopeOpenID, future}})
	assert.ErrorIs(t, err, kryptos.ErrInvalidScope)
	assert.NotErrorIs(t, err, kryptos.ErrInvalidParams)

	parsed, err := kryptos.ParseScopes("openid wallets:read")
	require.NoError(t, err)
	assert.True(t, parsed.Has(future))
	_, err = kryptos.ParseScopes("openid wallets\x00read")
	assert.ErrorIs(t, err, kryptos.ErrInvalidParams)
}
