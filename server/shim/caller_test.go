package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// pluginRequest is a PluginHTTP call as Mattermost hands it over: the calling plugin in
// Mattermost-Plugin-Id, Mattermost-User-Id blanked, the user in the caller's own header.
func pluginRequest(method, target, pluginID, userID string) *http.Request {
	req := httptest.NewRequest(method, target, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Mattermost-Plugin-Id", pluginID)
	req.Header.Set("Mattermost-User-Id", "")
	if userID != "" {
		req.Header.Set("X-Mattermost-UserID", userID)
	}
	return req
}

func TestInterPluginCallers(t *testing.T) {
	serve := func(h *harness, req *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.plugin.ServeHTTP(nil, rec, req)
		return rec
	}

	t.Run("the AI bot acts for the user it names, on the routes it needs", func(t *testing.T) {
		h, fake := activateExternal(t, nil) // TrustedPluginIDs unset: the default, mattermost-ai
		for _, route := range []struct{ method, path string }{
			{http.MethodPost, "/api/v1/mcp"}, {http.MethodGet, "/api/v1/tools"}, {http.MethodPost, "/api/v1/tools/call"},
		} {
			if rec := serve(h, pluginRequest(route.method, route.path, "mattermost-ai", alice)); rec.Code != http.StatusOK {
				t.Fatalf("%s %s answered %d %s", route.method, route.path, rec.Code, rec.Body)
			}
			got := fake.last(t, route.path)
			if got.Header.Get(headerUserID) != alice || got.Header.Get(headerPluginCaller) != "mattermost-ai" {
				t.Fatalf("%s: user %q caller %q", route.path, got.Header.Get(headerUserID), got.Header.Get(headerPluginCaller))
			}
			if string(got.Body) != `{"jsonrpc":"2.0","id":1,"method":"tools/list"}` {
				t.Fatalf("body %q", got.Body)
			}
		}
	})

	t.Run("a plugin not in TrustedPluginIDs is refused and reaches nothing", func(t *testing.T) {
		h, fake := activateExternal(t, map[string]any{settingTrustedPluginIDs: " other.plugin , mattermost-ai "})
		before := requestCount(fake)
		rec := serve(h, pluginRequest(http.MethodPost, "/api/v1/mcp", "com.example.spy", alice))
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), `com.example.spy`) || !strings.Contains(rec.Body.String(), "Trusted plugin IDs") {
			t.Fatalf("answered %d %s", rec.Code, rec.Body)
		}
		if requestCount(fake) != before {
			t.Fatal("the refused plugin's request reached the sidecar")
		}
		if rec := serve(h, pluginRequest(http.MethodPost, "/api/v1/mcp", "other.plugin", alice)); rec.Code != http.StatusOK {
			t.Fatalf("a listed plugin was refused: %d", rec.Code)
		}
	})

	t.Run("an empty TrustedPluginIDs trusts no plugin", func(t *testing.T) {
		h, _ := activateExternal(t, map[string]any{settingTrustedPluginIDs: ""})
		if rec := serve(h, pluginRequest(http.MethodPost, "/api/v1/mcp", "mattermost-ai", alice)); rec.Code != http.StatusForbidden {
			t.Fatalf("answered %d", rec.Code)
		}
	})

	t.Run("a trusted plugin reaches only the AI bot's routes", func(t *testing.T) {
		h, fake := activateExternal(t, nil)
		before := requestCount(fake)
		for _, route := range []struct{ method, path string }{
			{http.MethodGet, "/mcp/tools"}, {http.MethodPut, "/mcp/servers/github/enabled"}, {http.MethodGet, "/admin/mcp/tools"}, {http.MethodPost, "/admin/mcp/discover"},
			{http.MethodDelete, "/mcp/oauth/github"}, {http.MethodGet, "/oauth/callback"}, {http.MethodGet, "/autocomplete/servers"},
		} {
			if rec := serve(h, pluginRequest(route.method, route.path, "mattermost-ai", alice)); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "POST /api/v1/mcp") {
				t.Errorf("%s %s answered %d %s", route.method, route.path, rec.Code, rec.Body)
			}
		}
		if requestCount(fake) != before {
			t.Fatal("a plugin reached a user-only route")
		}
	})

	t.Run("a user id that is not a Mattermost id is refused", func(t *testing.T) {
		h, fake := activateExternal(t, nil)
		before := requestCount(fake)
		for _, id := range []string{"alice", strings.ToUpper(alice), alice + "a", "../aaaaaaaaaaaaaaaaaaaaaaa", alice + ", " + mallory} {
			if rec := serve(h, pluginRequest(http.MethodPost, "/api/v1/mcp", "mattermost-ai", id)); rec.Code != http.StatusBadRequest {
				t.Errorf("%q answered %d", id, rec.Code)
			}
		}
		req := pluginRequest(http.MethodPost, "/api/v1/mcp", "mattermost-ai", alice)
		req.Header.Add("X-Mattermost-UserID", mallory)
		if rec := serve(h, req); rec.Code != http.StatusBadRequest {
			t.Errorf("two user ids answered %d", rec.Code)
		}
		if requestCount(fake) != before {
			t.Fatal("a malformed user id reached the sidecar")
		}
	})

	t.Run("a trusted plugin naming no user is forwarded without one", func(t *testing.T) {
		h, fake := activateExternal(t, nil)
		serve(h, pluginRequest(http.MethodPost, "/api/v1/mcp", "mattermost-ai", ""))
		got := fake.last(t, "/api/v1/mcp")
		if got.Header.Get(headerUserID) != "" || got.Header.Get(headerPluginCaller) != "mattermost-ai" {
			t.Fatalf("user %q caller %q", got.Header.Get(headerUserID), got.Header.Get(headerPluginCaller))
		}
	})

	t.Run("a browser never names the user or the caller itself", func(t *testing.T) {
		h, fake := activateExternal(t, nil)
		req := httptest.NewRequest(http.MethodPost, "/api/v1/mcp", strings.NewReader("{}"))
		req.Header.Set("X-Mattermost-UserID", mallory)
		req.Header.Set("X-Mattermost-Plugin-Caller", "mattermost-ai")
		serve(h, req)
		got := fake.last(t, "/api/v1/mcp")
		if got.Header.Get(headerUserID) != "" || got.Header.Get(headerPluginCaller) != "" {
			t.Fatalf("user %q caller %q", got.Header.Get(headerUserID), got.Header.Get(headerPluginCaller))
		}
		req = httptest.NewRequest(http.MethodPost, "/api/v1/mcp", strings.NewReader("{}"))
		req.Header.Set("Mattermost-User-Id", alice)
		req.Header["x-mattermost-userid"] = []string{mallory}
		serve(h, req)
		if got := fake.last(t, "/api/v1/mcp"); got.Header.Get(headerUserID) != alice || got.Header.Get(headerPluginCaller) != "" {
			t.Fatalf("user %q caller %q", got.Header.Get(headerUserID), got.Header.Get(headerPluginCaller))
		}
	})

	t.Run("a change of TrustedPluginIDs applies to the next request", func(t *testing.T) {
		h, _ := activateExternal(t, nil)
		settings := h.plugin.currentSettings()
		settings[settingTrustedPluginIDs] = "com.example.new"
		h.setSettings(settings)
		if err := h.plugin.OnConfigurationChange(); err != nil {
			t.Fatal(err)
		}
		if rec := serve(h, pluginRequest(http.MethodPost, "/api/v1/mcp", "mattermost-ai", alice)); rec.Code != http.StatusForbidden {
			t.Fatalf("the removed plugin answered %d", rec.Code)
		}
		if rec := serve(h, pluginRequest(http.MethodPost, "/api/v1/mcp", "com.example.new", alice)); rec.Code != http.StatusOK {
			t.Fatalf("the added plugin answered %d", rec.Code)
		}
	})
}
