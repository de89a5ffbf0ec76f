package httpcore

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvelopeFailureShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		body, code, message string
	}{
		{`{"success":false,"error":"Error message","code":"ERROR_CODE"}`, "ERROR_CODE", "Error message"},
		{`{"error":"invalid_token","error_description":"The access token expired"}`, "invalid_token", "The access token expired"},
		{`{"error":{"code":"NOT_FOUND","message":"missing"}}`, "NOT_FOUND", "missing"},
		{`{"error":{"code":"NOT_FOUND"},"message":"outer"}`, "NOT_FOUND", "outer"},
		{`{"error":{"message":"inner"},"code":"OUTER"}`, "OUTER", "inner"},
		{`{"success":false,"message":"only a message"}`, "", "only a message"},
		{`{"error":42,"code":"C"}`, "C", ""},
		{`{"error":"text","code":"C","error_description":"ignored when a code is sent"}`, "C", "text"},
	}
	for _, tc := range cases {
		var env envelope
		require.NoError(t, json.Unmarshal([]byte(tc.body), &env))
		code, message := env.failure()
		assert.Equal(t, tc.code, code, tc.body)
		assert.Equal(t, tc.message, message, tc.body)
	}
}

func TestBodyOverTheCap(t *testing.T) {
	t.Parallel()
	for _, chunked := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if chunked {
				w.(http.Flusher).Flush() // no Content-Length
			}
			_, _ = w.Write([]byte(`{"success":true,"data":"` + strings.Repeat("x", 2000) + `"}`))
		}))
		c := newCore(t, srv.URL, func(cfg *Config) { cfg.MaxBodyBytes = 1000 })
		err := c.Do(context.Background(), &Call{Method: http.MethodGet, Path: "/", Policy: OneShot}, nil)
		var f *Failure
		require.ErrorAs(t, err, &f)
		assert.ErrorIs(t, err, ErrBodyTooLarge)
		assert.True(t, f.Ambiguous, "a success we could not read may have had its effect")
		srv.Close()
	}
}

func TestAttemptsAreLoggedWithoutSecrets(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(429)
	}))
	defer srv.Close()
	var buf bytes.Buffer
	c := newCore(t, srv.URL, func(cfg *Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg.Header = http.Header{"X-Client-Secret": {"hunter2"}}
		cfg.MaxRetries = 0
		cfg.AttemptTimeout = 20 * time.Millisecond
	})
	_ = c.Do(context.Background(), &Call{Op: "Op429", Method: http.MethodPost, Path: "/limited", Body: map[string]string{"public_token": "public_zzz"}}, nil)
	err := c.Do(context.Background(), &Call{Op: "OpSlow", Method: http.MethodGet, Path: "/slow"}, nil)
	require.ErrorIs(t, err, ErrAttemptTimeout)

	logs := buf.String()
	assert.Contains(t, logs, `level=WARN msg="kryptos: attempt" op=Op429 attempt=1 method=POST path=/limited`)
	assert.Contains(t, logs, "status=429")
	assert.Contains(t, logs, `op=OpSlow`)
	assert.Contains(t, logs, `error="attempt timed out after 20ms`)
	assert.NotContains(t, logs, "hunter2")
	assert.NotContains(t, logs, "public_zzz")
}
