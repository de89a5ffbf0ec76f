package kryptos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
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
	switch string(bytes.TrimSpace(raw)) {
	case "", "null", "false", `"false"`:
		return false
	case "true", `"true"`:
		return true
	}
	o.add(field, raw, "true or false")
	return false
}

// seconds reads an optional duration in seconds: a JSON number, or a string
// holding one.
func (o *oddities) seconds(field string, raw json.RawMessage) time.Duration {
	if absent(raw) {
		return 0
	}
	text := strings.Trim(string(raw), `"`)
	secs, err := strconv.ParseFloat(text, 64)
	if err != nil || secs < 0 || secs > float64(1<<63-1)/float64(time.Second) {
		o.add(field, raw, "a number of seconds")
		return 0
	}
	return time.Duration(secs * float64(time.Second))
}

// timestamp reads an optional time: an RFC 3339 string (the documented
// form), a few other common layouts, or a number of Unix milliseconds.
func (o *oddities) timestamp(field string, raw json.RawMessage) time.Time {
	if absent(raw) {
		return time.Time{}
	}
	if t, ok := parseTime(raw); ok {
		return t
	}
	o.add(field, raw, "an RFC 3339 time")
	return time.Time{}
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
