package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"net/http/httptest"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
	"github.com/kryptos-connect/kryptos-go/oauth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

const alex = "alex@example.com"

// newLoginWorld is a sandbox where alex@example.com connected the Ethereum
// test wallet through the widget, and the environment of a developer about
// to run kryptos login: the OAuth client's ID and secret and a token file
// of their own, but no access token. w.grant is alex's Connect grant, to
// compare with what the login reads.
func newLoginWorld(t *testing.T) *loginWorld {
	t.Helper()
	srv := kryptostest.NewServer()
	t.Cleanup(srv.Close)
	grant := connectEthereum(t, srv, kryptostest.LinkUser{Email: alex})
	return &loginWorld{world: &world{
		srv: srv,
		env: map[string]string{
			"KRYPTOS_SANDBOX_URL":         srv.URL,
			"KRYPTOS_OAUTH_CLIENT_ID":     srv.ClientID,
			"KRYPTOS_OAUTH_CLIENT_SECRET": srv.ClientSecret,
			// A directory that does not exist yet: login makes it.
			"KRYPTOS_TOKEN_FILE": filepath.Join(t.TempDir(), "config", "kryptos", "login.json"),
		},
		grant: grant,
	}}
}

// loginWorld is a world that remembers every secret it has seen.
type loginWorld struct {
	*world
	secrets secrets
}

func (w *loginWorld) tokenFile() string { return w.env["KRYPTOS_TOKEN_FILE"] }

// saved reads the login the CLI saved.
func (w *loginWorld) saved(t *testing.T) *login {
	t.Helper()
	l, err := readLogin(w.tokenFile())
	require.NoError(t, err)
	return l
}

// expire makes the saved access token expired, as it is a day later.
func (w *loginWorld) expire(t *testing.T) {
	t.Helper()
	l := w.saved(t)
	l.Token.Expiry = time.Now().Add(-time.Hour)
	require.NoError(t, writeLogin(w.tokenFile(), l))
}

// active asks the provider whether a token still works.
func (w *loginWorld) active(t *testing.T, token string) bool {
	t.Helper()
	c, err := oauth.New(oauth.Config{Provider: oauth.KryptosAt(w.srv.Issuer()), ClientID: w.srv.ClientID,
		ClientSecret: w.srv.ClientSecret, Native: true})
	require.NoError(t, err)
	in, err := c.Introspect(context.Background(), token)
	require.NoError(t, err)
	return in.Active
}

// secrets are every secret the world knows of: the client secret, the
// Connect access token, and every token the token file has held.
type secrets struct {
	mu   sync.Mutex
	seen []string
}

func (s *secrets) add(tokens ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tok := range tokens {
		if tok != "" {
			s.seen = append(s.seen, tok)
		}
	}
}

func (s *secrets) check(t *testing.T, what string, outputs ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, out := range outputs {
		for _, secret := range s.seen {
			assert.NotContains(t, out, secret, "%s printed a secret", what)
		}
	}
}

// remember adds the tokens in the token file now to the secrets that no
// output may show.
func (w *loginWorld) remember() {
	s := &w.secrets
	s.add(w.srv.ClientSecret, w.grant.AccessToken.Reveal())
	if l, err := readLogin(w.tokenFile()); err == nil {
		s.add(l.Token.AccessToken, l.Token.RefreshToken)
	}
}

// runAs runs the CLI in-process with a browser, and checks that no secret
// (the client secret, any token the file has held, before or after) appears
// in any output or on the page the browser was shown.
func (w *loginWorld) runAs(t *testing.T, ctx context.Context, b *browser, args ...string) result {
	t.Helper()
	w.remember()
	var stdout, stderr bytes.Buffer
	a := &app{ctx: ctx, getenv: func(k string) string { return w.env[k] }, stdout: &stdout, stderr: &stderr}
	a.openBrowser = func(string) error {
		t.Error("a browser was opened where the test gave none")
		return errors.New("no browser in this test")
	}
	if b != nil {
		a.openBrowser = b.open
	}
	code := a.execute(args)
	if b != nil {
		b.wait(t)
	}
	r := result{code, stdout.String(), stderr.String()}
	w.remember()
	outputs := []string{r.stdout, r.stderr}
	if b != nil {
		outputs = append(outputs, b.page)
	}
	w.secrets.check(t, fmt.Sprintf("kryptos %v", args), outputs...)
	return r
}

