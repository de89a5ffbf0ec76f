package connecthttp_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/kryptos-connect/kryptos-go/connecthttp"
)

// A Key's Secret is the AES-256 key that seals every stored access token
// (each one reads a user's data for 15 years). Printing or logging a Key,
// or a slice of them loaded from configuration, must not write it, as
// printing a kryptos.Secret or a kryptos.Client does not.
func TestKeyFormatHidesSecret(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdefTOPSECRETAES-KEY")
	k := connecthttp.Key{ID: "2026-11", Secret: secret}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("keys", "primary", k)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("keys", "keys", []connecthttp.Key{k})
	for name, out := range map[string]string{
		"%v":        fmt.Sprintf("%v", k),
		"%+v":       fmt.Sprintf("%+v", []connecthttp.Key{k}),
		"%#v":       fmt.Sprintf("%#v", &k),
		"%x":        fmt.Sprintf("%x", k),
		"slog text": text.String(),
		"slog json": js.String(),
	} {
		if strings.Contains(out, "TOPSECRET") || strings.Contains(out, fmt.Sprint(secret)) ||
			strings.Contains(out, fmt.Sprintf("%x", secret)) || strings.Contains(out, fmt.Sprintf("%#v", secret)) || strings.Contains(out, "MDEyMzQ1Njc4OWFiY2RlZlRPUFNFQ1JFVEFFUy1LRVk") {
			t.Errorf("%s of a Key reveals its secret: %s", name, out)
		}
	}
}
