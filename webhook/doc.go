// Package webhook receives Kryptos Connect webhooks without losing an event:
// it verifies their signatures, decodes the documented payloads into typed
// events, and hands each delivery to your function once, answering so that
// Kryptos retries whatever failed and nothing that succeeded.
//
// A complete receiver:
//
//	secrets := []string{os.Getenv("KRYPTOS_WEBHOOK_SECRET")} // add the old one while rotating
//	h, err := webhook.NewHandler(secrets, func(ctx context.Context, ev *webhook.Event) error {
//		switch {
//		case ev.Integration != nil: // integration.created, .updated, .deleted, .failed
//			in := ev.Integration
//			if in.Status == webhook.StatusFailed {
//				log.Printf("grant %s: %s failed: %s", ev.GrantID, in.WalletID, in.ErrorMessage)
//			}
//			return jobs.Enqueue(ctx, ev.GrantID, in.WalletID, in.Status) // quick: Kryptos waits 10 s
//		case ev.Process != nil: // transfer_detection.* and costbasis.*
//			return jobs.Note(ctx, ev.GrantID, ev.Type, ev.Process.Status)
//		}
//		return nil // an event this receiver does not use: acknowledge it
//	})
//	if err != nil {
//		log.Fatal(err) // an unset secret is refused here, not at the first delivery
//	}
//	http.Handle("POST /webhooks/kryptos", h)
//
// Attribute an event to your user by its GrantID: the data carries no user
// id.
//
// # Delivery, retries and deduplication
//
// Kryptos waits 10 s for an answer and retries a delivery twice after a
// 429, 500, 502, 503 or 504, with the same delivery id (X-Webhook-Id). A
// delivery is therefore acknowledged (200) only once your function returned
// nil for its id; a failure is answered 500 and retried. A retry that
// arrives while the first attempt still runs (here or on another replica)
// waits for it a few seconds (WithInFlightWait), then gets the first
// attempt's outcome, or handles the event itself if the first attempt
// failed, or is answered 503 so that Kryptos retries later. One call of your
// function runs per id at a time, and it succeeds once.
//
// The Deduplicator keeps that promise. The default MemoryDeduplicator serves
// one process; replicas must share one over a store such as Redis. An id is
// claimed for a lease that the Handler extends while your function runs, so
// the claim of a replica that crashed expires and a later retry is handled.
//
// # Misconfiguration
//
// NewHandler refuses, with a *kryptos.ParamError naming the field, what
// would otherwise make every delivery fail: no secret, an empty or blank
// secret, a nil function, a nil deduplicator or logger, and limits that are
// not positive. A delivery whose signature matches no secret is answered
// 401, which Kryptos does not retry, and logged at error level: check the
// log after rotating a secret.
//
// # Testing
//
// Sign signs a body as Kryptos does, for requests in your own tests. The
// kryptostest sandbox delivers signed webhooks as its state changes
// (kryptostest.Server.RegisterWebhook).
package webhook
