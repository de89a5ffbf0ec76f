package kryptostest

import (
	"embed"
	"net/http"
	"strings"

	"github.com/kryptos-connect/kryptos-go"
)

// The sandbox stands in for the Kryptos Connect widget: it serves a
// drop-in script (widget/sdk.js) that behaves like @kryptos_connect/web-sdk
// for both generations of its browser API (WIDGET.md), the endpoints the
// script calls, and a demo page where a frontend developer can try it.
// Integrators' pages load the script from the sandbox's origin, so its
// endpoints answer cross-origin requests; they are authorized by the link
// token alone, as the real widget's are.

//go:embed widget/sdk.js widget/widget.css widget/demo.html
var widgetFiles embed.FS

// WidgetScriptURL returns the URL of the drop-in widget script, for a
// frontend's <script src>.
func (s *Server) WidgetScriptURL() string { return s.URL + "/widget/sdk.js" }

// WidgetDemoURL returns the URL of a page that opens the widget against this
// sandbox, for a frontend developer to try.
func (s *Server) WidgetDemoURL() string { return s.URL + "/widget/demo" }

// widgetAsset serves an embedded file.
func widgetAsset(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := widgetFiles.ReadFile("widget/" + name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	}
}

// widgetCORS lets pages of any origin call the widget's endpoints, as the
// real widget's script does from integrators' pages.
func widgetCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/widget/") && !strings.HasPrefix(r.URL.Path, "/widget/demo") {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-LINK-TOKEN")
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			h.Set("Access-Control-Max-Age", "600")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// GET /widget/session: what the widget needs to show for a link token: the
// scopes to consent to, whether the user is a returning one (who skips
// sign-in and consent), the providers to offer, and the sandbox's one-time
// code, shown on screen.
func (s *Server) widgetSession(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lt, e := s.openLink(r.Header.Get("X-LINK-TOKEN"))
	if e != nil {
		writeAPIError(w, e)
		return
	}
	list := make([]map[string]any, 0, len(providers))
	for _, p := range providers {
		needs := "address"
		switch {
		case p.id == "csv":
			needs = "file"
		case p.typ == "exchange":
			needs = "api_key"
		}
		entry := map[string]any{"id": p.id, "name": p.publicName, "type": p.typ, "logo": p.logo(), "needs": needs,
			"allowed": !s.cfg.sandboxMode || p.sandbox}
		switch p.id {
		case "ethereum":
			entry["testAddress"] = EthereumTestAddress
		case "solana":
			entry["testAddress"] = SolanaTestAddress
		}
		list = append(list, entry)
	}
	scopes := make([]string, len(lt.scopes))
	for i, sc := range lt.scopes {
		scopes[i] = string(sc)
	}
	writeData(w, http.StatusOK, map[string]any{
		"scopes": scopes, "returning": lt.userID != "", "providers": list, "sandboxOtp": SandboxOTP,
	})
}

// POST /widget/demo/link-token: the demo page's backend. A real page asks
// its own backend, which holds the client secret; the sandbox plays that
// backend for its own client.
func (s *Server) widgetDemoLinkToken(w http.ResponseWriter, r *http.Request) {
	lt, err := s.Client().CreateLinkToken(r.Context(), kryptos.LinkTokenParams{})
	if err != nil {
		writeError(w, http.StatusBadGateway, "INTERNAL_ERROR", "the sandbox could not create a link token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"link_token": lt.Token.Reveal(), "isAuthorized": lt.HasExistingGrant})
}