func (w *loginWorld) login(t *testing.T, b *browser, args ...string) result {
	t.Helper()
	return w.runAs(t, context.Background(), b, append([]string{"login"}, args...)...)
}

// data runs a command without a browser, with the same checks.
func (w *loginWorld) data(t *testing.T, args ...string) result {
	t.Helper()
	return w.runAs(t, context.Background(), nil, args...)
}

// browser plays the developer's browser: it loads the authorization URL
// (the sandbox's consent page), submits the consent form with Allow or Deny
// as email, and follows the redirect to the CLI's loopback callback, as a
// real browser does. It runs on the CLI's goroutine for opening browsers,
// so it asserts and never stops the test itself.
type browser struct {
	t     *testing.T
	email string
	allow bool
	// edit, when set, changes the callback URL before it is followed.
	edit func(*url.URL)

	called  atomic.Bool
	done    chan struct{}
	authURL string
	page    string
	status  int
}

func newBrowser(t *testing.T, allow bool) *browser {
	return &browser{t: t, email: alex, allow: allow, done: make(chan struct{})}
}

var (
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	formRequest = regexp.MustCompile(`name="request" value="([^"]+)"`)
)

func (b *browser) open(authURL string) error {
	b.called.Store(true)
	defer close(b.done)
	b.authURL = authURL
	hc := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	consentPage, err := get(hc, authURL)
	if !assert.NoError(b.t, err) {
		return err
	}
	action, request := formAction.FindStringSubmatch(consentPage), formRequest.FindStringSubmatch(consentPage)
	if !assert.NotNil(b.t, action, consentPage) || !assert.NotNil(b.t, request, consentPage) {
		return fmt.Errorf("no consent form")
	}
	decision := "deny"
	if b.allow {
		decision = "allow"
	}
	resp, err := hc.PostForm(action[1], url.Values{"request": {request[1]}, "email": {b.email}, "decision": {decision}})
	if !assert.NoError(b.t, err) {
		return err
	}
	resp.Body.Close()
	if !assert.Equal(b.t, http.StatusFound, resp.StatusCode) {
		return fmt.Errorf("consent answered %d", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if !assert.NoError(b.t, err) {
		return err
	}
	if b.edit != nil {
		b.edit(back)
	}
	resp, err = hc.Get(back.String())
	if !assert.NoError(b.t, err) {
		return err
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	b.page, b.status = string(page), resp.StatusCode
	return nil
}

func get(hc *http.Client, u string) (string, error) {
	resp, err := hc.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	return string(body), err
}

// wait waits for the browser to be done, if it was opened.
func (b *browser) wait(t *testing.T) {
	t.Helper()
	if !b.called.Load() {
		return
	}
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the browser never finished")
	}
}

func holdingIDs(t *testing.T, out string) []string {
	t.Helper()
	var hs []kryptos.Holding
	require.NoError(t, json.Unmarshal([]byte(out), &hs), out)
	var ids []string
	for _, h := range hs {
		ids = append(ids, h.AssetID)
	}
	return ids
}

func TestLoginSavesATokenTheDataCommandsUse(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	b := newBrowser(t, true)
	r := w.login(t, b)
	require.Equal(t, exitOK, r.code, r.stderr)

	// The browser was sent to the provider with PKCE and a loopback
	// redirect on a port of its own, and the URL was printed too.
	auth, err := url.Parse(b.authURL)
	require.NoError(t, err)
	assert.Equal(t, w.srv.Issuer()+"/auth", auth.Scheme+"://"+auth.Host+auth.Path)
	q := auth.Query()
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/callback$`, q.Get("redirect_uri"))
	assert.Equal(t, oauth.DefaultScopes().String(), q.Get("scope"))
	assert.Contains(t, r.stderr, b.authURL)
	assert.Equal(t, http.StatusOK, b.status)
	assert.Contains(t, b.page, "You can close this tab")

	assert.Contains(t, r.stdout, "Signed in to "+w.srv.Issuer()+" as "+alex)
	assert.Contains(t, r.stdout, w.tokenFile())

	fi, err := os.Stat(w.tokenFile())
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	l := w.saved(t)
	assert.NotEmpty(t, l.Token.AccessToken)
	assert.NotEmpty(t, l.Token.RefreshToken, "offline_access is asked for by default")
	assert.Equal(t, w.srv.Issuer(), l.Issuer)
	assert.Equal(t, w.srv.ClientID, l.ClientID)
	assert.Equal(t, "KRYPTOS_OAUTH_CLIENT_SECRET", l.SecretEnv)
	assert.Equal(t, alex, l.Email)
	assert.NotEmpty(t, l.Subject)
	raw, _ := os.ReadFile(w.tokenFile())
	assert.NotContains(t, string(raw), w.srv.ClientSecret, "the client secret stays in the environment")
	entries, _ := os.ReadDir(filepath.Dir(w.tokenFile()))
	assert.Len(t, entries, 1, "no temporary file is left behind")

	// The data commands read alex's data with the login: no access token
	// in the environment, no client credentials needed.
	r = w.data(t, "--json", "data", "holdings")
	require.Equal(t, exitOK, r.code, r.stderr)
	got := holdingIDs(t, r.stdout)
	require.NotEmpty(t, got)
	w.env["KRYPTOS_ACCESS_TOKEN"] = w.grant.AccessToken.Reveal()
	want := w.data(t, "--json", "data", "holdings")
	require.Equal(t, exitOK, want.code, want.stderr)
	assert.ElementsMatch(t, holdingIDs(t, want.stdout), got, "the login reads alex's own holdings")
}

func TestLoginJSONSaysWhoButNoToken(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	r := w.login(t, newBrowser(t, true), "--json", "--scopes", "openid email portfolios:read")
	require.Equal(t, exitOK, r.code, r.stderr)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
	assert.Equal(t, alex, out["email"])
	assert.Equal(t, w.tokenFile(), out["token_file"])
	assert.Equal(t, "openid email portfolios:read", out["scope"])
	// Without offline_access, no refresh token (seeds 000: offline_access
	// "Enable[s] refresh tokens").
	assert.Equal(t, false, out["refreshable"])
	assert.NotContains(t, out, "access_token")
}

func TestALoginWithoutARefreshTokenSaysToSignInAgain(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	require.NoError(t, writeLogin(w.tokenFile(), &login{Issuer: w.srv.Issuer(), ClientID: w.srv.ClientID,
		SecretEnv: "KRYPTOS_OAUTH_CLIENT_SECRET", Token: tokenOf("eyJ.expired.token", "", time.Now().Add(-time.Hour))}))
	r := w.data(t, "data", "holdings")
	assert.Equal(t, exitOther, r.code)
	assert.Contains(t, r.stderr, "no refresh token: run kryptos login again")
}

func TestTheEnvironmentTokenWinsOverTheLogin(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	// A login whose access token the API does not know.
	require.NoError(t, writeLogin(w.tokenFile(), &login{Issuer: w.srv.Issuer(), ClientID: w.srv.ClientID,
		SecretEnv: "KRYPTOS_OAUTH_CLIENT_SECRET", Token: tokenOf("eyJ.unknown.token", "def50200unknown", time.Now().Add(time.Hour))}))
	r := w.data(t, "data", "holdings")
	assert.Equal(t, exitAPI, r.code, "the login is used: %s", r.stderr)

	w.env["KRYPTOS_ACCESS_TOKEN"] = w.grant.AccessToken.Reveal()
	r = w.data(t, "data", "holdings")
	assert.Equal(t, exitOK, r.code, r.stderr)
}

func TestAnExpiredLoginIsRefreshedAndTheRotatedTokenSaved(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	require.Equal(t, exitOK, w.login(t, newBrowser(t, true)).code)
	first := w.saved(t)

	w.expire(t)
	r := w.data(t, "data", "holdings")
	require.Equal(t, exitOK, r.code, r.stderr)
	second := w.saved(t)
	assert.NotEqual(t, first.Token.AccessToken, second.Token.AccessToken)
	assert.NotEqual(t, first.Token.RefreshToken, second.Token.RefreshToken, "the rotated refresh token is saved")
	assert.True(t, second.Token.Expiry.After(time.Now().Add(time.Hour)))
	assert.Equal(t, alex, second.Email, "the rest of the login is kept")
	assert.False(t, w.active(t, first.Token.RefreshToken), "the first refresh token is spent")
	fi, err := os.Stat(w.tokenFile())
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// The next run refreshes with the saved token: had the spent one been
	// kept, the provider would revoke the whole login.
	w.expire(t)
	r = w.data(t, "data", "ledgers", "--limit", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.NotEqual(t, second.Token.RefreshToken, w.saved(t).Token.RefreshToken)
	assert.True(t, w.active(t, w.saved(t).Token.RefreshToken))

	// Without the client secret, a fresh login still serves; an expired
	// one says what to do.
	delete(w.env, "KRYPTOS_OAUTH_CLIENT_SECRET")
	r = w.data(t, "data", "holdings")
	assert.Equal(t, exitOK, r.code, r.stderr)
	w.expire(t)
	r = w.data(t, "data", "holdings")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "KRYPTOS_OAUTH_CLIENT_SECRET")
	assert.Contains(t, r.stderr, "kryptos login")
}

func TestConcurrentRunsShareOneRefresh(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	require.Equal(t, exitOK, w.login(t, newBrowser(t, true)).code)
	w.expire(t)
	var wg sync.WaitGroup
	codes := make([]result, 3)
	for i := range codes {
		wg.Go(func() { codes[i] = w.data(t, "data", "holdings") })
	}
	wg.Wait()
	for _, r := range codes {
		assert.Equal(t, exitOK, r.code, r.stderr)
	}
	// One refresh: a second one with the same token would have revoked
	// the login.
	assert.True(t, w.active(t, w.saved(t).Token.RefreshToken))
	_, err := os.Stat(w.tokenFile() + ".lock")
	assert.ErrorIs(t, err, os.ErrNotExist, "the lock is released")
}

func TestLoginDeniedSavesNothing(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	b := newBrowser(t, false)
	r := w.login(t, b)
	assert.Equal(t, exitAPI, r.code)
	assert.Contains(t, r.stderr, "you declined")
	assert.Contains(t, r.stderr, "run kryptos login again")
	errLine := r.stderr[strings.Index(r.stderr, "kryptos: "):]
	assert.Equal(t, 1, strings.Count(errLine, "\n"), "the error is one line, the last: %q", r.stderr)
	assert.Equal(t, http.StatusBadRequest, b.status)
	assert.Contains(t, b.page, "you declined")
	assert.NoFileExists(t, w.tokenFile())
}

func TestLoginRefusesAnAnswerWithAnotherState(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	b := newBrowser(t, true)
	b.edit = func(u *url.URL) {
		q := u.Query()
		q.Set("state", strings.Repeat("A", 43))
		u.RawQuery = q.Encode()
	}
	r := w.login(t, b)
	assert.Equal(t, exitOther, r.code)
	assert.Contains(t, r.stderr, "state does not match")
	assert.Contains(t, r.stderr, "run kryptos login again")
	assert.Equal(t, http.StatusBadRequest, b.status)
	assert.NoFileExists(t, w.tokenFile())
}

func TestLoginGivesUpAfterTheTimeoutOrCtrlC(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	r := w.login(t, nil, "--no-browser", "--timeout", "50ms")
	assert.Equal(t, exitOther, r.code)
	assert.Contains(t, r.stderr, "no answer from the browser within 50ms")
	assert.Contains(t, r.stderr, "run kryptos login again")
	assert.Contains(t, r.stderr, w.srv.Issuer()+"/auth?", "the URL is printed for another machine's browser")
	assert.NoFileExists(t, w.tokenFile())

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	r = w.runAs(t, ctx, nil, "login", "--no-browser", "--timeout", "1m")
	assert.Equal(t, exitOther, r.code)
	assert.Contains(t, r.stderr, "interrupted")
	assert.Less(t, time.Since(start), 10*time.Second)
}

// TestLoginOnAFixedPortForSSH plays the developer who forwarded a port
// over SSH and opens the printed URL themselves.
func TestLoginOnAFixedPortForSSH(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	addr, err := (&netListen{}).free()
	require.NoError(t, err)
	_, port, _ := strings.Cut(addr, ":")
	var stdout, stderr syncBuffer
	a := &app{ctx: context.Background(), getenv: func(k string) string { return w.env[k] }, stdout: &stdout, stderr: &stderr,
		openBrowser: func(string) error { t.Error("--no-browser opened a browser"); return nil }}
	done := make(chan int, 1)
	go func() { done <- a.execute([]string{"login", "--no-browser", "--port", port}) }()
	printed := regexp.MustCompile(`(?m)^  (http://\S+/oidc/auth\?\S+)$`)
	require.Eventually(t, func() bool { return printed.MatchString(stderr.String()) }, 5*time.Second, 5*time.Millisecond)
	authURL := printed.FindStringSubmatch(stderr.String())[1]
	u, _ := url.Parse(authURL)
	assert.Equal(t, "http://127.0.0.1:"+port+"/callback", u.Query().Get("redirect_uri"))
	b := newBrowser(t, true)
	require.NoError(t, b.open(authURL))
	require.Equal(t, exitOK, <-done, stderr.String())
	assert.Contains(t, stdout.String(), "Signed in")
	w.remember()
	w.secrets.check(t, "kryptos login --no-browser", stdout.String(), stderr.String(), b.page)
}

func TestLoginSettingsSayWhatToDo(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		msg  string
	}{
		{"no client id", []string{"login"}, map[string]string{"KRYPTOS_OAUTH_CLIENT_ID": ""}, exitUsage, "KRYPTOS_OAUTH_CLIENT_ID"},
		{"no secret", []string{"login"}, map[string]string{"KRYPTOS_OAUTH_CLIENT_SECRET": ""}, exitUsage, "KRYPTOS_OAUTH_CLIENT_SECRET"},
		{"secret elsewhere", []string{"login", "--oauth-client-secret-env", "MY_SECRET"}, nil, exitUsage, "MY_SECRET"},
		{"no openid", []string{"login", "--scopes", "portfolios:read"}, nil, exitUsage, "openid"},
		{"bad timeout", []string{"login", "--timeout", "0s"}, nil, exitUsage, "--timeout"},
		{"bad port", []string{"login", "--port", "70000"}, nil, exitUsage, "--port"},
		{"wrong secret", []string{"login"}, map[string]string{"KRYPTOS_OAUTH_CLIENT_SECRET": "wrong"}, exitAPI, "KRYPTOS_OAUTH_CLIENT_SECRET"},
		{"no token, no login", []string{"data", "holdings"}, nil, exitUsage, "kryptos login"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ww := &loginWorld{world: &world{srv: w.srv, grant: w.grant, env: map[string]string{}}}
			for k, v := range w.env {
				ww.env[k] = v
			}
			ww.env["KRYPTOS_TOKEN_FILE"] = filepath.Join(t.TempDir(), "login.json")
			for k, v := range tc.env {
				ww.env[k] = v
			}
			r := ww.runAs(t, context.Background(), newBrowser(t, true), tc.args...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.msg)
			assert.NoFileExists(t, ww.tokenFile())
		})
	}
}

func TestALoginIsUsedOnlyAgainstItsIssuer(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	require.Equal(t, exitOK, w.login(t, newBrowser(t, true)).code)
	other := kryptostest.NewServer()
	defer other.Close()
	w.env["KRYPTOS_SANDBOX_URL"] = other.URL
	r := w.data(t, "data", "holdings")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "is for "+w.srv.Issuer())
	assert.Contains(t, r.stderr, "kryptos login")
}

