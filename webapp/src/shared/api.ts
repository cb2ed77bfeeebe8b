import type { McpConfig, ServerSettings } from '../admin/config_model';
import { requestJSON } from './client';

export type ServerStatus = 'connected' | 'connecting' | 'needs_oauth' | 'error' | 'switched_off';

/** One row of `GET /mcp/tools`: an enabled server as the signed-in user sees it. */
export interface UserServer {
  readonly name: string;
  readonly serverOrigin: string;
  readonly status: ServerStatus;
  readonly authenticated: boolean;
  /** With `authenticated`, the user connected this server through OAuth (they can disconnect). */
  readonly needsOAuth: boolean;
  /** The user switched this server off for themselves: nothing connects, the AI bot gets none of its tools. */
  readonly switchedOff?: boolean;
  readonly authURL?: string;
  readonly error?: string;
  readonly tools: ReadonlyArray<{ name: string; exposedName: string; description: string; enabled: boolean }>;
}

/** The user's own switch for one server (kept in the plugin's store, `/mcp enable|disable` does the same). */
export async function setServerEnabledForMe(serverName: string, enabled: boolean): Promise<void> {
  await requestJSON('PUT', `/mcp/servers/${encodeURIComponent(serverName)}/enabled`, { enabled });
}

export async function fetchUserServers(): Promise<UserServer[]> {
  const body = await requestJSON<{ servers?: UserServer[] }>('GET', '/mcp/tools');
  return body?.servers ?? [];
}

/** Forgets the user's OAuth tokens for one server. */
export async function disconnectServer(serverName: string): Promise<void> {
  await requestJSON('DELETE', `/mcp/oauth/${encodeURIComponent(serverName)}`);
}

export interface DiscoveredTool {
  readonly name: string;
  readonly description: string;
  readonly inputSchema?: unknown;
}

/** One row of the admin discovery routes. */
export interface DiscoveredServer {
  readonly name: string;
  readonly url: string;
  readonly enabled: boolean;
  readonly tools: readonly DiscoveredTool[];
  readonly needsOAuth: boolean;
  readonly oauthURL?: string;
  readonly error: string | null;
}

/** Connects to one (possibly unsaved) server as the admin and lists its tools. */
export async function discoverServerTools(server: ServerSettings): Promise<DiscoveredServer> {
  return requestJSON<DiscoveredServer>('POST', '/admin/mcp/discover', server);
}

/**
 * The saved server list for the System Console, each header value and client secret masked (Config is a secret
 * setting).
 */
export async function fetchConsoleConfig(): Promise<McpConfig> {
  const body = await requestJSON<{ config: McpConfig }>('GET', '/admin/mcp/config');
  return body.config;
}
