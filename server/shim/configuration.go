package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// Settings keys as Mattermost stores them: plugin.json keys, lower-cased.
const (
	settingSidecarURL    = "sidecarurl"
	settingSidecarSecret = "sidecarsecret"
	settingStoreURL      = "storeurl"
	settingNodePath      = "nodepath"
	settingConfig        = "config"
)

// pluginSettings is this plugin's section of the server config, keys lower-cased.
type pluginSettings map[string]any

func (s pluginSettings) text(key string) string {
	value, _ := s[key].(string)
	return strings.TrimSpace(value)
}

// forSidecar is what the sidecar sees: everything but the secret it already holds.
func (s pluginSettings) forSidecar() map[string]any {
	out := make(map[string]any, len(s))
	for key, value := range s {
		out[strings.ToLower(key)] = value
	}
	delete(out, settingSidecarSecret)
	return out
}

// sidecarMode is what the shim itself reads from the settings: a change means a new activation.
type sidecarMode struct{ url, secret, storeURL, nodePath string }

func modeOf(s pluginSettings) sidecarMode {
	return sidecarMode{s.text(settingSidecarURL), s.text(settingSidecarSecret), s.text(settingStoreURL), s.text(settingNodePath)}
}

// OnConfigurationChange remembers the settings and pushes them to the sidecar when it is up. It also
// runs once before OnActivate; the push then happens once /healthz answers. A change of SidecarURL,
// SidecarSecret, StoreURL or NodePath restarts the sidecar (or reconnects) with the new values.
func (p *Plugin) OnConfigurationChange() error {
	p.lifecycle.Lock()
	defer p.lifecycle.Unlock()
	settings := pluginSettings{}
	if err := p.API.LoadPluginConfiguration(&settings); err != nil {
		return fmt.Errorf("load the plugin configuration: %w", err)
	}
	p.mu.Lock()
	p.settings = settings
	run := p.run
	p.mu.Unlock()
	switch {
	case !p.activated: // before OnActivate: it pushes these settings itself
	case run == nil || run.mode != modeOf(settings): // changed, or the last restart failed
		p.API.LogInfo("The MCP sidecar settings changed; restarting the sidecar connection")
		p.deactivate(true)
		if err := p.activate(); err != nil {
			p.API.LogError("Could not restart MCP Tools with the new sidecar settings", "error", err.Error())
			return err
		}
	default:
		p.pushConfiguration(run)
		p.bridge.setEnabled(settings.agentsBridgeEnabled())
	}
	return nil
}

// pushConfigurationAnswer is the sidecar's answer to an accepted push (docs/sidecar-protocol.md).
type pushConfigurationAnswer struct {
	AgentsToolConfigs []agentsToolConfig `json:"agentsToolConfigs"`
}

// pushConfiguration sends the newest settings and keeps the tool_configs the sidecar names for them; a refused
// or failed push keeps the previous ones. It is serialized so an older push never lands last.
func (p *Plugin) pushConfiguration(run *activation) {
	p.pushMu.Lock()
	defer p.pushMu.Unlock()
	p.mu.RLock()
	settings := p.settings
	p.mu.RUnlock()
	ctx, cancel := context.WithTimeout(context.Background(), p.timing.hookTimeout)
	defer cancel()
	body := map[string]any{"settings": settings.forSidecar()}
	var answer pushConfigurationAnswer
	err := run.client.postHook(ctx, "OnConfigurationChange", "", body, &answer)
	var refused *hookError
	switch {
	case errors.As(err, &refused):
		p.API.LogWarn("The MCP sidecar refused the new configuration; it keeps the previous one", "reason", refused.Message)
	case err != nil:
		p.API.LogError("Could not push the configuration to the MCP sidecar", "error", err.Error())
	default: // an older sidecar answers {}: nil, so the bridge falls back to the mcp_connections default
		p.mu.Lock()
		p.agentsToolConfigs = answer.AgentsToolConfigs
		p.mu.Unlock()
	}
}

// currentAgentsToolConfigs is a copy of the tool_configs the sidecar last named (nil: none yet).
func (p *Plugin) currentAgentsToolConfigs() []agentsToolConfig {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return slices.Clone(p.agentsToolConfigs)
}

