package httpcore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"
)

// envelope is every answer shape the API documents: {success, data} and
// {success: false, error, code} on the Connect endpoints, {success, message}
// on revoke, and the data API's {error, error_description} and
// {error: {code, message}}.
type envelope struct {
	Success *bool `json:"success"`
	// Data holds the caller's out pointer, so data is decoded in the same
	// pass as the envelope instead of being copied out and decoded again.
	Data             any             `json:"data"`
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
	Code             string          `json:"code"`
	Message          string          `json:"message"`
}

// decode turns the final response of a call into out, or into a *Failure.
func (c *Core) decode(st *attemptState, resp *http.Response, out any) error {
	oneShot := st.call.Policy == OneShot
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	f := &Failure{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"), Attempts: st.attempts}
	f.RetryAfter, _ = RetryAfter(resp.Header, time.Now())

	body, err := readBody(resp.Body, resp.ContentLength, c.maxBody)
	if err != nil {
		f.Err, f.Message = err, err.Error()
		// A success we could not read may still have had its effect.
		f.Ambiguous = oneShot && (ok || resp.StatusCode >= 500)
		return f
	}
	var env envelope
	if ok {
		env.Data = out
		if out == nil {
			env.Data = &struct{}{}
		}
	}
	if err := json.Unmarshal(body, &env); err != nil {
		if ok {
			f.Err = fmt.Errorf("%w: %w", ErrMalformed, err)
			f.Message = f.Err.Error()
			f.Ambiguous = oneShot
			return f
		}
		f.Message = describeNonJSON(resp, len(body))
		f.Ambiguous = oneShot && resp.StatusCode >= 500
		return f
	}
	if ok && (env.Success == nil || *env.Success) {
		return nil
	}
	f.Code, f.Message = env.failure()
	if f.Message == "" {
		f.Message = statusText(resp.StatusCode)
	}
	f.Ambiguous = (oneShot && resp.StatusCode >= 500) ||
		(st.call.ConsumedCode != "" && f.Code == st.call.ConsumedCode && st.attempts > 1)
	return f
}

// failure extracts the code and message of an error envelope, whichever of
// the documented shapes it has.
func (e *envelope) failure() (code, message string) {
	code, message = e.Code, e.Message
	if len(e.Error) == 0 {
		return code, message
	}
	var text string
	if json.Unmarshal(e.Error, &text) == nil {
		if e.ErrorDescription != "" && code == "" {
			// OAuth style: error is the code, error_description the text.
			return text, e.ErrorDescription
		}
		return code, text
	}
	var nested struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(e.Error, &nested) == nil {
		if code == "" {
			code = nested.Code
		}
		if nested.Message != "" {
			message = nested.Message
		}
	}
	return code, message
}

// readBody reads a whole body, failing with ErrBodyTooLarge past limit bytes.
// It sizes its buffer from Content-Length when the server sent one.
func readBody(r io.Reader, contentLength, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if contentLength > 0 && contentLength <= limit {
		buf.Grow(int(contentLength) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	if n > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, limit)
	}
	return buf.Bytes(), nil
}

// describeNonJSON names an answer that is not JSON, such as a proxy's HTML
// error page, without repeating its body.
func describeNonJSON(resp *http.Response, size int) string {
	if size == 0 {
		return statusText(resp.StatusCode) + " (empty body)"
	}
	media, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || media == "" {
		media = "unlabelled"
	}
	return fmt.Sprintf("%s (%s body of %d bytes, not the API's JSON)", statusText(resp.StatusCode), media, size)
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "unexpected status"
}
