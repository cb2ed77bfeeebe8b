/**
 * What admins and users do in the end-to-end specs, all through Mattermost's HTTP port: set the
 * plugin's MCP servers, list and call tools, run `/mcp`.
 */
import { afterAll, beforeAll, expect } from '@jest/globals';
import type { ConfigInput } from '../../../server/config/schema.js';
import { eventually } from '../../support/eventually.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../../support/mcp-test-server.js';
import type { ApiResponse, Session } from './mattermost-api.js';
import { patchPluginConfig } from './plugin.js';
import { api, pluginPath, world } from './world.js';

/**
 * Saves the plugin's MCP servers as an admin does and waits until the sidecar serves exactly them
 * (the admin's `GET /mcp/tools` lists those names).
 */
export async function useServers(servers: NonNullable<ConfigInput['servers']>): Promise<void> {
  const { admin } = world();
  await patchPluginConfig(api(), admin, { servers });
  const names = servers
    .filter((s) => s.enabled !== false)
    .map((s) => s.name)
    .sort();
  await eventually(
    async () => {
      const response = await api().request(pluginPath('/mcp/tools'), { as: admin });
      expect(response.status).toBe(200);
      expect(response.json.servers.map((s: { name: string }) => s.name).sort()).toEqual(names);
    },
    30_000,
    200,
  );
}

export function listTools(user: Session): Promise<ApiResponse> {
  return api().request(pluginPath('/api/v1/tools'), { as: user });
}

export function callTool(
  user: Session,
  name: string,
  args: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<ApiResponse> {
  return api().request(pluginPath('/api/v1/tools/call'), { as: user, json: { name, arguments: args, ...extra } });
}

/** `POST /api/v4/commands/execute` in the team's town-square; the ephemeral answer's text. */
export async function runCommand(user: Session, command: string): Promise<string> {
  const { teamId, channelId } = world();
  const response = await api().ok('/api/v4/commands/execute', {
    as: user,
    json: { channel_id: channelId, team_id: teamId, command },
  });
  return String(response.text ?? '');
}

/**
 * For the spec file: an MCP server of our own (SDK, 127.0.0.1) with `echo` and `whoami`, saved as the
 * plugin's only server, `own`. Returns a getter for it.
 */
export function ownServerForThisFile(): () => TestMcpServer {
  let own: TestMcpServer | undefined;
  beforeAll(async () => {
    own = await startMcpServer({ tools: [echoTool, whoamiTool] });
    await useServers([{ name: 'own', baseURL: own.url }]);
  });
  afterAll(async () => {
    await own?.close();
  });
  return () => own!;
}
