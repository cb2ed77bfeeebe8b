package main

import (
	"bufio"
	"errors"
	"io"
	"net/http"
)

// restoreRequestBody undoes what Mattermost's plugin RPC does to a request: it rebuilds it with
// ContentLength 0 even when a body follows (plugin/client_rpc.go, GetHTTPRequest), and
// httputil.ReverseProxy sends no body at all for ContentLength 0. One byte is peeked: a body that
// has one is forwarded as a stream of unknown length (chunked), an empty one as no body.
func restoreRequestBody(r *http.Request) {
	if r.ContentLength != 0 || r.Body == nil || r.Body == http.NoBody {
		return
	}
	buffered := bufio.NewReader(r.Body)
	if _, err := buffered.Peek(1); errors.Is(err, io.EOF) {
		_ = r.Body.Close()
		r.Body = http.NoBody
		return
	}
	// Anything else (a byte, or a broken stream whose error the proxy then reports) is forwarded.
	r.Body = readCloser{buffered, r.Body}
	r.ContentLength = -1
}

type readCloser struct {
	io.Reader
	io.Closer
}
