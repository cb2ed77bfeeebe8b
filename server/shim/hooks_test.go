package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
)

func TestConfigurationReachesTheSidecar(t *testing.T) {
	t.Run("the settings seen before OnActivate are pushed once /healthz answers", func(t *testing.T) {
		_, fake := activateExternal(t, map[string]any{"config": `{"servers":[{"name":"github"}]}`})
		body := decodeJSON(t, fake.last(t, "/hooks/OnConfigurationChange").Body)
		settings := body["settings"].(map[string]any)
		if settings["config"] != `{"servers":[{"name":"github"}]}` || settings["idletimeoutminutes"] != float64(30) {
			t.Fatalf("settings %v", settings)
		}
		if _, leaked := settings["sidecarsecret"]; leaked {
			t.Fatal("the sidecar secret was sent inside the settings")
		}
	})

	t.Run("a later change is pushed with lower-cased keys", func(t *testing.T) {
		h, fake := activateExternal(t, nil)
		h.setSettings(map[string]any{"Config": map[string]any{"servers": []any{}}, "IdleTimeoutMinutes": 5, "sidecarurl": fake.address, "sidecarsecret": testExternalSecret})
		if err := h.plugin.OnConfigurationChange(); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the second push", func() bool { return len(fake.requestsTo("/hooks/OnConfigurationChange")) == 2 })
		settings := decodeJSON(t, fake.last(t, "/hooks/OnConfigurationChange").Body)["settings"].(map[string]any)
		if settings["idletimeoutminutes"] != float64(5) || settings["config"] == nil {
			t.Fatalf("settings %v", settings)
		}
	})

	t.Run("a refused configuration is logged with the sidecar's reason and does not fail the hook", func(t *testing.T) {
		h, fake := activateExternal(t, nil)
		fake.handle("/hooks/OnConfigurationChange", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"servers[0].baseURL must be an http(s) URL"}`))
		})
		if err := h.plugin.OnConfigurationChange(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(h.api.allLogs(), "servers[0].baseURL must be an http(s) URL") {
			t.Fatalf("logs: %s", h.api.allLogs())
		}
	})
}

func TestConfigurationWillBeSaved(t *testing.T) {
	newConfig := func(h *harness, settings map[string]any) *model.Config {
		cfg := h.config.Clone()
		cfg.PluginSettings.Plugins = map[string]map[string]any{pluginID: settings}
		return cfg
	}
	changed := map[string]any{"config": `{"servers":[{"name":"x","baseURL":"ftp://x"}]}`, "sidecarsecret": "s3cr3t-value-for-test"}

	t.Run("rejects the save with the sidecar's message on 400", func(t *testing.T) {
		h, fake := activateExternal(t, nil)
		fake.handle("/hooks/ConfigurationWillBeSaved", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"Server x: baseURL must be an http(s) URL","code":"ERR_CONFIG_INVALID"}`))
		})
		replaced, err := h.plugin.ConfigurationWillBeSaved(newConfig(h, changed))
		var appErr *model.AppError
		if !errors.As(err, &appErr) || replaced != nil {
			t.Fatalf("got %v, %v; want an AppError (a plain error hides the message from the admin)", replaced, err)
		}
		appErr.Translate(func(id string, _ ...any) string { return id }) // what the API layer does
		if appErr.Message != "Server x: baseURL must be an http(s) URL" || appErr.StatusCode != http.StatusBadRequest {
			t.Fatalf("the admin would see %q (%d)", appErr.Message, appErr.StatusCode)
		}
		settings := decodeJSON(t, fake.last(t, "/hooks/ConfigurationWillBeSaved").Body)["settings"].(map[string]any)
		if settings["config"] != changed["config"] || settings["sidecarsecret"] != nil {
			t.Fatalf("the sidecar validated %v", settings)
		}
	})

	t.Run("accepts the save on 200", func(t *testing.T) {
		h, _ := activateExternal(t, nil)
		if replaced, err := h.plugin.ConfigurationWillBeSaved(newConfig(h, changed)); err != nil || replaced != nil {
			t.Fatalf("got %v, %v", replaced, err)
		}
	})

	t.Run("does not ask when the plugin's settings did not change", func(t *testing.T) {
		h, fake := activateExternal(t, nil)
		current := map[string]any{"config": `{"servers":[]}`, "idletimeoutminutes": 30}
		h.config.PluginSettings.Plugins = map[string]map[string]any{pluginID: current}
		if _, err := h.plugin.ConfigurationWillBeSaved(newConfig(h, map[string]any{"config": `{"servers":[]}`, "idletimeoutminutes": 30.0})); err != nil {
			t.Fatal(err)
		}
		if n := len(fake.requestsTo("/hooks/ConfigurationWillBeSaved")); n != 0 {
			t.Fatalf("asked the sidecar %d times about an unchanged config", n)
		}
	})

	t.Run("does not block the System Console when the sidecar fails", func(t *testing.T) {
		h, fake := activateExternal(t, nil)
		fake.handle("/hooks/ConfigurationWillBeSaved", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		})
		if _, err := h.plugin.ConfigurationWillBeSaved(newConfig(h, changed)); err != nil {
			t.Fatalf("a sidecar failure blocked the save: %v", err)
		}
	})

	t.Run("does not block the System Console before activation", func(t *testing.T) {
		h := newHarness(t, map[string]any{})
		if _, err := h.plugin.ConfigurationWillBeSaved(newConfig(h, changed)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestExecuteCommand(t *testing.T) {
	args := &model.CommandArgs{
		UserId: "alice", ChannelId: "town-square", TeamId: "team1", RootId: "root1",
		Command: "/mcp connect github", SiteURL: "https://chat.example.com", TriggerId: "trigger1",
	}

	t.Run("forwards CommandArgs as the invoking user and returns the sidecar's response", func(t *testing.T) {
		h, fake := activateExternal(t, nil)
		fake.handle("/hooks/ExecuteCommand", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"response_type":"ephemeral","text":"Open this link to connect"}`))
		})
		response, appErr := h.plugin.ExecuteCommand(nil, args)
		if appErr != nil || response.Text != "Open this link to connect" || response.ResponseType != "ephemeral" {
			t.Fatalf("got %+v %v", response, appErr)
		}
		got := fake.last(t, "/hooks/ExecuteCommand")
		if v := got.Header.Values(headerUserID); len(v) != 1 || v[0] != "alice" {
			t.Fatalf("user header %q", v)
		}
		var body map[string]string
		if err := json.Unmarshal(got.Body, &body); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"user_id": "alice", "channel_id": "town-square", "team_id": "team1", "root_id": "root1",
			"parent_id": "", "trigger_id": "trigger1", "command": "/mcp connect github", "site_url": "https://chat.example.com",
		}
		for key, value := range want {
			if body[key] != value {
				t.Fatalf("%s = %q, want %q (body %s)", key, body[key], value, got.Body)
			}
		}
	})

	t.Run("shows the sidecar's 4xx message to the user", func(t *testing.T) {
		h, fake := activateExternal(t, nil)
		fake.handle("/hooks/ExecuteCommand", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"Unknown server gitlab: try /mcp status"}`))
		})
		response, appErr := h.plugin.ExecuteCommand(nil, args)
		if appErr != nil || response.Text != "Unknown server gitlab: try /mcp status" || response.ResponseType != model.CommandResponseTypeEphemeral {
			t.Fatalf("got %+v %v", response, appErr)
		}
	})

	t.Run("tells the user what to do when the sidecar is down", func(t *testing.T) {
		h, fake := activateExternal(t, nil)
		fake.handle("/hooks/ExecuteCommand", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
		})
		response, appErr := h.plugin.ExecuteCommand(nil, args)
		if appErr != nil || !strings.Contains(response.Text, "ask a system admin") {
			t.Fatalf("got %+v %v", response, appErr)
		}
	})
}

func TestUserHasBeenDeactivated(t *testing.T) {
	h, fake := activateExternal(t, nil)
	h.plugin.UserHasBeenDeactivated(nil, &model.User{Id: "bob"})
	got := fake.last(t, "/hooks/UserHasBeenDeactivated")
	if body := decodeJSON(t, got.Body); body["user_id"] != "bob" || len(body) != 1 {
		t.Fatalf("body %s", got.Body)
	}
}

func TestOnDeactivateTellsTheSidecar(t *testing.T) {
	h, fake := activateExternal(t, nil)
	if err := h.plugin.OnDeactivate(); err != nil {
		t.Fatal(err)
	}
	if got := fake.last(t, "/hooks/OnDeactivate"); string(got.Body) != "{}" {
		t.Fatalf("body %s", got.Body)
	}
	if h.plugin.activeRun() != nil {
		t.Fatal("still active")
	}
}
