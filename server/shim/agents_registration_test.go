package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin/plugintest"
	"github.com/stretchr/testify/mock"
)

// agentsWorld is Mattermost as the bridge sees it: the Agents plugin's status and enablement, and
// its bridge routes answering from a script. Every PluginHTTP request is recorded.
type agentsWorld struct {
	t        *testing.T
	api      *testAPI
	mu       sync.Mutex
	status   *model.PluginStatus // nil: not installed
	enabled  bool
	licence  string // the server licence's id; empty: none
	answers  []int  // statuses for the next register requests; then 200
	answer   int    // status for every register request once answers run out (0: 200)
	body     string
	requests []agentsRequest

	waits    []time.Duration
	atPoll   chan struct{}
	nextPoll chan struct{}
}

type agentsRequest struct {
	path   string
	header http.Header
	body   map[string]any
}

func newAgentsWorld(t *testing.T) *agentsWorld {
	t.Helper()
	w := &agentsWorld{t: t, api: &testAPI{API: plugintest.NewAPI(t)}, atPoll: make(chan struct{}), nextPoll: make(chan struct{})}
	w.mockOn(w.api.API)
	w.mockConfig(w.api.API)
	return w
}

// mockOn answers GetPluginStatus and PluginHTTP from the world.
func (w *agentsWorld) mockOn(api *plugintest.API) {
	api.On("GetPluginStatus", mock.Anything).Return(func(id string) (*model.PluginStatus, *model.AppError) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch {
		case id == pluginID:
			return &model.PluginStatus{PluginId: pluginID, State: model.PluginStateRunning, Version: "0.1.0"}, nil
		case id != agentsPluginID || w.status == nil:
			return nil, model.NewAppError("GetPluginStatus", "app.plugin.not_installed.app_error", nil, "", http.StatusNotFound)
		}
		status := *w.status
		return &status, nil
	}).Maybe()
	api.On("GetLicense").Return(func() *model.License {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.licence == "" {
			return nil
		}
		return &model.License{Id: w.licence}
	}).Maybe()
	api.On("PluginHTTP", mock.Anything).Return(func(req *http.Request) *http.Response {
		data, _ := io.ReadAll(req.Body)
		var body map[string]any
		_ = json.Unmarshal(data, &body)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.requests = append(w.requests, agentsRequest{req.URL.Path, req.Header.Clone(), body})
		status, text := http.StatusOK, ""
		if req.URL.Path == agentsRegisterPath {
			switch {
			case len(w.answers) > 0:
				status, w.answers = w.answers[0], w.answers[1:]
			case w.answer != 0:
				status = w.answer
			}
			if status != http.StatusOK {
				text = w.body
			}
		}
		if status < 0 { // no answer at all
			return nil
		}
		return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(text)), Header: http.Header{}}
	}).Maybe()
}

// mockConfig answers GetConfig with the Agents plugin's enablement.
func (w *agentsWorld) mockConfig(api *plugintest.API) {
	api.On("GetConfig").Return(func() *model.Config {
		w.mu.Lock()
		defer w.mu.Unlock()
		cfg := &model.Config{}
		cfg.SetDefaults()
		cfg.PluginSettings.PluginStates = map[string]*model.PluginState{agentsPluginID: {Enable: w.enabled}}
		return cfg
	}).Maybe()
}

// agentsRunning installs the Agents plugin, enabled and running, at version.
func (w *agentsWorld) agentsRunning(version string) {
	w.setAgents(&model.PluginStatus{PluginId: agentsPluginID, State: model.PluginStateRunning, Version: version}, true)
}

func (w *agentsWorld) setAgents(status *model.PluginStatus, enabled bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status, w.enabled = status, enabled
}

func (w *agentsWorld) script(answers ...int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.answers = answers
}

func (w *agentsWorld) sent(path string) []agentsRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []agentsRequest
	for _, r := range w.requests {
		if r.path == path {
			out = append(out, r)
		}
	}
	return out
}

