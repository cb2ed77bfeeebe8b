package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// serveThroughShim runs the plugin's ServeHTTP behind a real HTTP server, as Mattermost would
// after it set (or did not set) Mattermost-User-Id.
func serveThroughShim(t *testing.T, h *harness) *httptest.Server {
	t.Helper()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.plugin.ServeHTTP(nil, w, r)
	}))
	t.Cleanup(server.Close)
	return server
}

func send(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

func TestProxyIdentity(t *testing.T) {
	h, fake := activateExternal(t, nil)
	server := serveThroughShim(t, h)

	t.Run("sets X-Mattermost-UserID from Mattermost-User-Id and drops a spoofed copy", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, server.URL+"/mcp/tools?x=1", nil)
		req.Header.Set("Mattermost-User-Id", "alice")
		req.Header.Set("X-Mattermost-UserID", "mallory")
		send(t, req)
		got := fake.last(t, "/mcp/tools")
		if v := got.Header.Values(headerUserID); len(v) != 1 || v[0] != "alice" {
			t.Fatalf("sidecar saw %s %q, want exactly alice", headerUserID, v)
		}
		if got.RawQuery != "x=1" {
			t.Fatalf("query %q was not kept", got.RawQuery)
		}
		if got.Header.Get("Mattermost-User-Id") != "" {
			t.Fatal("Mattermost-User-Id reached the sidecar: identity must come from one header only")
		}
	})

	t.Run("sends no identity when Mattermost vouched for nobody, whatever the browser claims", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, server.URL+"/oauth/anonymous", strings.NewReader("{}"))
		req.Header.Set("X-Mattermost-UserID", "mallory")
		req.Header.Set("X-Mattermost-Plugin-Caller", "com.mattermost.server")
		send(t, req)
		got := fake.last(t, "/oauth/anonymous")
		if v := got.Header.Values(headerUserID); len(v) != 0 {
			t.Fatalf("sidecar saw %s %q with no session", headerUserID, v)
		}
		if v := got.Header.Values(headerPluginCaller); len(v) != 0 {
			t.Fatalf("sidecar saw a spoofed %s %q", headerPluginCaller, v)
		}
	})

	t.Run("replaces a spoofed Authorization with the secret", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, server.URL+"/spoofed-auth", nil)
		req.Header.Set("Mattermost-User-Id", "alice")
		req.Header.Set("Authorization", "Bearer "+testExternalSecret+"-not")
		send(t, req)
		got := fake.last(t, "/spoofed-auth")
		if v := got.Header.Values("Authorization"); len(v) != 1 || v[0] != "Bearer "+testExternalSecret {
			t.Fatal("the sidecar did not get exactly the shim's bearer secret")
		}
	})

	t.Run("drops every X-Mcp-* header", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, server.URL+"/mcp-headers", nil)
		req.Header.Set("X-Mcp-Sidecar-Trusted", "yes")
		req.Header.Set("x-mcp-anything", "yes")
		req.Header.Set("Accept", "application/json")
		send(t, req)
		got := fake.last(t, "/mcp-headers")
		for name := range got.Header {
			if strings.HasPrefix(strings.ToLower(name), "x-mcp-") {
				t.Fatalf("%s reached the sidecar", name)
			}
		}
		if got.Header.Get("Accept") != "application/json" {
			t.Fatal("an ordinary header was dropped")
		}
	})

	t.Run("passes the calling plugin from Mattermost-Plugin-ID", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, server.URL+"/bridge/tools", strings.NewReader(`{"a":1}`))
		req.Header.Set("Mattermost-Plugin-ID", "mattermost-ai")
		req.Header.Set("Mattermost-User-Id", "")
		send(t, req)
		got := fake.last(t, "/bridge/tools")
		if got.Header.Get(headerPluginCaller) != "mattermost-ai" || got.Header.Get(headerUserID) != "" {
			t.Fatalf("caller %q user %q", got.Header.Get(headerPluginCaller), got.Header.Get(headerUserID))
		}
		if string(got.Body) != `{"a":1}` || got.Method != http.MethodPost {
			t.Fatalf("request changed on the way: %s %s", got.Method, got.Body)
		}
	})
}