func TestLogoutRevokesAndDeletes(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	require.Equal(t, exitOK, w.login(t, newBrowser(t, true)).code)
	l := w.saved(t)

	r := w.data(t, "logout")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Signed out")
	assert.Empty(t, r.stderr)
	assert.NoFileExists(t, w.tokenFile())
	assert.False(t, w.active(t, l.Token.RefreshToken), "revoked at the provider")
	assert.False(t, w.active(t, l.Token.AccessToken), "with its access token")

	r = w.data(t, "logout")
	assert.Equal(t, exitOK, r.code, "logging out twice is fine: %s", r.stderr)
	assert.Contains(t, r.stdout, "Not signed in")

	// A revoked login that comes back (a copy, a backup) says to sign in
	// again when it needs a refresh.
	l.Token.Expiry = time.Now().Add(-time.Hour)
	require.NoError(t, writeLogin(w.tokenFile(), l))
	r = w.data(t, "data", "holdings")
	assert.Equal(t, exitAPI, r.code)
	assert.Contains(t, r.stderr, "your login has ended")
	assert.Contains(t, r.stderr, "run kryptos login again")

	// Without the client secret, nothing can be revoked: the file goes
	// all the same, with a warning.
	delete(w.env, "KRYPTOS_OAUTH_CLIENT_SECRET")
	r = w.data(t, "logout")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "Could not revoke")
	assert.NoFileExists(t, w.tokenFile())
}

