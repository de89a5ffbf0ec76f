package kryptos_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

// badInputs lists every invalid argument of every method: each must fail
// with a *ParamError naming the field, before any request is sent.
func badInputs() []struct {
	name  string
	field string
	call  func(context.Context, *kryptos.Client) error
} {
	type row = struct {
		name  string
		field string
		call  func(context.Context, *kryptos.Client) error
	}
	var rows []row
	// The same bad values for every token or id argument.
	tricks := map[string]string{
		"empty": "", "whitespace": "   ", "inner space": "cat_a b", "CR/LF": "cat_a\r\nX-Evil: 1", "tab": "cat_\tx",
		"NUL": "cat_a\x00b", "invalid UTF-8": "cat_\xff\xfe",
	}
	for name, v := range tricks {
		rows = append(rows,
			row{"CheckSession/" + name, "accessToken", func(ctx context.Context, c *kryptos.Client) error { _, err := c.CheckSession(ctx, v); return err }},
			row{"ExchangePublicToken/" + name, "publicToken", func(ctx context.Context, c *kryptos.Client) error {
				_, err := c.ExchangePublicToken(ctx, strings.Replace(v, "cat_", "public_", 1))
				return err
			}},
			row{"RevokeGrant/" + name, "grantID", func(ctx context.Context, c *kryptos.Client) error {
				return c.RevokeGrant(ctx, strings.Replace(v, "cat_", "cgrant_", 1))
			}},
			row{"ListIntegrations/" + name, "accessToken", func(ctx context.Context, c *kryptos.Client) error { _, err := c.ListIntegrations(ctx, v); return err }},
			row{"GetSyncJob/" + name, "accessToken", func(ctx context.Context, c *kryptos.Client) error {
				_, err := c.GetSyncJob(ctx, v, "job_1")
				return err
			}},
		)
	}
	// Wrong kinds of token: the API's prefixes tell them apart.
	for name, call := range map[string]func(context.Context, *kryptos.Client) error{
		"CheckSession/public token": func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.CheckSession(ctx, "public_x")
			return err
		},
		"CheckSession/prefix only": func(ctx context.Context, c *kryptos.Client) error { _, err := c.CheckSession(ctx, "cat_"); return err },
		"ExchangePublicToken/access token": func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.ExchangePublicToken(ctx, "cat_x")
			return err
		},
		"ExchangePublicToken/link token": func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.ExchangePublicToken(ctx, "link_x")
			return err
		},
		"RevokeGrant/access token": func(ctx context.Context, c *kryptos.Client) error { return c.RevokeGrant(ctx, "cat_x") },
		"RevokeGrant/no prefix":    func(ctx context.Context, c *kryptos.Client) error { return c.RevokeGrant(ctx, "abc123") },
	} {
		field := map[string]string{"CheckSession": "accessToken", "ExchangePublicToken": "publicToken", "RevokeGrant": "grantID"}[strings.Split(name, "/")[0]]
		rows = append(rows, row{name, field, call})
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
	ok := kryptos.ResyncParams{UserID: "u1", Mode: kryptos.ResyncLatest}
	on := kryptos.TransactionLimitParams{EnableLimiter: kryptos.Ptr(true)}
	rows = append(rows,
		row{"CreateLinkToken/unknown scope", "params.Scopes", lt(kryptos.LinkTokenParams{Scopes: kryptos.Scopes{"openid", "wallets:read"}})},
		row{"CreateLinkToken/no openid", "params.Scopes", lt(kryptos.LinkTokenParams{Scopes: kryptos.Scopes{"profile"}})},
		row{"CreateLinkToken/empty scope set", "params.Scopes", lt(kryptos.LinkTokenParams{Scopes: kryptos.Scopes{}})},
		row{"CreateLinkToken/scope with space", "params.Scopes", lt(kryptos.LinkTokenParams{Scopes: kryptos.Scopes{"openid email"}})},
		row{"CreateLinkToken/wrong token kind", "params.AccessToken", lt(kryptos.LinkTokenParams{AccessToken: "public_x"})},
		row{"CreateLinkToken/token with CRLF", "params.AccessToken", lt(kryptos.LinkTokenParams{AccessToken: "cat_x\r\n"})},
		row{"CreateLinkToken/relative redirect", "params.RedirectURI", lt(kryptos.LinkTokenParams{RedirectURI: "/cb"})},
		row{"ResyncIntegration/empty wallet", "walletID", resync("", ok)},
		row{"ResyncIntegration/dot-dot", "walletID", resync("..", ok)},
		row{"ResyncIntegration/path trick", "walletID", resync("../../token/revoke", ok)},
		row{"ResyncIntegration/encoded slash", "walletID", resync("a%2F..", ok)},
		row{"ResyncIntegration/query", "walletID", resync("w?x=1", ok)},
		row{"ResyncIntegration/fragment", "walletID", resync("w#x", ok)},
		row{"ResyncIntegration/backslash", "walletID", resync(`w\x`, ok)},
		row{"ResyncIntegration/CRLF", "walletID", resync("w\r\n", ok)},
		row{"ResyncIntegration/empty user", "params.UserID", resync("w", kryptos.ResyncParams{Mode: kryptos.ResyncLatest})},
		row{"ResyncIntegration/user with LF", "params.UserID", resync("w", kryptos.ResyncParams{UserID: "u\n", Mode: kryptos.ResyncLatest})},
		row{"ResyncIntegration/no mode", "params.Mode", resync("w", kryptos.ResyncParams{UserID: "u"})},
		row{"ResyncIntegration/unknown mode", "params.Mode", resync("w", kryptos.ResyncParams{UserID: "u", Mode: "LATEST"})},
		row{"UpdateTransactionLimit/no field", "params", limit("cgrant_1", kryptos.TransactionLimitParams{})},
		row{"UpdateTransactionLimit/zero", "params.TransactionLimit", limit("cgrant_1", kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](0)})},
		row{"UpdateTransactionLimit/negative", "params.TransactionLimit", limit("cgrant_1", kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](-1)})},
		row{"UpdateTransactionLimit/over 2^53-1", "params.TransactionLimit", limit("cgrant_1", kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](1 << 60)})},
		row{"UpdateTransactionLimit/empty grant", "grantID", limit("", on)},
		row{"UpdateTransactionLimit/path trick", "grantID", limit("cgrant_/../../token/grants", on)},
		row{"UpdateTransactionLimit/wrong kind", "grantID", limit("cat_x", on)},
		row{"GetSyncJob/empty job", "jobID", func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.GetSyncJob(ctx, "cat_x", "")
			return err
		}},
		row{"GetSyncJob/path trick", "jobID", func(ctx context.Context, c *kryptos.Client) error {
			_, err := c.GetSyncJob(ctx, "cat_x", "../grants")
			return err
		}},
	)
	return rows
}

