package main

import (
	"bytes"
	"encoding/json"
)

// zeroTime is how encoding/json writes a time.Time the API sent as null or
// did not send (the SDK's types keep it as the zero time).
const zeroTime = `"0001-01-01T00:00:00Z"`

// nullZeroTimes rewrites the JSON value b with every string value that is
// the zero time as null, keeping everything else as it was: key order,
// numbers as written, and strings that only contain the zero time. The
// --json output is for programs, and "0001-01-01T00:00:00Z" reads as a real
// date where the API said there is none (DATA-API.md: deletedAt null).
func nullZeroTimes(b []byte) []byte {
	if !bytes.Contains(b, []byte(zeroTime)) {
		return b
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out bytes.Buffer
	// Each open container: '{' or '['; in an object, whether the next
	// string is a key; and whether a separator is due.
	type level struct {
		object, key, more bool
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if err != nil {
			if out.Len() == 0 || len(stack) > 0 {
				return b // not reached: b was marshalled by encoding/json
			}
			return out.Bytes()
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out.WriteByte(byte(d))
			stack = stack[:len(stack)-1]
			continue
		}
		isKey := false
		if n := len(stack); n > 0 {
			top := &stack[n-1]
			switch {
			case top.object && top.key:
				if top.more {
					out.WriteByte(',')
				}
				isKey, top.key, top.more = true, false, true
			case top.object:
				out.WriteByte(':')
				top.key = true
			default:
				if top.more {
					out.WriteByte(',')
				}
				top.more = true
			}
		}
		switch v := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(v))
			stack = append(stack, level{object: v == '{', key: v == '{'})
		case string:
			if !isKey && `"`+v+`"` == zeroTime {
				out.WriteString("null")
				continue
			}
			s, _ := json.Marshal(v)
			out.Write(s)
		case json.Number:
			out.WriteString(v.String())
		case bool:
			if v {
				out.WriteString("true")
			} else {
				out.WriteString("false")
			}
		case nil:
			out.WriteString("null")
		}
	}
}
