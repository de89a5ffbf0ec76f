// Package connecthttp is the backend the Kryptos Connect widget needs
// (WIDGET.md), as an http.Handler to mount: the routes the Web SDK and the
// Mobile SDK call to get a link token and to hand over the public token, a
// route to disconnect, and token stores that keep each user's access token
// sealed.
//
//	client, _ := kryptos.NewClient(os.Getenv("KRYPTOS_CLIENT_ID"), os.Getenv("KRYPTOS_CLIENT_SECRET"))
//	keys, _ := connecthttp.NewKeyring(connecthttp.Key{ID: "2026-11", Secret: key32})
//	store, _ := connecthttp.NewSQLStore(db, keys)
//	_ = store.Migrate(ctx)
//	h, _ := connecthttp.New(connecthttp.Config{
//		Client: client,
//		Store:  store,
//		UserID: func(r *http.Request) (string, error) { return session.UserID(r), nil },
//	})
//	mux.Handle("/api/kryptos/", http.StripPrefix("/api/kryptos", h))
//
// The frontend's generateLinkToken posts to /api/kryptos/create-link-token
// and gets {"link_token", "isAuthorized"}: isAuthorized comes from the API's
// has_existing_grant for the stored token, never from "we sent one". Its
// onConnectSuccess posts {"public_token"} (or null for a returning user) to
// /api/kryptos/exchange-token, which exchanges it once and stores the
// result. /api/kryptos/disconnect revokes the grant; /api/kryptos/status
// says whether the user is connected.
//
// The handler answers JSON only, never an SDK error's text, with a stable
// error code the frontend can act on (CodeNotSignedIn, CodeLinkExpired,
// ...); it limits bodies, refuses cross-site requests
// (http.CrossOriginProtection), and the client secret never leaves the
// server.
package connecthttp
