package main

import (
	"context"
	"errors"
	"fmt"
	"net/http/httputil"
	"os"
	"sync"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
)

// Plugin is the shim: it owns the activation secret, the sidecar (child process or external
// service), the reverse channel and the forwarding of hooks.
type Plugin struct {
	plugin.MattermostPlugin

	// nodePath and sidecarEntry start the embedded sidecar: `nodePath sidecarEntry`, relative to the
	// bundle unless absolute; the NodePath setting overrides nodePath. Tests point them at a stand-in program.
	nodePath     string
	sidecarEntry string
	timing       timing

	lifecycle sync.Mutex // one activation, deactivation or restart at a time
	activated bool       // between Mattermost's OnActivate and OnDeactivate, even if a restart failed

	mu       sync.RWMutex
	settings pluginSettings // last LoadPluginConfiguration, kept from before OnActivate
	run      *activation    // nil while inactive
	// agentsToolConfigs is the sidecar's answer to the last accepted push: the Agents plugin's first tool_configs.
	agentsToolConfigs []agentsToolConfig

	pushMu sync.Mutex // serializes OnConfigurationChange pushes

	bridge *agentsBridge // registration with the Agents plugin (agents_registration.go)
}

func newPlugin() *Plugin {
	return &Plugin{
		nodePath:     bundledRuntime,
		sidecarEntry: "server/dist/sidecar/server/main.js",
		timing:       defaultTiming,
		bridge:       newAgentsBridge(),
	}
}

// activation is everything one OnActivate set up; OnDeactivate tears it down.
type activation struct {
	client  *sidecarClient
	proxy   *httputil.ReverseProxy
	reverse *reverseChannel
	process *sidecarProcess // nil in external mode
	stop    context.CancelFunc
	done    sync.WaitGroup // background loops (external health watch)
	botID   string
	mode    sidecarMode            // the settings this activation was built from
	tempDir string                 // private socket directory to remove, if one was made
	token   *model.UserAccessToken // the embedded sidecar's bot token; nil in external mode
}

func (p *Plugin) activeRun() *activation {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.run
}

// OnActivate starts (or reaches) the sidecar, then pushes the configuration, ensures the bot and
// registers /mcp. Any failure undoes what was started.
func (p *Plugin) OnActivate() error {
	p.lifecycle.Lock()
	defer p.lifecycle.Unlock()
	if err := p.activate(); err != nil {
		return err
	}
	p.activated = true
	return nil
}

func (p *Plugin) activate() error {
	botID, err := p.ensureBot()
	if err != nil {
		return err
	}
	run, err := p.connectSidecar(botID)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.run = run
	p.mu.Unlock()
	p.pushConfiguration(run)
	if run.process != nil {
		go run.process.supervise(func() { p.pushConfiguration(run) })
	} else {
		run.watchExternal(p)
	}
	if err := p.registerCommand(); err != nil {
		p.deactivate(false)
		return err
	}
	p.bridge.sidecarToolConfigs = p.currentAgentsToolConfigs // the policies of the Config pushed above
	p.bridge.start(p.API, p.currentSettings().agentsBridgeEnabled())
	return nil
}

// connectSidecar chooses the mode from the settings: external when SidecarURL is set, embedded
// otherwise. It returns once /healthz answered.
func (p *Plugin) connectSidecar(botID string) (*activation, error) {
	settings := p.currentSettings()
	dirs, err := p.pluginDirs()
	if err != nil {
		return nil, err
	}
	secret, address := settings.text(settingSidecarSecret), settings.text(settingSidecarURL)
	external := address != ""
	if external && len(secret) < 16 {
		return nil, errors.New("SidecarURL is set, so SidecarSecret must be too (at least 16 characters): regenerate it in the plugin settings and give the same value to the sidecar as MCP_SIDECAR_SECRET")
	}
	if !external {
		if secret, err = newActivationSecret(); err != nil {
			return nil, err
		}
		address = "unix:" + dirs.sidecarSocket
	}
	client, err := newSidecarClient(address, secret)
	if err != nil {
		return nil, err
	}
	run := &activation{client: client, botID: botID, mode: modeOf(settings), tempDir: dirs.tempDir}
	run.proxy = newSidecarProxy(client, p.API.LogError)
	if run.reverse, err = startReverseChannel(p.API, dirs.shimSocket, secret, botID, p.bridge.status); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timing.healthTimeout)
	defer cancel()
	if external {
		if err := client.waitHealthy(ctx, p.timing.healthInterval, nil); err != nil {
			run.reverse.close()
			return nil, fmt.Errorf("MCP sidecar at SidecarURL: %w", err)
		}
		return run, nil
	}
	run.token = p.createBotToken(botID)
	command := p.sidecarCommand(dirs, secret, run.token)
	run.process = newSidecarProcess(p.API, command, client, p.timing)
	if err := run.process.start(ctx); err != nil {
		run.process.stop()
		run.reverse.close()
		p.revokeBotToken(run.token)
		return nil, fmt.Errorf("start the MCP sidecar (%s): %w", command.runtime.path, err)
	}
	return run, nil
}

// OnDeactivate tells the sidecar, then stops it and closes the reverse channel.
func (p *Plugin) OnDeactivate() error {
	p.lifecycle.Lock()
	defer p.lifecycle.Unlock()
	p.activated = false
	p.deactivate(true)
	return nil
}

func (p *Plugin) deactivate(notify bool) {
	p.mu.Lock()
	run := p.run
	p.run = nil
	p.mu.Unlock()
	if run == nil {
		return
	}
	p.bridge.stop() // unregister while the endpoint still answers
	if run.stop != nil {
		run.stop()
	}
	run.done.Wait()
	if notify {
		ctx, cancel := context.WithTimeout(context.Background(), p.timing.stopGrace/2)
		if err := run.client.postHook(ctx, "OnDeactivate", "", map[string]any{}, nil); err != nil {
			p.API.LogWarn("The MCP sidecar did not acknowledge OnDeactivate", "error", err.Error())
		}
		cancel()
	}
	if run.process != nil {
		run.process.stop()
	}
	p.revokeBotToken(run.token)
	run.reverse.close()
	if run.tempDir != "" {
		_ = os.RemoveAll(run.tempDir)
	}
}
