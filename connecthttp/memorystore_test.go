package connecthttp_test

import (
	"context"
	"testing"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/connecthttp"
	"github.com/kryptos-connect/kryptos-go/oauth"
	"golang.org/x/oauth2"
)

// oauth.MemoryStore, the other MemoryStore of the SDK, works as a zero
// value, and connecthttp.MemoryStore's own Get and Delete do; its Put
// panicked ("assignment to entry in nil map") on the first exchange of an
// app that declared `var store connecthttp.MemoryStore` or used
// &connecthttp.MemoryStore{} as Config.Store.
func TestZeroMemoryStoreWorks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var o oauth.MemoryStore
	if err := o.Save(ctx, &oauth2.Token{AccessToken: "x"}); err != nil {
		t.Fatalf("zero oauth.MemoryStore: %v", err)
	}
	var m connecthttp.MemoryStore
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("Put on a zero connecthttp.MemoryStore panicked: %v", r)
			}
		}()
		if err := m.Put(ctx, "u1", connecthttp.Connection{AccessToken: kryptos.NewSecret("cat_x"), GrantID: "cgrant_1"}); err != nil {
			t.Fatal(err)
		}
	}()
	c, err := m.Get(ctx, "u1")
	if err != nil || c.GrantID != "cgrant_1" || c.AccessToken.Reveal() != "cat_x" {
		t.Fatalf("Get = %+v, %v; want the connection put", c, err)
	}
}
