package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestTheProgramServesTheAPIAndPrintsItsCredentials(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", addr, "-client-id", "cid", "-client-secret", "csecret",
			"-webhook-url", "http://127.0.0.1:1/hooks", "-live-mode", "-no-rate-limits"}, &out)
	}()

	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Press Ctrl+C") }, 5*time.Second, 5*time.Millisecond)
	assert.Contains(t, out.String(), "KRYPTOS_CLIENT_ID=cid")
	assert.Contains(t, out.String(), "Delivering webhooks to http://127.0.0.1:1/hooks")
	assert.Contains(t, out.String(), "KRYPTOS_SANDBOX_URL=http://"+addr)

	// A non-Go caller: create a link token with curl-like requests.
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/link-token", strings.NewReader(`{"scopes":"openid profile"}`))
	req.Header.Set("X-Client-Id", "cid")
	req.Header.Set("X-Client-Secret", "csecret")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var body struct {
		Success bool `json:"success"`
		Data    struct {
			LinkToken string `json:"link_token"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	_ = resp.Body.Close()
	assert.True(t, body.Success)
	assert.Regexp(t, regexp.MustCompile(`^link_[0-9a-f]+$`), body.Data.LinkToken)

	cancel()
	require.NoError(t, <-done)
}

func TestTheProgramReportsBadFlagsAndBusyAddresses(t *testing.T) {
	var out syncBuffer
	assert.Error(t, run(context.Background(), []string{"-nope"}, &out))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	assert.ErrorContains(t, run(context.Background(), []string{"-addr", ln.Addr().String()}, &out), "address already in use")
}
