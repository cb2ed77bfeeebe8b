package main

import (
	"encoding/json"
	"net/http"
	"net/http/httputil"
	"strings"
)

// Headers only Mattermost can set on a plugin request: it deletes any client copy first
// (server/channels/app/plugin_requests.go).
const (
	mattermostUserID   = "Mattermost-User-Id"
	mattermostPluginID = "Mattermost-Plugin-Id"
)

// newSidecarProxy forwards plugin HTTP requests to the sidecar, path and query unchanged, flushing
// after every write so server-sent events stream.
func newSidecarProxy(client *sidecarClient, logError func(msg string, kv ...any)) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(client.baseURL)
			setIdentity(pr.Out.Header, pr.In.Header, client.secret)
		},
		Transport:     client.transport,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			logError("MCP sidecar request failed", "method", r.Method, "path", r.URL.Path, "error", err.Error())
			writeJSONError(w, http.StatusBadGateway, "The MCP sidecar is not reachable; ask a system admin to check the server log.")
		},
	}
}

// setIdentity makes out carry exactly the identity Mattermost vouched for in in: any header a
// browser could have sent to impersonate a user, a calling plugin, or the shim itself is removed,
// then the trusted values and the secret are set.
func setIdentity(out, in http.Header, secret string) {
	for name := range out {
		if isShimOwnedHeader(name) {
			delete(out, name)
		}
	}
	if userID := in.Get(mattermostUserID); userID != "" {
		out.Set(headerUserID, userID)
	}
	if caller := in.Get(mattermostPluginID); caller != "" {
		out.Set(headerPluginCaller, caller)
	}
	out.Set("Authorization", "Bearer "+secret)
}

// isShimOwnedHeader matches case-insensitively: the header map may hold non-canonical keys.
func isShimOwnedHeader(name string) bool {
	lower := strings.ToLower(name)
	switch lower {
	case "x-mattermost-userid", "x-mattermost-plugin-caller", "authorization",
		"mattermost-user-id", "mattermost-plugin-id":
		return true
	}
	return strings.HasPrefix(lower, "x-mcp-")
}

func writeJSONError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"error": message})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
