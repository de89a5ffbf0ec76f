package kryptostest

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kryptos-connect/kryptos-go"
)

func TestTheWidgetScriptAndPageAreServed(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	for url, want := range map[string]string{
		srv.WidgetScriptURL():          "KryptosConnect",
		srv.URL + "/widget/widget.css": ".kc-overlay",
		srv.WidgetDemoURL():            "renderButton",
	} {
		resp, err := http.Get(url)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, url)
		assert.Contains(t, string(body), want, url)
	}
}

func TestTheWidgetEndpointsAnswerOtherOrigins(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/widget/complete", nil)
	req.Header.Set("Origin", "http://127.0.0.1:3000")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-link-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "X-LINK-TOKEN")

	resp, err = http.Get(srv.URL + "/link-token")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "the backend API is not open to browsers")
}

func TestTheWidgetSessionDescribesTheLink(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.Client(fast...)
	lt, err := c.CreateLinkToken(ctx, kryptos.LinkTokenParams{Scopes: kryptos.Scopes{kryptos.ScopeOpenID, kryptos.ScopePortfoliosRead}})
	require.NoError(t, err)
	session := func(token string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/widget/session", nil)
		req.Header.Set("X-LINK-TOKEN", token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	status, body := session(lt.Token.Reveal())
	require.Equal(t, http.StatusOK, status)
	data := body["data"].(map[string]any)
	assert.Equal(t, []any{"openid", "portfolios:read"}, data["scopes"])
	assert.Equal(t, false, data["returning"])
	assert.Equal(t, SandboxOTP, data["sandboxOtp"])
	var offered []string
	for _, p := range data["providers"].([]any) {
		entry := p.(map[string]any)
		offered = append(offered, entry["id"].(string))
		if entry["id"] == "ethereum" {
			assert.Equal(t, EthereumTestAddress, entry["testAddress"])
			assert.Equal(t, true, entry["allowed"])
		}
		if entry["id"] == "binance" {
			assert.Equal(t, false, entry["allowed"], "sandbox mode allows chains only")
			assert.Equal(t, "api_key", entry["needs"])
		}
	}
	for _, p := range providers {
		assert.Contains(t, offered, p.id, "the widget offers the data API's provider catalogue")
	}

	status, body = session("link_nope")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "INVALID_TOKEN", body["code"])
}
