package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
)

// The manifest at the repository root is what Mattermost loads; the shim's constants must agree.
func TestPluginManifestMatchesTheShim(t *testing.T) {
	data, err := os.ReadFile("../../plugin.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest model.Manifest
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	if err := manifest.IsValid(); err != nil {
		t.Fatalf("Mattermost would refuse the manifest: %v", err)
	}
	if manifest.Id != pluginID {
		t.Fatalf("id %q, shim uses %q", manifest.Id, pluginID)
	}
	for _, platform := range []string{"linux-amd64", "linux-arm64"} {
		if got := manifest.Server.Executables[platform]; got != "server/dist/plugin-"+platform {
			t.Fatalf("%s executable %q", platform, got)
		}
	}
	// UserHasBeenDeactivated, the newest hook the shim implements, needs 9.1: a 9.0 server must not load it.
	if ok, err := manifest.MeetMinServerVersion("9.0.99"); err != nil || ok {
		t.Fatalf("min_server_version %q admits servers without UserHasBeenDeactivated (%v)", manifest.MinServerVersion, err)
	}
	keys := map[string]string{}
	for _, setting := range manifest.SettingsSchema.Settings {
		keys[strings.ToLower(setting.Key)] = setting.Type
		// Secret settings are masked in GetConfig, the System Console and support packets, and restored on save:
		// the secret, the store URL (it may hold a database password) and Config (header values, client secrets).
		key := strings.ToLower(setting.Key)
		if secret := key == settingSidecarSecret || key == settingStoreURL || key == settingConfig; setting.Secret != secret {
			t.Errorf("setting %s: secret = %v, want %v", setting.Key, setting.Secret, secret)
		}
		// The System Console shows this default; the shim and the sidecar assume the same one.
		if key == settingTrustedPluginIDs && setting.Default != defaultTrustedPluginIDs {
			t.Errorf("TrustedPluginIDs default %v, the shim assumes %q", setting.Default, defaultTrustedPluginIDs)
		}
	}
	want := map[string]string{
		"config": "custom", "idletimeoutminutes": "number",
		settingSidecarURL: "text", settingSidecarSecret: "generated", settingStoreURL: "text", settingAgentsBridge: "bool",
		settingNodePath: "text", settingTrustedPluginIDs: "text",
		"externalmcpclients": "bool",
	}
	for key, kind := range want {
		if keys[key] != kind {
			t.Errorf("setting %s: type %q, want %q", key, keys[key], kind)
		}
	}
}
