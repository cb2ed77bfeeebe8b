package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// The Agents plugin (the AI bot) takes MCP servers from other plugins by cross-plugin registration
// (../../docs/agents-bridge.md): this plugin registers its MCP endpoint there and unregisters it on
// deactivation. Agents keeps registrations in its KV store across its own restarts (newer versions),
// older versions only in memory; registering again is an idempotent overwrite, so the bridge simply
// registers again whenever Agents comes back or changes version.
const (
	agentsPluginID       = "mattermost-ai"
	agentsRegisterPath   = "/" + agentsPluginID + "/bridge/v1/mcp/register"
	agentsUnregisterPath = "/" + agentsPluginID + "/bridge/v1/mcp/unregister"
	// mcpEndpointPath is where this plugin serves MCP; Agents calls "/" + plugin_id + path via PluginHTTP.
	mcpEndpointPath = "/api/v1/mcp"
	// agentsServerName is how the Agents admin sees this server; Agents prefixes tool names with its slug.
	agentsServerName = "MCP Tools"
	// connectionsToolName is the MCP endpoint's always-present tool (server/mcp-endpoint/connections-tool.ts);
	// its default policy is all tool_configs carry until the sidecar has named them.
	connectionsToolName = "mcp_connections"
	settingAgentsBridge = "agentsbridge"
)

// Bridge states as the reverse channel reports them (GET /api/v1/agents-bridge).
const (
	bridgeInactive     = "inactive"      // the plugin is not active
	bridgeDisabled     = "disabled"      // AgentsBridge is off
	bridgeNotInstalled = "not_installed" // no plugin mattermost-ai on this server
	bridgeNotRunning   = "not_running"   // installed but disabled, failed or stopped
	bridgeRegistering  = "registering"   // attempts under way; detail is the last failure
	bridgeRegistered   = "registered"
	bridgeRefused      = "refused"     // Agents answered a final 4xx; detail is its error (e.g. licence)
	bridgeUnreachable  = "unreachable" // every attempt of a schedule failed; detail is the last failure
)

// agentsBridgeEnabled reads the AgentsBridge setting: on unless set to false.
func (s pluginSettings) agentsBridgeEnabled() bool {
	switch value := s[settingAgentsBridge].(type) {
	case bool:
		return value
	case string:
		return !strings.EqualFold(strings.TrimSpace(value), "false")
	default:
		return true
	}
}

// bridgeStatus is what `/mcp status` shows about the registration.
type bridgeStatus struct {
	State  string `json:"state"`
	Detail string `json:"detail,omitempty"`
}

// agentsAPI is the part of plugin.API the bridge uses.
type agentsAPI interface {
	PluginHTTP(*http.Request) *http.Response
	GetPluginStatus(id string) (*model.PluginStatus, *model.AppError)
	GetConfig() *model.Config
	GetLicense() *model.License
	LogInfo(msg string, keyValuePairs ...any)
	LogWarn(msg string, keyValuePairs ...any)
}

// bridgeSchedule is the reference helper's retry schedule plus how often Agents is looked at.
type bridgeSchedule struct {
	maxAttempts    int           // register attempts per schedule
	baseDelay      time.Duration // after the first failure; doubles
	maxDelay       time.Duration // cap of that delay
	poll           time.Duration // between looks at the Agents plugin's status
	requestTimeout time.Duration // bounds unregister on deactivation
}

var defaultBridgeSchedule = bridgeSchedule{
	maxAttempts:    15,
	baseDelay:      time.Second,
	maxDelay:       8 * time.Second,
	poll:           30 * time.Second,
	requestTimeout: 5 * time.Second,
}

// retryDelay is the wait after failed attempt n (1-based): 1, 2, 4, then 8 s.
func (s bridgeSchedule) retryDelay(attempt int) time.Duration {
	delay := s.baseDelay
	for i := 1; i < attempt && delay < s.maxDelay; i++ {
		delay *= 2
	}
	return min(delay, s.maxDelay)
}

