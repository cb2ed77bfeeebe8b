/**
 * Secret settings in a real Mattermost: `Config` (header values, client secrets) and `StoreURL` come out of the
 * config API masked, and a save that sends the masks back (as the System Console does) keeps the saved values,
 * whole or, inside Config, per header value, restored by the plugin before Mattermost stores them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SECRET_MASK } from '../../server/config/secret-mask.js';
import { eventually } from '../support/eventually.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { callTool, useServers } from './support/people.js';
import { PLUGIN_ID } from './support/plugin.js';
import { api, pluginPath, world } from './support/world.js';

const API_KEY = 'e2e-admin-header-value-kept-secret';
let first: TestMcpServer;
let second: TestMcpServer;

beforeAll(async () => {
  first = await startMcpServer({ tools: [echoTool, whoamiTool] });
  second = await startMcpServer({ tools: [echoTool, whoamiTool] });
  await useServers([{ name: 'keyed', baseURL: first.url, headers: { 'X-Api-Key': API_KEY } }]);
});

afterAll(async () => {
  await first?.close();
  await second?.close();
});

/** The API key the server last received, once alice's call reached it. */
async function keyReceivedBy(server: TestMcpServer): Promise<string | string[] | undefined> {
  const before = server.requests.length;
  await eventually(
    async () => {
      const response = await callTool(world().alice, 'keyed__whoami');
      expect(response.status).toBe(200);
      expect(server.requests.length).toBeGreaterThan(before);
    },
    30_000,
    200,
  );
  return server.requests.filter((r) => r.method === 'POST').at(-1)!.headers['x-api-key'];
}

const readConfig = () => api().ok('/api/v4/config', { as: world().admin });
const saveConfig = (config: unknown) =>
  api().request('/api/v4/config', { as: world().admin, method: 'PUT', json: config });

describe('secret settings', () => {
  it('are masked whole in the config API, even for a system admin', async () => {
    const config = await readConfig();
    expect(config.PluginSettings.Plugins[PLUGIN_ID].config).toBe(SECRET_MASK);
    expect(JSON.stringify(config)).not.toContain(API_KEY);
  });

  it('keep their saved values when a save sends the masks back', async () => {
    const config = await readConfig();
    config.PluginSettings.Plugins[PLUGIN_ID].idletimeoutminutes = 45;
    const response = await saveConfig(config);
    expect(response.status).toBe(200);
    expect(await keyReceivedBy(first)).toBe(API_KEY);
  });

  it('give the console the server list with each header value masked, to system admins only', async () => {
    const { admin, alice } = world();
    const listed = await api().ok(pluginPath('/admin/mcp/config'), { as: admin });
    expect(listed.config.servers).toEqual([
      expect.objectContaining({ name: 'keyed', headers: { 'X-Api-Key': SECRET_MASK } }),
    ]);
    expect((await api().request(pluginPath('/admin/mcp/config'), { as: alice })).status).toBe(403);
  });

  it('keep a header value the console sent back masked inside an edited Config', async () => {
    const config = await readConfig();
    config.PluginSettings.Plugins[PLUGIN_ID].config = {
      servers: [{ name: 'keyed', baseURL: second.url, headers: { 'X-Api-Key': SECRET_MASK } }],
    };
    const response = await saveConfig(config);
    expect(response.status).toBe(200);
    expect(await keyReceivedBy(second)).toBe(API_KEY);
    expect(JSON.stringify(await readConfig())).not.toContain(API_KEY);
  });

  it('refuse a mask with no saved value, naming the server and the header', async () => {
    const config = await readConfig();
    config.PluginSettings.Plugins[PLUGIN_ID].config = {
      servers: [{ name: 'renamed', baseURL: second.url, headers: { 'X-Api-Key': SECRET_MASK } }],
    };
    const response = await saveConfig(config);
    expect(response.status).toBe(400);
    expect((response.json as { message: string }).message).toContain(
      'Server renamed: header X-Api-Key is masked but has no saved value',
    );
    expect(await keyReceivedBy(second)).toBe(API_KEY);
  });
});
