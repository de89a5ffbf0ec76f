package kryptos

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAPriceReadsItsTimeInEitherForm(t *testing.T) {
	t.Parallel()
	want := Price{Price: 3200, BaseCurrency: "USD", Timestamp: time.UnixMilli(1721088000000).UTC(), Source: "cmc"}
	for _, body := range []string{
		`{"price":3200,"baseCurrency":"USD","timestamp":1721088000000,"source":"cmc"}`,
		`{"price":3200,"baseCurrency":"USD","timestamp":"2024-07-16T00:00:00.000Z","source":"cmc"}`,
	} {
		var p Price
		require.NoError(t, json.Unmarshal([]byte(body), &p), body)
		assert.True(t, want.Timestamp.Equal(p.Timestamp), body)
		p.Timestamp = want.Timestamp
		assert.Equal(t, want, p, body)
	}
	var p Price
	require.NoError(t, json.Unmarshal([]byte(`{"price":1,"timestamp":0}`), &p))
	assert.True(t, p.Timestamp.IsZero(), "0 means unknown")
	assert.Error(t, json.Unmarshal([]byte(`{"timestamp":"soon"}`), &p))
}