// agentsBridge registers this plugin's MCP endpoint with the Agents plugin and keeps it registered.
// start, stop and setEnabled are called under the plugin's lifecycle lock; status at any time.
type agentsBridge struct {
	schedule bridgeSchedule
	// wait sleeps d unless ctx ends first (then it returns ctx's error); tests replace it.
	wait func(ctx context.Context, d time.Duration) error

	api      agentsAPI
	version  string
	cancel   context.CancelFunc
	done     chan struct{}
	retry    chan struct{} // asks the loop to register again now (a refusal may no longer hold)
	mu       sync.Mutex
	current  bridgeStatus
	attempts int // register requests sent since the last unregister
	// sidecarToolConfigs reads the tool_configs the sidecar last answered a configuration push with (nil: none yet).
	sidecarToolConfigs func() []agentsToolConfig
}

// agentsToolConfig is one entry of the register body's tool_configs (Agents' ToolConfig), as the sidecar
// names it (server/mcp-endpoint/agents-tool-configs.ts).
type agentsToolConfig struct {
	Name    string `json:"name"`
	Policy  string `json:"policy"`
	Enabled bool   `json:"enabled"`
}

func newAgentsBridge() *agentsBridge {
	return &agentsBridge{schedule: defaultBridgeSchedule, wait: sleepContext, current: bridgeStatus{State: bridgeInactive}}
}

