import { TOOL_POLICIES, type Config, type ToolPolicy } from '../config/schema.js';
import { ToolNameMap, type ToolRef } from '../mcp/index.js';
import { CONNECTIONS_TOOL_NAME } from './connections-tool.js';

/** One entry of the Agents plugin's `tool_configs` (docs/agents-bridge.md), named as this endpoint lists the tool. */
export interface AgentsToolConfig {
  readonly name: string;
  readonly policy: ToolPolicy;
  readonly enabled: true;
}

/**
 * The `tool_configs` the shim sends when it registers this endpoint with the Agents plugin (first defaults: the
 * Agents admin owns them afterwards). First `mcp_connections`, run unasked in DMs (listing the user's own connections
 * changes nothing, and the bot needs it to send Connect links); then, sorted by name, every tool of an enabled server
 * with a policy that is not switched off (`servers[].tools`, server/config/schema.ts). A disabled config gives only the
 * first.
 */
export function agentsToolConfigs(config: Config): AgentsToolConfig[] {
  const connections: AgentsToolConfig = { name: CONNECTIONS_TOOL_NAME, policy: 'auto_run_in_dm', enabled: true };
  if (!config.enabled) return [connections];
  const servers = config.servers.filter((server) => server.enabled);
  // Every tool the admin named, so two of them whose names collide get the hashed names the endpoint gives them.
  const refs: ToolRef[] = servers.flatMap((server) =>
    Object.keys(server.tools ?? {}).map((toolName) => ({ serverName: server.name, toolName })),
  );
  const names = new ToolNameMap(refs);
  const hinted: AgentsToolConfig[] = [];
  for (const server of servers) {
    for (const [toolName, setting] of Object.entries(server.tools ?? {})) {
      const policy = setting.policy;
      if (!isToolPolicy(policy) || setting.enabled === false) continue;
      const name = names.exposedName({ serverName: server.name, toolName });
      if (name) hinted.push({ name, policy, enabled: true });
    }
  }
  hinted.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [connections, ...hinted];
}

function isToolPolicy(value: unknown): value is ToolPolicy {
  return (TOOL_POLICIES as readonly unknown[]).includes(value);
}
