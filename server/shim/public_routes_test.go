package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Everything the shim may hand the sidecar from ServeHTTP, one request each.
var everyPublicRoute = []struct{ method, target, path string }{
	{http.MethodGet, "/api/v1/tools", "/api/v1/tools"},
	{http.MethodPost, "/api/v1/tools/call", "/api/v1/tools/call"},
	{http.MethodPost, "/api/v1/mcp", "/api/v1/mcp"},
	{http.MethodGet, "/mcp/tools", "/mcp/tools"},
	{http.MethodGet, "/mcp/oauth/github/start?scope=repo", "/mcp/oauth/github/start"},
	{http.MethodDelete, "/mcp/oauth/github", "/mcp/oauth/github"},
	{http.MethodGet, "/oauth/callback?state=s&code=c", "/oauth/callback"},
	{http.MethodGet, "/oauth/client-metadata.json", "/oauth/client-metadata.json"},
	{http.MethodGet, "/autocomplete/servers", "/autocomplete/servers"},
	{http.MethodGet, "/admin/mcp/tools", "/admin/mcp/tools"},
	{http.MethodPost, "/admin/mcp/discover", "/admin/mcp/discover"},
}

func TestServeHTTPForwardsEveryPublicRoute(t *testing.T) {
	h, fake := activateExternal(t, nil)
	for _, route := range everyPublicRoute {
		t.Run(route.method+" "+route.target, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(route.method, route.target, strings.NewReader("{}"))
			req.Header.Set("Mattermost-User-Id", alice)
			h.plugin.ServeHTTP(nil, rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("answered %d %s", rec.Code, rec.Body)
			}
			got := fake.last(t, route.path)
			if got.Method != route.method || got.Header.Get("Authorization") != "Bearer "+testExternalSecret {
				t.Fatalf("the sidecar saw %s with the wrong credential", got.Method)
			}
		})
	}
}

// Hooks, health and metrics are the shim's own: no request Mattermost hands ServeHTTP reaches them,
// however its path is spelled, and nothing unknown reaches the sidecar either.
func TestServeHTTPAnswers404ToEverythingElse(t *testing.T) {
	h, fake := activateExternal(t, nil)
	before := requestCount(fake)
	targets := []string{
		"/healthz", "/metrics",
		"/hooks/OnConfigurationChange", "/hooks/ConfigurationWillBeSaved", "/hooks/ExecuteCommand",
		"/hooks/UserHasBeenDeactivated", "/hooks/OnDeactivate",
		"/Hooks/OnConfigurationChange", "/HEALTHZ", "/healthz/", "//healthz", "/metrics?x=1",
		"/%68ooks/OnConfigurationChange", "/hooks%2FOnConfigurationChange",
		"/api/v1/../../hooks/OnConfigurationChange", "/api/v1/tools/../../../hooks/OnDeactivate",
		"/mcp/oauth/../../hooks/OnDeactivate", "/mcp/oauth/a%2F..%2F..%2Fhooks/start",
		"/mcp/oauth/../start", "/mcp/oauth//start", "/mcp/oauth/./start",
		"/api/v1/tools/", "/API/V1/TOOLS", "/api/v1/tools/call/extra", "/", "", "/no/such/route",
	}
	for _, target := range targets {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			req := httptest.NewRequest(method, "/", strings.NewReader(`{"settings":{"config":{"servers":[]}}}`))
			req.URL.Path, req.URL.RawPath, req.URL.RawQuery = "", "", ""
			if err := setTarget(req, target); err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Mattermost-User-Id", alice)
			rec := httptest.NewRecorder()
			h.plugin.ServeHTTP(nil, rec, req)
			if rec.Code != http.StatusNotFound {
				t.Errorf("%s %q answered %d, want 404", method, target, rec.Code)
			}
		}
	}
	if n := requestCount(fake); n != before {
		t.Fatalf("the sidecar saw %d requests", n-before)
	}
}

func TestServeHTTPAnswers405ToAPublicPathWithAnotherMethod(t *testing.T) {
	h, fake := activateExternal(t, nil)
	before := requestCount(fake)
	for _, c := range []struct{ method, target, allow string }{
		{http.MethodGet, "/api/v1/mcp", "POST"},
		{http.MethodDelete, "/api/v1/mcp", "POST"},
		{http.MethodPost, "/mcp/tools", "GET"},
		{http.MethodPut, "/mcp/oauth/github", "DELETE"},
	} {
		rec := httptest.NewRecorder()
		h.plugin.ServeHTTP(nil, rec, httptest.NewRequest(c.method, c.target, nil))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q", c.method, c.target, rec.Code, rec.Header().Get("Allow"))
		}
	}
	if requestCount(fake) != before {
		t.Fatal("a refused method reached the sidecar")
	}
}

func requestCount(f *fakeSidecar) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// setTarget puts a raw request target on req as Mattermost's router would have parsed it.
func setTarget(req *http.Request, target string) error {
	parsed, err := url.Parse(target) // not req.URL.Parse: that would resolve the dot segments
	if err != nil {
		return err
	}
	req.URL = parsed
	return nil
}

func TestTheShimsOwnRequestsCarryTheInternalCredential(t *testing.T) {
	// The value the sidecar derives too (tests/http/route-access.test.ts holds the same vector).
	if got := internalCredential("external-secret-0123456789abcdef"); got != "8fa73de16a389c5442b1cd03761663aa69fa39715c0d849b5ffff3da7927f04c" {
		t.Fatalf("internal credential %s: the derivation changed, and the sidecar would refuse every hook", got)
	}
	h, fake := activateExternal(t, nil)
	h.plugin.UserHasBeenDeactivated(nil, nil)
	for _, path := range []string{"/healthz", "/hooks/OnConfigurationChange"} {
		if got := fake.last(t, path).Header.Values("Authorization"); len(got) != 1 || got[0] != "Bearer "+internalCredential(testExternalSecret) {
			t.Errorf("%s went without exactly the internal credential", path)
		}
	}
	if strings.Contains(h.api.allLogs(), internalCredential(testExternalSecret)) {
		t.Fatal("the internal credential reached the log")
	}
}
