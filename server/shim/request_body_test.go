package main

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// rpcRequest is a request shaped as Mattermost's plugin RPC hands it to ServeHTTP
// (plugin/client_rpc.go, GetHTTPRequest): ContentLength 0 whatever body follows, the body an
// opaque stream.
func rpcRequest(method, target string, body io.Reader) *http.Request {
	req := httptest.NewRequest(method, target, nil)
	req.Body = io.NopCloser(body)
	req.ContentLength = 0
	req.Header.Set("Mattermost-User-Id", alice)
	return req
}

// bodyBytes is a deterministic body of n bytes that is not one repeated byte.
func bodyBytes(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(i*7 + i/251)
	}
	return out
}

func TestProxyForwardsRequestBodies(t *testing.T) {
	h, fake := activateExternal(t, nil)
	server := serveThroughShim(t, h)
	big := bodyBytes(16 << 20)

	check := func(t *testing.T, want []byte) {
		t.Helper()
		got := fake.last(t, "/api/v1/tools/call")
		if len(got.Body) != len(want) || sha256.Sum256(got.Body) != sha256.Sum256(want) {
			t.Fatalf("the sidecar got %d bytes, want %d intact", len(got.Body), len(want))
		}
	}

	t.Run("a body the RPC announces with ContentLength 0", func(t *testing.T) {
		want := []byte(`{"name":"tools__echo","arguments":{"text":"hi"}}`)
		rec := httptest.NewRecorder()
		h.plugin.ServeHTTP(nil, rec, rpcRequest(http.MethodPost, "/api/v1/tools/call", bytes.NewReader(want)))
		if rec.Code != http.StatusOK {
			t.Fatalf("answered %d", rec.Code)
		}
		check(t, want)
	})

	t.Run("16 MiB through the RPC shape", func(t *testing.T) {
		h.plugin.ServeHTTP(nil, httptest.NewRecorder(), rpcRequest(http.MethodPost, "/api/v1/tools/call", bytes.NewReader(big)))
		check(t, big)
	})

	t.Run("with Content-Length", func(t *testing.T) {
		want := bodyBytes(100_000)
		send(t, mustRequest(t, http.MethodPost, server.URL+"/api/v1/tools/call", bytes.NewReader(want)))
		check(t, want)
	})

	t.Run("chunked, 16 MiB", func(t *testing.T) {
		// A reader of unknown length makes the client send Transfer-Encoding: chunked.
		req := mustRequest(t, http.MethodPost, server.URL+"/api/v1/tools/call", io.MultiReader(bytes.NewReader(big)))
		req.ContentLength = -1
		send(t, req)
		check(t, big)
	})

	t.Run("an empty RPC body goes as no body, not as an empty chunked one", func(t *testing.T) {
		h.plugin.ServeHTTP(nil, httptest.NewRecorder(), rpcRequest(http.MethodGet, "/mcp/tools", strings.NewReader("")))
		got := fake.last(t, "/mcp/tools")
		if len(got.Body) != 0 || got.Header.Get("Transfer-Encoding") != "" {
			t.Fatalf("body %q", got.Body)
		}
	})
}

// The sidecar reads the first part of a body while the caller is still writing the rest: the
// shim streams the request, it does not buffer it.
func TestProxyStreamsARequestBody(t *testing.T) {
	h, _ := activateExternal(t, nil)
	firstArrived := make(chan struct{})
	var received []byte
	sidecar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first := make([]byte, len(`{"part":1,`))
		if _, err := io.ReadFull(r.Body, first); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		close(firstArrived)
		rest, _ := io.ReadAll(r.Body)
		received = slices.Concat(first, rest)
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(sidecar.Close)
	client, err := newSidecarClient(sidecar.URL, testExternalSecret)
	if err != nil {
		t.Fatal(err)
	}
	h.plugin.activeRun().proxy = newSidecarProxy(client, h.api.LogError)

	streamed := make(chan bool, 1)
	reader := &stagedReader{parts: []string{`{"part":1,`, `"part":2}`}, before: func() {
		select {
		case <-firstArrived:
			streamed <- true
		case <-time.After(10 * time.Second): // buffered: give up so the request can end
			streamed <- false
		}
	}}
	rec := httptest.NewRecorder()
	h.plugin.ServeHTTP(nil, rec, rpcRequest(http.MethodPost, "/api/v1/tools/call", reader))
	select {
	case ok := <-streamed:
		if !ok {
			t.Fatal("the sidecar saw nothing of the body before the caller finished writing it")
		}
	default:
		t.Fatal("the body was never read to its end")
	}
	if rec.Code != http.StatusOK || string(received) != `{"part":1,"part":2}` {
		t.Fatalf("answered %d, sidecar got %q", rec.Code, received)
	}
}

// stagedReader yields its parts one Read at a time and calls before ahead of the second part.
type stagedReader struct {
	parts  []string
	before func()
	served int
}

func (r *stagedReader) Read(p []byte) (int, error) {
	if r.served == len(r.parts) {
		return 0, io.EOF
	}
	if r.served == 1 {
		r.before()
	}
	r.served++
	return copy(p, r.parts[r.served-1]), nil
}

func mustRequest(t *testing.T, method, target string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Mattermost-User-Id", alice)
	return req
}
