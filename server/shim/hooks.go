package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
)

// ServeHTTP forwards the public routes (public_routes.go) to the sidecar, as the caller
// resolveCaller vouches for; anything else gets 404 here and never reaches the sidecar.
func (p *Plugin) ServeHTTP(_ *plugin.Context, w http.ResponseWriter, r *http.Request) {
	// ReverseProxy aborts a stream that broke midway by panicking with ErrAbortHandler when it thinks
	// an http.Server will recover it; nothing does in the plugin process, and the panic would kill it.
	defer func() {
		if v := recover(); v != nil && v != http.ErrAbortHandler { //nolint:errorlint // sentinel panic value
			panic(v)
		}
	}()
	match := matchPublicRoute(r.Method, r.URL.Path)
	if match.route == nil {
		if len(match.allow) > 0 {
			w.Header().Set("Allow", strings.Join(match.allow, ", "))
			writeJSONError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s takes %s only.", r.URL.Path, strings.Join(match.allow, ", ")))
			return
		}
		writeJSONError(w, http.StatusNotFound, "MCP Tools has no such route.")
		return
	}
	run := p.activeRun()
	if run == nil {
		writeJSONError(w, http.StatusServiceUnavailable, "MCP Tools is starting or stopped; try again shortly.")
		return
	}
	who, refused := resolveCaller(r.Header, match.route, p.currentSettings().trustedPluginIDs())
	if refused != nil {
		writeJSONError(w, refused.status, refused.message)
		return
	}
	restoreRequestBody(r)
	run.proxy.ServeHTTP(w, withCaller(r, who))
}

// commandHookBody is model.CommandArgs as the contract sends it: CommandArgs hides site_url from JSON.
type commandHookBody struct {
	UserID    string `json:"user_id"`
	ChannelID string `json:"channel_id"`
	TeamID    string `json:"team_id"`
	RootID    string `json:"root_id"`
	ParentID  string `json:"parent_id"`
	TriggerID string `json:"trigger_id,omitempty"`
	Command   string `json:"command"`
	SiteURL   string `json:"site_url"`
}

// ExecuteCommand forwards /mcp to the sidecar as the invoking user. Failures become an ephemeral
// reply that says what to do, not a bare error.
func (p *Plugin) ExecuteCommand(_ *plugin.Context, args *model.CommandArgs) (*model.CommandResponse, *model.AppError) {
	run := p.activeRun()
	if run == nil {
		return ephemeral("MCP Tools is starting or stopped; try again shortly."), nil
	}
	body := commandHookBody{
		UserID: args.UserId, ChannelID: args.ChannelId, TeamID: args.TeamId, RootID: args.RootId,
		ParentID: args.ParentId, TriggerID: args.TriggerId, Command: args.Command, SiteURL: args.SiteURL,
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timing.hookTimeout)
	defer cancel()
	var response model.CommandResponse
	err := run.client.postHook(ctx, "ExecuteCommand", args.UserId, body, &response)
	var refused *hookError
	switch {
	case errors.As(err, &refused):
		return ephemeral(refused.Message), nil
	case err != nil:
		p.API.LogError("The MCP sidecar did not answer /mcp", "error", err.Error())
		return ephemeral("The MCP sidecar is not answering; ask a system admin to check the server log."), nil
	}
	return &response, nil
}

// UserHasBeenDeactivated lets the sidecar drop the user's clients and tokens.
func (p *Plugin) UserHasBeenDeactivated(_ *plugin.Context, user *model.User) {
	run := p.activeRun()
	if run == nil || user == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timing.hookTimeout)
	defer cancel()
	if err := run.client.postHook(ctx, "UserHasBeenDeactivated", "", map[string]string{"user_id": user.Id}, nil); err != nil {
		p.API.LogError("The MCP sidecar did not take the user deactivation", "user_id", user.Id, "error", err.Error())
	}
}

func ephemeral(text string) *model.CommandResponse {
	return &model.CommandResponse{ResponseType: model.CommandResponseTypeEphemeral, Text: text}
}
