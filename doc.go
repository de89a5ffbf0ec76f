// Package kryptos is the Go client of Kryptos Connect, which lets your users
// share their crypto portfolio data with your app: the Connect backend API,
// called with your client credentials, and the data API, called as one user.
//
// # The flow
//
// Your backend creates a short-lived link token; the Kryptos widget in the
// user's browser turns it into a single-use public token once the user
// consents; your backend exchanges that for a long-lived access token and a
// grant ID, stores both, and from then on reads the user's data with the
// token:
//
//	client, err := kryptos.NewClient(os.Getenv("KRYPTOS_CLIENT_ID"), os.Getenv("KRYPTOS_CLIENT_SECRET"))
//	// 1. For the widget: a link token (pass the stored access token of a returning user).
//	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{AccessToken: kryptos.NewSecret(stored)})
//	// -> frontend: {"link_token": lt.Token.Reveal(), "isAuthorized": lt.HasExistingGrant}
//	// 2. The frontend posts back the widget's public token; exchange it once.
//	grant, err := client.ExchangePublicToken(ctx, publicToken)
//	// -> store grant.AccessToken.Reveal() (encrypted) and grant.GrantID for the user
//	// 3. Read the user's data.
//	user := client.User(grant.Credential()) // or kryptos.AccessToken(stored)
//	for tx, err := range user.ListTransactions(ctx, kryptos.TransactionsParams{}) { ... }
//	// 4. Later: is the token still good? Then disconnect.
//	session, err := client.CheckSession(ctx, grant.AccessToken.Reveal())
//	err = client.RevokeGrant(ctx, grant.GrantID)
//
// # Clients and credentials
//
// A [Client] holds the client ID and secret; create it once with [NewClient]
// and share it. Its Connect methods are CreateLinkToken, ExchangePublicToken,
// CheckSession, ListGrants, RevokeGrant, ResyncIntegration and
// UpdateTransactionLimit; its public provider catalogue is ListProviders and
// GetProvider.
//
// [Client.User] returns the [UserClient] of one user's [Credential]:
// [AccessToken] for a stored Connect (cat_…) or OAuth access token,
// [TokenSource] for OAuth tokens that refresh (see package oauth), and
// [APIKey] for a user's own API key, which the data API accepts only on
// [UserClient.Me]. The client secret is never sent to the data API.
//
// # Data and paging
//
// A UserClient reads every family of the data API: the profile (Me),
// workspaces, portfolios, holdings and calculated balances, transactions,
// ledgers, integrations, sync jobs (with [UserClient.WaitForSync]), DeFi
// positions and metadata, NFTs, spam, labels, assets, contacts and
// counter-parties. A grant without the scope a call needs gets an error
// matching [ErrInsufficientScope].
//
// Each list comes twice. ListX returns an iter.Seq2[T, error] that fetches
// one page at a time as you range over it and stops fetching when you
// break; ListXPage returns one [Page] with its Items, Total and Summary, and
// Next for the page after it.
//
// # Errors
//
// Every failed API call returns an error that errors.As turns into an
// [*Error], with the HTTP status, the API's code and message, the request ID
// and any Retry-After. Sentinels match by code through errors.Is:
// [ErrTokenExpired], [ErrGrantNotFound] and one for every documented code,
// plus [ErrRateLimited] for any 429, [ErrUnauthorized] for any 401 and
// [ErrNotFound] for any 404. Arguments and params are checked before
// anything is sent: a bad one returns a [*ParamError] matching
// [ErrInvalidParams] that names the field.
//
// # Retries, timeouts and quotas
//
// Each attempt is bounded by [WithTimeout], and the whole call by its ctx.
// Operations that are safe to repeat are retried after connection errors,
// timeouts, 429, 502, 503 and 504, with jittered exponential waits within
// the [RetryPolicy] that follow the server's Retry-After and end with ctx.
// ExchangePublicToken and both ResyncIntegration methods, whose effect
// happens once, are repeated only when the request provably never reached
// the server or after a 429; when it may have been processed, the error
// matches [ErrOutcomeUnknown]. So does an UpdateTransactionLimit whose
// retry, after an attempt that may have been processed, is answered
// "nothing changed": the limit is set, but the resyncs the earlier attempt
// may have queued are not reported.
//
// Every operation belongs to a [QuotaClass]. Before each attempt the
// Client waits on its [Limiter], and after each 429 it tells the Limiter
// to hold that class for every caller. The default is [NewLimiter] with
// [DefaultQuotas], the OIDC limits the docs still publish: Connect and data
// calls are held only by the server's 429s unless you add a [Quota] in
// [LimiterConfig]. Share one Limiter among the Clients of a client ID
// ([WithLimiter]); [WithMaxQuotaWait] makes a call that would wait too long
// fail unsent with an error matching [ErrQuotaWait], and returns at once a
// 429 that asks the call itself to wait longer ([ErrRateLimited]).
//
// # Secrets
//
// Tokens are [Secret] values: they print, log and encode as
// "cat_[redacted]"; [Secret.Reveal] returns the value. The client secret
// never appears in output, errors or the records of [WithLogger], which
// carry operations, paths, statuses and durations only.
//
// # Sub-packages
//
//   - webhook receives Kryptos webhooks: it verifies signatures, decodes
//     typed events and acknowledges a delivery only after your function
//     handled it, once.
//   - oauth is "Sign in with Kryptos": PKCE and OpenID Connect sign-in,
//     and a TokenSource that saves every rotated refresh token first.
//   - connecthttp is the widget's backend: create-link-token,
//     exchange-token, disconnect and status routes, with sealed token stores.
//   - kryptostest runs a stateful fake of the Connect, data and OIDC APIs on
//     loopback, the way net/http/httptest runs a server, with fault
//     injection; the kryptos CLI (cmd/kryptos, its own module) serves it
//     as a program: kryptos sandbox.
//
// The separate module github.com/kryptos-connect/kryptos-go/kryptosredis
// shares the Limiter, the webhook deduplicator and the OAuth refresh lock
// across replicas through Redis.
package kryptos
