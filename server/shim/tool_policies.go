package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
)

// The admin's per-tool policy hints (Config: servers[].tools.<tool>.policy, server/config/schema.ts)
// become the Agents plugin's tool_configs on registration, named as the MCP endpoint lists the tools.

var toolPolicyValues = map[string]bool{"ask": true, "auto_run_in_dm": true, "auto_run_everywhere": true}

type policyConfig struct {
	Enabled *bool `json:"enabled"`
	Servers []struct {
		Name    string `json:"name"`
		Enabled *bool  `json:"enabled"`
		Tools   map[string]struct {
			Enabled *bool  `json:"enabled"`
			Policy  string `json:"policy"`
		} `json:"tools"`
	} `json:"servers"`
}

// toolPolicyConfigs lists a tool_configs entry for every tool of an enabled server that has a policy
// and is not switched off; an unreadable Config gives none (the sidecar refuses it anyway).
func toolPolicyConfigs(s pluginSettings) []map[string]any {
	var raw []byte
	switch value := s[settingConfig].(type) {
	case string:
		raw = []byte(value)
	case map[string]any:
		raw, _ = json.Marshal(value)
	default:
		return nil
	}
	var config policyConfig
	if err := json.Unmarshal(raw, &config); err != nil || (config.Enabled != nil && !*config.Enabled) {
		return nil
	}
	var entries []map[string]any
	for _, server := range config.Servers {
		if server.Enabled != nil && !*server.Enabled {
			continue
		}
		for tool, setting := range server.Tools {
			if !toolPolicyValues[setting.Policy] || (setting.Enabled != nil && !*setting.Enabled) {
				continue
			}
			entries = append(entries, map[string]any{"name": exposedToolName(server.Name, tool), "policy": setting.Policy, "enabled": true})
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i]["name"].(string) < entries[j]["name"].(string) })
	return entries
}

var unsafeNameRun = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func sanitizeNamePart(part string) string {
	return strings.Trim(unsafeNameRun.ReplaceAllString(part, "_"), "_")
}

// exposedToolName is the name the MCP endpoint gives a tool (server/mcp/tool-names.ts): `<server>__<tool>`
// when that is exact and at most 64 characters, else shortened with 8 hex digits of SHA-256(server, 0, tool).
// The endpoint also hashes two tools whose sanitised names collide; the shim cannot see that rare case.
func exposedToolName(server, tool string) string {
	serverPart, toolPart := sanitizeNamePart(server), sanitizeNamePart(tool)
	if serverPart == "" {
		serverPart = "mcp"
	}
	if toolPart == "" {
		toolPart = "tool"
	}
	base := serverPart + "__" + toolPart
	if server+"__"+tool == base && len(base) <= 64 {
		return base
	}
	sum := sha256.Sum256([]byte(server + "\x00" + tool))
	suffix := "_" + hex.EncodeToString(sum[:])[:8]
	if len(base) > 64-len(suffix) {
		base = base[:64-len(suffix)]
	}
	return strings.TrimRight(base, "_") + suffix
}
