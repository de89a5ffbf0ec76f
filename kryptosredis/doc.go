// Package kryptosredis shares what the replicas of one backend must agree
// on through Redis: the client ID's quotas, the webhook deliveries already
// handled, and the refresh of a user's rotating OAuth tokens.
//
// The Kryptos server counts quotas per client ID, so N replicas that each
// keep an in-process limiter send N times the quota; each replica's
// in-memory webhook deduplicator lets a retry through on another replica;
// and two replicas that refresh the same refresh token at once invalidate
// each other. One Store over a Redis client fixes all three:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	store, err := kryptosredis.New(rdb, kryptosredis.Options{ClientID: clientID})
//	lim, err := store.Limiter(kryptosredis.LimiterConfig{
//		Quotas:   quotas,                     // the limits the server holds you to
//		Outage:   kryptosredis.FallBackLocal, // or FailClosed
//		Replicas: 10,
//	})
//	client, err := kryptos.NewClient(clientID, secret, kryptos.WithLimiter(lim))
//
//	dedup, err := store.Deduplicator(24 * time.Hour)
//	hooks, err := webhook.NewHandler(secrets, fn, webhook.WithDeduplicator(dedup))
//
//	src := oauthClient.TokenSource(ctx, tokens, oauth.WithRefreshLock(store.RefreshLock(userID)))
//
// Every key starts with the prefix ("kryptos" by default) and the client
// ID in braces, then names its use: "quota", "pause" and "epoch" (one of
// each per quota class) for the limiter, "webhook" for the deduplicator,
// "refresh" for each user's refresh lock and "locks" (an epoch and a grace
// shared by every user's lock), as in kryptos:{clientID}:quota:connect, so
// that several client IDs and other applications can share one Redis (a
// Redis ACL must allow the prefix and client ID's every key). Nothing
// secret is stored: the limiter keeps counters and epochs, the
// deduplicator keeps delivery ids and random claim tokens, and the refresh
// lock's key carries a hash of the user's key, never a token.
//
// An epoch key, stamped with the Redis process that wrote it, tells when
// Redis lost keys (a restart without persistence or from an older snapshot,
// a flush, a failover to a replica behind): then the limiter holds each
// class for one window, and no refresh lock of the client ID is handed out
// for one lock expiry (30 s), so that a holder from before the loss can
// write its lock again. A Redis never used before looks the same: its first
// refresh lock waits 30 s too, once.
//
// Every call to Redis is bounded by Options.Timeout, whatever the Redis
// client's own timeouts are. When Redis is down or slower than that, the
// Limiter does what LimiterConfig.Outage says (fail closed with an error
// that matches ErrUnavailable, or fall back to an in-process limiter at
// 1/N of each quota); the Deduplicator and the refresh lock return errors
// that match ErrUnavailable, which the webhook Handler answers with a 503
// (Kryptos retries) and the TokenSource returns to its caller.
package kryptosredis
