package httpcore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
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
		var env Envelope
		require.NoError(t, json.Unmarshal([]byte(tc.body), &env))
		code, message := env.failure()
		assert.Equal(t, tc.code, code, tc.body)
		assert.Equal(t, tc.message, message, tc.body)
	}
}

func TestAttemptsAreLoggedWithoutSecrets(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/slow" {
			<-r.Context().Done()
			return
		}
		w.Header().Set("retry_after", "30")
		w.WriteHeader(429)
	})
	var buf bytes.Buffer
	c := newCore(t, func(cfg *Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg.Header = http.Header{"X-Client-Secret": {"hunter2"}}
		cfg.MaxRetries = 0
		cfg.AttemptTimeout = 20 * time.Millisecond
	})
	_, _ = c.Do(context.Background(), &Call{Op: "Op429", Method: http.MethodPost, URL: srv.URL + "/limited?q=1",
		Body: []byte(`{"public_token":"public_zzz"}`)}, nil)
	_, err := c.Do(context.Background(), &Call{Op: "OpSlow", Method: http.MethodGet, URL: srv.URL + "/slow"}, nil)
	require.ErrorIs(t, err, ErrAttemptTimeout)

	logs := buf.String()
	assert.Contains(t, logs, `level=WARN msg="kryptos: attempt" op=Op429 attempt=1 method=POST path=/limited`)
	assert.Contains(t, logs, "status=429 retry_after=30s")
	assert.Contains(t, logs, `op=OpSlow`)
	assert.Contains(t, logs, `error="attempt timed out after 20ms`)
	assert.NotContains(t, logs, "hunter2")
	assert.NotContains(t, logs, "public_zzz")
	assert.NotContains(t, logs, "q=1", "queries stay out of the records")
	assert.NotContains(t, logs, "retryablehttp", "the library's own records are off")
}

// wrapped decodes through the plain-type pattern of the kryptos decoders.
type wrapped struct {
	IsSpam bool `json:"isSpam"`
	Count  int  `json:"count"`
}

func (w *wrapped) UnmarshalJSON(b []byte) error {
	type plain wrapped
	var v struct{ *plain }
	v.plain = (*plain)(w)
	return json.Unmarshal(b, &v)
}

func TestAValueOfTheWrongTypeIsToldByItsJSONPath(t *testing.T) {
	t.Parallel()
	cases := []struct{ body, want string }{
		{`{"data":[{"isSpam":"yes"}]}`, "data.isSpam is a JSON string, where the SDK expects a boolean"},
		{`{"data":[{"count":1.5}]}`, "data.count is a JSON number 1.5, where the SDK expects an integer"},
		{`{"data":"x"}`, "data is a JSON string, where the SDK expects an array"},
	}
	for _, tc := range cases {
		var out []wrapped
		e := envelope{Data: &out}
		err := misfit(json.Unmarshal([]byte(tc.body), &e))
		assert.EqualError(t, err, tc.want, tc.body)
		var te *json.UnmarshalTypeError
		assert.ErrorAs(t, err, &te, "the standard error stays in the chain")
	}
	plain := errors.New("unexpected end of JSON input")
	assert.Same(t, plain, misfit(plain), "other errors pass as they are")
}
