package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/httpcore"
	"github.com/kryptos-connect/kryptos-go/internal/redact"
)

// providerError turns an OAuth error answer ({error, error_description},
// or the bare {error} some providers send) into a *kryptos.Error, whose
// code matches kryptos.ErrInvalidGrant, ErrInvalidClient, ErrAccessDenied,
// ErrInvalidScope, ErrUnsupportedGrantType, ErrInvalidRequest... The
// client secret and the request's secrets (a code, a verifier, a token)
// are masked if the provider echoed them, and so is anything shaped like a
// Kryptos token. A 429's wait (Retry-After or retry_after) is kept.
func (c *Client) providerError(op string, err error, secrets ...string) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("oauth: %s: %w", op, err)
	}
	secrets = append(secrets, c.oauth.ClientSecret)
	scrub := func(s string) string { return redact.OneLine(redact.Secrets(s, secrets)) }
	e := &kryptos.Error{Code: scrub(re.ErrorCode), Message: scrub(re.ErrorDescription)}
	if re.Response != nil {
		e.StatusCode = re.Response.StatusCode
		e.RequestID = redact.OneLine(re.Response.Header.Get("X-Request-Id"))
		e.RetryAfter, _ = httpcore.RetryAfter(re.Response.Header, time.Now())
	}
	if e.Code == "" && e.Message == "" {
		e.Message = http.StatusText(e.StatusCode)
	}
	return fmt.Errorf("oauth: %s: %w", op, e)
}

// callbackError is the error the provider reported through the redirect,
// such as error=access_denied when the user declined. Its StatusCode is 0:
// no HTTP answer carried it.
func callbackError(op, code, description string) error {
	return fmt.Errorf("oauth: %s: %w", op, &kryptos.Error{Code: redact.OneLine(code), Message: redact.OneLine(description)})
}
