package main

// The benchmark's routes (bench/mattermost-paths.ts): the same go-sdk client calling an MCP server
// two ways, so the bridge can be measured against the design it replaces.
//
//   POST /test/bench/direct-list  {"url"}                         tools/list straight to the MCP server at url
//   POST /test/bench/direct-call  {"url","name","arguments"}      tools/call straight to it
//   POST /test/bench/bridge-list  {"user_id","plugin_id","path"}  tools/list through PluginHTTP (as /test/list-tools)
//   POST /test/bench/bridge-call  {"user_id",...,"name","arguments"}
//
// Each keeps one client session per target (url, or plugin, path and user), as the Agents plugin
// keeps a user's session until it is 30 minutes idle; `"fresh": true` connects, lists tools, does
// the operation and closes instead, as the stand-in's /test/list-tools and /test/call-tool do.
// Answers have the shape of those routes: {"tools":[{"name","description"}]} and
// {"isError","text","content"}. Admin-only, like every test route, but the permission is looked
// up once per user: an API round trip on every request would slow the baseline being measured.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type benchRequest struct {
	target
	URL   string `json:"url"`
	Fresh bool   `json:"fresh"`
}

// keptSessions holds one connected session per target key.
var keptSessions = struct {
	sync.Mutex
	byKey map[string]*mcp.ClientSession
}{byKey: map[string]*mcp.ClientSession{}}

// benchAdmins remembers which users HasPermissionTo said may manage the system.
var benchAdmins sync.Map

func (p *Plugin) serveBench(w http.ResponseWriter, r *http.Request) {
	userID := r.Header.Get("Mattermost-User-Id")
	if _, known := benchAdmins.Load(userID); !known {
		if userID == "" || !p.API.HasPermissionTo(userID, model.PermissionManageSystem) {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "test routes are for system admins"})
			return
		}
		benchAdmins.Store(userID, true)
	}
	route := strings.TrimPrefix(r.URL.Path, "/test/bench/")
	var req benchRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid request body: " + err.Error()})
		return
	}
	var key string
	var transport mcp.Transport
	switch {
	case strings.HasPrefix(route, "direct-") && req.URL != "":
		key = "direct " + req.URL
		transport = &mcp.StreamableClientTransport{Endpoint: req.URL}
	case strings.HasPrefix(route, "bridge-") && req.UserID != "" && req.PluginID != "" && req.Path != "":
		key = "bridge " + req.PluginID + " " + req.Path + " " + req.UserID
		through := &pluginTransport{api: p.API, pluginID: req.PluginID, path: req.Path, userID: req.UserID}
		transport = &mcp.StreamableClientTransport{Endpoint: "http://plugin" + req.Path, HTTPClient: &http.Client{Transport: through}}
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "direct-* needs url; bridge-* needs user_id, plugin_id and path"})
		return
	}
	var op benchOp
	switch strings.TrimPrefix(strings.TrimPrefix(route, "direct-"), "bridge-") {
	case "list":
		op = listSummaries
	case "call":
		op = func(ctx context.Context, session *mcp.ClientSession, _ *mcp.ListToolsResult) (any, error) {
			return callText(ctx, session, req.Name, req.Arguments)
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no route " + r.Method + " " + r.URL.Path})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), connectTimeout)
	defer cancel()
	var answer any
	var err error
	if req.Fresh {
		answer, err = withFreshSession(ctx, transport, op)
	} else {
		answer, err = withKeptSession(ctx, key, transport, op)
	}
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": fmt.Sprintf("%s: %v", key, err)})
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// benchOp is one route's operation; first is the fresh session's first tools/list, nil on a kept one.
type benchOp func(ctx context.Context, session *mcp.ClientSession, first *mcp.ListToolsResult) (any, error)

func newBenchClient() *mcp.Client {
	return mcp.NewClient(&mcp.Implementation{Name: "mattermost-agents-plugin-bridge", Version: "1.0"}, &mcp.ClientOptions{})
}

// withKeptSession runs op on the target's session, connecting it first if needed; a failed
// operation closes the session so the next request connects again.
func withKeptSession(ctx context.Context, key string, transport mcp.Transport, op benchOp) (any, error) {
	keptSessions.Lock()
	session := keptSessions.byKey[key]
	keptSessions.Unlock()
	if session == nil {
		connected, err := newBenchClient().Connect(ctx, transport, nil)
		if err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		keptSessions.Lock()
		if session = keptSessions.byKey[key]; session == nil {
			session = connected
			keptSessions.byKey[key] = connected
		} else {
			_ = connected.Close()
		}
		keptSessions.Unlock()
	}
	answer, err := op(ctx, session, nil)
	if err != nil {
		keptSessions.Lock()
		if keptSessions.byKey[key] == session {
			delete(keptSessions.byKey, key)
		}
		keptSessions.Unlock()
		_ = session.Close()
	}
	return answer, err
}

// withFreshSession is withSession's sequence on any transport: connect, the first tools/list, op, close.
func withFreshSession(ctx context.Context, transport mcp.Transport, op benchOp) (any, error) {
	session, err := newBenchClient().Connect(ctx, transport, nil)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer session.Close()
	first, err := session.ListTools(ctx, &mcp.ListToolsParams{})
	if err == nil && len(first.Tools) == 0 {
		err = errors.New("the server has no tools")
	}
	if err != nil {
		return nil, fmt.Errorf("tools/list: %w", err)
	}
	return op(ctx, session, first)
}

// listSummaries answers the fresh session's first tools/list (as /test/list-tools does), or lists on a kept one.
func listSummaries(ctx context.Context, session *mcp.ClientSession, first *mcp.ListToolsResult) (any, error) {
	result := first
	if result == nil {
		var err error
		if result, err = session.ListTools(ctx, &mcp.ListToolsParams{}); err != nil {
			return nil, err
		}
	}
	tools := make([]map[string]any, 0, len(result.Tools))
	for _, tool := range result.Tools {
		tools = append(tools, map[string]any{"name": tool.Name, "description": tool.Description})
	}
	sort.Slice(tools, func(i, j int) bool { return tools[i]["name"].(string) < tools[j]["name"].(string) })
	return map[string]any{"tools": tools}, nil
}

func callText(ctx context.Context, session *mcp.ClientSession, name string, arguments map[string]any) (any, error) {
	if name == "" {
		return nil, errors.New("need name")
	}
	result, err := session.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: arguments})
	if err != nil {
		return nil, err
	}
	var texts []string
	for _, content := range result.Content {
		if text, ok := content.(*mcp.TextContent); ok {
			texts = append(texts, text.Text)
		}
	}
	return map[string]any{"isError": result.IsError, "text": strings.Join(texts, "\n"), "content": result.Content}, nil
}
