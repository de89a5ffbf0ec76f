// Package kryptos is the Go client of the Kryptos Connect backend API, which
// lets your users share their crypto portfolio data with your app.
//
// # The flow
//
// Your backend creates a short-lived link token with its client credentials;
// the Kryptos widget in the user's browser turns it into a single-use public
// token once the user consents; your backend exchanges that for a long-lived
// access token and a grant ID, stores both, and from then on reads the
// user's data with the token:
//
//	client, err := kryptos.NewClient(os.Getenv("KRYPTOS_CLIENT_ID"), os.Getenv("KRYPTOS_CLIENT_SECRET"))
//	// 1. For the widget: a link token (pass the stored access token of a returning user).
//	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.DefaultScopes()})
//	// -> frontend: {"link_token": lt.Token, "isAuthorized": lt.HasExistingGrant}
//	// 2. The frontend posts back the widget's public token; exchange it once.
//	grant, err := client.ExchangePublicToken(ctx, publicToken)
//	// -> store grant.AccessToken and grant.GrantID for the user
//	// 3. Later: is the token still good? What grants exist?
//	session, err := client.CheckSession(ctx, grant.AccessToken.Reveal())
//	grants, err := client.ListGrants(ctx)
//	// 4. Operate: resync an integration, cap a Guest user's imports, disconnect.
//	job, err := client.ResyncIntegration(ctx, walletID, kryptos.ResyncParams{UserID: session.UserID, Mode: kryptos.ResyncLatest})
//	limit, err := client.UpdateTransactionLimit(ctx, grant.GrantID, kryptos.TransactionLimitParams{TransactionLimit: kryptos.Ptr[int64](10000)})
//	err = client.RevokeGrant(ctx, grant.GrantID)
//
// # Errors
//
// Every failed API call returns an error that errors.As turns into an
// *Error, with the HTTP status, the API's code and message, the request ID
// and any Retry-After. The sentinels match by code through errors.Is:
// errors.Is(err, ErrTokenExpired), errors.Is(err, ErrGrantNotFound), and so
// on, plus ErrRateLimited for any 429 and ErrUnauthorized for any 401.
// Arguments are checked before anything is sent: a bad one returns a
// *ParamError matching ErrInvalidParams that names the field.
//
// # Retries
//
// Each attempt is bounded by WithTimeout, and the whole call by the ctx you
// pass. What is repeated depends on whether doing it twice is safe:
//
//   - CreateLinkToken, CheckSession, ListGrants, RevokeGrant and
//     UpdateTransactionLimit are repeated after connection errors, timeouts,
//     429, 502, 503 and 504.
//   - ExchangePublicToken (its token works once) and ResyncIntegration (each
//     call queues a job) are repeated only when the request provably never
//     reached the server (the connection was refused) or after a 429. If it
//     may have been processed, the error matches ErrOutcomeUnknown.
//
// Waits grow exponentially with jitter within the RetryPolicy, follow the
// server's Retry-After (or retry_after) when it sends one, and end at once
// with ctx. A server that asks for a wait longer than RetryPolicy.MaxWait
// gets its 429 returned, with Error.RetryAfter set, instead of a sleep.
//
// # Throttling
//
// A Client keeps to the API's documented per-client quotas on its own side
// (10 link tokens and 5 exchanges a minute, see DefaultQuotas): every
// attempt, retries included, waits for a free slot, so it never sends more
// than the quota within any window of the quota's length. Set your own
// quotas with NewQuotaLimiter, share a Limiter between Clients of one client
// ID, or turn throttling off with WithLimiter(nil).
//
// # Secrets
//
// The client secret and every token print as "[redacted]" under %v, %+v and
// %#v and in slog records, and never appear in errors or in the Client's
// logs (WithLogger), which carry operations, paths, statuses and durations
// only.
//
// # Data API
//
// ListIntegrations and GetSyncJob read a user's data with their access token
// alone, from the data API (DefaultDataAPIBaseURL, see WithDataAPIBaseURL):
// the wallet ids that ResyncIntegration takes, and the progress of the job
// it queued. The client secret is never sent there.
//
// # Webhooks
//
// Package webhook receives Kryptos webhooks: webhook.NewHandler verifies
// signatures, decodes the documented payloads into typed events, hands each
// delivery id to your function once, and acknowledges it only after your
// function succeeded, so that Kryptos retries whatever failed.
//
// # Testing
//
// Package kryptostest runs a stateful fake of both APIs on loopback, the way
// net/http/httptest runs a server; its Server.Client returns a Client
// pointed at it, and Server.CompleteLink plays the user's part in the
// widget. cmd/kryptos-sandbox serves the same fake as a program.
package kryptos
