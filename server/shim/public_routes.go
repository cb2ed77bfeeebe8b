package main

import (
	"net/http"
	"strings"
)

// publicRoute is one (method, path pattern) the shim forwards from ServeHTTP. A `{name}` segment
// matches one non-empty path segment; every other segment matches itself, case-sensitively.
type publicRoute struct {
	method  string
	pattern string
	// plugins is true for the routes another plugin (the AI bot) may call through PluginHTTP.
	plugins bool
}

// publicRoutes is everything Mattermost may hand the sidecar: the routes of server/http/routes/*
// that users, admins, the OAuth redirect and the AI bot need. Hooks, /healthz and /metrics are not
// here: the shim reaches them with its own credential (sidecar_client.go), never through the proxy.
var publicRoutes = []publicRoute{
	{http.MethodGet, "/api/v1/tools", true},
	{http.MethodPost, "/api/v1/tools/call", true},
	{http.MethodPost, "/api/v1/mcp", true},
	{http.MethodGet, "/mcp/tools", false},
	// The user panel's switch: a user turns a server off (or on) for themselves.
	{http.MethodPut, "/mcp/servers/{server}/enabled", false},
	{http.MethodGet, "/mcp/oauth/{server}/start", false},
	{http.MethodDelete, "/mcp/oauth/{server}", false},
	{http.MethodGet, "/oauth/callback", false},
	// The authorization server fetches this client metadata document (SEP-991) without a session.
	{http.MethodGet, "/oauth/client-metadata.json", false},
	{http.MethodGet, "/autocomplete/servers", false},
	{http.MethodGet, "/admin/mcp/tools", false},
	// The System Console's server list, secrets masked (Config is a secret setting: Mattermost masks it whole).
	{http.MethodGet, "/admin/mcp/config", false},
	{http.MethodPost, "/admin/mcp/discover", false},
}

// routeMatch is what the allowlist says about one request.
type routeMatch struct {
	route *publicRoute // nil: no public route has this method and path
	allow []string     // methods the path takes, when the path is known but the method is not
}

// matchPublicRoute looks a request up in publicRoutes by its decoded path, so an escaped segment
// (`%2F`, `%68ooks`) can never smuggle a path the list does not name.
func matchPublicRoute(method, path string) routeMatch {
	var match routeMatch
	for i := range publicRoutes {
		route := &publicRoutes[i]
		if !pathMatches(route.pattern, path) {
			continue
		}
		if route.method == method {
			return routeMatch{route: route}
		}
		match.allow = append(match.allow, route.method)
	}
	return match
}

func pathMatches(pattern, path string) bool {
	want := strings.Split(pattern, "/")
	got := strings.Split(path, "/")
	if len(want) != len(got) {
		return false
	}
	for i, segment := range want {
		if strings.HasPrefix(segment, "{") {
			if got[i] == "" || got[i] == "." || got[i] == ".." {
				return false
			}
			continue
		}
		if got[i] != segment {
			return false
		}
	}
	return true
}

// pluginRoutes names the routes other plugins may call, for the refusal message.
func pluginRoutes() string {
	var names []string
	for _, route := range publicRoutes {
		if route.plugins {
			names = append(names, route.method+" "+route.pattern)
		}
	}
	return strings.Join(names, ", ")
}