func TestLoginIssuerFollowsFlagsThenEnvironment(t *testing.T) {
	for _, tc := range []struct {
		flag string
		env  map[string]string
		want string
	}{
		{"", nil, oauth.KryptosIssuer},
		{"", map[string]string{"KRYPTOS_SANDBOX_URL": "http://127.0.0.1:8088/"}, "http://127.0.0.1:8088/oidc"},
		{"", map[string]string{"KRYPTOS_SANDBOX_URL": "http://127.0.0.1:8088", "KRYPTOS_OAUTH_ISSUER": "https://oauth.staging.example/oidc/"}, "http://127.0.0.1:8088/oidc"},
		{"", map[string]string{"KRYPTOS_CONNECT_URL": "https://connect.staging.example", "KRYPTOS_OAUTH_ISSUER": "https://oauth.staging.example/oidc/"}, "https://oauth.staging.example/oidc"},
		{"http://127.0.0.1:9000", map[string]string{"KRYPTOS_OAUTH_ISSUER": "https://oauth.staging.example/oidc"}, "http://127.0.0.1:9000/oidc"},
	} {
		a := &app{sandboxURL: tc.flag, getenv: func(k string) string { return tc.env[k] }}
		assert.Equal(t, tc.want, a.issuer(), "%+v", tc)
	}
}