func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// status is the bridge's state now; a nil bridge is inactive.
func (b *agentsBridge) status() bridgeStatus {
	if b == nil {
		return bridgeStatus{State: bridgeInactive}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.current
}

func (b *agentsBridge) set(state, detail string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.current = bridgeStatus{State: state, Detail: detail}
}

// start begins registering in the background when enabled; activation never waits for Agents.
func (b *agentsBridge) start(api agentsAPI, enabled bool) {
	b.api = api
	if status, err := api.GetPluginStatus(pluginID); err == nil && status != nil {
		b.version = status.Version
	}
	b.setEnabled(enabled)
}

// setEnabled follows the AgentsBridge setting: turning it off unregisters. Any configuration change
// (Mattermost calls OnConfigurationChange for every save, dev mode included) retries a refusal.
func (b *agentsBridge) setEnabled(enabled bool) {
	switch {
	case b.api == nil: // not started
	case enabled && b.cancel != nil:
		if state := b.status().State; state == bridgeRefused || state == bridgeUnreachable {
			select {
			case b.retry <- struct{}{}:
			default:
			}
		}
	case enabled:
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		b.cancel, b.done, b.retry = cancel, done, make(chan struct{}, 1)
		b.set(bridgeRegistering, "")
		retry := b.retry
		go func() {
			defer close(done)
			b.run(ctx, retry)
		}()
	case !enabled:
		b.halt()
		b.set(bridgeDisabled, "")
	}
}

// stop unregisters (when a registration may have landed) and ends the background work.
func (b *agentsBridge) stop() {
	if b.api == nil {
		return
	}
	b.halt()
	b.set(bridgeInactive, "")
}

// halt ends the loop, waiting a bounded time for an attempt in flight, then unregisters once.
func (b *agentsBridge) halt() {
	if b.cancel == nil {
		return
	}
	b.cancel()
	select {
	case <-b.done:
	case <-time.After(b.schedule.requestTimeout):
	}
	b.cancel, b.done = nil, nil
	b.mu.Lock()
	sent := b.attempts
	b.attempts = 0
	b.mu.Unlock()
	if sent > 0 && b.observe().reachable {
		b.unregister()
	}
}

// unregister posts once; PluginHTTP cannot be cancelled, so deactivation waits a bounded time for it.
func (b *agentsBridge) unregister() {
	answered := make(chan attemptResult, 1)
	go func() { answered <- b.post(agentsUnregisterPath, map[string]string{"plugin_id": pluginID}) }()
	select {
	case result := <-answered:
		if result.outcome != outcomeDone {
			b.api.LogWarn("Could not unregister from the Agents plugin", "reason", result.detail)
		}
	case <-time.After(b.schedule.requestTimeout):
		b.api.LogWarn("The Agents plugin did not answer the unregister request in time")
	}
}

// run registers whenever the Agents plugin is (or comes back) up, and records why it cannot.
func (b *agentsBridge) run(ctx context.Context, retry <-chan struct{}) {
	var last agentsObservation
	pending := true
	for {
		now := b.observe()
		if ctx.Err() != nil {
			return
		}
		if now.reachable && now != last {
			pending = true // installed, enabled, restarted or upgraded since the last look
		}
		switch {
		case !now.reachable:
			b.set(now.state, now.detail)
		case pending:
			pending = !b.registerWithRetry(ctx)
		}
		last = now
		retried, err := b.waitForNextLook(ctx, retry)
		if err != nil {
			return
		}
		pending = pending || retried
	}
}

// waitForNextLook waits one poll interval, or less when a retry is asked for (then true).
func (b *agentsBridge) waitForNextLook(ctx context.Context, retry <-chan struct{}) (bool, error) {
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	retried := make(chan bool, 1)
	go func() {
		select {
		case <-retry:
			retried <- true
			cancel()
		case <-waitCtx.Done():
			retried <- false
		}
	}()
	err := b.wait(waitCtx, b.schedule.poll)
	cancel()
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if <-retried {
		return true, nil
	}
	return false, err
}

// registerWithRetry follows the schedule; it reports false when it stopped early because Agents
// went away or the bridge is stopping, so the next look tries again.
func (b *agentsBridge) registerWithRetry(ctx context.Context) bool {
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return false
		}
		b.mu.Lock()
		b.attempts++
		b.mu.Unlock()
		result := b.post(agentsRegisterPath, b.registration())
		if ctx.Err() != nil { // stopped meanwhile: the state is the stopper's to set
			return false
		}
		switch result.outcome {
		case outcomeDone:
			b.set(bridgeRegistered, "")
			b.api.LogInfo("Registered the MCP endpoint with the Agents plugin", "attempts", attempt)
			return true
		case outcomeRefused:
			b.set(bridgeRefused, result.detail)
			b.api.LogWarn("The Agents plugin refused this plugin's MCP registration", "reason", result.detail)
			return true
		case outcomeRetry: // tried again below while the schedule allows
		}
		if attempt >= b.schedule.maxAttempts {
			b.set(bridgeUnreachable, fmt.Sprintf("no registration after %d attempts; last: %s", attempt, result.detail))
			b.api.LogWarn("Gave up registering with the Agents plugin until it restarts", "attempts", attempt, "reason", result.detail)
			return true
		}
		if now := b.observe(); !now.reachable {
			b.set(now.state, now.detail)
			return false
		}
		b.set(bridgeRegistering, result.detail)
		if b.wait(ctx, b.schedule.retryDelay(attempt)) != nil {
			return false
		}
	}
}

// registration is the register body (Agents' PluginServerConfig). Agents takes plugin_id from the
// trusted Mattermost-Plugin-ID header; enabled and tool_configs are admin-owned there after the
// first registration, so these are only first defaults.
func (b *agentsBridge) registration() map[string]any {
	return map[string]any{
		"plugin_id":       pluginID,
		"name":            agentsServerName,
		"path":            mcpEndpointPath,
		"expose_external": false,
		"version":         b.version,
		"enabled":         true,
		"tool_configs":    b.toolConfigs(),
	}
}

// toolConfigs are the first policies: the sidecar's list for the applied Config (mcp_connections, then the
// admin's hints under the names the endpoint lists). Before the sidecar answered one (or from an older sidecar
// that answers none), only mcp_connections, run unasked in DMs: listing the user's own connections changes
// nothing, and the bot needs it to send Connect links.
func (b *agentsBridge) toolConfigs() []agentsToolConfig {
	if b.sidecarToolConfigs != nil {
		if configs := b.sidecarToolConfigs(); len(configs) > 0 {
			return configs
		}
	}
	return []agentsToolConfig{{Name: connectionsToolName, Policy: "auto_run_in_dm", Enabled: true}}
}

