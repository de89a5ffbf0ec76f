package kryptostest

import "net/http"

// notYet answers an endpoint whose family is still being built.
func notYet(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotImplemented, "NOT_IMPLEMENTED", "the sandbox does not serve "+r.Method+" "+r.URL.Path+" yet")
}
