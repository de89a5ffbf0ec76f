package httpcore

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// FuzzRetryAfter checks that any header value gives a usable wait or none:
// never negative, and never a panic.
func FuzzRetryAfter(f *testing.F) {
	for _, seed := range []string{"0", "120", "1.5", "-1", "NaN", "Inf", "1e400", "99999999999999999999",
		"Wed, 21 Oct 2015 07:28:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", "", " 7 ", "0x1p-2", "soon"} {
		f.Add(seed, "")
		f.Add("", seed)
	}
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, standard, underscore string) {
		h := http.Header{}
		h.Set("Retry-After", standard)
		h.Set("Retry_after", underscore)
		d, ok := RetryAfter(h, now)
		if d < 0 {
			t.Fatalf("negative wait %v for %q / %q", d, standard, underscore)
		}
		if !ok && d != 0 {
			t.Fatalf("a wait %v without a value", d)
		}
	})
}

// FuzzDecode feeds any status and body to the envelope decoder: it must
// never panic, succeed only on a 2xx, and otherwise return a *Failure that
// keeps the status; a 2xx that fails carries its cause.
func FuzzDecode(f *testing.F) {
	for _, seed := range []struct {
		status int
		body   string
	}{
		{200, `{"success":true,"data":{"v":1}}`},
		{200, `{"success":false,"error":"x","code":"TOKEN_EXPIRED"}`},
		{400, `{"success":false,"error":"Error message","code":"ERROR_CODE"}`},
		{403, `{"error":"insufficient_scope","error_description":"d"}`},
		{404, `{"error":{"code":"NOT_FOUND","message":"m"}}`},
		{502, `<html>Bad Gateway</html>`},
		{401, ``},
		{200, `{"success":true,"data":`},
		{200, `{"data":{"v":"not a number"}}`},
		{429, `{"error":null,"code":1}`},
	} {
		f.Add(seed.status, []byte(seed.body), true)
	}
	c := New(Config{MaxBodyBytes: 1 << 16, Logger: slog.New(slog.DiscardHandler)})
	f.Fuzz(func(t *testing.T, status int, body []byte, noData bool) {
		if status < 100 || status > 999 {
			return
		}
		x := c.newRun()
		x.spec = Call{NoData: noData}
		x.last = attempt{status: status, header: http.Header{}}
		x.body = body
		var out struct{ V int }
		f := x.decode(Meta{StatusCode: status}, &out)
		ok := status >= 200 && status < 300
		if f == nil {
			if !ok {
				t.Fatalf("status %d decoded as a success", status)
			}
			return
		}
		if f.StatusCode != status {
			t.Fatalf("status %d reported as %d", status, f.StatusCode)
		}
		if f.Message == "" {
			t.Fatal("a failure without a message")
		}
		if ok && f.Err == nil && !json.Valid(body) {
			t.Fatalf("a 2xx with a body that is not JSON failed without a cause: %v", f)
		}
	})
}
