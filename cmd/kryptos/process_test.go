//go:build linux

package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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

// environ is the environment of the kryptos program run against url.
func environ(url, token string) []string {
	return append(os.Environ(),
		"KRYPTOS_SANDBOX_URL="+url,
		"KRYPTOS_CLIENT_ID=sandbox_client",
		"KRYPTOS_CLIENT_SECRET=sandbox_secret",
		"KRYPTOS_ACCESS_TOKEN="+token,
	)
}
