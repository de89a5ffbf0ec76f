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

	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"

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

// TestANullTransactionLimitDoesNotCrash: API.md §2 documents the
// transaction-limit answer as "`transaction_limit` (int or null),
// `enable_limiter` (bool or null)". The quickstart dereferences
// limit.TransactionLimit unchecked, so an answer with null panics the
// program (or the request handler of a backend that copies the step).
func TestANullTransactionLimitDoesNotCrash(t *testing.T) {
	t.Parallel()
	srv := kryptostest.NewServer(kryptostest.WithSyncTimings(10*time.Millisecond, 10*time.Millisecond))
	defer srv.Close()
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	// The API, answering the limit change with transaction_limit null, as
	// the docs allow.
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if !strings.HasSuffix(resp.Request.URL.Path, "/transaction-limit") {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		var env map[string]any
		if err := json.Unmarshal(body, &env); err != nil {
			return err
		}
		if data, ok := env["data"].(map[string]any); ok {
			data["transaction_limit"] = nil
		}
		body, _ = json.Marshal(env)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	api := httptest.NewServer(proxy)
	defer api.Close()

	client, err := kryptos.NewClient(srv.ClientID, srv.ClientSecret, kryptos.WithSandbox(api.URL))
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{
		client: client,
		widget: func(lt kryptos.Secret) (string, error) {
			return srv.CompleteLink(lt, kryptostest.LinkUser{Guest: true,
				Wallets: []kryptostest.Wallet{{Provider: "ethereum", Address: kryptostest.EthereumTestAddress}}})
		},
		poll:  50 * time.Millisecond,
		close: func() {},
	}
	var out bytes.Buffer
	err = func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return walk(context.Background(), b, &out)
	}()
	if err != nil {
		t.Fatalf("walk with a null transaction_limit = %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Done.") {
		t.Errorf("the walk did not finish:\n%s", out.String())
	}
}
