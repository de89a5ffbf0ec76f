package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/oauth2"
)

// The saved login: what kryptos login writes and the data commands read. It
// is one JSON file, readable only by its owner, replaced whole (a temporary
// file renamed over it) so that a crash or a concurrent reader never sees
// half a file, and a refreshed token is never lost: with Kryptos' rotating
// refresh tokens, the one in the file is the only one that works.

// login is the content of the token file: the tokens, and what refreshing
// and revoking them needs, except the client secret, which stays in the
// environment variable the file names.
type login struct {
	// Issuer is the provider that issued the tokens; they are used only
	// against the API of the same issuer.
	Issuer   string `json:"issuer"`
	ClientID string `json:"client_id"`
	// SecretEnv names the environment variable that held the client secret
	// at login, read again to refresh and revoke.
	SecretEnv string `json:"client_secret_env"`
	// Subject and Email say who signed in, from the ID token.
	Subject string `json:"subject,omitempty"`
	Email   string `json:"email,omitempty"`
	// Scope is what the user granted.
	Scope string        `json:"scope,omitempty"`
	Token *oauth2.Token `json:"token"`
}

// tokenFileEnv overrides where the login is kept, as GH_CONFIG_DIR and
// CLOUDSDK_CONFIG do for gh and gcloud: every command reads the same
// variable, so no command needs a flag for it.
const tokenFileEnv = "KRYPTOS_TOKEN_FILE"

// tokenPath returns where the login is kept: $KRYPTOS_TOKEN_FILE, or
// kryptos/login.json in the user's config directory.
func (a *app) tokenPath() (string, error) {
	if p := a.getenv(tokenFileEnv); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", usagef("cannot find your config directory (%v): set %s to the file that keeps your login", err, tokenFileEnv)
	}
	return filepath.Join(dir, "kryptos", "login.json"), nil
}

// readLogin reads the login kept at path; the error matches fs.ErrNotExist
// when there is none.
func readLogin(path string) (*login, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var l login
	if err := json.Unmarshal(b, &l); err != nil || l.Token == nil || l.Issuer == "" || l.ClientID == "" {
		return nil, fmt.Errorf("%s is not a saved login: remove it, or run kryptos login to replace it", path)
	}
	return &l, nil
}

// writeLogin replaces the login kept at path, atomically, with a file
// only its owner can read.
func writeLogin(path string, l *login) error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving the login: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".login-*.tmp")
	if err != nil {
		return fmt.Errorf("saving the login: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing left to remove
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(append(b, '\n'))
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("saving the login to %s: %w", path, err)
	}
	// The rename is durable once the directory is; not every system can
	// sync a directory, and the file is whole either way.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// tokenFile is the saved login as an oauth.TokenStore: a TokenSource loads
// the latest token from it and saves each refreshed token to it before
// using that token.
type tokenFile struct {
	path string
	// login holds everything but the token, which Save replaces.
	login login
	// loaded is the refresh token Load found last: the one a refresh
	// spends, so the one the file must still hold when its result is
	// saved (the refresh lock keeps other kryptos processes from changing
	// it meanwhile; kryptos login and logout do not take that lock).
	loaded string
}

// Load returns the token in the file now: another kryptos process may have
// refreshed it since this one read it. A login of another issuer or
// client (a kryptos login run meanwhile) is not this one's: its token goes
// only to the API of its issuer, which the caller checked for this login
// alone.
func (f *tokenFile) Load(context.Context) (*oauth2.Token, error) {
	l, err := readLogin(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !f.same(l) {
		// Another API's, another client's or another user's: this command
		// reads the data of the user it started with, or none.
		return nil, f.replaced(l)
	}
	f.loaded = l.Token.RefreshToken
	return l.Token, nil
}

// Save replaces the token in the file, if the file still holds this login:
// a kryptos login for another API or client, or a kryptos logout, made
// while this command ran, is not undone by writing the old login back.
func (f *tokenFile) Save(_ context.Context, tok *oauth2.Token) error {
	now, err := readLogin(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the login in %s was signed out of while this command ran", f.path)
	}
	if err != nil {
		return err
	}
	spent := f.loaded
	if spent == "" && f.login.Token != nil {
		spent = f.login.Token.RefreshToken // not loaded since the command read the login
	}
	if !f.same(now) || now.Token.RefreshToken != spent {
		return f.replaced(now)
	}
	l := f.login
	l.Token = tok
	if err := writeLogin(f.path, &l); err != nil {
		return err
	}
	f.loaded = tok.RefreshToken
	return nil
}

// same reports whether l is a login of the same API, client and user as
// the one this command started with.
func (f *tokenFile) same(l *login) bool {
	return l.Issuer == f.login.Issuer && l.ClientID == f.login.ClientID && l.Subject == f.login.Subject
}

// replaced is the error of finding l in the file instead of this login.
func (f *tokenFile) replaced(l *login) error {
	return fmt.Errorf("the login in %s was replaced by one for %s while this command ran: run it again", f.path, l.Issuer)
}

// fileLock is an oauth.RefreshLock between the kryptos processes that
// share a token file, such as two data exports run at once: the one that
// holds it refreshes, the other then finds the refreshed token in the file
// instead of spending the same refresh token, which the provider would take
// for a stolen one and revoke with the whole login. It is a file created
// exclusively next to the token file, which works on every system; a lock
// left by a process that died is taken over after stale.
type fileLock struct {
	path  string
	stale time.Duration
	poll  time.Duration
}

func newFileLock(tokenPath string) fileLock {
	return fileLock{path: tokenPath + ".lock", stale: time.Minute, poll: 20 * time.Millisecond}
}

// Lock blocks until this process holds the lock, or ctx ends.
func (l fileLock) Lock(ctx context.Context) (func(), error) {
	for {
		f, err := os.OpenFile(l.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			_ = f.Close()
			return func() { _ = os.Remove(l.path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if fi, err := os.Stat(l.path); err == nil && time.Since(fi.ModTime()) > l.stale {
			_ = os.Remove(l.path)
			continue
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(l.poll):
		}
	}
}