// wait stands in for sleeping: retry delays pass at once; a poll waits for the test's tick.
func (w *agentsWorld) wait(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.waits = append(w.waits, d)
	w.mu.Unlock()
	if d != defaultBridgeSchedule.poll {
		return ctx.Err()
	}
	select {
	case w.atPoll <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-w.nextPoll:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// settled waits until the bridge has done what it does on this look and waits for the next one.
func (w *agentsWorld) settled() {
	w.t.Helper()
	select {
	case <-w.atPoll:
	case <-time.After(10 * time.Second):
		w.t.Fatal("the bridge never came back to waiting for the next look at the Agents plugin")
	}
}

// nextLook lets the poll interval pass and waits for the bridge to settle again.
func (w *agentsWorld) nextLook() {
	w.t.Helper()
	w.nextPoll <- struct{}{}
	w.settled()
}

// retryDelays are the waits between register attempts, in order.
func (w *agentsWorld) retryDelays() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []time.Duration
	for _, d := range w.waits {
		if d != defaultBridgeSchedule.poll {
			out = append(out, d)
		}
	}
	return out
}

// started is a bridge turned on, after its first look at the Agents plugin.
func (w *agentsWorld) started() *agentsBridge {
	b := w.bridge()
	b.start(w.api, true)
	w.settled()
	return b
}

// expectSent checks how many requests went to path.
func (w *agentsWorld) expectSent(path string, want int, when string) {
	w.t.Helper()
	if n := len(w.sent(path)); n != want {
		w.t.Fatalf("%d requests to %s %s, want %d", n, path, when, want)
	}
}

func (w *agentsWorld) bridge() *agentsBridge {
	b := newAgentsBridge()
	b.wait = w.wait
	w.t.Cleanup(b.stop)
	return b
}

func expectStatus(t *testing.T, b *agentsBridge, state, detailPart string) {
	t.Helper()
	got := b.status()
	if got.State != state || !strings.Contains(got.Detail, detailPart) {
		t.Fatalf("bridge status %+v, want %s with %q", got, state, detailPart)
	}
}

func TestBridgeRegistersTheMCPEndpointWithTheAgentsPlugin(t *testing.T) {
	w := newAgentsWorld(t)
	w.agentsRunning("2.1.0")
	b := w.started()

	expectStatus(t, b, bridgeRegistered, "")
	sent := w.sent(agentsRegisterPath)
	if len(sent) != 1 {
		t.Fatalf("%d register requests, want 1", len(sent))
	}
	body := sent[0].body
	for key, want := range map[string]any{
		"plugin_id": pluginID, "name": agentsServerName, "path": "/api/v1/mcp",
		"expose_external": false, "version": "0.1.0", "enabled": true,
	} {
		if body[key] != want {
			t.Errorf("register %s = %v, want %v", key, body[key], want)
		}
	}
	configs, _ := body["tool_configs"].([]any)
	if len(configs) != 1 || configs[0].(map[string]any)["name"] != connectionsToolName {
		t.Errorf("tool_configs %v, want the connections tool's default", body["tool_configs"])
	}
	if sent[0].header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", sent[0].header.Get("Content-Type"))
	}

	w.nextLook()
	w.nextLook()
	w.expectSent(agentsRegisterPath, 1, "while Agents kept running")
}

func TestBridgeRetriesOn404429And5xxWithTheReferenceScheduleThenGivesUp(t *testing.T) {
	w := newAgentsWorld(t)
	w.agentsRunning("2.1.0")
	w.script(http.StatusNotFound, http.StatusTooManyRequests, http.StatusBadGateway, -1)
	w.answer, w.body = http.StatusServiceUnavailable, `{"error":"busy"}`
	b := w.started()

	w.expectSent(agentsRegisterPath, 15, "in all")
	var want []time.Duration
	for _, seconds := range []int{1, 2, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8} {
		want = append(want, time.Duration(seconds)*time.Second)
	}
	if got := w.retryDelays(); !slices.Equal(got, want) {
		t.Fatalf("delays %v, want %v", got, want)
	}
	expectStatus(t, b, bridgeUnreachable, "after 15 attempts; last: busy")

	// Agents running on as before: no new schedule until it restarts.
	w.nextLook()
	w.expectSent(agentsRegisterPath, 15, "after giving up")
}

