module github.com/kryptos-connect/kryptos-go/examples/signin

go 1.25.0

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/kryptos-connect/kryptos-go v0.0.0
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/coreos/go-oidc/v3 v3.21.0 // indirect
	github.com/go-jose/go-jose/v4 v4.1.8 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
	golang.org/x/time v0.15.0 // indirect
)

replace github.com/kryptos-connect/kryptos-go => ../..
