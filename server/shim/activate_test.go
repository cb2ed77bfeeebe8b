package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

func TestExternalMode(t *testing.T) {
	t.Run("OnActivate reaches an http:// sidecar with SidecarSecret and starts nothing", func(t *testing.T) {
		fake := startFakeSidecarTCP(t, testExternalSecret)
		h := newHarness(t, map[string]any{"config": `{"servers":[]}`, "sidecarurl": fake.address, "sidecarsecret": testExternalSecret})
		h.activate()
		run := h.plugin.activeRun()
		if run.process != nil {
			t.Fatal("external mode started a process")
		}
		if len(fake.requestsTo("/healthz")) == 0 || len(fake.requestsTo("/hooks/OnConfigurationChange")) != 1 {
			t.Fatal("no /healthz, or the configuration was not pushed once")
		}
		if (<-h.commands).Trigger != "mcp" || run.botID != testBotID {
			t.Fatal("no /mcp command or bot")
		}
		if n := fake.unauthorizedCount(); n != 0 {
			t.Fatalf("%d requests arrived without the secret", n)
		}
	})

	t.Run("OnActivate refuses a SidecarURL without SidecarSecret", func(t *testing.T) {
		h := newHarness(t, map[string]any{"sidecarurl": "http://127.0.0.1:1"})
		_ = h.plugin.OnConfigurationChange()
		if err := h.plugin.OnActivate(); err == nil || !strings.Contains(err.Error(), "SidecarSecret") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("OnActivate fails when the sidecar never answers /healthz", func(t *testing.T) {
		h := newHarness(t, map[string]any{"sidecarurl": "unix:" + shortTempDir(t) + "/none.sock", "sidecarsecret": testExternalSecret})
		h.plugin.timing.healthTimeout = 100 * time.Millisecond
		_ = h.plugin.OnConfigurationChange()
		if err := h.plugin.OnActivate(); err == nil || !strings.Contains(err.Error(), "/healthz") {
			t.Fatalf("got %v", err)
		}
		if h.plugin.activeRun() != nil {
			t.Fatal("active after a failed OnActivate")
		}
	})

	t.Run("the configuration is pushed again when the sidecar comes back", func(t *testing.T) {
		h, fake := activateExternal(t, nil)
		var down atomic.Bool
		fake.handle("/healthz", func(w http.ResponseWriter, _ *http.Request) {
			if down.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})
		down.Store(true)
		eventually(t, "the shim notices the sidecar is down", func() bool {
			return strings.Contains(h.api.allLogs(), "stopped answering /healthz")
		})
		down.Store(false)
		eventually(t, "the configuration is pushed again", func() bool {
			return len(fake.requestsTo("/hooks/OnConfigurationChange")) == 2
		})
	})
}

func TestChangingTheSidecarSettingsRestartsTheConnection(t *testing.T) {
	h, first := activateExternal(t, nil)
	second := startFakeSidecar(t, testExternalSecret+"-2")
	h.setSettings(map[string]any{"config": `{"servers":[]}`, "sidecarurl": second.address, "sidecarsecret": testExternalSecret + "-2"})
	if err := h.plugin.OnConfigurationChange(); err != nil {
		t.Fatal(err)
	}
	if len(first.requestsTo("/hooks/OnDeactivate")) != 1 || len(second.requestsTo("/hooks/OnConfigurationChange")) != 1 {
		t.Fatal("the old sidecar was not released or the new one not configured")
	}

	t.Run("a failed restart is retried at the next configuration change", func(t *testing.T) {
		h.setSettings(map[string]any{"sidecarurl": second.address}) // no secret: refused
		if err := h.plugin.OnConfigurationChange(); err == nil || h.plugin.activeRun() != nil {
			t.Fatalf("got %v", err)
		}
		h.setSettings(map[string]any{"sidecarurl": second.address, "sidecarsecret": testExternalSecret + "-2"})
		if err := h.plugin.OnConfigurationChange(); err != nil || h.plugin.activeRun() == nil {
			t.Fatalf("not active again: %v", err)
		}
	})
}

// embeddedHarness runs the shim in embedded mode with this test binary standing in for node.
func embeddedHarness(t *testing.T, settings map[string]any) (*harness, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(shortTempDir(t), "records.jsonl")
	t.Setenv(envRecordFile, record)
	t.Setenv("MM_SQLSETTINGS_DATASOURCE", "postgres://mmuser:hunter2@db/mattermost")
	t.Setenv("MATTERMOST_PLUGIN", "handshake-cookie")
	h := newHarness(t, settings)
	h.plugin.nodePath = exe
	return h, record
}

func sidecarEnv(t *testing.T, h *harness) map[string]string {
	t.Helper()
	res, err := (&http.Client{Transport: h.plugin.activeRun().client.transport}).Do(signed(h, "/test/env"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	var environ []string
	if err := json.NewDecoder(res.Body).Decode(&environ); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, entry := range environ {
		name, value, _ := strings.Cut(entry, "=")
		env[name] = value
	}
	return env
}

func signed(h *harness, path string) *http.Request {
	run := h.plugin.activeRun()
	req, _ := http.NewRequest(http.MethodGet, run.client.url(path), nil)
	req.Header.Set("Authorization", "Bearer "+run.client.secret)
	return req
}

func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func TestEmbeddedModeStartsAndStopsTheSidecar(t *testing.T) {
	h, record := embeddedHarness(t, map[string]any{"config": `{"servers":[]}`, "idletimeoutminutes": 30})
	h.activate()
	run := h.plugin.activeRun()
	if run.process == nil {
		t.Fatal("no child process in embedded mode")
	}
	pid := run.process.current.cmd.Process.Pid

	if args := run.process.current.cmd.Args; len(args) < 3 || args[1] != "--max-semi-space-size=16" {
		t.Errorf("sidecar started with %q, want V8's semi-spaces capped at 16 MiB before the entry point", args)
	}
	env := sidecarEnv(t, h)
	want := map[string]string{
		"MCP_SIDECAR_LISTEN": "unix:" + filepath.Join(h.bundle, "sidecar.sock"),
		"MCP_SHIM_URL":       "unix:" + filepath.Join(h.bundle, "shim.sock"),
		"MCP_PLUGIN_ID":      "mattermost-mcp",
		"MCP_SITE_URL":       "https://chat.example.com",
		"MCP_STORE_URL":      "sqlite://" + filepath.Join(*h.config.FileSettings.Directory, "mattermost-mcp", "mcp.sqlite"),
		"MCP_LOG_LEVEL":      "info",
		"MCP_MATTERMOST_URL": "https://chat.example.com",
		"MALLOC_ARENA_MAX":   "2",
	}
	for name, value := range want {
		if env[name] != value {
			t.Errorf("%s = %q, want %q", name, env[name], value)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(env["MCP_SIDECAR_SECRET"]) {
		t.Error("MCP_SIDECAR_SECRET is not 32 random bytes in hex")
	}
	if len(h.tokens) != 1 || env["MCP_MATTERMOST_TOKEN"] != h.tokens[0].Token {
		t.Error("MCP_MATTERMOST_TOKEN is not the bot token the shim created")
	}
	for name := range env {
		if strings.HasPrefix(name, "MM_") || strings.HasPrefix(name, "MATTERMOST_") {
			t.Errorf("the child inherited %s", name)
		}
	}

	for _, socket := range []string{"sidecar.sock", "shim.sock"} {
		if info, err := os.Stat(filepath.Join(h.bundle, socket)); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", socket, info, err)
		}
	}

	t.Run("the child reaches the reverse channel with the secret it was given", func(t *testing.T) {
		res, err := (&http.Client{Transport: run.client.transport}).Do(signed(h, "/test/bot"))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = res.Body.Close() }()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), testBotID) {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
	})

	t.Run("the configuration seen before OnActivate reached the child", func(t *testing.T) {
		records := readRecords(t, record)
		if len(records) == 0 || records[0].Path != "/hooks/OnConfigurationChange" || records[0].PID != pid {
			t.Fatalf("records %+v", records)
		}
		if settings := records[0].Body["settings"].(map[string]any); settings["config"] != `{"servers":[]}` {
			t.Fatalf("settings %v", settings)
		}
	})

	t.Run("the child's output reaches the server log", func(t *testing.T) {
		eventually(t, "the child's first line is logged", func() bool {
			return strings.Contains(h.api.allLogs(), "MCP sidecar: fake sidecar listening")
		})
	})

	if err := h.plugin.OnDeactivate(); err != nil {
		t.Fatal(err)
	}
	if records := readRecords(t, record); records[len(records)-1].Path != "/hooks/OnDeactivate" {
		t.Fatalf("OnDeactivate was not posted before stopping: %+v", records)
	}
	if !processGone(pid) {
		t.Fatal("the sidecar still runs after OnDeactivate")
	}
	if _, err := os.Stat(filepath.Join(h.bundle, "shim.sock")); !os.IsNotExist(err) {
		t.Fatal("the reverse channel socket was left behind")
	}
	if len(h.revoked) != 1 || h.revoked[0] != h.tokens[0].Id {
		t.Fatalf("revoked %v, want the activation's bot token", h.revoked)
	}
	for _, secret := range []string{env["MCP_SIDECAR_SECRET"], env["MCP_MATTERMOST_TOKEN"], "hunter2"} {
		if strings.Contains(h.api.allLogs(), secret) {
			t.Fatal("a secret reached the log")
		}
	}
}

func TestEmbeddedModeBotToken(t *testing.T) {
	t.Run("a token left by a shim that died is revoked at the next activation", func(t *testing.T) {
		h, _ := embeddedHarness(t, map[string]any{})
		h.kv[botTokenKey()] = []byte("tokenid-left-behind")
		h.activate()
		if len(h.revoked) != 1 || h.revoked[0] != "tokenid-left-behind" {
			t.Fatalf("revoked %v", h.revoked)
		}
		if string(h.kv[botTokenKey()]) != h.tokens[0].Id {
			t.Fatal("the new token's id was not remembered")
		}
	})

	t.Run("without a token the sidecar still starts, and is told nothing", func(t *testing.T) {
		h, _ := embeddedHarness(t, map[string]any{})
		h.tokenError = model.NewAppError("CreateUserAccessToken", "app.user_access_token.disabled", nil, "", http.StatusNotImplemented)
		h.activate()
		if _, set := sidecarEnv(t, h)["MCP_MATTERMOST_TOKEN"]; set {
			t.Fatal("MCP_MATTERMOST_TOKEN set without a token")
		}
		if !strings.Contains(h.api.allLogs(), "admin routes will answer 503") {
			t.Fatal("the missing token was not logged")
		}
	})

	t.Run("external mode creates no token", func(t *testing.T) {
		h, _ := activateExternal(t, nil)
		if len(h.tokens) != 0 {
			t.Fatal("a token was created for an external sidecar")
		}
	})
}

func TestEmbeddedModeUsesAFreshSecretPerActivation(t *testing.T) {
	h, _ := embeddedHarness(t, map[string]any{})
	h.activate()
	first := sidecarEnv(t, h)["MCP_SIDECAR_SECRET"]
	if err := h.plugin.OnDeactivate(); err != nil {
		t.Fatal(err)
	}
	h.activate()
	if second := sidecarEnv(t, h)["MCP_SIDECAR_SECRET"]; second == first {
		t.Fatal("the secret was reused across activations")
	}
}

func TestEmbeddedModePassesTheAdminsStoreURL(t *testing.T) {
	h, _ := embeddedHarness(t, map[string]any{"storeurl": "redis://cache:6379/2"})
	h.activate()
	if got := sidecarEnv(t, h)["MCP_STORE_URL"]; got != "redis://cache:6379/2" {
		t.Fatalf("MCP_STORE_URL = %q", got)
	}
	t.Run("and restarts the sidecar when it changes", func(t *testing.T) {
		pid := h.plugin.activeRun().process.current.cmd.Process.Pid
		h.setSettings(map[string]any{"storeurl": "postgres://db/mcp"})
		if err := h.plugin.OnConfigurationChange(); err != nil {
			t.Fatal(err)
		}
		if got := sidecarEnv(t, h)["MCP_STORE_URL"]; got != "postgres://db/mcp" || !processGone(pid) {
			t.Fatalf("MCP_STORE_URL = %q; old child gone: %v", got, processGone(pid))
		}
	})
}

func TestEmbeddedModeKeepsTheServersOwnMallocArenas(t *testing.T) {
	t.Setenv("MALLOC_ARENA_MAX", "8")
	h, _ := embeddedHarness(t, map[string]any{})
	h.activate()
	if got := sidecarEnv(t, h)["MALLOC_ARENA_MAX"]; got != "8" {
		t.Fatalf("MALLOC_ARENA_MAX = %q, want the server's own 8", got)
	}
}

func TestEmbeddedModeRestartsACrashedSidecar(t *testing.T) {
	h, record := embeddedHarness(t, map[string]any{"config": `{"servers":[]}`})
	h.activate()
	run := h.plugin.activeRun()
	firstPID := run.process.current.cmd.Process.Pid
	req := signed(h, "/test/exit")
	req.Method = http.MethodPost
	_, _ = (&http.Client{Transport: run.client.transport}).Do(req) // the child dies mid-answer
	eventually(t, "a new child gets the configuration", func() bool {
		for _, r := range readRecords(t, record) {
			if r.Path == "/hooks/OnConfigurationChange" && r.PID != firstPID {
				return true
			}
		}
		return false
	})
	if !strings.Contains(h.api.allLogs(), "The MCP sidecar exited; restarting it") {
		t.Fatalf("the crash was not logged: %s", h.api.allLogs())
	}
}

func TestEmbeddedModeGivesUpOnASidecarThatKeepsCrashing(t *testing.T) {
	h, _ := embeddedHarness(t, map[string]any{})
	t.Setenv(envCrashAfterFile, filepath.Join(shortTempDir(t), "started-once"))
	h.activate()
	run := h.plugin.activeRun()
	req := signed(h, "/test/exit")
	req.Method = http.MethodPost
	_, _ = (&http.Client{Transport: run.client.transport}).Do(req)
	eventually(t, "the shim gives up", func() bool {
		return strings.Contains(h.api.allLogs(), "keeps exiting")
	})
	if n := strings.Count(h.api.allLogs(), "exited; restarting it"); n != testTiming.maxRestarts {
		t.Fatalf("restarted %d times, want %d", n, testTiming.maxRestarts)
	}
}

func TestEmbeddedModeKillsASidecarThatIgnoresSIGTERM(t *testing.T) {
	h, _ := embeddedHarness(t, map[string]any{})
	t.Setenv(envIgnoreSIGTERM, "1")
	h.plugin.timing.stopGrace = 300 * time.Millisecond
	h.activate()
	pid := h.plugin.activeRun().process.current.cmd.Process.Pid
	if err := h.plugin.OnDeactivate(); err != nil {
		t.Fatal(err)
	}
	if !processGone(pid) || !strings.Contains(h.api.allLogs(), "killing it") {
		t.Fatal("the sidecar was not killed after the grace period")
	}
}

func TestEmbeddedModeReportsWhyTheSidecarDidNotStart(t *testing.T) {
	t.Run("node is missing", func(t *testing.T) {
		h := newHarness(t, map[string]any{})
		h.plugin.nodePath = filepath.Join(shortTempDir(t), "no-node")
		_ = h.plugin.OnConfigurationChange()
		if err := h.plugin.OnActivate(); err == nil || !strings.Contains(err.Error(), "start the MCP sidecar") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("the sidecar exits at once", func(t *testing.T) {
		script := filepath.Join(shortTempDir(t), "node")
		if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'Cannot find module' >&2\nexit 7\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		h := newHarness(t, map[string]any{})
		h.plugin.nodePath = script
		_ = h.plugin.OnConfigurationChange()
		err := h.plugin.OnActivate()
		if err == nil || !strings.Contains(err.Error(), "exit status 7") {
			t.Fatalf("got %v", err)
		}
		eventually(t, "the child's stderr is logged", func() bool {
			return strings.Contains(h.api.allLogs(), "Cannot find module")
		})
	})
}
