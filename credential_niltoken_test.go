package kryptos_test

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/oauth2"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

// A token source that yields no token and no error, such as
// oauth2.StaticTokenSource(nil) over a token an app's store did not find,
// is a malformed credential. Client.User says "A nil or malformed credential
// fails each call before anything is sent", and TokenSource(nil) does fail
// that way; a source whose token is nil must not panic the caller instead.
func TestTokenSourceNilTokenFailsTheCall(t *testing.T) {
	t.Parallel()
	srv := kryptostest.NewServer()
	defer srv.Close()
	user := srv.Client().User(kryptos.TokenSource(oauth2.StaticTokenSource(nil)))
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("a data call whose token source gave a nil token panicked: %v", r)
			}
		}()
		_, err = user.Me(context.Background())
	}()
	if !errors.Is(err, kryptos.ErrInvalidParams) {
		t.Fatalf("err = %v, want an error matching ErrInvalidParams", err)
	}
	if got := srv.Stats().Requests; got != 0 {
		t.Errorf("the sandbox received %d requests; want none", got)
	}
}
