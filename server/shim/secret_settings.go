package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
)

// Secret settings (plugin.json `secret: true`: SidecarSecret, StoreURL and Config) reach every console
// reader, the browser and support packets as model.FakeSetting, and come back that way when the admin
// saves without retyping them. Config is one JSON value, so Mattermost masks it whole; the console reads
// the server list from the sidecar instead (GET /admin/mcp/config), where each header value and
// oauth.clientSecret is masked on its own. Before a save, restoreMaskedSettings puts the saved value back
// wherever the mask came back: a whole setting, or one of those fields, found by server and header name.

// maskedSecretError says which masked field has no saved value to keep (a renamed server, a new header).
type maskedSecretError struct{ server, field string }

func (e *maskedSecretError) Error() string {
	return fmt.Sprintf("Server %s: %s is masked but has no saved value to keep (was the server or the header renamed?). Type the value again.", e.server, e.field)
}

// restoreMaskedSettings is `next` with every mask replaced by the value saved in `current`; changed
// tells whether anything was replaced.
func restoreMaskedSettings(next, current pluginSettings) (restored pluginSettings, changed bool, err error) {
	restored = maps.Clone(next)
	for key, value := range next {
		if value == model.FakeSetting {
			restored[key] = current[key]
			changed = true
		}
	}
	config, configChanged, err := restoreMaskedConfig(restored[settingConfig], current[settingConfig])
	if err != nil {
		return nil, false, err
	}
	if configChanged {
		restored[settingConfig] = config
	}
	return restored, changed || configChanged, nil
}

// restoreMaskedConfig restores the masked fields of a Config value (an object or its JSON text), keeping its form.
func restoreMaskedConfig(next, current any) (any, bool, error) {
	nextDoc, ok := configDocument(next)
	if !ok || !strings.Contains(mustJSON(nextDoc), model.FakeSetting) {
		return next, false, nil
	}
	currentDoc, _ := configDocument(current)
	saved := map[string]map[string]any{}
	for _, server := range serverList(currentDoc) {
		if name, _ := server["name"].(string); name != "" {
			saved[name] = server
		}
	}
	changed := false
	for _, server := range serverList(nextDoc) {
		name, _ := server["name"].(string)
		from := saved[name]
		if headers, ok := server["headers"].(map[string]any); ok {
			for header, value := range headers {
				if value != model.FakeSetting {
					continue
				}
				kept, found := headerValue(from, header)
				if !found {
					return nil, false, &maskedSecretError{name, "header " + header}
				}
				headers[header] = kept
				changed = true
			}
		}
		if oauth, ok := server["oauth"].(map[string]any); ok && oauth["clientSecret"] == model.FakeSetting {
			kept, found := nestedString(from, "oauth", "clientSecret")
			if !found {
				return nil, false, &maskedSecretError{name, "oauth.clientSecret"}
			}
			oauth["clientSecret"] = kept
			changed = true
		}
	}
	if _, isText := next.(string); isText {
		return mustJSON(nextDoc), changed, nil
	}
	return nextDoc, changed, nil
}

// configDocument is a Config setting's value as a JSON object (decoded afresh, so it can be edited).
func configDocument(value any) (map[string]any, bool) {
	var text []byte
	if s, ok := value.(string); ok {
		text = []byte(s)
	} else {
		text = []byte(mustJSON(value))
	}
	var doc map[string]any
	if json.Unmarshal(text, &doc) != nil || doc == nil {
		return nil, false
	}
	return doc, true
}

func serverList(doc map[string]any) []map[string]any {
	list, _ := doc["servers"].([]any)
	servers := make([]map[string]any, 0, len(list))
	for _, item := range list {
		if server, ok := item.(map[string]any); ok {
			servers = append(servers, server)
		}
	}
	return servers
}

// headerValue is the saved value of a header, its name compared as HTTP does (RFC 9110 §5.1: case-insensitive).
func headerValue(server map[string]any, name string) (string, bool) {
	headers, _ := server["headers"].(map[string]any)
	for header, value := range headers {
		if text, ok := value.(string); ok && strings.EqualFold(header, name) && text != model.FakeSetting {
			return text, true
		}
	}
	return "", false
}

func nestedString(server map[string]any, object, field string) (string, bool) {
	inner, _ := server[object].(map[string]any)
	text, ok := inner[field].(string)
	return text, ok && text != "" && text != model.FakeSetting
}

// mustJSON is compact JSON without HTML escaping (a header value keeps its `<`, `>` and `&`).
func mustJSON(value any) string {
	var out bytes.Buffer
	encoder := json.NewEncoder(&out)
	encoder.SetEscapeHTML(false)
	if encoder.Encode(value) != nil {
		return ""
	}
	return strings.TrimSuffix(out.String(), "\n")
}
