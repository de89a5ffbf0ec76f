// Package oauth adds "Sign in with Kryptos" (OAuth 2.0 with PKCE and OpenID
// Connect, OAUTH.md) to a Go web app, on golang.org/x/oauth2 and
// github.com/coreos/go-oidc, and keeps the user's tokens fresh without ever
// losing a rotated refresh token.
//
// The flow, in an app's handlers:
//
//	auth, err := oauth.New(oauth.Config{
//		ClientID:     os.Getenv("KRYPTOS_CLIENT_ID"),
//		ClientSecret: os.Getenv("KRYPTOS_CLIENT_SECRET"),
//		RedirectURL:  "https://app.example.com/auth/callback",
//		StateKey:     stateKey, // 32+ random bytes, the same on every replica
//	})
//	http.Handle("GET /auth/signin", auth.SignInHandler())
//	http.Handle("GET /auth/callback", auth.CallbackHandler(
//		func(w http.ResponseWriter, r *http.Request, in *oauth.SignIn) {
//			// in.IDToken.Subject is the Kryptos user; save in.Token (encrypted).
//			saveTokens(r.Context(), in.IDToken.Subject, in.Token)
//			http.Redirect(w, r, "/", http.StatusFound)
//		},
//		func(w http.ResponseWriter, r *http.Request, err error) {
//			switch {
//			case errors.Is(err, kryptos.ErrAccessDenied): // the user said no
//			case errors.Is(err, oauth.ErrState): // a forged, foreign or replayed callback
//			}
//		}))
//
// StartSignIn sends the browser to the provider with an unguessable state
// and a PKCE S256 challenge, both sealed in a short-lived cookie that binds
// the sign-in to that browser; Callback checks the state first, turns the
// provider's errors (error=access_denied, invalid_grant, ...) into
// *kryptos.Error values that match the kryptos sentinels, exchanges the code
// with its verifier, and verifies the ID token against the provider's keys.
//
// A native app (a command line or a desktop app, RFC 8252) has no cookie
// and receives the redirect itself: it sets Config.Native, listens on a
// loopback address, and keeps the sign-in in memory:
//
//	n, err := auth.StartNativeSignIn("http://127.0.0.1:" + port + "/callback")
//	openBrowser(n.URL())
//	in, err := n.Finish(ctx, callback.URL.Query()) // the request to /callback
//
// (cmd/kryptos's login command is one.)
//
// Then read the user's data with a TokenSource, which refreshes the access
// token ahead of its expiry and saves every rotated refresh token to your
// TokenStore before using the new access token:
//
//	ts := auth.TokenSource(ctx, store) // store: your TokenStore for this user
//	user := client.User(kryptos.TokenSource(ts))
//	holdings := user.ListHoldings(ctx, kryptos.HoldingsParams{})
//
// A data call answered 401 makes it refresh, and is sent once more.
// Concurrent callers share one refresh; WithRefreshLock shares it across
// replicas. The same source refreshes the crt_ tokens of older Connect
// grants (ConnectToken). UserInfo, Revoke (RFC 7009), Introspect (RFC 7662)
// and ClientCredentials cover the provider's other endpoints. Every call
// counts against the documented OIDC quotas (Config.Limiter).
//
// Kryptos() is the production provider; KryptosAt(srv.Issuer()) points at a
// kryptostest sandbox, which serves the whole flow, consent page included;
// Discover reads any standards-compliant provider's discovery document.
package oauth
