import type { Logger } from 'pino';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { ClientManager } from '../mcp/index.js';
import { McpClientError, describeError } from '../mcp/index.js';
import { isAuthNeeded, type AuthNeeded, type UserTool } from '../mcp/index.js';
import { OAuthError } from '../oauth/index.js';
import type { Metrics } from '../observability/metrics.js';
import type { ConnectNotifier } from './connect-notice.js';
import { CONNECTIONS_TOOL_NAME, connectURL, connectionsResult, connectionsTool } from './connections-tool.js';
import { errorResult, textFirstResult } from './text-first-result.js';
import { PLUGIN_ID, PLUGIN_VERSION } from '../plugin-manifest.js';

export interface UserToolServerDeps {
  readonly manager: ClientManager;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Makes plugin-relative Connect links absolute (`MCP_SITE_URL`). */
  readonly siteURL?: string;
  /** Sends the user a Connect notice when a call needs their account. */
  readonly notify: ConnectNotifier;
}

const SERVER_INFO = { name: PLUGIN_ID, version: PLUGIN_VERSION };
const INSTRUCTIONS =
  'Tools of the MCP servers a Mattermost admin configured, called with your own accounts. ' +
  `When a tool answers that an account needs connecting, give the user its link; ${CONNECTIONS_TOOL_NAME} lists every server and its state.`;

function toMcpTool(tool: UserTool): Tool {
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema as Tool['inputSchema'],
    ...(tool.annotations ? { annotations: tool.annotations } : {}),
  };
}

/**
 * An MCP server for one user and one request (the SDK's stateless pattern): `tools/list` gives the
 * user's aggregated tools plus `mcp_connections`, `tools/call` relays through the user's clients.
 */
export function userToolServer(userId: string, deps: UserToolServerDeps, schemaValidator: jsonSchemaValidator): Server {
  // A shared validator: by default every SDK server builds an Ajv instance, most of a request's CPU here.
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: {} },
    instructions: INSTRUCTIONS,
    jsonSchemaValidator: schemaValidator,
  });

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const { tools, errors } = await deps.manager.getToolsForUser(userId);
    return { tools: [connectionsTool(errors.toolAuthErrors), ...tools.map(toMcpTool)] };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name, arguments: args = {} } = request.params;
    if (name === CONNECTIONS_TOOL_NAME) {
      const states = await deps.manager.getServerStatesForUser(userId);
      return connectionsResult(states, { enabled: deps.manager.currentConfig.enabled, siteURL: deps.siteURL });
    }
    const stop = deps.metrics?.toolCallDuration.startTimer();
    try {
      const result = await deps.manager.callTool(userId, name, args, { signal: extra.signal });
      stop?.({ outcome: result.isError ? 'tool_error' : 'ok' });
      return textFirstResult(result);
    } catch (error) {
      stop?.({ outcome: 'failed' });
      if (extra.signal.aborted) throw error;
      if (isAuthNeeded(error)) return needsAccount(userId, name, error, deps);
      if (error instanceof McpClientError || error instanceof OAuthError) return errorResult(error.message);
      deps.logger.warn({ userId, tool: name, reason: describeError(error) }, 'MCP endpoint: tool call failed');
      return errorResult(`Calling ${name} failed: ${describeError(error)}`);
    }
  });

  return server;
}

/** The error result with the Connect link, and the same link to the user's open Mattermost clients. */
function needsAccount(userId: string, toolName: string, error: AuthNeeded, deps: UserToolServerDeps): CallToolResult {
  const serverName = (error as { serverName?: unknown }).serverName;
  const name = typeof serverName === 'string' ? serverName : toolName.split('__')[0]!;
  const url = connectURL(error.authURL, deps.siteURL);
  deps.notify(userId, { serverName: name, authURL: url });
  return errorResult(
    `${toolName} needs your account on ${name}, which is not connected. Open this link to connect it, then ask again: ${url}`,
  );
}
