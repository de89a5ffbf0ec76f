package httpcore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strings"
)

// Envelope holds the fields of every answer shape the API documents beside
// its data: {success, data} and {success: false, error, code} on the Connect
// endpoints, {success, message} on revoke, the data API's bare {data, meta},
// and its error shapes {error, error_description} and {error: {code,
// message}}.
type Envelope struct {
	Success          *bool           `json:"success"`
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
	Code             string          `json:"code"`
	Message          string          `json:"message"`
	// Details is the wrapped errors' details object, such as
	// VALIDATION_ERROR's {"issues": [...]}.
	Details json.RawMessage `json:"details"`
}

// envelope is an answer whose data goes to the caller's out pointer, so
// that data is decoded in the same pass as the envelope instead of being
// copied out and decoded again.
type envelope struct {
	Envelope
	Data any `json:"data"`
}

// ignored is the data of an answer that nobody reads: any JSON value.
type ignored struct{}

func (*ignored) UnmarshalJSON([]byte) error { return nil }

var discard = &ignored{}

// Whole is implemented by an out value that decodes the whole answer, not
// only its data: the data API's list answers keep their paging fields beside
// data. It embeds Envelope, so the answer is still decoded in one pass.
type Whole interface {
	WholeEnvelope() *Envelope
}

// decode turns a final answer that was read whole into out, or returns the
// *Failure that describes it. A success costs no Failure.
func (x *run) decode(meta Meta, out any) *Failure {
	status, body := x.last.status, x.body
	ok := isSuccess(status)
	if ok && len(bytes.TrimSpace(body)) == 0 {
		if x.spec.NoData {
			return nil
		}
		return malformed(meta, fmt.Errorf("%w: an empty body", ErrMalformed))
	}
	var env *Envelope
	var target any
	if w, whole := out.(Whole); whole && ok {
		env, target = w.WholeEnvelope(), out
	} else {
		e := &x.env // the run's, so that it is not allocated for each call
		*e = envelope{}
		if ok {
			e.Data = out
			if out == nil {
				e.Data = discard
			}
		}
		env, target = &e.Envelope, e
	}
	if err := json.Unmarshal(body, target); err != nil {
		if ok {
			if x.spec.NoData {
				return nil // any body: nobody reads it
			}
			return malformed(meta, fmt.Errorf("%w: %w", ErrMalformed, misfit(err)))
		}
		return &Failure{Meta: meta, Message: describeNonJSON(x.last.header, status, len(body))}
	}
	if ok && (env.Success == nil || *env.Success) {
		return nil
	}
	f := &Failure{Meta: meta}
	f.Code, f.Message = env.failure()
	if len(env.Details) > 0 && string(env.Details) != "null" {
		f.Details = append(json.RawMessage(nil), env.Details...) // out of the reused body buffer
	}
	if f.Message == "" {
		f.Message = statusText(status)
	}
	return f
}

// misfit tells a JSON value of the wrong type by where it is in the answer
// and by JSON types: encoding/json names Go types and the decoders' private
// wrappers ("Go struct field .plain.isSpam of type bool"). The
// *json.UnmarshalTypeError stays in the chain.
func misfit(err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Type == nil {
		return err
	}
	var path []string
	for _, seg := range strings.Split(te.Field, ".") {
		if seg != "" && seg != "plain" { // the decoders' name for a type without its UnmarshalJSON
			path = append(path, seg)
		}
	}
	where := "the answer"
	if len(path) > 0 {
		where = strings.Join(path, ".")
	}
	return &misfitError{te, where}
}

type misfitError struct {
	*json.UnmarshalTypeError
	where string
}

func (e *misfitError) Error() string {
	return fmt.Sprintf("%s is a JSON %s, where the SDK expects %s", e.where, e.Value, jsonKind(e.Type))
}

func (e *misfitError) Unwrap() error { return e.UnmarshalTypeError }

// jsonKind names the JSON type that decodes into t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another type"
}

// malformed is the Failure of a success that is not the JSON the operation
// expects.
func malformed(meta Meta, err error) *Failure {
	return &Failure{Meta: meta, Message: err.Error(), Err: err}
}

// failure extracts the code and message of an error envelope, whichever of
// the documented shapes it has.
func (e *Envelope) failure() (code, message string) {
	code, message = e.Code, e.Message
	if len(e.Error) == 0 {
		return code, message
	}
	var text string
	if json.Unmarshal(e.Error, &text) == nil {
		if code == "" && (e.ErrorDescription != "" || (e.Success == nil && isCodeWord(text))) {
			// OAuth style (no success field): error is the code,
			// error_description the text, which OAuth makes optional.
			if e.ErrorDescription != "" {
				message = e.ErrorDescription
			}
			return text, message
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

// isCodeWord reports whether s reads as an error code such as
// "insufficient_scope" rather than a sentence: one word of ASCII letters,
// digits and underscores.
func isCodeWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// describeNonJSON names an answer that is not JSON, such as a proxy's HTML
// error page, without repeating its body.
func describeNonJSON(h http.Header, status, size int) string {
	if size == 0 {
		return statusText(status) + " (empty body)"
	}
	media, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || media == "" {
		media = "unlabelled"
	}
	return fmt.Sprintf("%s (%s body of %d bytes, not the API's JSON)", statusText(status), media, size)
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "unexpected status"
}
