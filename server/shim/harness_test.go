package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin/plugintest"
	"github.com/stretchr/testify/mock"
)

const (
	testBotID          = "botuserid00000000000000000"
	testExternalSecret = "external-secret-0123456789abcdef"
)

// testTiming keeps every wait short; nothing asserts on these durations.
var testTiming = timing{
	healthTimeout:  10 * time.Second,
	healthInterval: 10 * time.Millisecond,
	hookTimeout:    5 * time.Second,
	stopGrace:      5 * time.Second,
	restartBackoff: 10 * time.Millisecond,
	restartMax:     40 * time.Millisecond,
	maxRestarts:    3,
	stableAfter:    time.Minute,
	watchInterval:  20 * time.Millisecond,
}

// testAPI is Mattermost's plugintest mock with the Log* calls recorded instead of mocked.
type testAPI struct {
	*plugintest.API
	mu   sync.Mutex
	logs []string
}

func (a *testAPI) record(level, msg string, kv []any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.logs = append(a.logs, fmt.Sprint(append([]any{level, msg}, kv...)...))
}
func (a *testAPI) LogDebug(msg string, kv ...any) { a.record("debug", msg, kv) }
func (a *testAPI) LogInfo(msg string, kv ...any)  { a.record("info", msg, kv) }
func (a *testAPI) LogWarn(msg string, kv ...any)  { a.record("warn", msg, kv) }
func (a *testAPI) LogError(msg string, kv ...any) { a.record("error", msg, kv) }

func (a *testAPI) allLogs() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.logs, "\n")
}

// harness is a plugin wired to the mock API, with settings the test can change.
type harness struct {
	t        *testing.T
	api      *testAPI
	plugin   *Plugin
	bundle   string
	mu       sync.Mutex
	settings map[string]any
	config   *model.Config
	commands chan *model.Command

	kv         map[string][]byte
	tokens     []*model.UserAccessToken // created, in order
	revoked    []string                 // token ids, in order
	tokenError *model.AppError          // CreateUserAccessToken fails with it when set
}

func newHarness(t *testing.T, settings map[string]any) *harness {
	t.Helper()
	h := &harness{
		t:        t,
		api:      &testAPI{API: plugintest.NewAPI(t)},
		bundle:   shortTempDir(t),
		settings: settings,
		commands: make(chan *model.Command, 16),
		kv:       map[string][]byte{},
	}
	h.config = &model.Config{}
	h.config.SetDefaults()
	h.config.ServiceSettings.SiteURL = model.NewPointer("https://chat.example.com")
	h.config.FileSettings.Directory = model.NewPointer(shortTempDir(t))
	h.api.On("LoadPluginConfiguration", mock.Anything).Return(func(dest any) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		data, _ := json.Marshal(h.settings)
		return json.Unmarshal(data, dest)
	}).Maybe()
	h.api.On("GetBundlePath").Return(h.bundle, nil).Maybe()
	h.api.On("GetConfig").Return(func() *model.Config { return h.config.Clone() }).Maybe()
	h.api.On("GetUnsanitizedConfig").Return(func() *model.Config { return h.config.Clone() }).Maybe()
	h.api.On("EnsureBotUser", mock.MatchedBy(func(b *model.Bot) bool {
		return b.Username == "mcp" && b.DisplayName == "MCP"
	})).Return(testBotID, nil).Maybe()
	h.api.On("RegisterCommand", mock.Anything).Run(func(args mock.Arguments) {
		h.commands <- args.Get(0).(*model.Command)
	}).Return(nil).Maybe()
	h.mockBotTokens()
	h.mockNoAgentsPlugin()
	h.plugin = newPlugin()
	h.plugin.SetAPI(h.api)
	h.plugin.timing = testTiming
	t.Cleanup(func() { h.plugin.deactivate(false) })
	return h
}

// mockBotTokens backs the KV store and the bot's access tokens with the harness's fields.
func (h *harness) mockBotTokens() {
	h.api.On("KVGet", mock.Anything).Return(func(key string) ([]byte, *model.AppError) {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.kv[key], nil
	}).Maybe()
	h.api.On("KVSet", mock.Anything, mock.Anything).Return(func(key string, value []byte) *model.AppError {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.kv[key] = value
		return nil
	}).Maybe()
	h.api.On("KVDelete", mock.Anything).Return(func(key string) *model.AppError {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.kv, key)
		return nil
	}).Maybe()
	h.api.On("CreateUserAccessToken", mock.Anything).Return(func(t *model.UserAccessToken) (*model.UserAccessToken, *model.AppError) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.tokenError != nil || t.UserId != testBotID {
			return nil, h.tokenError
		}
		n := len(h.tokens) + 1
		created := &model.UserAccessToken{Id: fmt.Sprintf("tokenid%d", n), Token: fmt.Sprintf("bot-token-value-%d", n), UserId: t.UserId, Description: t.Description, IsActive: true}
		h.tokens = append(h.tokens, created)
		return created, nil
	}).Maybe()
	h.api.On("RevokeUserAccessToken", mock.Anything).Return(func(id string) *model.AppError {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.revoked = append(h.revoked, id)
		return nil
	}).Maybe()
}

