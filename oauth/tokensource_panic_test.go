package oauth

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// panickingStore is a TokenStore with a bug: its Save panics.
type panickingStore struct{ *MemoryStore }

func (panickingStore) Save(context.Context, *oauth2.Token) error { panic("store bug") }

// TestAPanickingStoreDoesNotCrashTheProcess: a TokenStore is the app's
// code. Before the refresh moved to a goroutine, a panic in it reached the
// caller of Token, where net/http's per-request recovery (or the app's)
// caught it; a panic in a goroutine the SDK starts cannot be recovered by
// anyone and ends the whole process. fly's doc says "The flight lands
// however it ends, a panic included". The panic must reach the caller.
func TestAPanickingStoreDoesNotCrashTheProcess(t *testing.T) {
	if os.Getenv("REVIEW_PANIC_CHILD") == "1" {
		srv, c := newSandbox(t)
		in := signIn(t, srv, c, "alex@example.com")
		ts := c.TokenSource(ctx, panickingStore{NewMemoryStore(expired(in.Token))})
		call := func() (r any) {
			defer func() { r = recover() }()
			_, _ = ts.Token()
			return nil
		}
		assert.NotNil(t, call(), "the store's panic reaches the caller")
		assert.NotNil(t, call(), "the source is not stuck: the next call saves again, and panics again")
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAPanickingStoreDoesNotCrashTheProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "REVIEW_PANIC_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the test process crashed:\n%s", lastLines(string(out), 12))
}

func lastLines(s string, n int) string {
	count := 0
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			count++
			if count > n {
				return s[i+1:]
			}
		}
	}
	return s
}
