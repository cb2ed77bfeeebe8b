package main

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestExposedToolNameMatchesTheSidecar(t *testing.T) {
	// Produced by ToolNameMap in server/mcp/tool-names.ts for each pair alone.
	for _, c := range []struct{ server, tool, want string }{
		{"wiki", "search", "wiki__search"},
		{"Team Wiki", "search", "Team_Wiki__search_4af064f5"},
		{"wiki", "read.page", "wiki__read_page_89c15657"},
		{"gh", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "gh__aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_e17be5df"},
		{"x", "ünïcode", "x__n_code_698f5ae8"},
	} {
		if got := exposedToolName(c.server, c.tool); got != c.want {
			t.Errorf("%q/%q: %q, want %q", c.server, c.tool, got, c.want)
		}
	}
}

func TestToolPolicyConfigsFromTheConfigSetting(t *testing.T) {
	config := `{"servers":[
		{"name":"wiki","baseURL":"http://127.0.0.1:1/mcp","tools":{"search":{"policy":"auto_run_everywhere"},"delete_page":{"policy":"ask","enabled":false},"read":{"enabled":true}}},
		{"name":"Team Wiki","baseURL":"http://127.0.0.1:2/mcp","tools":{"search":{"policy":"ask"}}},
		{"name":"off","enabled":false,"baseURL":"http://127.0.0.1:3/mcp","tools":{"search":{"policy":"ask"}}}]}`
	want := []map[string]any{
		{"name": "Team_Wiki__search_4af064f5", "policy": "ask", "enabled": true},
		{"name": "wiki__search", "policy": "auto_run_everywhere", "enabled": true},
	}
	if got := toolPolicyConfigs(pluginSettings{"config": config}); !reflect.DeepEqual(got, want) {
		t.Fatalf("from a JSON string: %v", got)
	}
	var asObject map[string]any
	if err := json.Unmarshal([]byte(config), &asObject); err != nil {
		t.Fatal(err)
	}
	if got := toolPolicyConfigs(pluginSettings{"config": asObject}); !reflect.DeepEqual(got, want) {
		t.Fatalf("from an object: %v", got)
	}
	for _, settings := range []pluginSettings{{}, {"config": "not json"}, {"config": `{"enabled":false,"servers":[{"name":"wiki","tools":{"a":{"policy":"ask"}}}]}`}} {
		if got := toolPolicyConfigs(settings); got != nil {
			t.Errorf("%v: %v", settings, got)
		}
	}
}

func TestRegistrationSendsTheToolPolicies(t *testing.T) {
	b := newAgentsBridge()
	b.settings = func() pluginSettings {
		return pluginSettings{"config": `{"servers":[{"name":"wiki","baseURL":"http://127.0.0.1:1/mcp","tools":{"search":{"policy":"ask"}}}]}`}
	}
	got := b.registration()["tool_configs"]
	want := []map[string]any{
		{"name": connectionsToolName, "policy": "auto_run_in_dm", "enabled": true},
		{"name": "wiki__search", "policy": "ask", "enabled": true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("tool_configs %v", got)
	}
}
