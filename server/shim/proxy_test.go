package main

import (
	"bufio"
	"context"
	"fmt"
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

// Mattermost user ids: 26 lower-case letters and digits.
const (
	alice   = "aliceaaaaaaaaaaaaaaaaaaaaa"
	mallory = "malloryaaaaaaaaaaaaaaaaaaa"
)

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
		req.Header.Set("Mattermost-User-Id", alice)
		req.Header.Set("X-Mattermost-UserID", mallory)
		send(t, req)
		got := fake.last(t, "/mcp/tools")
		if v := got.Header.Values(headerUserID); len(v) != 1 || v[0] != alice {
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
		req, _ := http.NewRequest(http.MethodGet, server.URL+"/oauth/client-metadata.json", nil)
		req.Header.Set("X-Mattermost-UserID", mallory)
		req.Header.Set("X-Mattermost-Plugin-Caller", "mattermost-ai")
		send(t, req)
		got := fake.last(t, "/oauth/client-metadata.json")
		if v := got.Header.Values(headerUserID); len(v) != 0 {
			t.Fatalf("sidecar saw %s %q with no session", headerUserID, v)
		}
		if v := got.Header.Values(headerPluginCaller); len(v) != 0 {
			t.Fatalf("sidecar saw a spoofed %s %q", headerPluginCaller, v)
		}
	})

	t.Run("replaces a spoofed Authorization with the secret", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, server.URL+"/autocomplete/servers", nil)
		req.Header.Set("Mattermost-User-Id", alice)
		req.Header.Set("Authorization", "Bearer "+internalCredential(testExternalSecret))
		send(t, req)
		got := fake.last(t, "/autocomplete/servers")
		if v := got.Header.Values("Authorization"); len(v) != 1 || v[0] != "Bearer "+testExternalSecret {
			t.Fatal("the sidecar did not get exactly the shim's bearer secret")
		}
	})

	t.Run("drops every X-Mcp-* header", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, server.URL+"/admin/mcp/tools", nil)
		req.Header.Set("X-Mcp-Sidecar-Trusted", "yes")
		req.Header.Set("x-mcp-anything", "yes")
		req.Header.Set("Accept", "application/json")
		send(t, req)
		got := fake.last(t, "/admin/mcp/tools")
		for name := range got.Header {
			if strings.HasPrefix(strings.ToLower(name), "x-mcp-") {
				t.Fatalf("%s reached the sidecar", name)
			}
		}
		if got.Header.Get("Accept") != "application/json" {
			t.Fatal("an ordinary header was dropped")
		}
	})
}

// Over Mattermost's RPC the header map is not guaranteed canonical; a lower-case spoof must not
// survive because a lookup missed it.
func TestProxyDropsNonCanonicalSpoofs(t *testing.T) {
	h, fake := activateExternal(t, nil)
	req := httptest.NewRequest(http.MethodGet, "/mcp/tools", nil)
	req.Header["x-mattermost-userid"] = []string{mallory}
	req.Header["authorization"] = []string{"Bearer forged"}
	req.Header["x-mattermost-plugin-caller"] = []string{"forged"}
	h.plugin.ServeHTTP(nil, httptest.NewRecorder(), req)
	got := fake.last(t, "/mcp/tools")
	if v := got.Header.Values(headerUserID); len(v) != 0 {
		t.Fatalf("sidecar saw %q", v)
	}
	if got.Header.Get(headerPluginCaller) != "" || len(got.Header.Values("Authorization")) != 1 {
		t.Fatal("a forged caller or authorization reached the sidecar")
	}
}

// Mattermost authenticates the browser with these; the sidecar (maybe another host) must never hold
// anything that lets it act as the user in Mattermost.
func TestProxyKeepsSessionCredentialsInTheShim(t *testing.T) {
	h, fake := activateExternal(t, nil)
	req := httptest.NewRequest(http.MethodGet, "/oauth/callback?state=s&access_token=tok1&code=c&ACCESS_TOKEN=tok2&access%5Ftoken=tok3", nil)
	req.Header.Set("Mattermost-User-Id", alice)
	req.Header.Set("Cookie", "MMAUTHTOKEN=tok4; MMUSERID="+alice+"; MMCSRF=csrf1; theme=dark")
	req.Header["cookie"] = []string{"MMAUTHTOKEN=tok5"}
	req.Header.Set("X-CSRF-Token", "csrf2")
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	req.Header.Set("Token", "tok6")
	req.Header.Set("Authorization", "Token tok7")
	h.plugin.ServeHTTP(nil, httptest.NewRecorder(), req)
	got := fake.last(t, "/oauth/callback")
	if got.RawQuery != "state=s&code=c" {
		t.Fatalf("query %q: access_token must go, the rest stay as sent", got.RawQuery)
	}
	for _, name := range []string{"Cookie", "X-Csrf-Token", "X-Requested-With", "Token"} {
		if v := headerValues(got.Header, name); len(v) != 0 {
			t.Errorf("%s reached the sidecar: %q", name, v)
		}
	}
	seen := fmt.Sprint(got.Header)
	for _, value := range []string{"tok1", "tok2", "tok3", "tok4", "tok5", "tok6", "tok7", "csrf1", "csrf2"} {
		if strings.Contains(seen, value) {
			t.Errorf("the credential %s reached the sidecar", value)
		}
	}
	if got.Header.Get(headerUserID) != alice {
		t.Fatal("the user Mattermost vouched for was lost with the credentials")
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
			fake.handle("/mcp/tools", func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", contentType)
				_, _ = io.WriteString(w, "data: first\n\n")
				w.(http.Flusher).Flush()
				<-release
				_, _ = io.WriteString(w, "data: second\n\n")
			})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server.URL+"/mcp/tools", nil)
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
	fake.handle("/mcp/tools", func(w http.ResponseWriter, _ *http.Request) {
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
	req := httptest.NewRequest(http.MethodGet, "/mcp/tools", nil).WithContext(ctx)
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
