package kryptos_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/jarcoal/httpmock"

	"github.com/kryptos-connect/kryptos-go"
)

// A Client sends through http.DefaultTransport unless given another, so
// httpmock.Activate, which replaces it for the whole process, mocks the
// Client too. Tests that activate it cannot run in parallel.
func Example_mockWithHTTPMockActivate() {
	httpmock.Activate()
	defer httpmock.DeactivateAndReset()
	httpmock.RegisterResponder(http.MethodGet, kryptos.DefaultConnectURL+"/token/grants",
		httpmock.NewStringResponder(200, `{"success": true, "data": {"grants": [], "count": 0}}`))

	client, err := kryptos.NewClient("client-id", "client-secret")
	if err != nil {
		log.Fatal(err)
	}
	grants, err := client.ListGrants(context.Background())
	fmt.Println(len(grants), err, httpmock.GetTotalCallCount())
	// Output: 0 <nil> 1
}

// A mock transport of its own, given with WithHTTPClient, keeps the test
// parallel-safe: nothing global changes.
func Example_mockWithAMockTransport() {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder(http.MethodPost, kryptos.DefaultConnectURL+"/link-token/check-session",
		httpmock.NewStringResponder(200, `{"success": true, "data": {"has_valid_session": false, "reason": "token_expired"}}`))

	client, err := kryptos.NewClient("client-id", "client-secret",
		kryptos.WithHTTPClient(&http.Client{Transport: mock}))
	if err != nil {
		log.Fatal(err)
	}
	session, err := client.CheckSession(context.Background(), "cat_stored_token")
	fmt.Println(session.Valid, session.Reason, err)
	// Output: false token_expired <nil>
}
