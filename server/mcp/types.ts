import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { PluginError } from '../errors/plugin-error.js';

/** A tool as the bot sees it: an LLM-safe unique name that maps back to (server, tool). */
export interface UserTool {
  readonly name: string;
  readonly serverName: string;
  /** The tool's own name on its server. */
  readonly toolName: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
  /** The server's hints (read-only, destructive…), passed on to MCP clients of the plugin's own endpoint. */
  readonly annotations?: ToolAnnotations;
}

/** A server that needs the user to connect their account; `authURL` starts the flow. */
export interface ToolAuthError {
  readonly serverName: string;
  readonly authURL: string;
  readonly message: string;
}

export interface ServerError {
  readonly serverName: string;
  readonly code: string;
  readonly message: string;
}

/** What went wrong for one user: auth errors the user can resolve, and everything else. */
export interface Errors {
  readonly toolAuthErrors: readonly ToolAuthError[];
  readonly errors: readonly ServerError[];
}

export interface UserToolsResult {
  readonly tools: readonly UserTool[];
  readonly errors: Errors;
}

/** `switched_off`: the user switched the server off for themselves (`/mcp disable`); nothing connects. */
export type ServerStatus = 'connected' | 'connecting' | 'needs_oauth' | 'error' | 'switched_off';

/** One enabled server as seen by one user (for `GET /mcp/tools` and `/mcp status`). */
export interface ServerState {
  readonly serverName: string;
  readonly serverOrigin: string;
  readonly status: ServerStatus;
  readonly tools: readonly UserTool[];
  readonly authURL?: string;
  readonly error?: string;
}

/** An error that carries a Connect URL (the OAuth layer's OAuthNeededError). */
export interface AuthNeeded extends PluginError {
  readonly code: 'ERR_OAUTH_NEEDED';
  readonly authURL: string;
  readonly serverName?: string;
}

// By its code, the root's contract: `mcp/` does not import `oauth/`, where the class is.
export function isAuthNeeded(error: unknown): error is AuthNeeded {
  return error instanceof PluginError && error.code === 'ERR_OAUTH_NEEDED';
}

/** How the OAuth layer plugs into every client: the authorization layer of `serverFetch`. */
export type { ClientAuthHooks } from '../outbound/index.js';

/** An error already attributed to a server, with a message for the user: passed on unchanged. */
export function isServerAttributed(error: unknown, serverName: string): error is PluginError {
  return error instanceof PluginError && 'serverName' in error && error.serverName === serverName;
}