// A login is sent only to the API of its issuer. The data commands call
// KRYPTOS_SANDBOX_URL whenever it is set (it beats KRYPTOS_CONNECT_URL and
// KRYPTOS_DATA_URL, and KRYPTOS_OAUTH_ISSUER goes with those), so the
// issuer they expect must be the sandbox's too: with KRYPTOS_OAUTH_ISSUER
// left over in the shell, a login made at that issuer must not be sent as
// a Bearer token to whatever KRYPTOS_SANDBOX_URL points at.
func TestALoginIsNotSentToASandboxThatDidNotIssueIt(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	// Sign in at w.srv through KRYPTOS_OAUTH_ISSUER (a staging stack, say).
	w.env["KRYPTOS_OAUTH_ISSUER"] = w.srv.Issuer()
	delete(w.env, "KRYPTOS_SANDBOX_URL")
	w.env["KRYPTOS_CONNECT_URL"], w.env["KRYPTOS_DATA_URL"] = w.srv.URL, w.srv.URL
	require.Equal(t, exitOK, w.login(t, newBrowser(t, true)).code)
	l := w.saved(t)
	require.Equal(t, w.srv.Issuer(), l.Issuer)

	// Later, the developer exports KRYPTOS_SANDBOX_URL as kryptos sandbox
	// tells them to, for some other sandbox.
	var mu sync.Mutex
	var seen []string
	other := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		rw.WriteHeader(http.StatusUnauthorized)
	}))
	defer other.Close()
	w.env["KRYPTOS_SANDBOX_URL"] = other.URL

	r := w.data(t, "data", "holdings")
	mu.Lock()
	defer mu.Unlock()
	for _, h := range seen {
		assert.False(t, strings.Contains(h, l.Token.AccessToken), "the login's access token was sent to %s, which did not issue it", other.URL)
	}
	assert.Empty(t, seen, "no request may reach a sandbox the login is not for")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "is for "+w.srv.Issuer())
}