// ConfigurationWillBeSaved first puts back what the System Console sent masked (secret_settings.go), so
// Mattermost stores the saved secrets and never the mask; the restored config is returned. Then the
// sidecar validates this plugin's settings: a 400 rejects the save with the sidecar's message. Saves that
// leave the plugin's settings unchanged, or that happen while the sidecar is down, pass, so a sidecar
// problem never blocks an admin from saving the rest of the System Console.
func (p *Plugin) ConfigurationWillBeSaved(newCfg *model.Config) (*model.Config, error) {
	if newCfg == nil || newCfg.PluginSettings.Plugins[pluginID] == nil {
		return nil, nil
	}
	// The saved values: GetConfig masks the secret settings like the console does.
	var current pluginSettings
	if cfg := p.API.GetUnsanitizedConfig(); cfg != nil {
		current = pluginSettings(cfg.PluginSettings.Plugins[pluginID])
	}
	restored, changed, err := restoreMaskedSettings(pluginSettings(newCfg.PluginSettings.Plugins[pluginID]), current)
	if err != nil {
		return nil, configurationRejected(err.Error())
	}
	var replaced *model.Config
	if changed {
		replaced = newCfg.Clone()
		replaced.PluginSettings.Plugins[pluginID] = restored
	}
	next := restored.forSidecar()
	if current != nil && sameJSON(next, current.forSidecar()) {
		return replaced, nil
	}
	run := p.activeRun()
	if run == nil {
		p.API.LogWarn("MCP settings saved without validation: the sidecar is not running")
		return replaced, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timing.hookTimeout)
	defer cancel()
	err = run.client.postHook(ctx, "ConfigurationWillBeSaved", "", map[string]any{"settings": next}, nil)
	var refused *hookError
	switch {
	case errors.As(err, &refused) && refused.Status == 400:
		return nil, configurationRejected(refused.Message)
	case err != nil:
		p.API.LogWarn("MCP settings saved without validation: the sidecar did not answer", "error", err.Error())
	}
	return replaced, nil
}

// configurationRejected is an AppError so Mattermost shows the admin this message: a plain error
// would be wrapped as "An error occurred running the plugin hook on configuration save."
func configurationRejected(message string) *model.AppError {
	appErr := model.NewAppError("ConfigurationWillBeSaved", "plugin.mattermost_mcp.configuration_rejected", nil, "", http.StatusBadRequest)
	appErr.Message = message
	appErr.SkipTranslation = true
	return appErr
}

// sameJSON compares two settings maps as their JSON would, so 30 and 30.0 are equal.
func sameJSON(a, b map[string]any) bool {
	normalize := func(m map[string]any) any {
		data, err := json.Marshal(m)
		if err != nil {
			return nil
		}
		var out any
		if json.Unmarshal(data, &out) != nil {
			return nil
		}
		return out
	}
	left, right := normalize(a), normalize(b)
	return left != nil && reflect.DeepEqual(left, right)
}

// currentSettings is a copy of the last settings Mattermost handed over.
func (p *Plugin) currentSettings() pluginSettings {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return maps.Clone(p.settings)
}

// timing holds every delay the shim waits on; tests shorten them.
type timing struct {
	healthTimeout  time.Duration // how long OnActivate waits for /healthz
	healthInterval time.Duration // between /healthz polls
	hookTimeout    time.Duration // per hook request
	stopGrace      time.Duration // SIGTERM → SIGKILL
	restartBackoff time.Duration // first delay before restarting a dead sidecar; doubles
	restartMax     time.Duration // cap of that delay
	maxRestarts    int           // crashes in a row before the shim gives up
	stableAfter    time.Duration // a sidecar that ran this long resets the crash count
	watchInterval  time.Duration // external mode: health watch period
}

var defaultTiming = timing{
	healthTimeout:  15 * time.Second,
	healthInterval: 100 * time.Millisecond,
	hookTimeout:    30 * time.Second,
	stopGrace:      10 * time.Second,
	restartBackoff: time.Second,
	restartMax:     30 * time.Second,
	maxRestarts:    5,
	stableAfter:    time.Minute,
	watchInterval:  10 * time.Second,
}
