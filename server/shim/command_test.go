package main

import (
	"slices"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
)

func TestRegistersMcpWithItsAutocompleteTree(t *testing.T) {
	h, _ := activateExternal(t, nil)
	command := <-h.commands
	if command.Trigger != "mcp" || !command.AutoComplete || command.TeamId != "" {
		t.Fatalf("command %+v", command)
	}
	tree := command.AutocompleteData
	if err := tree.IsValid(); err != nil {
		t.Fatalf("Mattermost would refuse the tree: %v", err)
	}
	var names []string
	for _, sub := range tree.SubCommands {
		names = append(names, sub.Trigger)
	}
	if want := []string{"status", "tools", "connect", "disconnect", "enable", "disable", "help"}; !slices.Equal(names, want) {
		t.Fatalf("subcommands %v, want %v", names, want)
	}
	for _, sub := range tree.SubCommands {
		switch sub.Trigger {
		case "connect", "disconnect", "enable", "disable":
			if len(sub.Arguments) != 1 || sub.Arguments[0].Type != model.AutocompleteArgTypeDynamicList || !sub.Arguments[0].Required {
				t.Fatalf("%s arguments %+v", sub.Trigger, sub.Arguments)
			}
			if url := sub.Arguments[0].Data.(*model.AutocompleteDynamicListArg).FetchURL; url != "/autocomplete/servers" {
				t.Fatalf("%s fetches %q", sub.Trigger, url)
			}
		default:
			if len(sub.Arguments) != 0 {
				t.Fatalf("%s takes no argument, has %+v", sub.Trigger, sub.Arguments)
			}
		}
	}
}
