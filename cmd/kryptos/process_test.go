//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
	"github.com/stretchr/testify/require"
)

// The tests in this file run the kryptos program as a user does: built
// (without the race detector, as it ships), in its own process, against a
// sandbox that `kryptos sandbox` serves in another. They need Linux for a
// process's peak memory (getrusage) and for a pseudo-terminal.

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// program builds the kryptos command once for the test binary's run and
// returns its path.
func program(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "kryptos-cli-"); buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", buildDir, ".").CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, string(out)}
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(buildDir, "kryptos")
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// sandboxProcess runs `kryptos sandbox` on a free loopback port with the
// given extra flags until the test ends, and returns its URL.
func sandboxProcess(t *testing.T, flags ...string) string {
	t.Helper()
	cmd := exec.Command(program(t), append([]string{"sandbox", "--addr", "127.0.0.1:0"}, flags...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	first, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, stdout) // the rest of the banner
	const prefix = "Kryptos Connect sandbox listening on "
	require.True(t, strings.HasPrefix(first, prefix), first)
	return strings.TrimSpace(strings.TrimPrefix(first, prefix))
}

// guest connects a Guest user with the Ethereum test wallet to the sandbox
// at url, as a backend and the widget would over HTTP, and returns the
// user's access token, user ID and wallet ID.
func guest(t *testing.T, url string) (token, userID, walletID string) {
	t.Helper()
	ctx := context.Background()
	client, err := kryptos.NewClient("sandbox_client", "sandbox_secret", kryptos.WithSandbox(url))
	require.NoError(t, err)
	lt, err := client.CreateLinkToken(ctx, kryptos.LinkTokenParams{})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url+"/widget/complete", strings.NewReader(
		`{"guest": true, "wallets": [{"provider": "ethereum", "address": "`+kryptostest.EthereumTestAddress+`"}]}`))
	require.NoError(t, err)
	req.Header.Set("X-LINK-TOKEN", lt.Token.Reveal())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var answer struct {
		Data struct {
			PublicToken string `json:"public_token"`
		} `json:"data"`
	}
	require.NoError(t, decodeJSON(resp, &answer))
	grant, err := client.ExchangePublicToken(ctx, answer.Data.PublicToken)
	require.NoError(t, err)
	session, err := client.CheckSession(ctx, grant.AccessToken.Reveal())
	require.NoError(t, err)
	for in, err := range client.User(grant.Credential()).ListIntegrations(ctx, kryptos.IntegrationsParams{}) {
		require.NoError(t, err)
		walletID = in.ID
	}
	require.NotEmpty(t, walletID)
	return grant.AccessToken.Reveal(), session.UserID, walletID
}

// environ is the environment of the kryptos program run against url.
func environ(url, token string) []string {
	return append(os.Environ(),
		"KRYPTOS_SANDBOX_URL="+url,
		"KRYPTOS_CLIENT_ID=sandbox_client",
		"KRYPTOS_CLIENT_SECRET=sandbox_secret",
		"KRYPTOS_ACCESS_TOKEN="+token,
	)
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return &httpStatusError{resp.Status, string(b)}
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

type httpStatusError struct{ status, body string }

func (e *httpStatusError) Error() string { return e.status + ": " + e.body }