func TestBridgeRegistersOnceTheAgentsPluginAnswersAfterRetries(t *testing.T) {
	w := newAgentsWorld(t)
	w.agentsRunning("2.1.0")
	w.script(http.StatusNotFound, http.StatusInternalServerError)
	b := w.started()

	expectStatus(t, b, bridgeRegistered, "")
	if got := w.retryDelays(); !slices.Equal(got, []time.Duration{time.Second, 2 * time.Second}) {
		t.Fatalf("delays %v, want 1s 2s", got)
	}
}

func TestBridgeTakesALicenceRefusalAsFinalAndShowsItsReason(t *testing.T) {
	w := newAgentsWorld(t)
	w.agentsRunning("2.1.0")
	w.answer = http.StatusForbidden
	w.body = `{"error":"Remote and external MCP servers requires a Mattermost Enterprise license or higher; the current license level is Free","license_required":"enterprise"}`
	b := w.started()

	expectStatus(t, b, bridgeRefused, "requires a Mattermost Enterprise license")
	w.nextLook()
	w.expectSent(agentsRegisterPath, 1, "after a refusal")
}

func TestBridgeTriesARefusalAgainWhenTheServerGetsALicence(t *testing.T) {
	w := newAgentsWorld(t)
	w.agentsRunning("2.1.0")
	w.script(http.StatusForbidden)
	w.body = `{"error":"Remote and external MCP servers requires a Mattermost Enterprise license or higher"}`
	b := w.started()
	expectStatus(t, b, bridgeRefused, "Enterprise license")

	w.mu.Lock()
	w.licence = "enterprise-licence-id"
	w.mu.Unlock()
	w.nextLook()
	expectStatus(t, b, bridgeRegistered, "")
	w.expectSent(agentsRegisterPath, 2, "after a licence was added")
}

func TestBridgeTriesARefusalAgainAfterAConfigurationChange(t *testing.T) {
	w := newAgentsWorld(t)
	w.agentsRunning("2.1.0")
	w.script(http.StatusForbidden)
	b := w.started()
	expectStatus(t, b, bridgeRefused, "status 403")

	b.setEnabled(true) // OnConfigurationChange: e.g. an admin turned on the development settings
	w.settled()        // without waiting out the poll interval
	expectStatus(t, b, bridgeRegistered, "")
	w.expectSent(agentsRegisterPath, 2, "after the configuration changed")

	b.setEnabled(true) // registered: nothing to retry
	w.nextLook()
	w.expectSent(agentsRegisterPath, 2, "after another configuration change")
}

func TestBridgeWaitsForTheAgentsPluginToBeInstalled(t *testing.T) {
	w := newAgentsWorld(t)
	b := w.started()

	expectStatus(t, b, bridgeNotInstalled, "")
	w.expectSent(agentsRegisterPath, 0, "while Agents is not installed")

	w.agentsRunning("2.1.0")
	w.nextLook()
	expectStatus(t, b, bridgeRegistered, "")
}

func TestBridgeShowsADisabledOrFailedAgentsPluginAndRegistersWhenItRuns(t *testing.T) {
	w := newAgentsWorld(t)
	w.setAgents(&model.PluginStatus{PluginId: agentsPluginID, State: model.PluginStateNotRunning, Version: "2.1.0"}, false)
	b := w.started()
	expectStatus(t, b, bridgeNotRunning, "disabled")

	w.setAgents(&model.PluginStatus{PluginId: agentsPluginID, State: model.PluginStateFailedToStart, Version: "2.1.0", Error: "no LLM configured"}, true)
	w.nextLook()
	expectStatus(t, b, bridgeNotRunning, "failed to start: no LLM configured")
	w.expectSent(agentsRegisterPath, 0, "while Agents is not running")

	w.agentsRunning("2.1.0")
	w.nextLook()
	expectStatus(t, b, bridgeRegistered, "")
}

