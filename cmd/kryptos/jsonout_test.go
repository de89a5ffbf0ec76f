package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// DATA-API.md, integrations: "`createdAt`, `updatedAt`, `deletedAt` | str
// ISO (`deletedAt` null in sample)", and the sample answer has
// "deletedAt": null; holdings' `lastLedgerTimestamp` is "num? Unix ms |
// calculated-balances only". The --json of the data commands is for
// programs: a time the API sent as null, or did not send, must not come
// out as the Go zero time "0001-01-01T00:00:00Z", which reads as a real
// date (every live integration would look deleted to a program that
// checks deletedAt != null).
func TestDataJSONHasNoZeroTimes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, cmd := range []string{"integrations", "holdings"} {
		r := w.run(t, "--json", "data", cmd)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.False(t, strings.Contains(r.stdout, "0001-01-01T00:00:00Z"), "kryptos data %s --json prints the zero time: %s", cmd, r.stdout)
		var rows []map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &rows), r.stdout)
		require.NotEmpty(t, rows)
		if cmd == "integrations" {
			assert.Contains(t, rows[0], "deletedAt")
			assert.Nil(t, rows[0]["deletedAt"], "the API sent deletedAt: null")
		}
	}
}

// nullZeroTimes changes the zero time and nothing else.
func TestNullZeroTimesKeepsEverythingElse(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"0001-01-01T00:00:00Z","b":[1.50,"x\"0001-01-01T00:00:00Z"],"c":{"d":null,"e":true}}`: `{"a":null,"b":[1.50,"x\"0001-01-01T00:00:00Z"],"c":{"d":null,"e":true}}`,
		`["0001-01-01T00:00:00Z",{}, []]`: `[null,{},[]]`,
		`{"z":1,"a":2}`:                   `{"z":1,"a":2}`,
	} {
		assert.JSONEq(t, want, string(nullZeroTimes([]byte(in))), in)
		assert.True(t, json.Valid(nullZeroTimes([]byte(in))))
	}
	assert.Equal(t, `{"z":1,"a":"0001-01-01T00:00:00Z"}`[:6], string(nullZeroTimes([]byte(`{"z":1,"a":"0001-01-01T00:00:00Z"}`)))[:6], "key order kept")
}
