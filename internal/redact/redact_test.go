package redact

import "testing"

func TestSecretsAndTokensAreMasked(t *testing.T) {
	got := Secrets("bad secret s3cr3t for cat_abc.def and public_123, link_x", []string{"s3cr3t", ""})
	want := "bad secret [redacted] for cat_[redacted] and public_[redacted], link_[redacted]"
	if got != want {
		t.Fatalf("Secrets = %q, want %q", got, want)
	}
}

func TestOneLineEscapesControlCharacters(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                   "plain",
		"a\r\nlevel=ERROR forged": `a\r\nlevel=ERROR forged`,
		"bell\a and \x1b[31m":     `bell\a and \x1b[31m`,
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