type attemptOutcome int

const (
	outcomeDone    attemptOutcome = iota
	outcomeRetry                  // 404 (not up yet), 429, 5xx, or no answer
	outcomeRefused                // any other status: final until something changes
)

type attemptResult struct {
	outcome attemptOutcome
	detail  string
}

// post sends one JSON request to the Agents plugin through PluginHTTP.
func (b *agentsBridge) post(path string, body any) attemptResult {
	payload, err := json.Marshal(body)
	if err != nil {
		return attemptResult{outcomeRefused, err.Error()}
	}
	//nolint:noctx // PluginHTTP cannot be cancelled (see unregister), so a context would promise nothing
	req, err := http.NewRequest(http.MethodPost, path, bytes.NewReader(payload))
	if err != nil {
		return attemptResult{outcomeRefused, err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	resp := b.api.PluginHTTP(req)
	if resp == nil {
		return attemptResult{outcomeRetry, "no answer from the Agents plugin"}
	}
	defer func() { _ = resp.Body.Close() }()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return attemptResult{outcomeDone, ""}
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return attemptResult{outcomeRetry, answerDetail(resp.StatusCode, text)}
	default:
		return attemptResult{outcomeRefused, answerDetail(resp.StatusCode, text)}
	}
}

// answerDetail is Agents' {"error": ...} message, else the status and a bounded body.
func answerDetail(status int, body []byte) string {
	var answer struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &answer) == nil && strings.TrimSpace(answer.Error) != "" {
		return answer.Error
	}
	text := strings.Join(strings.Fields(string(body)), " ")
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	if text == "" {
		return fmt.Sprintf("status %d", status)
	}
	return fmt.Sprintf("status %d: %s", status, text)
}

// agentsObservation is one look at the Agents plugin; two looks differ when it restarted between
// them in a way Mattermost shows (state or version), or the server got another licence.
type agentsObservation struct {
	reachable bool   // running, or enabled and (probably) starting: worth a register attempt
	state     string // the bridge state to show when not reachable
	detail    string
	version   string
	running   bool
	licence   string // the server licence's id: a new licence may lift a refusal
}

func (b *agentsBridge) observe() agentsObservation {
	status, appErr := b.api.GetPluginStatus(agentsPluginID)
	switch {
	case appErr != nil && appErr.StatusCode == http.StatusNotFound:
		return agentsObservation{state: bridgeNotInstalled}
	case appErr != nil || status == nil:
		// Unknown: an attempt costs little and its answer says more.
		return agentsObservation{reachable: true}
	}
	obs := agentsObservation{version: status.Version, running: status.State == model.PluginStateRunning}
	if licence := b.api.GetLicense(); licence != nil {
		obs.licence = licence.Id
	}
	switch status.State {
	case model.PluginStateRunning:
		obs.reachable = true
	case model.PluginStateNotRunning:
		// Mattermost shows a plugin that is still activating as not running; enabled means it is coming.
		obs.reachable = b.agentsEnabled()
		obs.state, obs.detail = bridgeNotRunning, "the Agents plugin is disabled"
		if obs.reachable {
			obs.detail = "the Agents plugin is starting"
		}
	case model.PluginStateFailedToStart, model.PluginStateFailedToStayRunning:
		obs.state, obs.detail = bridgeNotRunning, "the Agents plugin failed to start: "+strings.TrimSpace(status.Error)
	default:
		obs.state, obs.detail = bridgeNotRunning, "the Agents plugin is stopping"
	}
	return obs
}

func (b *agentsBridge) agentsEnabled() bool {
	cfg := b.api.GetConfig()
	if cfg == nil {
		return true
	}
	state := cfg.PluginSettings.PluginStates[agentsPluginID]
	return state != nil && state.Enable
}
