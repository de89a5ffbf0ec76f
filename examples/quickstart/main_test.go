package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/kryptostest"
)

func TestQuickstartWalksTheWholeFlowOnTheEmbeddedSandbox(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	noEnv := func(string) string { return "" }
	require.NoError(t, run(context.Background(), noEnv, strings.NewReader(""), &out))
	for _, want := range []string{
		"Using the embedded Kryptos sandbox",
		"1. Created a link token", "isAuthorized=false",
		"2. The widget returned a public token.",
		"3. Exchanged it once", "valid 15 years",
		"4. Session valid=true",
		"5. The client has 1 active grant(s).",
		"6. A returning user's link token: has_existing_grant=true",
		"7. Queued a resync", ": in_progress", ": completed",
		"8. Set the Guest user's transaction limit to 10000; 1 integration(s)",
		"re-imported from the start: completed, 240 records.",
		`9. Revoked the grant; the stored token no longer works (reason "grant_revoked")`,
		"Done.",
	} {
		assert.Contains(t, out.String(), want)
	}
	assert.NotRegexp(t, `cat_[0-9a-f]{8}`, out.String(), "the access token is never printed")
}

// TestQuickstartAgainstAnAPIAsksForThePublicToken runs the mode that calls a
// real API, against a sandbox reached only over HTTP: the test plays the
// frontend, completing the widget with the printed link token and pasting
// the public token on stdin.
func TestQuickstartAgainstAnAPIAsksForThePublicToken(t *testing.T) {
	t.Parallel()
	srv := kryptostest.NewServer(kryptostest.WithSyncTimings(10*time.Millisecond, 10*time.Millisecond))
	defer srv.Close()
	env := map[string]string{"KRYPTOS_CLIENT_ID": srv.ClientID, "KRYPTOS_CLIENT_SECRET": srv.ClientSecret, "KRYPTOS_SANDBOX_URL": srv.URL}

	stdinR, stdinW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), func(k string) string { return env[k] }, stdinR, outW)
		_ = outW.Close()
	}()

	var transcript strings.Builder
	linkToken := regexp.MustCompile(`^\s+(link_[0-9a-f]+)$`)
	lines := bufio.NewScanner(outR)
	for lines.Scan() {
		line := lines.Text()
		transcript.WriteString(line + "\n")
		if m := linkToken.FindStringSubmatch(line); m != nil {
			// The user signs in with an email: a Linked user, so step 8
			// has no limit to set.
			public, err := srv.CompleteLink(kryptos.NewSecret(m[1]), kryptostest.LinkUser{
				Email: "ada@example.com", Wallets: []kryptostest.Wallet{{Provider: "solana", Address: kryptostest.SolanaTestAddress}},
			})
			require.NoError(t, err)
			// Write from another goroutine: run prints its prompt before it
			// reads, and both pipes are synchronous.
			go func() { _, _ = io.WriteString(stdinW, public+"\n") }()
		}
	}
	require.NoError(t, <-done)
	assert.Contains(t, transcript.String(), "Using the Kryptos API at "+srv.URL+" as client "+srv.ClientID)
	assert.Contains(t, transcript.String(), "Then paste the public_token")
	assert.Contains(t, transcript.String(), "8. Transaction limits apply to Guest users only")
	assert.Contains(t, transcript.String(), "Done.")
	assert.Equal(t, 1, srv.Stats().TokensExchanged)
}

func TestQuickstartFailsClearly(t *testing.T) {
	t.Parallel()
	srv := kryptostest.NewServer()
	defer srv.Close()
	env := map[string]string{"KRYPTOS_CLIENT_ID": srv.ClientID, "KRYPTOS_CLIENT_SECRET": "wrong", "KRYPTOS_SANDBOX_URL": srv.URL}
	err := run(context.Background(), func(k string) string { return env[k] }, strings.NewReader(""), io.Discard)
	require.ErrorContains(t, err, "INVALID_CLIENT")

	env["KRYPTOS_CLIENT_SECRET"] = srv.ClientSecret
	err = run(context.Background(), func(k string) string { return env[k] }, strings.NewReader(""), io.Discard)
	require.ErrorContains(t, err, "no public token on stdin")

	env["KRYPTOS_SANDBOX_URL"] = "http://example.com"
	err = run(context.Background(), func(k string) string { return env[k] }, strings.NewReader(""), io.Discard)
	require.ErrorContains(t, err, "must use https")
}
