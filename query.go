package kryptos

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// query builds the query string of a data API call from a params struct.
// Zero values are left out, so the API applies its own defaults; each
// setter checks its value and keeps the first problem, for check to return
// before anything is sent.
type query struct {
	v   url.Values
	err error
}

func newQuery() *query { return &query{v: url.Values{}} }

// str sets a text parameter, bounded in length.
func (q *query) str(name, v string) *query {
	if v == "" {
		return q
	}
	if err := checkLength("params."+name, v); err != nil && q.err == nil {
		q.err = err
	}
	q.v.Set(name, v)
	return q
}

// id sets an identifier parameter: one word, bounded in length.
func (q *query) id(name, v string) *query {
	if v == "" {
		return q
	}
	if err := checkID("params."+name, v); err != nil && q.err == nil {
		q.err = err
	}
	q.v.Set(name, v)
	return q
}

// list sets a comma-separated list parameter (DATA-API.md's "CSV"). Its
// entries must not hold a comma themselves.
func (q *query) list(name string, values []string) *query {
	if len(values) == 0 {
		return q
	}
	for _, v := range values {
		if v == "" || strings.Contains(v, ",") {
			if q.err == nil {
				q.err = &ParamError{"params." + name, "entries must be non-empty and hold no comma"}
			}
			return q
		}
	}
	joined := strings.Join(values, ",")
	if err := checkLength("params."+name, joined); err != nil && q.err == nil {
		q.err = err
	}
	q.v.Set(name, joined)
	return q
}

// flag sets a boolean parameter to "true" when v is set; an unset *bool is
// left out.
func (q *query) flag(name string, v *bool) *query {
	if v != nil {
		q.v.Set(name, strconv.FormatBool(*v))
	}
	return q
}

// number sets a number parameter when v is set.
func (q *query) number(name string, v *float64) *query {
	if v != nil {
		q.v.Set(name, strconv.FormatFloat(*v, 'f', -1, 64))
	}
	return q
}

// decimal sets a decimal-string parameter when d holds a number.
func (q *query) decimal(name string, d Decimal) *query {
	if d.Valid() {
		q.v.Set(name, d.String())
	}
	return q
}

// millis sets a time parameter as Unix milliseconds, when t is not zero.
func (q *query) millis(name string, t time.Time) *query {
	if !t.IsZero() {
		q.v.Set(name, strconv.FormatInt(t.UnixMilli(), 10))
	}
	return q
}

// millisFrom sets the start of a time range as Unix milliseconds, rounded
// up: a start inside a millisecond must not bring back what happened in
// that millisecond before it. The API's times are whole milliseconds, so
// nothing at or after t is left out.
func (q *query) millisFrom(name string, t time.Time) *query {
	if !t.IsZero() {
		ms := t.UnixMilli()
		if t.Sub(time.UnixMilli(ms)) > 0 {
			ms++
		}
		q.v.Set(name, strconv.FormatInt(ms, 10))
	}
	return q
}

// oneOf sets a parameter that takes one of a few values.
func (q *query) oneOf(name, v string, allowed ...string) *query {
	if v == "" {
		return q
	}
	for _, a := range allowed {
		if v == a {
			q.v.Set(name, v)
			return q
		}
	}
	if q.err == nil {
		q.err = &ParamError{"params." + name, "must be one of " + strings.Join(allowed, ", ")}
	}
	return q
}

// check returns the first problem found, or nil.
func (q *query) check() error { return q.err }
