package kryptos

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The prefixes of the API's identifiers and tokens (API.md §3).
const (
	prefixAccessToken = "cat_"
	prefixPublicToken = "public_"
	prefixGrantID     = "cgrant_"
)

// Length bounds of arguments: far above any real identifier or token, far
// below a pasted file. A longer value is refused before anything is sent.
const (
	maxIDBytes   = 1 << 10
	maxTextBytes = 4 << 10
)

// maxSafeInteger is the largest integer a JSON number carries exactly to a
// JavaScript backend: 2^53 - 1.
const maxSafeInteger = 1<<53 - 1

func isControl(r rune) bool { return unicode.IsControl(r) }

// checkText accepts a credential, token or identifier: not empty, valid
// UTF-8, and without white space or control characters, which would break a
// header (CR, LF) or hide a copy-and-paste mistake.
func checkText(field, v string) error {
	switch {
	case v == "":
		return &ParamError{field, "must not be empty"}
	case !utf8.ValidString(v):
		return &ParamError{field, "must be valid UTF-8"}
	case strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return &ParamError{field, "must not contain spaces or control characters such as CR or LF"}
	}
	return nil
}

// checkID accepts an identifier or token of at most maxIDBytes.
func checkID(field, v string) error {
	if err := checkText(field, v); err != nil {
		return err
	}
	if len(v) > maxIDBytes {
		return &ParamError{field, fmt.Sprintf("is longer than %d bytes; is it really an identifier?", maxIDBytes)}
	}
	return nil
}

// checkLength accepts optional free text of at most maxTextBytes.
func checkLength(field, v string) error {
	if len(v) > maxTextBytes {
		return &ParamError{field, fmt.Sprintf("is longer than %d bytes", maxTextBytes)}
	}
	if !utf8.ValidString(v) {
		return &ParamError{field, "must be valid UTF-8"}
	}
	return nil
}

// checkPrefixed accepts a token or identifier that starts with the API's
// prefix for its kind and has something after it.
func checkPrefixed(field, v, prefix string) error {
	if err := checkID(field, v); err != nil {
		return err
	}
	if len(v) <= len(prefix) || !strings.HasPrefix(v, prefix) {
		return &ParamError{field, "must start with " + prefix + " (is it the right kind of token?)"}
	}
	return nil
}

// checkSegment accepts an identifier that goes into a URL path. It is
// escaped there anyway; refusing these characters catches mistakes early
// and keeps a proxy that decodes paths from seeing another route.
func checkSegment(field, v string) error {
	if err := checkID(field, v); err != nil {
		return err
	}
	if v == "." || v == ".." || strings.ContainsAny(v, `/\?#%`) {
		return &ParamError{field, `must not be "." or ".." or contain / \ ? # or %`}
	}
	return nil
}