// Mattermost shows a plugin that is still activating as "not running": when it is enabled, the
// schedule runs (404s until its routes exist), as at a server start where this plugin came first.
func TestBridgeRetriesWhileAnEnabledAgentsPluginIsStillStarting(t *testing.T) {
	w := newAgentsWorld(t)
	w.setAgents(&model.PluginStatus{PluginId: agentsPluginID, State: model.PluginStateNotRunning, Version: "2.1.0"}, true)
	w.script(http.StatusNotFound, http.StatusNotFound)
	b := w.started()

	expectStatus(t, b, bridgeRegistered, "")
	w.expectSent(agentsRegisterPath, 3, "in all")
}

func TestBridgeStopsRetryingWhenTheAgentsPluginIsDisabledMidway(t *testing.T) {
	w := newAgentsWorld(t)
	w.agentsRunning("2.1.0")
	w.answer = http.StatusBadGateway
	b := w.bridge()
	b.wait = func(ctx context.Context, d time.Duration) error {
		if d != defaultBridgeSchedule.poll {
			w.setAgents(&model.PluginStatus{PluginId: agentsPluginID, State: model.PluginStateNotRunning, Version: "2.1.0"}, false)
		}
		return w.wait(ctx, d)
	}
	b.start(w.api, true)
	w.settled()

	expectStatus(t, b, bridgeNotRunning, "disabled")
	w.expectSent(agentsRegisterPath, 2, "in all")
}

func TestBridgeRegistersAgainWhenTheAgentsPluginRestartsOrIsUpgraded(t *testing.T) {
	w := newAgentsWorld(t)
	w.agentsRunning("2.1.0")
	b := w.started()

	w.setAgents(&model.PluginStatus{PluginId: agentsPluginID, State: model.PluginStateNotRunning, Version: "2.1.0"}, false)
	w.nextLook()
	expectStatus(t, b, bridgeNotRunning, "disabled")
	w.agentsRunning("2.1.0")
	w.nextLook()
	expectStatus(t, b, bridgeRegistered, "")
	w.expectSent(agentsRegisterPath, 2, "after Agents restarted")

	w.agentsRunning("2.2.0") // replaced between two looks
	w.nextLook()
	w.expectSent(agentsRegisterPath, 3, "after Agents was upgraded")
}

func TestBridgeUnregistersOnStopOnlyAfterRegistering(t *testing.T) {
	w := newAgentsWorld(t)
	w.agentsRunning("2.1.0")
	b := w.started()
	b.stop()

	expectStatus(t, b, bridgeInactive, "")
	sent := w.sent(agentsUnregisterPath)
	if len(sent) != 1 || sent[0].body["plugin_id"] != pluginID {
		t.Fatalf("unregister requests %+v, want one for %s", sent, pluginID)
	}

	quiet := newAgentsWorld(t)
	idle := quiet.bridge()
	idle.start(quiet.api, true)
	quiet.settled() // not installed: nothing sent
	idle.stop()
	if n := len(quiet.sent(agentsUnregisterPath)); n != 0 {
		t.Fatalf("%d unregister requests without a registration", n)
	}
}

func TestTheAgentsBridgeSettingTurnsRegistrationOffAndOn(t *testing.T) {
	w := newAgentsWorld(t)
	w.agentsRunning("2.1.0")
	b := w.bridge()
	b.start(w.api, false)
	expectStatus(t, b, bridgeDisabled, "")
	w.expectSent(agentsRegisterPath, 0, "with the bridge off")

	b.setEnabled(true)
	w.settled()
	expectStatus(t, b, bridgeRegistered, "")

	b.setEnabled(false)
	expectStatus(t, b, bridgeDisabled, "")
	w.expectSent(agentsUnregisterPath, 1, "after the bridge was turned off")
}

