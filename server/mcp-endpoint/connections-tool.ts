import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { MCP_DISABLED, NO_SERVERS, plural, reasonOf } from '../mattermost/command-replies.js';
import { absoluteURL } from '../mattermost/markdown.js';
import type { ServerState, ToolAuthError } from '../mcp/index.js';

/** Our own tool, always listed: a client such as the Agents plugin refuses a server with no tools. */
export const CONNECTIONS_TOOL_NAME = 'mcp_connections';

const DESCRIPTION =
  'Shows which MCP servers you are connected to and gives the link to connect those that need your account.';

/** The tool as `tools/list` shows it; names the servers waiting for the user so the model knows to call it. */
export function connectionsTool(waiting: readonly ToolAuthError[]): Tool {
  const names = [...new Set(waiting.map((w) => w.serverName))];
  return {
    name: CONNECTIONS_TOOL_NAME,
    description: names.length > 0 ? `${DESCRIPTION} Not connected yet: ${names.join(', ')}.` : DESCRIPTION,
    inputSchema: { type: 'object', properties: {} },
    annotations: { title: 'MCP connections', readOnlyHint: true, openWorldHint: false },
  };
}

/** A Connect URL a person can open from a chat (absolute), or the URL as given when it cannot be made so. */
export function connectURL(authURL: string, siteURL: string | undefined): string {
  return absoluteURL(authURL, siteURL) ?? authURL;
}

export interface ConnectionView {
  readonly name: string;
  readonly status: ServerState['status'];
  readonly tools: number;
  readonly connectURL?: string;
  readonly error?: string;
}

function viewOf(state: ServerState, siteURL: string | undefined): ConnectionView {
  return {
    name: state.serverName,
    status: state.status,
    tools: state.tools.length,
    ...(state.status === 'needs_oauth' && state.authURL ? { connectURL: connectURL(state.authURL, siteURL) } : {}),
    ...(state.status === 'error' ? { error: reasonOf(state) } : {}),
  };
}

function lineOf(view: ConnectionView): string {
  switch (view.status) {
    case 'connected':
      return `- ${view.name}: connected, ${plural(view.tools, 'tool')}`;
    case 'needs_oauth':
      return view.connectURL
        ? `- ${view.name}: needs your account. Open this link to connect it: ${view.connectURL}`
        : `- ${view.name}: needs your account, but no sign-in link is available; ask an admin to check its OAuth settings.`;
    case 'error':
      return `- ${view.name}: failing (${view.error}). Ask an admin to check the server if this lasts.`;
    case 'connecting':
      return `- ${view.name}: still connecting; ask again in a moment.`;
    case 'switched_off':
      return `- ${view.name}: switched off by the user (they can run /mcp enable to use it again).`;
  }
}

/** The tool's answer: one line per enabled server in text, the same as structured content. */
export function connectionsResult(
  states: readonly ServerState[],
  options: { enabled: boolean; siteURL: string | undefined },
): CallToolResult {
  if (!options.enabled) return { content: [{ type: 'text', text: MCP_DISABLED }], structuredContent: { servers: [] } };
  if (states.length === 0) return { content: [{ type: 'text', text: NO_SERVERS }], structuredContent: { servers: [] } };
  const servers = states.map((state) => viewOf(state, options.siteURL));
  const text = [`Your MCP servers (${servers.length}):`, ...servers.map(lineOf)].join('\n');
  return { content: [{ type: 'text', text }], structuredContent: { servers } };
}
