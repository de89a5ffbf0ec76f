package oauth

import (
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/kryptos-connect/kryptos-go/internal/redact"
)

// providerError turns an OAuth error answer ({error, error_description},
// or the bare {error} some providers send) into a *kryptos.Error, whose
// code matches kryptos.ErrInvalidGrant, ErrInvalidClient, ErrAccessDenied,
// ErrInvalidScope, ErrUnsupportedGrantType, ErrInvalidRequest...
func providerError(op string, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("oauth: %s: %w", op, err)
	}
	e := &kryptos.Error{Code: redact.OneLine(re.ErrorCode), Message: redact.OneLine(re.ErrorDescription)}
	if re.Response != nil {
		e.StatusCode = re.Response.StatusCode
		e.RequestID = re.Response.Header.Get("X-Request-Id")
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
