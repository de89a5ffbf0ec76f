package kryptos

import (
	"net/netip"
	"net/url"
	"strings"
)

// Endpoints are the base URLs a Client calls.
type Endpoints struct {
	// Connect is the Connect backend API, called with the client's
	// credentials.
	Connect string
	// Data is the data API, called with a user's credential.
	Data string
}

// The production endpoints.
const (
	DefaultConnectURL = "https://connect-api.kryptos.io"
	DefaultDataURL    = "https://api-v2.kryptos.io"
)

// ProductionEndpoints returns the endpoints of the live Kryptos API, which a
// Client uses by default.
func ProductionEndpoints() Endpoints {
	return Endpoints{Connect: DefaultConnectURL, Data: DefaultDataURL}
}

// check parses both URLs and returns them without trailing slashes. Each
// must be https, except on loopback hosts (127.0.0.1, ::1, localhost),
// which may use http for tests and the sandbox. Both must be loopback, or
// neither: a Client whose Connect calls go to a local sandbox while its data
// calls go to the live API would send real users' tokens to production (or
// test tokens to it), so that mix is refused.
func (e Endpoints) check() (Endpoints, error) {
	connect, localConnect, err := parseBaseURL("Endpoints.Connect", e.Connect, DefaultConnectURL)
	if err != nil {
		return e, err
	}
	data, localData, err := parseBaseURL("Endpoints.Data", e.Data, DefaultDataURL)
	if err != nil {
		return e, err
	}
	if localConnect != localData {
		return e, &ParamError{"Endpoints", "one of Connect and Data is a loopback sandbox and the other is not, " +
			"so users' tokens would reach the wrong server; point both at the sandbox with WithSandbox(url)"}
	}
	return Endpoints{Connect: connect, Data: data}, nil
}

// parseBaseURL checks a base URL and returns it without a trailing slash,
// and whether its host is a loopback address.
func parseBaseURL(field, rawURL, example string) (string, bool, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	switch {
	case err != nil || rawURL == "":
		return "", false, &ParamError{field, "is not a URL; want one like " + example}
	case u.User != nil:
		return "", false, &ParamError{field, "must not contain user info; credentials go to NewClient"}
	case u.Host == "" || !u.IsAbs():
		return "", false, &ParamError{field, "must be absolute, like " + example}
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", false, &ParamError{field, "must not have a query or fragment"}
	}
	local := isLoopback(u.Hostname())
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && local:
	case u.Scheme == "http":
		return "", false, &ParamError{field, "must use https; plain http is allowed only for loopback hosts"}
	default:
		return "", false, &ParamError{field, "must use https"}
	}
	return strings.TrimRight(u.String(), "/"), local, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
