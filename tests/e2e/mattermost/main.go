// Command mattermost is Mattermost's own cmd/mattermost without the enterprise import (its modules
// are private): a team edition, built only for the end-to-end suite.
package main

import (
	"os"

	"github.com/mattermost/mattermost/server/v8/cmd/mattermost/commands"

	// App-layer slash commands and the GitLab OAuth provider register themselves on import.
	_ "github.com/mattermost/mattermost/server/v8/channels/app/oauthproviders/gitlab"
	_ "github.com/mattermost/mattermost/server/v8/channels/app/slashcommands"
)

func main() {
	if err := commands.Run(os.Args[1:]); err != nil {
		os.Exit(1)
	}
}
