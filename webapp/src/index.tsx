import React from 'react';
import { ConfigSetting } from './admin/config_setting';
import { CONNECT_NEEDED_EVENT, CONNECTION_UPDATED_EVENT, PLUGIN_ID } from './manifest';
import type { ConnectionUpdate, ConnectNeeded } from './shared/connection_events';
import { publishConnectNeeded, publishConnectionUpdate } from './shared/connection_events';
import { setHostStore } from './shared/site_url';
import { injectStyles } from './shared/styles';
import type { HostStore, PluginRegistry, WebSocketMessage } from './registry';
import { ConnectNotices } from './user/connect_notices';
import { McpIcon } from './user/icon';
import { ToolsPanel } from './user/tools_panel';

/**
 * Registers the System Console setting `Config` (the MCP server list) and, for every user, an
 * "MCP tools" panel in the right-hand sidebar, opened from a channel-header button, and the
 * "Connect <server>" notices the AI bot's tool calls ask for.
 */
export class Plugin {
  private removeStyles: (() => void) | undefined;

  initialize(registry: PluginRegistry, store: HostStore): void {
    setHostStore(store);
    this.removeStyles = injectStyles();
    registry.registerAdminConsoleCustomSetting('Config', ConfigSetting, { showTitle: true });
    const { toggleRHSPlugin } = registry.registerRightHandSidebarComponent(ToolsPanel, 'MCP tools');
    registry.registerChannelHeaderButtonAction(
      <span className="mcp-header-icon">
        <McpIcon />
      </span>,
      () => store.dispatch(toggleRHSPlugin),
      'MCP tools',
      'MCP tools',
    );
    registry.registerWebSocketEventHandler(CONNECTION_UPDATED_EVENT, (message: WebSocketMessage<ConnectionUpdate>) => {
      publishConnectionUpdate(message.data ?? {});
    });
    registry.registerRootComponent(ConnectNotices);
    registry.registerWebSocketEventHandler(CONNECT_NEEDED_EVENT, (message: WebSocketMessage<ConnectNeeded>) => {
      publishConnectNeeded(message.data ?? {});
    });
  }

  uninitialize(): void {
    this.removeStyles?.();
    setHostStore(undefined);
  }
}

declare global {
  interface Window {
    registerPlugin(id: string, plugin: Plugin): void;
  }
}

window.registerPlugin(PLUGIN_ID, new Plugin());