// kryptos logout revokes with the client secret of the environment it runs
// in. A login made against another API (a sandbox on a loopback port, long
// stopped) must not be revoked there with this environment's secret, which
// is another client's (here the live one's): any process now on that port
// would receive it. loginUser refuses a login of another issuer for the
// same reason; logout must too, and then delete the file as it does when
// it cannot revoke.
func TestLogoutSendsNoSecretToAnotherIssuer(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies []string
	squatter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, r.URL.Path+" "+r.Header.Get("Authorization")+" "+string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer squatter.Close()

	path := filepath.Join(t.TempDir(), "login.json")
	// Saved by kryptos login against a sandbox that listened there.
	require.NoError(t, writeLogin(path, &login{
		Issuer: squatter.URL + "/oidc", ClientID: "sandbox_client", SecretEnv: "KRYPTOS_OAUTH_CLIENT_SECRET",
		Token: &oauth2.Token{AccessToken: "at_sandbox", RefreshToken: "rt_sandbox", Expiry: time.Now().Add(time.Hour)},
	}))
	const liveSecret = "live-oauth-client-secret"
	env := map[string]string{
		"KRYPTOS_TOKEN_FILE": path,
		// The developer's environment is now the live API's.
		"KRYPTOS_OAUTH_CLIENT_ID":     "live_client",
		"KRYPTOS_OAUTH_CLIENT_SECRET": liveSecret,
	}
	var stdout, stderr bytes.Buffer
	code := runContext(context.Background(), []string{"logout"}, func(k string) string { return env[k] }, &stdout, &stderr, false)

	mu.Lock()
	defer mu.Unlock()
	for _, b := range bodies {
		assert.NotContains(t, b, liveSecret, "logout sent this environment's client secret to %s", squatter.URL)
	}
	assert.Equal(t, exitOK, code, stderr.String())
	assert.NoFileExists(t, path)
	assert.Contains(t, stderr.String(), "Could not revoke")
}

