package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
)

// What Mattermost keeps: a server with an admin header and a pre-registered client's secret, and a
// store URL with a database password. The System Console only ever sees these masked.
const (
	savedAPIKey       = "admin-api-key-kept-by-mattermost"
	savedClientSecret = "client-secret-kept-by-mattermost"
	savedStoreURL     = "postgres://mcp:db-password@db.internal:5432/mcp"
)

func savedSecretSettings(sidecarURL string) map[string]any {
	return map[string]any{
		"config": `{"servers":[{"name":"wiki","baseURL":"https://wiki.example.com/mcp","headers":{"X-Api-Key":"` + savedAPIKey + `"},` +
			`"oauth":{"clientId":"mm","clientSecret":"` + savedClientSecret + `","issuer":"https://auth.example.com"}}]}`,
		"idletimeoutminutes": 30,
		"storeurl":           savedStoreURL,
		"sidecarurl":         sidecarURL,
		"sidecarsecret":      testExternalSecret,
	}
}

// consoleSave is the config the System Console sends back: the saved one, with `plugin` as this plugin's settings.
func consoleSave(h *harness, plugin map[string]any) *model.Config {
	cfg := h.config.Clone()
	cfg.PluginSettings.Plugins = map[string]map[string]any{pluginID: plugin}
	return cfg
}

// savedPluginSettings is what Mattermost would store: the hook's replacement, or what was sent unchanged.
func savedPluginSettings(sent, replaced *model.Config) map[string]any {
	if replaced != nil {
		return replaced.PluginSettings.Plugins[pluginID]
	}
	return sent.PluginSettings.Plugins[pluginID]
}

func serversOf(t *testing.T, config any) []map[string]any {
	t.Helper()
	text, ok := config.(string)
	if !ok {
		data, _ := json.Marshal(config)
		text = string(data)
	}
	var parsed struct{ Servers []map[string]any }
	if err := json.Unmarshal([]byte(text), &parsed); err != nil {
		t.Fatalf("config %q: %v", text, err)
	}
	return parsed.Servers
}

// expectValidatedWith checks that the sidecar validated the saved secret, and no mask.
func expectValidatedWith(t *testing.T, fake *fakeSidecar, secret string) {
	t.Helper()
	validated := string(fake.last(t, "/hooks/ConfigurationWillBeSaved").Body)
	if strings.Contains(validated, "****") || !strings.Contains(validated, secret) {
		t.Fatalf("the sidecar validated %s", validated)
	}
}

func TestConfigurationWillBeSavedKeepsMaskedSecrets(t *testing.T) {
	setup := func(t *testing.T) (*harness, *fakeSidecar) {
		t.Helper()
		h, fake := activateExternal(t, nil)
		h.config.PluginSettings.Plugins = map[string]map[string]any{pluginID: savedSecretSettings(fake.address)}
		h.setSettings(savedSecretSettings(fake.address))
		return h, fake
	}

	t.Run("keeps the saved Config and StoreURL when the console sends them back masked", func(t *testing.T) {
		h, fake := setup(t)
		sent := savedSecretSettings(fake.address)
		sent["config"], sent["storeurl"], sent["sidecarsecret"] = model.FakeSetting, model.FakeSetting, model.FakeSetting
		sent["idletimeoutminutes"] = 45
		sentCfg := consoleSave(h, sent)
		replaced, err := h.plugin.ConfigurationWillBeSaved(sentCfg)
		if err != nil {
			t.Fatal(err)
		}
		saved := savedPluginSettings(sentCfg, replaced)
		if saved["config"] != savedSecretSettings("")["config"] || saved["storeurl"] != savedStoreURL || saved["idletimeoutminutes"] != 45 {
			t.Fatalf("Mattermost would store %v", saved)
		}
		expectValidatedWith(t, fake, savedAPIKey)
	})

	t.Run("restores masked header values and client secrets inside Config by server and header name", func(t *testing.T) {
		h, fake := setup(t)
		sent := savedSecretSettings(fake.address)
		sent["config"] = `{"servers":[{"name":"wiki","baseURL":"https://wiki2.example.com/mcp","headers":{"x-api-key":"` + model.FakeSetting + `","X-Team":"blue"},` +
			`"oauth":{"clientId":"mm","clientSecret":"` + model.FakeSetting + `","issuer":"https://auth.example.com"}},` +
			`{"name":"tickets","baseURL":"https://tickets.example.com/mcp","headers":{"X-Api-Key":"typed-by-the-admin"}}]}`
		sentCfg := consoleSave(h, sent)
		replaced, err := h.plugin.ConfigurationWillBeSaved(sentCfg)
		if err != nil {
			t.Fatal(err)
		}
		servers := serversOf(t, savedPluginSettings(sentCfg, replaced)["config"])
		wiki, tickets := servers[0], servers[1]
		if wiki["baseURL"] != "https://wiki2.example.com/mcp" || wiki["headers"].(map[string]any)["x-api-key"] != savedAPIKey ||
			wiki["headers"].(map[string]any)["X-Team"] != "blue" || wiki["oauth"].(map[string]any)["clientSecret"] != savedClientSecret {
			t.Fatalf("wiki would be stored as %v", wiki)
		}
		if tickets["headers"].(map[string]any)["X-Api-Key"] != "typed-by-the-admin" {
			t.Fatalf("tickets would be stored as %v", tickets)
		}
		expectValidatedWith(t, fake, savedClientSecret)
	})

	t.Run("restores inside a Config sent as an object, as the console's editor sends it", func(t *testing.T) {
		h, fake := setup(t)
		sent := savedSecretSettings(fake.address)
		sent["config"] = map[string]any{"servers": []any{map[string]any{
			"name": "wiki", "baseURL": "https://wiki.example.com/mcp", "headers": map[string]any{"X-Api-Key": model.FakeSetting},
		}}}
		sentCfg := consoleSave(h, sent)
		replaced, err := h.plugin.ConfigurationWillBeSaved(sentCfg)
		if err != nil {
			t.Fatal(err)
		}
		config, isObject := savedPluginSettings(sentCfg, replaced)["config"].(map[string]any)
		if !isObject || serversOf(t, config)[0]["headers"].(map[string]any)["X-Api-Key"] != savedAPIKey {
			t.Fatalf("Mattermost would store %#v", savedPluginSettings(sentCfg, replaced)["config"])
		}
		expectValidatedWith(t, fake, savedAPIKey)
	})

	t.Run("refuses a masked value it has nothing to restore from, naming the server and the field", func(t *testing.T) {
		h, fake := setup(t)
		sent := savedSecretSettings(fake.address)
		sent["config"] = `{"servers":[{"name":"renamed-wiki","baseURL":"https://wiki.example.com/mcp","headers":{"X-Api-Key":"` + model.FakeSetting + `"}}]}`
		replaced, err := h.plugin.ConfigurationWillBeSaved(consoleSave(h, sent))
		var appErr *model.AppError
		if !errors.As(err, &appErr) || replaced != nil || appErr.StatusCode != http.StatusBadRequest {
			t.Fatalf("got %v, %v; want a 400 AppError", replaced, err)
		}
		if want := "Server renamed-wiki: header X-Api-Key"; !strings.Contains(appErr.Message, want) {
			t.Fatalf("the admin would see %q, want it to name %q", appErr.Message, want)
		}
		if n := len(fake.requestsTo("/hooks/ConfigurationWillBeSaved")); n != 0 {
			t.Fatalf("the sidecar was asked %d times about a config with a mask in it", n)
		}
	})
}
