// Command plugin stands in for the Agents plugin (mattermost-ai) in the end-to-end suite: it serves
// the bridge's register and unregister routes as the Agents plugin does and records what it got,
// and, on test routes a system admin calls, connects to a registered plugin's MCP endpoint the way
// the Agents plugin does (the official Go SDK's Streamable HTTP client over PluginHTTP, the user in
// X-Mattermost-UserID), lists tools and calls them. Built with another id (build.sh) it is a plugin
// the MCP endpoint must not trust.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// pluginID is set at build time (-ldflags "-X main.pluginID=..."), matching the generated plugin.json.
var pluginID = "mattermost-ai"

// connectTimeout is the Agents plugin's budget for connect plus the first tools/list.
const connectTimeout = 30 * time.Second

// Plugin records registrations and drives MCP sessions through PluginHTTP.
type Plugin struct {
	plugin.MattermostPlugin

	mu            sync.Mutex
	registrations map[string]registration // by the caller's trusted Mattermost-Plugin-ID
	events        []event
	refusal       *refusal // when set, register answers this instead of 200
}

// registration is what a plugin sent, as the Agents plugin reads it (PluginServerConfig).
type registration struct {
	PluginID       string            `json:"plugin_id"` // the trusted header, not the body's claim
	ClaimedID      string            `json:"claimed_plugin_id"`
	Name           string            `json:"name"`
	Path           string            `json:"path"`
	Version        string            `json:"version"`
	Enabled        *bool             `json:"enabled"`
	ExposeExternal bool              `json:"expose_external"`
	ToolConfigs    []json.RawMessage `json:"tool_configs"`
	Count          int               `json:"count"`
}

type event struct {
	Kind     string    `json:"kind"` // register, unregister, refused
	PluginID string    `json:"plugin_id"`
	At       time.Time `json:"at"`
}

type refusal struct {
	Status int            `json:"status"`
	Body   map[string]any `json:"body"`
}

func main() {
	plugin.ClientMain(&Plugin{registrations: map[string]registration{}})
}

func (p *Plugin) ServeHTTP(_ *plugin.Context, w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/bridge/v1/mcp/register":
		p.interPluginOnly(p.register)(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/bridge/v1/mcp/unregister":
		p.interPluginOnly(p.unregister)(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/test/registrations":
		p.adminOnly(p.listRegistrations)(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/test/refuse":
		p.adminOnly(p.setRefusal)(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/test/list-tools":
		p.adminOnly(p.listTools)(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/test/call-tool":
		p.adminOnly(p.callTool)(w, r)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/test/bench/"): // direct.go
		p.serveBench(w, r)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no route " + r.Method + " " + r.URL.Path})
	}
}

// interPluginOnly is the Agents plugin's interPluginAuthorizationRequired: Mattermost sets
// Mattermost-Plugin-ID on PluginHTTP requests and deletes it from browser ones.
func (p *Plugin) interPluginOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Mattermost-Plugin-ID") == "" {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "not authorized: inter-plugin requests only"})
			return
		}
		next(w, r)
	}
}

// adminOnly opens the test routes to a logged-in system admin.
func (p *Plugin) adminOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		userID := r.Header.Get("Mattermost-User-Id")
		if userID == "" || !p.API.HasPermissionTo(userID, model.PermissionManageSystem) {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "test routes are for system admins"})
			return
		}
		next(w, r)
	}
}

func (p *Plugin) register(w http.ResponseWriter, r *http.Request) {
	caller := r.Header.Get("Mattermost-Plugin-ID")
	var body registration
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid request body: " + err.Error()})
		return
	}
	switch {
	case body.Name == "":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "name is required"})
		return
	case body.Path == "":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "path is required"})
		return
	case body.Path[0] != '/':
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "path must be absolute (start with '/')"})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refusal != nil {
		p.events = append(p.events, event{"refused", caller, time.Now()})
		writeJSON(w, p.refusal.Status, p.refusal.Body)
		return
	}
	body.ClaimedID, body.PluginID = body.PluginID, caller
	body.Count = p.registrations[caller].Count + 1
	p.registrations[caller] = body
	p.events = append(p.events, event{"register", caller, time.Now()})
	w.WriteHeader(http.StatusOK) // the Agents plugin answers 200 with an empty body
}

func (p *Plugin) unregister(w http.ResponseWriter, r *http.Request) {
	caller := r.Header.Get("Mattermost-Plugin-ID")
	var body struct{}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid request body: " + err.Error()})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.registrations, caller)
	p.events = append(p.events, event{"unregister", caller, time.Now()})
	w.WriteHeader(http.StatusOK)
}

func (p *Plugin) listRegistrations(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"plugin_id": pluginID, "registrations": p.registrations, "events": p.events})
}

