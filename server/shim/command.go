package main

import (
	"fmt"

	"github.com/mattermost/mattermost/server/public/model"
)

const commandTrigger = "mcp"

// serversListURL is a plugin route (Mattermost prefixes it with /plugins/<id>); the sidecar serves it.
const serversListURL = "/autocomplete/servers"

// registerCommand registers /mcp for every team with its autocomplete tree.
func (p *Plugin) registerCommand() error {
	err := p.API.RegisterCommand(&model.Command{
		Trigger:          commandTrigger,
		DisplayName:      "MCP",
		Description:      "Use tools from MCP servers",
		AutoComplete:     true,
		AutoCompleteDesc: "Connect to MCP servers and see your tools",
		AutoCompleteHint: "[status|tools|connect|disconnect|enable|disable|help]",
		AutocompleteData: commandAutocomplete(),
	})
	if err != nil {
		return fmt.Errorf("register /%s: %w", commandTrigger, err)
	}
	return nil
}

func commandAutocomplete() *model.AutocompleteData {
	root := model.NewAutocompleteData(commandTrigger, "[command]", "Use tools from MCP servers")
	root.AddCommand(model.NewAutocompleteData("status", "", "Show the MCP servers and whether you are connected"))
	root.AddCommand(model.NewAutocompleteData("tools", "", "List the tools you can use"))
	for _, sub := range []struct{ trigger, help, argument string }{
		{"connect", "Connect your account to an MCP server", "The MCP server to connect to"},
		{"disconnect", "Disconnect your account from an MCP server", "The MCP server to disconnect from"},
		{"enable", "Switch an MCP server back on for yourself", "The MCP server to switch on"},
		{"disable", "Switch an MCP server off for yourself: the AI bot gets none of its tools", "The MCP server to switch off"},
	} {
		command := model.NewAutocompleteData(sub.trigger, "[server]", sub.help)
		command.AddDynamicListArgument(sub.argument, serversListURL, true)
		root.AddCommand(command)
	}
	root.AddCommand(model.NewAutocompleteData("help", "", "Show how to use /mcp"))
	return root
}
