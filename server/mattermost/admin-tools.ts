import type { Config, ServerConfig } from '../config/schema.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../mcp/index.js';
import { discoverServerTools, type DiscoverDeps, type ToolInfo } from '../mcp/index.js';
import { ServerTimeoutError, describeError } from '../mcp/index.js';
import { isAuthNeeded, type AuthNeeded } from '../mcp/index.js';
import { describeUnmatched, toolAccessFor, type HiddenBy } from '../mcp/index.js';
import { toolBudget, type ToolBudget } from '../mcp/index.js';
import { baseToolName } from '../mcp/index.js';
import type { ToolPolicy } from '../config/schema.js';

/** A discovered tool with what the server's rules make of it. */
export interface AdminToolInfo extends ToolInfo {
  /** Whether the tool reaches the AI bot under the server's config as discovered. */
  readonly enabled: boolean;
  /** Why not: its switch, a deny pattern (named), or an allow list that leaves it out. */
  readonly hiddenBy?: HiddenBy;
  readonly policy?: ToolPolicy;
}

/** One server in the admin's Tools tab (the Go plugin's `GET /admin/mcp/tools` row, plus `enabled`). */
export interface AdminServerRow {
  readonly name: string;
  readonly url: string;
  readonly enabled: boolean;
  readonly tools: readonly AdminToolInfo[];
  /** Present once the server listed its tools: how many reach the AI bot per user, and their tokens (estimated). */
  readonly reachingBot?: ToolBudget;
  /** Present once the server listed its tools: patterns and tool settings that match none of them. */
  readonly warnings?: readonly string[];
  /** The admin must connect their own account before the server lists its tools. */
  readonly needsOAuth: boolean;
  readonly oauthURL?: string;
  readonly error: string | null;
}

/**
 * Lists one server's tools as `adminUserId` on a temporary connection, within the server's connect
 * timeout. Failures become the row's `error` (or `needsOAuth`), never an exception.
 */
export async function discoverServerRow(
  server: ServerConfig,
  adminUserId: string,
  deps: DiscoverDeps,
): Promise<AdminServerRow> {
  const base = { name: server.name, url: server.baseURL, enabled: server.enabled };
  const timeoutMs = (server.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_MS / 1000) * 1000;
  try {
    const tools = await withDeadline(
      discoverServerTools(server, adminUserId, deps),
      timeoutMs,
      () => new ServerTimeoutError(server.name, timeoutMs, 'tool discovery'),
    );
    return { ...base, ...withRules(server, tools), needsOAuth: false, error: null };
  } catch (error) {
    const auth = findAuthNeeded(error);
    if (auth) return { ...base, tools: [], needsOAuth: true, oauthURL: auth.authURL, error: null };
    return { ...base, tools: [], needsOAuth: false, error: describeError(error) };
  }
}

/** The server's rules applied to what it listed (the names the bot sees are `<server>__<tool>` in the estimate). */
function withRules(
  server: ServerConfig,
  tools: readonly ToolInfo[],
): Pick<AdminServerRow, 'tools' | 'reachingBot' | 'warnings'> {
  const access = toolAccessFor(server);
  const rows = tools.map((tool): AdminToolInfo => {
    const hiddenBy = access.hiddenBy(tool.name);
    const policy = access.policy(tool.name);
    return { ...tool, enabled: !hiddenBy, ...(hiddenBy && { hiddenBy }), ...(policy && { policy }) };
  });
  const reaching = rows
    .filter((t) => t.enabled)
    .map((t) => ({ ...t, name: baseToolName({ serverName: server.name, toolName: t.name }) }));
  return {
    tools: rows,
    reachingBot: toolBudget(reaching),
    warnings: access.unmatched(tools.map((t) => t.name)).map(describeUnmatched),
  };
}

/** Every enabled server, in config order, discovered in parallel; none when MCP is disabled. */
export async function discoverEnabledServerRows(
  config: Config,
  adminUserId: string,
  deps: DiscoverDeps,
): Promise<AdminServerRow[]> {
  if (!config.enabled) return [];
  return Promise.all(
    config.servers.filter((s) => s.enabled).map((server) => discoverServerRow(server, adminUserId, deps)),
  );
}

/** The OAuth layer's error may arrive wrapped (e.g. as the `cause` of a connect error). */
function findAuthNeeded(error: unknown): AuthNeeded | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined; depth++) {
    if (isAuthNeeded(current)) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

function withDeadline<T>(work: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
    timer.unref();
  });
  // The discovery closes its own connection when it finishes after the deadline.
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
