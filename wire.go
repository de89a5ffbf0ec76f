package kryptos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Shared decoding of the API's answers. Required fields are checked by the
// answer's check method; optional fields are read leniently: a value in an
// odd form (a number sent as a string, a date in another layout, a wrong
// JSON type) is noted and left at its zero value, and the call still
// succeeds. An answer that carries a token must never be thrown away for
// the sake of an expiry or a workspace ID. The notes are logged as a
// warning with the operation and request ID.

// oddities collects the notes of one answer's optional fields.
type oddities []string

// noter is implemented by answers that collect oddities.
type noter interface {
	notes() oddities
}

func (o *oddities) add(field string, raw json.RawMessage, want string) {
	if len(raw) > 64 {
		raw = append(raw[:61:61], "..."...)
	}
	*o = append(*o, fmt.Sprintf("%s: want %s, got %s", field, want, raw))
}

// absent reports whether raw is missing or null.
func absent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// str reads an optional string.
func (o *oddities) str(field string, raw json.RawMessage) string {
	if absent(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		o.add(field, raw, "a string")
	}
	return s
}

// boolean reads an optional boolean; the strings "true" and "false" are
// accepted too.
func (o *oddities) boolean(field string, raw json.RawMessage) bool {
	b, ok := parseBool(bytes.TrimSpace(raw))
	if !ok {
		o.add(field, raw, "true or false")
	}
	return b
}

func parseBool(raw []byte) (b, ok bool) {
	switch string(raw) {
	case "", "null", "false", `"false"`:
		return false, true
	case "true", `"true"`:
		return true, true
	}
	return false, false
}

// The opt types are the optional fields of an answer decoded in one pass
// with its envelope: each reads itself leniently, and keeps a value it
// cannot read in bad, a copy (the body's buffer is reused once the call
// ends), for the answer's notes. A field that is absent or null is left at
// its zero value without a note.

// optString is an optional string.
type optString struct {
	s   string
	bad json.RawMessage
}

func (o *optString) UnmarshalJSON(b []byte) error {
	*o = optString{} // the last of repeated keys wins, as for a plain field
	if absent(b) {
		return nil
	}
	// The common case, a string without escapes in valid UTF-8, is what
	// encoding/json would decode it to.
	if len(b) >= 2 && b[0] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 && utf8.Valid(b) {
		o.s = string(b[1 : len(b)-1])
		return nil
	}
	if json.Unmarshal(b, &o.s) != nil {
		o.s, o.bad = "", keep(b)
	}
	return nil
}

func (o *optString) note(odd *oddities, field string) { odd.note(field, o.bad, "a string") }

// noteSecret notes a token field that could not be read without repeating
// its value, which may still hold the secret.
func (o *optString) noteSecret(odd *oddities, field string) {
	if o.bad != nil {
		*odd = append(*odd, fmt.Sprintf("%s: want a string, got %s", field, jsonKind(o.bad)))
	}
}

// optScopes is an optional list of scopes, in any form Scopes reads.
type optScopes struct {
	s   Scopes
	bad json.RawMessage
}

func (o *optScopes) UnmarshalJSON(b []byte) error {
	*o = optScopes{} // the last of repeated keys wins, as for a plain field
	if absent(b) {
		return nil
	}
	if o.s.UnmarshalJSON(b) != nil {
		o.s, o.bad = nil, keep(b)
	}
	return nil
}

func (o *optScopes) note(odd *oddities, field string) {
	odd.note(field, o.bad, "a space-separated string")
}

// optBool is an optional boolean; the strings "true" and "false" are read
// too.
type optBool struct {
	b   bool
	bad json.RawMessage
}

func (o *optBool) UnmarshalJSON(b []byte) error {
	*o = optBool{} // the last of repeated keys wins, as for a plain field
	var ok bool
	if o.b, ok = parseBool(b); !ok {
		o.bad = keep(b)
	}
	return nil
}

func (o *optBool) note(odd *oddities, field string) { odd.note(field, o.bad, "true or false") }

// optSeconds is an optional duration in seconds: a JSON number, or a string
// holding one.
type optSeconds struct {
	d   time.Duration
	bad json.RawMessage
}

func (o *optSeconds) UnmarshalJSON(b []byte) error {
	*o = optSeconds{} // the last of repeated keys wins, as for a plain field
	if absent(b) {
		return nil
	}
	secs, err := strconv.ParseFloat(strings.Trim(string(b), `"`), 64)
	if err != nil || !(secs >= 0 && secs <= float64(1<<63-1)/float64(time.Second)) { // NaN too
		o.bad = keep(b)
		return nil
	}
	o.d = time.Duration(secs * float64(time.Second))
	return nil
}

func (o *optSeconds) note(odd *oddities, field string) {
	odd.note(field, o.bad, "a number of seconds")
}

// optTime is an optional time, in any form parseTime reads.
type optTime struct {
	t   time.Time
	bad json.RawMessage
}

func (o *optTime) UnmarshalJSON(b []byte) error {
	*o = optTime{} // the last of repeated keys wins, as for a plain field
	if absent(b) {
		return nil
	}
	var ok bool
	if o.t, ok = parseTime(b); !ok {
		o.bad = keep(b)
	}
	return nil
}

func (o *optTime) note(odd *oddities, field string) { odd.note(field, o.bad, "an RFC 3339 time") }

// note adds the note of a field that could not be read, if it was not.
func (o *oddities) note(field string, bad json.RawMessage, want string) {
	if bad != nil {
		o.add(field, bad, want)
	}
}

// keep copies a value out of the body's buffer.
func keep(b []byte) json.RawMessage { return append(json.RawMessage(nil), b...) }

// jsonKind names the JSON type of a value, for a note that must not repeat
// it.
func jsonKind(raw json.RawMessage) string {
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// timeLayouts are the layouts a time string is tried in, RFC 3339 first.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", time.RFC1123, "2006-01-02"}

// parseTime reads a JSON time: a string in one of timeLayouts, or a number
// of Unix milliseconds. Zero milliseconds is the zero time: the API sends 0
// for "never".
func parseTime(raw json.RawMessage) (time.Time, bool) {
	if len(raw) > 0 && raw[0] == '"' {
		var t time.Time
		if t.UnmarshalJSON(raw) == nil { // RFC 3339, parsed from the bytes
			return t, true
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return time.Time{}, false
		}
		for _, layout := range timeLayouts[1:] {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(raw), 64)
		if ferr != nil || f != f || f < 0 || f > 1e15 {
			return time.Time{}, false
		}
		ms = int64(f)
	}
	if ms == 0 {
		return time.Time{}, true
	}
	return time.UnixMilli(ms).UTC(), true
}

// Timestamp is a time in the API's answers, which the docs send either as an
// RFC 3339 string or as a number of Unix milliseconds. Zero milliseconds and
// null decode as the zero time ("never"); a value in neither form fails the
// decoding. It has every method of time.Time, and encodes as RFC 3339.
type Timestamp struct{ time.Time }

// UnmarshalJSON decodes an RFC 3339 string or a number of Unix
// milliseconds.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if absent(b) {
		t.Time = time.Time{}
		return nil
	}
	parsed, ok := parseTime(b)
	if !ok {
		return fmt.Errorf("kryptos: want an RFC 3339 time or Unix milliseconds, got %.64s", b)
	}
	t.Time = parsed
	return nil
}
