package kryptos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
)

// Decimal is an exact decimal number as the data API sends it: a string
// such as "3200.000000000000000001" (ledger quantities and balances, cost
// basis, proceeds, profit). It keeps the text exactly, is never parsed as a
// float behind your back, and converts to *big.Rat or *big.Float on
// request. The zero Decimal is "no value" (the API's null); a present zero
// is "0".
type Decimal struct{ text string }

// decimalPattern accepts what the API sends: an optional sign, digits with
// an optional fraction, and an optional exponent ("1e3") of at most five
// digits: with the 128 characters ParseDecimal allows, math/big then always
// has the exact value (it refuses exponents past a million, which Rat and
// Cmp would take for null).
var decimalPattern = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,5})?$`)

// ParseDecimal reads a decimal number such as "0", "-0.000001" or "1e3". It
// fails with a *ParamError for anything else.
func ParseDecimal(s string) (Decimal, error) {
	if len(s) > 128 || !decimalPattern.MatchString(s) {
		return Decimal{}, fmt.Errorf("kryptos: %w", &ParamError{"decimal", fmt.Sprintf("%.40q is not a decimal number", s)})
	}
	return Decimal{s}, nil
}

// MustDecimal is ParseDecimal for constants in your code; it panics on a
// malformed number.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Valid reports whether d holds a number: false for the API's null.
func (d Decimal) Valid() bool { return d.text != "" }

// String returns the number exactly as the API sent it, or "" for null.
func (d Decimal) String() string { return d.text }

// Rat returns the exact value; false for null.
func (d Decimal) Rat() (*big.Rat, bool) {
	if d.text == "" {
		return nil, false
	}
	return new(big.Rat).SetString(d.text)
}

// Float returns the value as a big.Float with prec bits of mantissa (0
// means 128), rounded to nearest; false for null.
func (d Decimal) Float(prec uint) (*big.Float, bool) {
	if d.text == "" {
		return nil, false
	}
	if prec == 0 {
		prec = 128
	}
	f, _, err := big.ParseFloat(d.text, 10, prec, big.ToNearestEven)
	return f, err == nil
}

// Cmp compares d and e exactly: -1, 0 or +1. A null Decimal is less than
// any number.
func (d Decimal) Cmp(e Decimal) int {
	a, okA := d.Rat()
	b, okB := e.Rat()
	switch {
	case !okA && !okB:
		return 0
	case !okA:
		return -1
	case !okB:
		return 1
	}
	return a.Cmp(b)
}

// MarshalJSON encodes the number as the API does, as a JSON string, or null.
func (d Decimal) MarshalJSON() ([]byte, error) {
	if d.text == "" {
		return []byte("null"), nil
	}
	return json.Marshal(d.text)
}

// UnmarshalJSON decodes a JSON string holding a number (the documented
// form), a bare JSON number (kept as its exact text), or null.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*d = Decimal{}
		return nil
	}
	text := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		if text == "" {
			*d = Decimal{}
			return nil
		}
	}
	parsed, err := ParseDecimal(text)
	if err != nil {
		return fmt.Errorf("kryptos: want a decimal number, got %.40s", b)
	}
	*d = parsed
	return nil
}
