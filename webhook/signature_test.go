package webhook

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

const testSecret = "whsec_test_secret"

func TestSignAndVerifyKnownAnswers(t *testing.T) {
	t.Parallel()
	// Computed independently: printf '%s' BODY | openssl dgst -sha256 -hmac SECRET
	body := []byte(`{"id":"whd_1","event":"integration.created"}`)
	want := "84a578e822224918e7c6ed1da49f7cde074b7d56e695f2ae6ceaa72228d74ca3"
	assert.Equal(t, want, Sign(body, testSecret))
	assert.Equal(t, "8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620", Sign(nil, "k"), "an empty body")
	require.NoError(t, Verify(body, want, testSecret))
	require.NoError(t, Verify(body, strings.ToUpper(want), testSecret), "hex is case-insensitive")
	require.NoError(t, Verify(body, " sha256="+want+" ", testSecret))
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"whd_1","event":"costbasis.started","data":{}}`)
	good := Sign(body, testSecret)
	tampered := []byte(strings.Replace(string(body), "started", "failed", 1))
	cases := []struct {
		name string
		body []byte
		sig  string
		want error
	}{
		{"tampered body", tampered, good, ErrSignatureMismatch},
		{"signed with another secret", body, Sign(body, "whsec_other"), ErrSignatureMismatch},
		{"missing", body, "", ErrSignatureMissing},
		{"blank", body, "  ", ErrSignatureMissing},
		{"truncated", body, good[:40], ErrSignatureMalformed},
		{"not hex", body, strings.Repeat("zz", 32), ErrSignatureMalformed},
		{"too long", body, good + "00", ErrSignatureMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(tc.body, tc.sig, testSecret)
			require.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, err, ErrSignature)
			assert.NotContains(t, err.Error(), testSecret)
		})
	}
}

func TestVerifyAcceptsEitherSecretWhileRotating(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"whd_1"}`)
	for _, sig := range []string{Sign(body, "whsec_old"), Sign(body, "whsec_new")} {
		require.NoError(t, Verify(body, sig, "whsec_new", "whsec_old"))
	}
	require.ErrorIs(t, Verify(body, Sign(body, "whsec_old"), "whsec_new"), ErrSignatureMismatch, "after the rotation ends")
}

func TestVerifyRefusesUnusableSecrets(t *testing.T) {
	t.Parallel()
	body := []byte(`{}`)
	sig := Sign(body, testSecret)
	cases := []struct {
		name    string
		secrets []string
		field   string
	}{
		{"none", nil, "secrets"},
		{"an unset variable", []string{""}, "secrets[0]"},
		{"blank", []string{"  \t"}, "secrets[0]"},
		{"a newline read from a file", []string{testSecret + "\n"}, "secrets[0]"},
		{"an unset old secret beside a good one", []string{testSecret, ""}, "secrets[1]"},
	}
	for _, tc := range cases {
		err := Verify(body, sig, tc.secrets...)
		require.ErrorIs(t, err, kryptos.ErrInvalidParams, tc.name)
		var pe *kryptos.ParamError
		require.ErrorAs(t, err, &pe, tc.name)
		assert.Equal(t, tc.field, pe.Field, tc.name)
		assert.NotErrorIs(t, err, ErrSignature, "a configuration error is not a bad delivery")
	}
}
