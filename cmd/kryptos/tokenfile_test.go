package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"bytes"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/oauth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func tokenOf(access, refresh string, expiry time.Time) *oauth2.Token {
	return &oauth2.Token{AccessToken: access, TokenType: "Bearer", RefreshToken: refresh, Expiry: expiry}
}

func TestTheTokenFileIsReplacedWholeAndPrivate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "login.json")
	// A file someone made readable by all is replaced by a private one.
	require.NoError(t, os.WriteFile(path, []byte("{}"), 0o644))
	l := &login{Issuer: "https://oauth.kryptos.io/oidc", ClientID: "cid", SecretEnv: "S", Token: tokenOf("at", "rt", time.Now().Add(time.Hour))}
	require.NoError(t, writeLogin(path, l))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	got, err := readLogin(path)
	require.NoError(t, err)
	assert.Equal(t, "rt", got.Token.RefreshToken)
	entries, _ := os.ReadDir(filepath.Dir(path))
	assert.Len(t, entries, 1, "no temporary file is left behind")

	// As a TokenStore: Save keeps the rest of the login.
	store := &tokenFile{path: path, login: *got}
	require.NoError(t, store.Save(context.Background(), tokenOf("at2", "rt2", time.Now().Add(time.Hour))))
	tok, err := store.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "rt2", tok.RefreshToken)
	got, _ = readLogin(path)
	assert.Equal(t, "cid", got.ClientID)

	require.NoError(t, os.WriteFile(path, []byte("not json"), 0o600))
	_, err = readLogin(path)
	require.ErrorContains(t, err, "kryptos login")
	require.NoError(t, os.Remove(path))
	tok, err = store.Load(context.Background())
	require.NoError(t, err)
	assert.Nil(t, tok, "no login, no token")
}

func TestTheTokenFileIsFoundByEnvironmentOrConfigDir(t *testing.T) {
	t.Parallel()
	a := &app{getenv: func(k string) string { return map[string]string{tokenFileEnv: "/elsewhere/login.json"}[k] }}
	p, err := a.tokenPath()
	require.NoError(t, err)
	assert.Equal(t, "/elsewhere/login.json", p)

	dir, err := os.UserConfigDir()
	if err != nil {
		t.Skip("no config directory here:", err)
	}
	a.getenv = func(string) string { return "" }
	p, err = a.tokenPath()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "kryptos", "login.json"), p)
}

func TestTheRefreshLockIsHeldByOneProcessAtATime(t *testing.T) {
	t.Parallel()
	l := newFileLock(filepath.Join(t.TempDir(), "login.json"))
	l.poll = time.Millisecond
	unlock, err := l.Lock(context.Background())
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = l.Lock(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "held by another")

	unlock()
	again, err := l.Lock(context.Background())
	require.NoError(t, err, "released")

	// A lock left by a process that died is taken over once stale.
	l.stale = 10 * time.Millisecond
	old := time.Now().Add(-time.Second)
	require.NoError(t, os.Chtimes(l.path, old, old))
	taken, err := l.Lock(context.Background())
	require.NoError(t, err)
	taken()
	again() // the lock is gone already: no harm
}

// loginUser checks that the saved login is for the API it calls ("A token
// goes only to the API of its issuer"), but the token source then loads
// the token from the file again at each refresh, whatever login the file
// holds by then. A kryptos login made meanwhile in another terminal, for
// the live API, must not have its token sent to the sandbox a running
// export reads from.
func TestATokenFileReplacedByAnotherLoginIsNotUsed(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var auth []string
	sandbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer sandbox.Close()

	path := filepath.Join(t.TempDir(), "login.json")
	require.NoError(t, writeLogin(path, &login{
		Issuer: sandbox.URL + "/oidc", ClientID: "sandbox_client", SecretEnv: "KRYPTOS_OAUTH_CLIENT_SECRET",
		Token: &oauth2.Token{AccessToken: "sandbox_at", RefreshToken: "sandbox_rt", Expiry: time.Now().Add(-time.Hour)},
	}))
	env := map[string]string{
		"KRYPTOS_TOKEN_FILE": path, "KRYPTOS_SANDBOX_URL": sandbox.URL,
		"KRYPTOS_OAUTH_CLIENT_SECRET": "sandbox_secret",
	}
	var stdout, stderr bytes.Buffer
	a := &app{ctx: context.Background(), getenv: func(k string) string { return env[k] }, stdout: &stdout, stderr: &stderr,
		accessTokenEnv: "KRYPTOS_ACCESS_TOKEN"}
	u, err := a.loginUser()
	require.NoError(t, err)

	// Meanwhile: kryptos login, in another terminal, for the live API.
	require.NoError(t, writeLogin(path, &login{
		Issuer: oauth.KryptosIssuer, ClientID: "live_client", SecretEnv: "KRYPTOS_OAUTH_CLIENT_SECRET",
		Token: &oauth2.Token{AccessToken: "live_at", RefreshToken: "live_rt", Expiry: time.Now().Add(24 * time.Hour)},
	}))

	for _, err := range u.ListHoldings(context.Background(), kryptos.HoldingsParams{}) {
		assert.Error(t, err)
		break
	}
	mu.Lock()
	defer mu.Unlock()
	for _, h := range auth {
		assert.NotContains(t, h, "live_at", "the live API's token was sent to the sandbox")
	}
}

