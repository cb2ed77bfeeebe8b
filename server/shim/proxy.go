package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

// Headers only Mattermost can set on a plugin request: it deletes any client copy first
// (server/channels/app/plugin_requests.go).
const (
	mattermostUserID   = "Mattermost-User-Id"
	mattermostPluginID = "Mattermost-Plugin-Id"
)

// newSidecarProxy forwards the public routes to the sidecar, path and query unchanged but for the
// session credentials, flushing after every write so server-sent events stream. ServeHTTP has
// already matched the route and put the caller in the request's context (withCaller).
func newSidecarProxy(client *sidecarClient, logError func(msg string, kv ...any)) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(client.baseURL)
			pr.Out.URL.RawPath = "" // the sidecar gets the decoded path the allowlist matched
			pr.Out.URL.RawQuery = withoutQueryParameter(pr.Out.URL.RawQuery, "access_token")
			stripSessionCredentials(pr.Out.Header)
			setIdentity(pr.Out.Header, callerOf(pr.In.Context()), client.secret)
		},
		Transport:     client.transport,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			logError("MCP sidecar request failed", "method", r.Method, "path", r.URL.Path, "error", err.Error())
			writeJSONError(w, http.StatusBadGateway, "The MCP sidecar is not reachable; ask a system admin to check the server log.")
		},
	}
}

type callerKey struct{}

// withCaller hands the proxy the caller ServeHTTP resolved.
func withCaller(r *http.Request, c caller) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
}

func callerOf(ctx context.Context) caller {
	c, _ := ctx.Value(callerKey{}).(caller)
	return c
}

// setIdentity makes out carry exactly the identity the shim resolved: any header a browser or
// plugin could have sent to impersonate a user, a calling plugin, or the shim itself is removed,
// then the resolved values and the proxied credential are set.
func setIdentity(out http.Header, c caller, secret string) {
	for name := range out {
		if isShimOwnedHeader(name) {
			delete(out, name)
		}
	}
	if c.userID != "" {
		out.Set(headerUserID, c.userID)
	}
	if c.plugin != "" {
		out.Set(headerPluginCaller, c.plugin)
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

// stripSessionCredentials removes what lets a holder act as the user in Mattermost: the session
// cookies (MMAUTHTOKEN, MMUSERID, MMCSRF; the sidecar needs no cookie, so the header goes whole),
// the CSRF token and its companion, and the token headers. The sidecar, which in external mode may be
// another host, sees only the identity the shim vouches for.
func stripSessionCredentials(h http.Header) {
	for name := range h {
		switch strings.ToLower(name) {
		case "cookie", "x-csrf-token", "x-requested-with", "authorization", "token":
			delete(h, name)
		}
	}
}

// withoutQueryParameter drops every `name=` pair from a raw query and keeps the others byte for byte.
func withoutQueryParameter(rawQuery, name string) string {
	if rawQuery == "" {
		return ""
	}
	kept := make([]string, 0, strings.Count(rawQuery, "&")+1)
	for pair := range strings.SplitSeq(rawQuery, "&") {
		key, _, _ := strings.Cut(pair, "=")
		if unescaped, err := url.QueryUnescape(key); err == nil && strings.EqualFold(unescaped, name) {
			continue
		}
		kept = append(kept, pair)
	}
	return strings.Join(kept, "&")
}

func writeJSONError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"error": message})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
