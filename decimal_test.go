package kryptos

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestEveryAcceptedDecimalComparesExactly: ParseDecimal accepts an
// exponent of any length (DATA-API.md §1.4 decimal strings "accept e.g.
// "0", "-0.000001", "1e3""), but math/big refuses exponents past a million,
// so Rat reported such a number as null and Cmp ordered 1e1000001 below 1
// and -1e1000001 equal to 1e1000001. A Decimal either holds an exact value
// or is refused when parsed.
func TestEveryAcceptedDecimalComparesExactly(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"1e1000001", "-1e1000001", "1e-1000001", "0.5e9999999999"} {
		d, err := ParseDecimal(s)
		if err != nil {
			continue // refused: fine
		}
		_, ok := d.Rat()
		assert.True(t, ok, "%s was accepted, so it has an exact value", s)
		if s == "1e1000001" {
			assert.Equal(t, 1, d.Cmp(MustDecimal("1")), "1e1000001 > 1")
		}
	}
	// What the docs show still parses and compares.
	assert.Equal(t, 1, MustDecimal("1e3").Cmp(MustDecimal("999.999999999999999999")))
	assert.Equal(t, -1, MustDecimal("-0.000001").Cmp(MustDecimal("0")))
	assert.Equal(t, 1, MustDecimal("1e9999").Cmp(MustDecimal("1e9998")))
}