func TestBadInputsNeverReachTheTransport(t *testing.T) {
	t.Parallel()
	counter := newCountingTransport()
	c, err := kryptos.NewClient("id", "secret", kryptos.WithHTTPClient(&http.Client{Transport: counter}))
	require.NoError(t, err)
	rows := badInputs()
	for _, r := range rows {
		err := r.call(context.Background(), c)
		var pe *kryptos.ParamError
		if assert.True(t, errors.As(err, &pe), "%s: %v", r.name, err) {
			assert.Equal(t, r.field, pe.Field, r.name)
			assert.ErrorIs(t, err, kryptos.ErrInvalidParams, r.name)
			assert.True(t, strings.HasPrefix(err.Error(), "kryptos: "), r.name)
		}
	}
	options := map[string]kryptos.Option{
		"http base URL": kryptos.WithBaseURL("http://connect-api.kryptos.io"), "ftp base URL": kryptos.WithBaseURL("ftp://x"),
		"base URL with credentials": kryptos.WithBaseURL("https://u:p@x"), "base URL with query": kryptos.WithBaseURL("https://x/?a=1"),
		"relative base URL": kryptos.WithBaseURL("/api"), "http data API": kryptos.WithDataAPIBaseURL("http://api-v2.kryptos.io"),
		"nil HTTP client": kryptos.WithHTTPClient(nil), "negative retries": kryptos.WithRetryPolicy(kryptos.RetryPolicy{MaxRetries: -1}),
		"max wait under min": kryptos.WithRetryPolicy(kryptos.RetryPolicy{MinWait: time.Minute, MaxWait: time.Second}),
		"zero timeout":       kryptos.WithTimeout(0), "negative timeout": kryptos.WithTimeout(-time.Second),
		"user agent with CRLF": kryptos.WithUserAgent("a\r\nb"), "zero body cap": kryptos.WithMaxResponseBytes(0),
	}
	for name, opt := range options {
		_, err := kryptos.NewClient("id", "secret", opt)
		assert.ErrorIs(t, err, kryptos.ErrInvalidParams, name)
	}
	credentials := [][2]string{{"", "s"}, {"i", ""}, {"i\r\n", "s"}, {"i", "s\n"}, {" i", "s"}, {"i", "s\x00"}}
	for _, cr := range credentials {
		_, err := kryptos.NewClient(cr[0], cr[1])
		assert.ErrorIs(t, err, kryptos.ErrInvalidParams, "%q", cr)
	}
	assert.Zero(t, counter.n.Load(), "a request reached the transport")
	t.Logf("bad inputs: %d method arguments, %d options, %d credential pairs; requests sent: %d",
		len(rows), len(options), len(credentials), counter.n.Load())
}