// Over Mattermost's RPC the header map is not guaranteed canonical; a lower-case spoof must not
// survive because a lookup missed it.
func TestProxyDropsNonCanonicalSpoofs(t *testing.T) {
	h, fake := activateExternal(t, nil)
	req := httptest.NewRequest(http.MethodGet, "/raw", nil)
	req.Header["x-mattermost-userid"] = []string{"mallory"}
	req.Header["authorization"] = []string{"Bearer forged"}
	req.Header["x-mattermost-plugin-caller"] = []string{"forged"}
	h.plugin.ServeHTTP(nil, httptest.NewRecorder(), req)
	got := fake.last(t, "/raw")
	if v := got.Header.Values(headerUserID); len(v) != 0 {
		t.Fatalf("sidecar saw %q", v)
	}
	if got.Header.Get(headerPluginCaller) != "" || len(got.Header.Values("Authorization")) != 1 {
		t.Fatal("a forged caller or authorization reached the sidecar")
	}
}

// A first chunk reaches the browser while the sidecar is still writing: SSE and any other stream.
func TestProxyStreamsBeforeTheHandlerEnds(t *testing.T) {
	h, fake := activateExternal(t, nil)
	server := serveThroughShim(t, h)
	for _, contentType := range []string{"text/event-stream", "application/x-ndjson"} {
		t.Run(contentType, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			fake.handle("/stream", func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", contentType)
				_, _ = io.WriteString(w, "data: first\n\n")
				w.(http.Flusher).Flush()
				<-release
				_, _ = io.WriteString(w, "data: second\n\n")
			})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server.URL+"/stream", nil)
			res := send(t, req)
			line, err := bufio.NewReader(res.Body).ReadString('\n')
			if err != nil || line != "data: first\n" {
				t.Fatalf("first chunk not delivered while the sidecar was still writing: %q %v", line, err)
			}
		})
	}
}

func TestProxySurvivesASidecarThatDiesMidStream(t *testing.T) {
	h, fake := activateExternal(t, nil)
	fake.handle("/dies", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close() // the chunked body ends without its terminator
		}
	})
	// With http.ServerContextKey set, ReverseProxy panics on the broken copy.
	ctx := context.WithValue(context.Background(), http.ServerContextKey, &http.Server{})
	req := httptest.NewRequest(http.MethodGet, "/dies", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	h.plugin.ServeHTTP(nil, rec, req) // must return, not panic
	if !strings.HasPrefix(rec.Body.String(), "data: first") {
		t.Fatalf("body %q", rec.Body)
	}
}

func TestProxyAnswers502WhenTheSidecarIsGone(t *testing.T) {
	h, _ := activateExternal(t, nil)
	bad, err := newSidecarClient("unix:"+shortTempDir(t)+"/missing.sock", testExternalSecret)
	if err != nil {
		t.Fatal(err)
	}
	h.plugin.activeRun().proxy = newSidecarProxy(bad, h.api.LogError)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/mcp/tools", nil)
	req.Header.Set("Authorization", "Bearer browser-token")
	h.plugin.ServeHTTP(nil, rec, req)
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "not reachable") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if logs := h.api.allLogs(); strings.Contains(logs, testExternalSecret) || strings.Contains(logs, "browser-token") {
		t.Fatal("a secret or header value reached the log")
	}
}

func TestProxyAnswers503BeforeActivation(t *testing.T) {
	h := newHarness(t, map[string]any{})
	rec := httptest.NewRecorder()
	h.plugin.ServeHTTP(nil, rec, httptest.NewRequest(http.MethodGet, "/mcp/tools", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("got %d", rec.Code)
	}
}