// OAUTH.md, Errors: "A 401 from a data call means the access token
// expired: refresh, then retry once." The saved login's expiry is the
// CLI's own reckoning (expires_in counted from its clock); when the
// provider ends the access token sooner (a clock behind the provider's, a
// token revoked), the data command must refresh with the saved refresh
// token and try once more, as kryptos.TokenSource does for an
// oauth.TokenSource, instead of failing with a 401 while a working refresh
// token sits in the file.
func TestALoginRefusedBeforeItsExpiryIsRefreshed(t *testing.T) {
	t.Parallel()
	clock := kryptostest.NewFakeClock(time.Now())
	srv := kryptostest.NewServer(kryptostest.WithClock(clock))
	t.Cleanup(srv.Close)
	grant := connectEthereum(t, srv, kryptostest.LinkUser{Email: alex})
	w := &loginWorld{world: &world{
		srv: srv,
		env: map[string]string{
			"KRYPTOS_SANDBOX_URL":         srv.URL,
			"KRYPTOS_OAUTH_CLIENT_ID":     srv.ClientID,
			"KRYPTOS_OAUTH_CLIENT_SECRET": srv.ClientSecret,
			"KRYPTOS_TOKEN_FILE":          filepath.Join(t.TempDir(), "login.json"),
		},
		grant: grant,
	}}
	require.Equal(t, exitOK, w.login(t, newBrowser(t, true)).code)
	before := w.saved(t)
	require.True(t, before.Token.Valid(), "the file says the access token is good for a day")

	// The provider's clock is a day and an hour ahead: it has ended the
	// access token, not the refresh token (30 days).
	clock.Advance(25 * time.Hour)

	r := w.data(t, "--json", "data", "holdings")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.NotEqual(t, before.Token.RefreshToken, w.saved(t).Token.RefreshToken, "refreshed, and the rotated token saved")
}
