package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

// The sidecar names the Agents plugin's tool_configs for each configuration it accepts
// (server/mcp-endpoint/agents-tool-configs.ts); the shim keeps them for the registration.

var (
	connectionsDefault = agentsToolConfig{Name: connectionsToolName, Policy: "auto_run_in_dm", Enabled: true}
	sidecarToolConfigs = []agentsToolConfig{
		connectionsDefault,
		{Name: "Team_Wiki__search_4af064f5", Policy: "ask", Enabled: true},
		{Name: "wiki__search", Policy: "auto_run_everywhere", Enabled: true},
	}
)

// answerToolConfigs answers a configuration push as the sidecar does, naming these tool_configs.
func answerToolConfigs(configs []agentsToolConfig) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"agentsToolConfigs": configs})
	}
}

// activateWithAnswer activates in external mode against a fake sidecar that answers pushes with handler.
func activateWithAnswer(t *testing.T, handler http.HandlerFunc) (*harness, *fakeSidecar) {
	t.Helper()
	fake := startFakeSidecar(t, testExternalSecret)
	fake.handle("/hooks/OnConfigurationChange", handler)
	h := newHarness(t, map[string]any{"sidecarurl": fake.address, "sidecarsecret": testExternalSecret})
	h.activate()
	return h, fake
}

func expectToolConfigs(t *testing.T, what string, got, want []agentsToolConfig) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: %+v, want %+v", what, got, want)
	}
}

func TestTheShimKeepsTheToolConfigsTheSidecarAnswers(t *testing.T) {
	h, _ := activateWithAnswer(t, answerToolConfigs(sidecarToolConfigs))
	expectToolConfigs(t, "kept", h.plugin.currentAgentsToolConfigs(), sidecarToolConfigs)
	expectToolConfigs(t, "the bridge's", h.plugin.bridge.toolConfigs(), sidecarToolConfigs)
}

func TestARefusedOrFailedPushKeepsThePreviousToolConfigs(t *testing.T) {
	h, fake := activateWithAnswer(t, answerToolConfigs(sidecarToolConfigs))
	for _, answer := range []struct {
		status int
		body   string
	}{
		{http.StatusBadRequest, `{"error":"servers[0].tools.search.policy: must be one of ask, auto_run_in_dm, auto_run_everywhere"}`},
		{http.StatusInternalServerError, `{"error":"boom"}`},
		{http.StatusOK, `not json`},
	} {
		fake.handle("/hooks/OnConfigurationChange", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(answer.status)
			_, _ = w.Write([]byte(answer.body))
		})
		before := len(fake.requestsTo("/hooks/OnConfigurationChange"))
		if err := h.plugin.OnConfigurationChange(); err != nil {
			t.Fatal(err)
		}
		if len(fake.requestsTo("/hooks/OnConfigurationChange")) != before+1 {
			t.Fatalf("%d: the configuration was not pushed", answer.status)
		}
		expectToolConfigs(t, "after a "+http.StatusText(answer.status)+" answer", h.plugin.bridge.toolConfigs(), sidecarToolConfigs)
	}

	fake.handle("/hooks/OnConfigurationChange", answerToolConfigs([]agentsToolConfig{connectionsDefault}))
	if err := h.plugin.OnConfigurationChange(); err != nil {
		t.Fatal(err)
	}
	expectToolConfigs(t, "after an accepted push without policies", h.plugin.bridge.toolConfigs(), []agentsToolConfig{connectionsDefault})
}

func TestOnlyTheConnectionsDefaultBeforeTheSidecarNamesAny(t *testing.T) {
	expectToolConfigs(t, "a bridge never started", newAgentsBridge().toolConfigs(), []agentsToolConfig{connectionsDefault})

	// An older sidecar answers {} (the fake's default answer).
	h, fake := activateWithAnswer(t, answerToolConfigs(sidecarToolConfigs))
	fake.handle("/hooks/OnConfigurationChange", nil)
	if err := h.plugin.OnConfigurationChange(); err != nil {
		t.Fatal(err)
	}
	if got := h.plugin.currentAgentsToolConfigs(); got != nil {
		t.Fatalf("kept %+v from an answer without agentsToolConfigs", got)
	}
	expectToolConfigs(t, "from an older sidecar", h.plugin.bridge.toolConfigs(), []agentsToolConfig{connectionsDefault})
}

// Activation pushes the configuration before the bridge starts, so the first registration carries the policies.
func TestTheFirstRegistrationCarriesTheSidecarsToolConfigs(t *testing.T) {
	fake := startFakeSidecar(t, testExternalSecret)
	fake.handle("/hooks/OnConfigurationChange", answerToolConfigs(sidecarToolConfigs))
	_, w := activateWithAgentsRunning(t, fake)
	sent := w.sent(agentsRegisterPath)
	if len(sent) != 1 {
		t.Fatalf("%d register requests, want 1", len(sent))
	}
	data, _ := json.Marshal(sidecarToolConfigs)
	var want any
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if got := sent[0].body["tool_configs"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("tool_configs %v, want %v", got, want)
	}
}
