package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/mattermost/mattermost/server/public/model"
)

// botTokenKey names, per host, the KV entry holding the id of the token this node's sidecar uses.
// The plugin API cannot list a user's tokens, so this id is how a token left by a shim that died
// without OnDeactivate gets revoked at the next activation. Per host, because every node of a
// cluster runs its own sidecar with its own token.
func botTokenKey() string {
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(host))
	return "sidecar_bot_token_" + hex.EncodeToString(sum[:8])
}

// createBotToken gives the embedded sidecar a REST token for the bot (MCP_MATTERMOST_TOKEN). It
// returns nil on failure: the sidecar then runs without one and its admin routes fail closed.
func (p *Plugin) createBotToken(botID string) *model.UserAccessToken {
	key := botTokenKey()
	if stale, appErr := p.API.KVGet(key); appErr == nil && len(stale) > 0 {
		_ = p.API.RevokeUserAccessToken(string(stale)) // already gone is fine
	}
	host, _ := os.Hostname()
	token, appErr := p.API.CreateUserAccessToken(&model.UserAccessToken{
		UserId:      botID,
		Description: "MCP Tools sidecar on " + host,
	})
	if appErr != nil || token == nil {
		p.API.LogWarn("Could not create the MCP bot's access token; the sidecar's admin routes will answer 503", "error", fmt.Sprint(appErr))
		return nil
	}
	if appErr := p.API.KVSet(key, []byte(token.Id)); appErr != nil {
		p.API.LogWarn("Could not remember the MCP bot token id; it is revoked at deactivation only", "error", appErr.Error())
	}
	return token
}

// revokeBotToken ends the token of this activation.
func (p *Plugin) revokeBotToken(token *model.UserAccessToken) {
	if token == nil {
		return
	}
	if appErr := p.API.RevokeUserAccessToken(token.Id); appErr != nil {
		p.API.LogWarn("Could not revoke the MCP bot's access token", "token_id", token.Id, "error", appErr.Error())
		return
	}
	_ = p.API.KVDelete(botTokenKey())
}