func (h *harness) setSettings(settings map[string]any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.settings = settings
}

// activate runs the hooks in Mattermost's order: OnConfigurationChange, then OnActivate.
func (h *harness) activate() {
	h.t.Helper()
	if err := h.plugin.OnConfigurationChange(); err != nil {
		h.t.Fatalf("OnConfigurationChange: %v", err)
	}
	if err := h.plugin.OnActivate(); err != nil {
		h.t.Fatalf("OnActivate: %v", err)
	}
}

// activateExternal activates against an in-process fake sidecar (external mode over its socket).
func activateExternal(t *testing.T, extra map[string]any) (*harness, *fakeSidecar) {
	t.Helper()
	fake := startFakeSidecar(t, testExternalSecret)
	settings := map[string]any{
		"config":             map[string]any{"servers": []any{}},
		"idletimeoutminutes": 30,
		"sidecarurl":         fake.address,
		"sidecarsecret":      testExternalSecret,
	}
	maps.Copy(settings, extra)
	h := newHarness(t, settings)
	h.activate()
	return h, fake
}

// shortTempDir is a temporary directory whose paths fit in a unix socket address.
func shortTempDir(t *testing.T) string {
	t.Helper()
	//nolint:usetesting // t.TempDir is named after the test, too long for a socket's 108-byte address
	dir, err := os.MkdirTemp("", "shim")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// unixClient talks HTTP over a unix socket.
func unixClient(socket string) *http.Client {
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		}},
	}
}

// recorded is one request the fake sidecar accepted.
type recorded struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// isInternalPath names the sidecar's internal routes: only the internal credential opens them.
func isInternalPath(path string) bool {
	lower := strings.ToLower(path)
	return lower == "/healthz" || lower == "/metrics" || strings.HasPrefix(lower, "/hooks/")
}

// credentialRefusal is what the real sidecar answers (docs/sidecar-protocol.md): 401 without the
// secret or the internal credential, 403 for an internal route opened with the secret alone, else 0.
func credentialRefusal(secret string, r *http.Request) int {
	got := r.Header.Get("Authorization")
	switch {
	case got != "Bearer "+secret && got != "Bearer "+internalCredential(secret):
		return http.StatusUnauthorized
	case isInternalPath(r.URL.Path) && got != "Bearer "+internalCredential(secret):
		return http.StatusForbidden
	}
	return 0
}

// checkCredentials serves next only what credentialRefusal lets through.
func checkCredentials(secret string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status := credentialRefusal(secret, r); status != 0 {
			http.Error(w, `{"error":"refused"}`, status)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// fakeSidecar stands in for the Node sidecar: it checks the secret like the real one, records
// every authorized request, and answers 200 {} unless a test installs a handler.
type fakeSidecar struct {
	address      string // as SidecarURL: unix:/path or http://127.0.0.1:port
	socket       string
	secret       string
	mu           sync.Mutex
	requests     []recorded
	unauthorized int
	handlers     map[string]http.HandlerFunc
}

func startFakeSidecar(t *testing.T, secret string) *fakeSidecar {
	t.Helper()
	socket := shortTempDir(t) + "/sidecar.sock"
	listener, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	return serveFakeSidecar(t, listener, secret, "unix:"+socket)
}

// startFakeSidecarTCP listens on 127.0.0.1, for external mode with an http:// SidecarURL.
func startFakeSidecarTCP(t *testing.T, secret string) *fakeSidecar {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveFakeSidecar(t, listener, secret, "http://"+listener.Addr().String())
}

func serveFakeSidecar(t *testing.T, listener net.Listener, secret, address string) *fakeSidecar {
	t.Helper()
	f := &fakeSidecar{
		address:  address,
		socket:   strings.TrimPrefix(address, "unix:"),
		secret:   secret,
		handlers: map[string]http.HandlerFunc{},
	}
	server := &http.Server{Handler: f}
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(func() { _ = server.Close() })
	return f
}

func (f *fakeSidecar) handle(path string, handler http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[path] = handler
}

func (f *fakeSidecar) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if status := credentialRefusal(f.secret, r); status != 0 {
		f.mu.Lock()
		f.unauthorized++
		f.mu.Unlock()
		http.Error(w, `{"error":"refused"}`, status)
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
	handler := f.handlers[r.URL.Path]
	f.mu.Unlock()
	if handler != nil {
		handler(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, "{}")
}

func (f *fakeSidecar) unauthorizedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.unauthorized
}

// requestsTo lists the requests recorded for one path, oldest first.
func (f *fakeSidecar) requestsTo(path string) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recorded
	for _, r := range f.requests {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// last waits for a request to path and returns the newest.
func (f *fakeSidecar) last(t *testing.T, path string) recorded {
	t.Helper()
	eventually(t, "the sidecar receives "+path, func() bool { return len(f.requestsTo(path)) > 0 })
	all := f.requestsTo(path)
	return all[len(all)-1]
}

func decodeJSON(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("not JSON: %s", data)
	}
	return out
}