// TestASavedRefreshDoesNotOverwriteALoginMadeMeanwhile: Load refuses a
// login "replaced by one for ... while this command ran", but Save writes
// the old login back over it. A running export that refreshes after the
// user ran kryptos login for the live API, in another terminal, throws the
// new login (and its only working refresh token) away and puts the old
// one back; after kryptos logout it writes the deleted login back.
func TestASavedRefreshDoesNotOverwriteALoginMadeMeanwhile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "login.json")
	old := login{Issuer: "http://127.0.0.1:1/oidc", ClientID: "sandbox_client", SecretEnv: "KRYPTOS_OAUTH_CLIENT_SECRET",
		Token: &oauth2.Token{AccessToken: "sandbox_at", RefreshToken: "sandbox_rt", Expiry: time.Now().Add(-time.Hour)}}
	require.NoError(t, writeLogin(path, &old))
	f := &tokenFile{path: path, login: old}
	_, err := f.Load(context.Background()) // the refresh starts
	require.NoError(t, err)

	// Meanwhile: kryptos login, in another terminal, for the live API.
	live := &login{Issuer: oauth.KryptosIssuer, ClientID: "live_client", SecretEnv: "KRYPTOS_OAUTH_CLIENT_SECRET",
		Token: &oauth2.Token{AccessToken: "live_at", RefreshToken: "live_rt", Expiry: time.Now().Add(24 * time.Hour)}}
	require.NoError(t, writeLogin(path, live))

	err = f.Save(context.Background(), &oauth2.Token{AccessToken: "sandbox_at2", RefreshToken: "sandbox_rt2"})
	assert.Error(t, err, "the refresh of a replaced login is not saved over the new one")
	now, err := readLogin(path)
	require.NoError(t, err)
	assert.Equal(t, "live_rt", now.Token.RefreshToken, "the new login is kept")

	// Meanwhile: kryptos logout.
	require.NoError(t, os.Remove(path))
	assert.Error(t, f.Save(context.Background(), &oauth2.Token{AccessToken: "sandbox_at3", RefreshToken: "sandbox_rt3"}))
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "a login signed out of stays signed out")
}

// TestASavedRefreshDoesNotOverwriteANewLoginForTheSameAPI: Save's doc says
// "a kryptos login ... or a kryptos logout, made while this command ran,
// is not undone by writing the old login back", and the commit "refuses
// when it is gone or holds another login". Save compares the issuer and
// client only: kryptos logout, then kryptos login as another user of the
// same API and client, in another terminal, while an export runs; the
// export's refresh writes the first user's login back over the second's,
// whose only working refresh token is lost, and the next command reads the
// first user's data.
func TestASavedRefreshDoesNotOverwriteANewLoginForTheSameAPI(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "login.json")
	alex := login{Issuer: "http://127.0.0.1:1/oidc", ClientID: "sandbox_client", SecretEnv: "KRYPTOS_OAUTH_CLIENT_SECRET",
		Subject: "usr_alex", Email: "alex@example.com",
		Token: &oauth2.Token{AccessToken: "alex_at", RefreshToken: "alex_rt", Expiry: time.Now().Add(-time.Hour)}}
	require.NoError(t, writeLogin(path, &alex))
	f := &tokenFile{path: path, login: alex}
	_, err := f.Load(context.Background()) // the refresh starts
	require.NoError(t, err)

	// Meanwhile: kryptos logout, then kryptos login as another user.
	sam := alex
	sam.Subject, sam.Email = "usr_sam", "sam@example.com"
	sam.Token = &oauth2.Token{AccessToken: "sam_at", RefreshToken: "sam_rt", Expiry: time.Now().Add(24 * time.Hour)}
	require.NoError(t, writeLogin(path, &sam))

	err = f.Save(context.Background(), &oauth2.Token{AccessToken: "alex_at2", RefreshToken: "alex_rt2"})
	assert.Error(t, err, "the refresh of a replaced login is not saved over the new one")
	now, err := readLogin(path)
	require.NoError(t, err)
	assert.Equal(t, "sam_rt", now.Token.RefreshToken, "the new login's refresh token is kept")
	assert.Equal(t, "usr_sam", now.Subject, "the new login is kept")
}

// A login for another user of the same API and client, made while a
// command ran, is not loaded: the command reads the data of the user it
// started with, or none.
func TestALoginOfAnotherUserIsNotLoaded(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "login.json")
	alex := login{Issuer: "https://issuer.example/oidc", ClientID: "app", Subject: "usr_alex",
		Token: &oauth2.Token{AccessToken: "alex_at", RefreshToken: "alex_rt"}}
	require.NoError(t, writeLogin(path, &alex))
	f := &tokenFile{path: path, login: alex}
	tok, err := f.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "alex_at", tok.AccessToken)

	sam := alex
	sam.Subject, sam.Token = "usr_sam", &oauth2.Token{AccessToken: "sam_at", RefreshToken: "sam_rt"}
	require.NoError(t, writeLogin(path, &sam))
	tok, err = f.Load(context.Background())
	assert.Error(t, err, "another user's login: %v", tok)
}
