package main

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// mattermostID is the shape of a Mattermost id (model.NewId: 26 lower-case base32 characters).
var mattermostID = regexp.MustCompile(`^[a-z0-9]{26}$`)

// TrustedPluginIDs (plugin.json): the plugins whose PluginHTTP requests may act for a user.
const (
	settingTrustedPluginIDs = "trustedpluginids"
	defaultTrustedPluginIDs = "mattermost-ai"
)

// caller is who a proxied request acts for, as the shim hands it to the sidecar.
type caller struct {
	userID string // becomes X-Mattermost-UserID; empty: nobody Mattermost vouched for
	plugin string // becomes X-Mattermost-Plugin-Caller; empty: a browser or REST client
}

// refusal is an answer the shim gives itself instead of forwarding.
type refusal struct {
	status  int
	message string
}

// trustedPluginIDs reads the comma-separated setting; absent means the default (the AI bot), an
// empty value trusts no plugin.
func (s pluginSettings) trustedPluginIDs() []string {
	raw, ok := s[settingTrustedPluginIDs]
	if !ok || raw == nil {
		return []string{defaultTrustedPluginIDs}
	}
	text, _ := raw.(string)
	var ids []string
	for id := range strings.SplitSeq(text, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// resolveCaller decides who a request acts for. A browser or REST request acts for the user
// Mattermost authenticated (Mattermost-User-Id) and nobody else. A PluginHTTP request carries the
// calling plugin in Mattermost-Plugin-Id (Mattermost removes any browser copy and blanks
// Mattermost-User-Id): only a trusted plugin may name a user, in its own X-Mattermost-UserID, and
// only on the routes the AI bot needs.
func resolveCaller(in http.Header, route *publicRoute, trusted []string) (caller, *refusal) {
	plugin := firstValue(in, mattermostPluginID)
	if plugin == "" {
		return caller{userID: firstValue(in, mattermostUserID)}, nil
	}
	if !slices.Contains(trusted, plugin) {
		return caller{}, &refusal{http.StatusForbidden, fmt.Sprintf(
			"The plugin %q may not call MCP Tools. A system admin can add its id to Trusted plugin IDs in System Console > Plugins > MCP Tools.", plugin)}
	}
	if !route.plugins {
		return caller{}, &refusal{http.StatusForbidden, "Other plugins may call only " + pluginRoutes() + "."}
	}
	users := headerValues(in, headerUserID)
	switch {
	case len(users) == 0:
		return caller{plugin: plugin}, nil
	case len(users) > 1 || !mattermostID.MatchString(users[0]):
		return caller{}, &refusal{http.StatusBadRequest, headerUserID + " must be one Mattermost user id (26 lower-case letters and digits)."}
	}
	return caller{userID: users[0], plugin: plugin}, nil
}

// headerValues looks a header up whatever the case of its key: over Mattermost's RPC the header
// map is not guaranteed canonical.
func headerValues(h http.Header, name string) []string {
	var values []string
	for key, v := range h {
		if strings.EqualFold(key, name) {
			values = append(values, v...)
		}
	}
	return values
}

func firstValue(h http.Header, name string) string {
	if values := headerValues(h, name); len(values) > 0 {
		return values[0]
	}
	return ""
}
