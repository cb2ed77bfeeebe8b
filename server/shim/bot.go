package main

import (
	"fmt"

	"github.com/mattermost/mattermost/server/public/model"
)

// ensureBot creates or updates the @mcp bot and returns its user id.
func (p *Plugin) ensureBot() (string, error) {
	botID, err := p.API.EnsureBotUser(&model.Bot{
		Username:    "mcp",
		DisplayName: "MCP",
		Description: "Replies from MCP Tools: connections to MCP servers and their tools.",
	})
	if err != nil {
		return "", fmt.Errorf("ensure the @mcp bot: %w", err)
	}
	return botID, nil
}
