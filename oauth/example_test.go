package oauth_test

import (
	"context"
	"fmt"
	"log"
	"net/url"

	"github.com/kryptos-connect/kryptos-go/kryptostest"
	"github.com/kryptos-connect/kryptos-go/oauth"
)

// A native app (a command line, a desktop app) signs its user in through
// the browser and receives the redirect on a loopback port of its own. The
// sandbox plays the provider, and its Consent plays the user.
func ExampleClient_StartNativeSignIn() {
	ctx := context.Background()
	srv := kryptostest.NewServer()
	defer srv.Close()
	auth, err := oauth.New(oauth.Config{Provider: oauth.KryptosAt(srv.Issuer()),
		ClientID: srv.ClientID, ClientSecret: srv.ClientSecret, Native: true})
	if err != nil {
		log.Fatal(err)
	}

	// Listen on 127.0.0.1 on a free port, then:
	n, err := auth.StartNativeSignIn("http://127.0.0.1:49152/callback")
	if err != nil {
		log.Fatal(err)
	}
	// Open n.URL() in the user's browser; the provider redirects it back to
	// the loopback URL with a code and the state.
	back, err := srv.Consent(n.URL(), "alex@example.com", true)
	if err != nil {
		log.Fatal(err)
	}
	callback, _ := url.Parse(back) // the request your loopback server received
	in, err := n.Finish(ctx, callback.Query())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(in.IDToken.Email, in.Token.RefreshToken != "")
	// Output: alex@example.com true
}
