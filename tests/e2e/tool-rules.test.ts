/**
 * An admin's tool rules and a user's own server switch through a real Mattermost: the admin disables a tool
 * with the config API (`PUT /api/v4/config/patch`), and one config push later the user's listing and call
 * through Mattermost reflect it; `/mcp disable` typed in a channel keeps the server from seeing the user.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../support/eventually.js';
import { echoTool, startMcpServer, type TestMcpServer, type TestTool } from '../support/mcp-test-server.js';
import { callTool, listTools, runCommand, useServers } from './support/people.js';
import { patchPluginConfig } from './support/plugin.js';
import { api, world } from './support/world.js';

const calls: string[] = [];
const purgeTool: TestTool = {
  name: 'purge',
  description: 'Deletes everything (records each call)',
  inputSchema: { type: 'object', properties: {} },
  run: () => (calls.push('purge'), { content: [{ type: 'text', text: 'purged' }] }),
};

let own: TestMcpServer;

beforeAll(async () => {
  own = await startMcpServer({ tools: [echoTool, purgeTool] });
  await useServers([{ name: 'own', baseURL: own.url }]);
});

afterAll(async () => {
  await own?.close();
});

const names = async () => {
  const response = await listTools(world().alice);
  expect(response.status).toBe(200);
  return response.json.tools.map((t: { name: string }) => t.name).sort();
};

describe('tool rules through Mattermost', () => {
  it("a tool an admin disables through the config API leaves the user's listing and refuses the call, naming the tool", async () => {
    expect(await names()).toEqual(['own__echo', 'own__purge']);
    await patchPluginConfig(api(), world().admin, {
      servers: [{ name: 'own', baseURL: own.url, tools: { purge: { enabled: false } } }],
    });
    // One push: Mattermost hands the saved config to the plugin, which applies it; no restart, no second save.
    await eventually(async () => expect(await names()).toEqual(['own__echo']), 10_000, 100);

    const refused = await callTool(world().alice, 'own__purge');
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({
      code: 'ERR_MCP_TOOL_DISABLED',
      error: expect.stringContaining('Tool own__purge (purge on server own) is disabled by a system admin'),
    });
    expect(calls).toEqual([]);
    expect(await runCommand(world().alice, '/mcp tools')).not.toContain('purge');
    expect((await callTool(world().alice, 'own__echo', { message: 'still here' })).json.text).toContain('still here');
  });

  it('a deny pattern covers the tools it matches, and switching the rules off brings them back', async () => {
    await patchPluginConfig(api(), world().admin, { servers: [{ name: 'own', baseURL: own.url, deny: ['*'] }] });
    await eventually(async () => expect(await names()).toEqual([]), 10_000, 100);
    await patchPluginConfig(api(), world().admin, { servers: [{ name: 'own', baseURL: own.url }] });
    await eventually(async () => expect(await names()).toEqual(['own__echo', 'own__purge']), 10_000, 100);
  });

  it('/mcp disable keeps the server from seeing the user, /mcp status says so, /mcp enable brings it back', async () => {
    const { alice } = world();
    expect(await runCommand(alice, '/mcp disable own')).toContain('Switched **own** off for you');
    const fromAlice = () => own.requests.filter((r) => r.headers['x-mattermost-userid'] === alice.userId).length;
    const before = fromAlice();
    expect(await names()).toEqual([]);
    expect(await runCommand(alice, '/mcp status')).toContain('| ⏸️ | **own** | Switched off by you');
    expect((await callTool(alice, 'own__echo', { message: 'x' })).json.code).toBe('ERR_MCP_SERVER_SWITCHED_OFF');
    expect(fromAlice()).toBe(before);
    expect(await runCommand(alice, '/mcp enable own')).toContain('Switched **own** back on for you');
    expect(await names()).toEqual(['own__echo', 'own__purge']);
  });
});