func TestAgentsBridgeSettingDefaultsToOn(t *testing.T) {
	for value, want := range map[any]bool{nil: true, true: true, false: false, "false": false, "true": true} {
		settings := pluginSettings{}
		if value != nil {
			settings[settingAgentsBridge] = value
		}
		if got := settings.agentsBridgeEnabled(); got != want {
			t.Errorf("agentsbridge %v: enabled %v, want %v", value, got, want)
		}
	}
}

func TestTheReverseChannelReportsTheBridgeState(t *testing.T) {
	api := plugintest.NewAPI(t)
	socket := shortTempDir(t) + "/shim.sock"
	state := bridgeStatus{State: bridgeRefused, Detail: "needs a licence"}
	rc, err := startReverseChannel(&testAPI{API: api}, socket, reverseSecret, testBotID, func() bridgeStatus { return state })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.close)
	client := unixClient(socket)

	status, body := call(t, client, "GET", "/api/v1/agents-bridge", "Bearer "+reverseSecret, "")
	if status != http.StatusOK || body != `{"state":"refused","detail":"needs a licence"}`+"\n" && body != `{"state":"refused","detail":"needs a licence"}` {
		t.Fatalf("%d %s", status, body)
	}
	if status, _ := call(t, client, "GET", "/api/v1/agents-bridge", "", ""); status != http.StatusUnauthorized {
		t.Fatalf("without the secret: %d, want 401", status)
	}
}

// activateWithAgentsRunning activates the plugin in external mode against fake, with an Agents plugin
// (2.1.0) running, and waits until the bridge has registered.
func activateWithAgentsRunning(t *testing.T, fake *fakeSidecar) (*harness, *agentsWorld) {
	t.Helper()
	h := newHarness(t, map[string]any{"sidecarurl": fake.address, "sidecarsecret": testExternalSecret})
	w := newAgentsWorld(t)
	w.agentsRunning("2.1.0")
	dropMocks(h.api.API, "GetPluginStatus")
	w.mockOn(h.api.API)
	h.plugin.bridge.wait = w.wait
	h.activate()
	w.settled()
	expectStatus(t, h.plugin.bridge, bridgeRegistered, "")
	return h, w
}

// The plugin registers after activation, and OnConfigurationChange follows the setting.
func TestThePluginRegistersOnActivationAndFollowsTheSetting(t *testing.T) {
	fake := startFakeSidecar(t, testExternalSecret)
	h, w := activateWithAgentsRunning(t, fake)

	h.setSettings(map[string]any{"sidecarurl": fake.address, "sidecarsecret": testExternalSecret, "agentsbridge": false})
	if err := h.plugin.OnConfigurationChange(); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, h.plugin.bridge, bridgeDisabled, "")
	w.expectSent(agentsUnregisterPath, 1, "after AgentsBridge was turned off")

	h.setSettings(map[string]any{"sidecarurl": fake.address, "sidecarsecret": testExternalSecret, "agentsbridge": true})
	if err := h.plugin.OnConfigurationChange(); err != nil {
		t.Fatal(err)
	}
	w.settled()
	if err := h.plugin.OnDeactivate(); err != nil {
		t.Fatal(err)
	}
	w.expectSent(agentsRegisterPath, 2, "after the setting came back on")
	w.expectSent(agentsUnregisterPath, 2, "after deactivation")
}

// mockNoAgentsPlugin is the harness default: no Agents plugin on the server, so activation sends nothing.
func (h *harness) mockNoAgentsPlugin() {
	h.api.On("GetPluginStatus", mock.Anything).Return(nil, model.NewAppError("GetPluginStatus", "app.plugin.not_installed.app_error", nil, "", http.StatusNotFound)).Maybe()
}

// dropMocks removes a harness's expectations for methods a test mocks itself (before any call).
func dropMocks(api *plugintest.API, methods ...string) {
	api.ExpectedCalls = slices.DeleteFunc(api.ExpectedCalls, func(c *mock.Call) bool { return slices.Contains(methods, c.Method) })
}