// setRefusal makes register answer like an unlicensed Agents plugin ({"status":403,"body":{...}}),
// or answer 200 again with {}.
func (p *Plugin) setRefusal(w http.ResponseWriter, r *http.Request) {
	var next refusal
	if err := json.NewDecoder(r.Body).Decode(&next); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid request body: " + err.Error()})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refusal = nil
	if next.Status != 0 {
		p.refusal = &next
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

// target is the MCP endpoint a test route reaches: a registered plugin's, or any plugin_id and
// path given (to show what an unregistered, untrusted caller gets).
type target struct {
	UserID    string         `json:"user_id"`
	PluginID  string         `json:"plugin_id"`
	Path      string         `json:"path"`
	Name      string         `json:"name"`
	Arguments map[string]any `json:"arguments"`
}

func (p *Plugin) resolve(w http.ResponseWriter, r *http.Request) (target, bool) {
	var t target
	if r.Method == http.MethodPost && r.URL.Path == "/test/call-tool" {
		if err := json.NewDecoder(r.Body).Decode(&t); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid request body: " + err.Error()})
			return t, false
		}
	}
	query := r.URL.Query()
	t.UserID = cmp.Or(t.UserID, query.Get("user_id"))
	t.PluginID = cmp.Or(t.PluginID, query.Get("plugin_id"))
	t.Path = cmp.Or(t.Path, query.Get("path"))
	if t.PluginID == "" {
		t.PluginID = "mattermost-mcp"
	}
	if t.Path == "" {
		p.mu.Lock()
		t.Path = p.registrations[t.PluginID].Path
		p.mu.Unlock()
	}
	if t.UserID == "" || t.Path == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "need user_id, and a path or a registered plugin_id (default mattermost-mcp)"})
		return t, false
	}
	return t, true
}

func (p *Plugin) listTools(w http.ResponseWriter, r *http.Request) {
	t, ok := p.resolve(w, r)
	if !ok {
		return
	}
	p.withSession(w, t, func(ctx context.Context, session *mcp.ClientSession, first *mcp.ListToolsResult) (any, error) {
		tools := make([]map[string]any, 0, len(first.Tools))
		for _, tool := range first.Tools {
			tools = append(tools, map[string]any{"name": tool.Name, "description": tool.Description})
		}
		sort.Slice(tools, func(i, j int) bool { return tools[i]["name"].(string) < tools[j]["name"].(string) })
		return map[string]any{"tools": tools}, nil
	})
}

func (p *Plugin) callTool(w http.ResponseWriter, r *http.Request) {
	t, ok := p.resolve(w, r)
	if !ok {
		return
	}
	if t.Name == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "need name"})
		return
	}
	p.withSession(w, t, func(ctx context.Context, session *mcp.ClientSession, _ *mcp.ListToolsResult) (any, error) {
		result, err := session.CallTool(ctx, &mcp.CallToolParams{Name: t.Name, Arguments: t.Arguments})
		if err != nil {
			return nil, err
		}
		var texts []string // the Agents plugin keeps only text content
		for _, content := range result.Content {
			if text, ok := content.(*mcp.TextContent); ok {
				texts = append(texts, text.Text)
			}
		}
		return map[string]any{"isError": result.IsError, "text": strings.Join(texts, "\n"), "content": result.Content}, nil
	})
}

// withSession connects as the Agents plugin does (connect, then tools/list, within 30 s), runs op and
// answers its result; a failure answers 502 with the MCP endpoint's last HTTP status.
func (p *Plugin) withSession(w http.ResponseWriter, t target, op func(context.Context, *mcp.ClientSession, *mcp.ListToolsResult) (any, error)) {
	transport := &pluginTransport{api: p.API, pluginID: t.PluginID, path: t.Path, userID: t.UserID}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "mattermost-agents-plugin-bridge", Version: "1.0"}, &mcp.ClientOptions{})
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: "http://plugin" + t.Path, HTTPClient: &http.Client{Transport: transport}}, nil)
	if err != nil {
		transport.fail(w, fmt.Errorf("connect to %s%s: %w", t.PluginID, t.Path, err))
		return
	}
	defer session.Close()
	first, err := session.ListTools(ctx, &mcp.ListToolsParams{})
	if err == nil && len(first.Tools) == 0 {
		err = errors.New("the server has no tools (the Agents plugin drops such a server)")
	}
	if err != nil {
		transport.fail(w, fmt.Errorf("tools/list on %s%s: %w", t.PluginID, t.Path, err))
		return
	}
	answer, err := op(ctx, session, first)
	if err != nil {
		transport.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// pluginTransport is the Agents plugin's PluginHTTPRoundTripper under its header transport: every
// request goes to "/" + pluginID + path through PluginHTTP, with the user in X-Mattermost-UserID.
type pluginTransport struct {
	api      plugin.API
	pluginID string
	path     string
	userID   string

	mu         sync.Mutex
	lastStatus int
}

func (t *pluginTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Path = "/" + t.pluginID + t.path
	r.Header.Set("X-Mattermost-UserID", t.userID)
	resp := t.api.PluginHTTP(r)
	if resp == nil {
		return nil, fmt.Errorf("PluginHTTP returned nil response for plugin %s", t.pluginID)
	}
	if req.Method == http.MethodPost {
		t.mu.Lock()
		t.lastStatus = resp.StatusCode
		t.mu.Unlock()
	}
	return resp, nil
}

func (t *pluginTransport) fail(w http.ResponseWriter, err error) {
	t.mu.Lock()
	status := t.lastStatus
	t.mu.Unlock()
	writeJSON(w, http.StatusBadGateway, map[string]any{"error": err.Error(), "status": status})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
