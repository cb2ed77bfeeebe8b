// Command plugin is the Mattermost server executable of mattermost-mcp: a thin shim that registers
// as the plugin over Mattermost's Go plugin protocol and forwards everything to the Node sidecar
// (docs/sidecar-protocol.md).
package main

import "github.com/mattermost/mattermost/server/public/plugin"

func main() {
	plugin.ClientMain(newPlugin())
}
