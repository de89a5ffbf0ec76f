package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/kryptos-connect/kryptos-go/webhook"
)

// A Handler holds the webhook signing secrets. Like kryptos.Client and
// oauth.Client, which hold the client secret and print without it, no
// formatting or log record of a Handler may reveal them: whoever reads the
// log could forge deliveries.
func TestHandlerFormatHidesSecrets(t *testing.T) {
	t.Parallel()
	const secret = "whsec_TOPSECRETSIGNINGKEY"
	h, err := webhook.NewHandler([]string{secret, "old-" + secret}, func(context.Context, *webhook.Event) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("receiver", "handler", h)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("receiver", "handler", h)
	for name, out := range map[string]string{
		"%v":        fmt.Sprintf("%v", h),
		"%+v":       fmt.Sprintf("%+v", h),
		"%#v":       fmt.Sprintf("%#v", h),
		"slog text": text.String(),
		"slog json": js.String(),
	} {
		if strings.Contains(out, "TOPSECRET") {
			t.Errorf("%s of a webhook.Handler reveals its signing secret: %s", name, out)
		}
	}
}
