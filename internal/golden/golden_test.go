package golden

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSameShape(t *testing.T) {
	t.Parallel()
	want := `{"data":[{"id":"a","n":1,"ok":true,"tags":[],"pool":{},"note":null,"price":{"v":1}}],"total":9}`
	cases := []struct {
		name, got string
		nullable  []string
		problems  []string
	}{
		{"same shape, other values", `{"data":[{"id":"b","n":2.5,"ok":false,"tags":["x"],"pool":{"k":1},"note":"s","price":{"v":3}},{"id":"c","n":0,"ok":true,"tags":[],"pool":{},"note":null,"price":{"v":0}}],"total":0}`, nil, nil},
		{"missing and extra keys", `{"data":[{"id":"b","n":2,"ok":true,"tags":[],"pool":{},"note":null,"price":{"w":1}}],"total":1,"more":1}`, nil,
			[]string{"data[].price.v: missing", "data[].price.w: not in the sample", "more: not in the sample"}},
		{"a number as a string", `{"data":[{"id":"b","n":"2","ok":true,"tags":[],"pool":{},"note":null,"price":{"v":1}}],"total":1}`, nil,
			[]string{"data[].n: a string where the sample has a number"}},
		{"null where a value is documented", `{"data":[{"id":null,"n":1,"ok":true,"tags":[],"pool":{},"note":null,"price":{"v":1}}],"total":1}`, nil,
			[]string{"data[].id: null where the sample has a string"}},
		{"null where nullable", `{"data":[{"id":null,"n":1,"ok":true,"tags":[],"pool":{},"note":null,"price":{"v":1}}],"total":1}`, []string{"data[].id"}, nil},
		{"an empty list cannot be compared", `{"data":[],"total":0}`, nil,
			[]string{"data: empty in the answer wherever the sample has entries: nothing to compare"}},
		{"an empty inner list beside a full one", `{"data":[{"id":"b","n":1,"ok":true,"tags":[],"pool":{},"note":null,"price":{"v":1}},{"id":"c","n":1,"ok":true,"tags":[],"pool":{},"note":null,"price":{"v":1}}],"total":2}`, nil, nil},
	}
	for _, tc := range cases {
		err := SameShape([]byte(want), []byte(tc.got), Options{Nullable: tc.nullable})
		if tc.problems == nil {
			assert.NoError(t, err, tc.name)
			continue
		}
		require.Error(t, err, tc.name)
		for _, p := range tc.problems {
			assert.Contains(t, err.Error(), p, tc.name)
		}
		assert.Equal(t, len(tc.problems), strings.Count(err.Error(), "\n  "), tc.name)
	}
	assert.Error(t, SameShape([]byte(want), []byte(`{`), Options{}))
}

func TestEverySampleIsValidJSON(t *testing.T) {
	t.Parallel()
	names, err := Names()
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, n := range names {
		b, err := Load(n)
		require.NoError(t, err)
		assert.True(t, json.Valid(b), n)
		assert.NoError(t, SameShape(b, b, Options{}), "%s has its own shape", n)
	}
}
