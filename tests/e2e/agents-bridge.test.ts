/**
 * The AI bot's way in, on a real Mattermost: a stand-in for the Agents plugin (tests/e2e/agents-stand-in,
 * Go, the MCP SDK's client over PluginHTTP as the Agents plugin uses it) installed next to this plugin.
 * This plugin registers with it once it runs (also when it is enabled after this plugin, and again
 * after it restarts), unregisters when disabled; two users list and call tools through it, each with
 * their own connections and identity; a plugin id outside TrustedPluginIDs is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { eventually } from '../support/eventually.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { connectInBrowser } from './support/connect.js';
import type { Session } from './support/mattermost-api.js';
import { runCommand, useServers } from './support/people.js';
import { disablePlugin, enablePlugin, PLUGIN_ID, uploadBundle } from './support/plugin.js';
import { api, pluginPath, world } from './support/world.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const AGENTS = 'mattermost-ai';
const UNTRUSTED = 'stand-in-untrusted';
const LICENCE =
  'Remote and external MCP servers requires a Mattermost Enterprise license or higher; the current license level is Free';
/** Mattermost's PluginStateRunning and PluginStateNotRunning (model/plugin_status.go). */
const RUNNING = 2;
const NOT_RUNNING = 0;
/** The shim looks at the Agents plugin's status every 30 s; a registration lands within one look plus retries. */
const ONE_LOOK_MS = 45_000;

let as: TestAuthorizationServer;
let secure: ProtectedMcpServer;
let own: TestMcpServer;

/** build.sh's bundle of the stand-in under `id` (cached outside the clone). */
function standInBundle(id: string): string {
  const built = spawnSync('bash', [join(ROOT, 'tests/e2e/agents-stand-in/build.sh'), id], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`agents-stand-in/build.sh ${id}: ${built.stderr}`);
  return built.stdout.trim().split('\n').at(-1)!;
}

async function pluginStatus(id: string): Promise<number | undefined> {
  const statuses = (await api().ok('/api/v4/plugins/statuses', { as: world().admin })) as Array<{
    plugin_id: string;
    state: number;
  }>;
  return statuses.find((s) => s.plugin_id === id)?.state;
}

async function setPluginEnabled(id: string, enabled: boolean): Promise<void> {
  await api().ok(`/api/v4/plugins/${id}/${enabled ? 'enable' : 'disable'}`, { as: world().admin, method: 'POST' });
  await eventually(async () => expect(await pluginStatus(id)).toBe(enabled ? RUNNING : NOT_RUNNING), 60_000, 250);
}

/** What the stand-in recorded: registrations by trusted caller id, and register/unregister events. */
async function standInRecord(): Promise<{
  registrations: Record<string, any>;
  events: Array<{ kind: string; plugin_id: string }>;
}> {
  return api().ok(`/plugins/${AGENTS}/test/registrations`, { as: world().admin });
}

/** A test route of a stand-in, as the admin; its answer. */
function throughStandIn(
  id: string,
  route: 'list-tools' | 'call-tool',
  user: Session,
  body: Record<string, unknown> = {},
  query = '',
) {
  return api().request(`/plugins/${id}/test/${route}?user_id=${user.userId}${query}`, {
    as: world().admin,
    method: 'POST',
    json: body,
  });
}

async function toolNames(user: Session): Promise<string[]> {
  const response = await throughStandIn(AGENTS, 'list-tools', user);
  expect(response.status).toBe(200);
  return response.json.tools.map((t: { name: string }) => t.name);
}

async function callAs(
  user: Session,
  name: string,
  args: Record<string, unknown> = {},
): Promise<{ isError: boolean; text: string }> {
  const response = await throughStandIn(AGENTS, 'call-tool', user, { user_id: user.userId, name, arguments: args });
  expect(response.status).toBe(200);
  return response.json;
}

/** The `/mcp status` line about the bridge, as the user reads it (invisible joiners left out). */
async function bridgeLine(user: Session): Promise<string> {
  const text = (await runCommand(user, '/mcp status')).replaceAll('\u2060', '');
  return text.split('\n').find((line) => line.startsWith('**AI bot bridge:**')) ?? `(no bridge line in: ${text})`;
}

/** Sets AgentsBridge as the System Console saves it (the masked secrets go back as they came). */
async function setAgentsBridge(on: boolean): Promise<void> {
  const config = await api().ok('/api/v4/config', { as: world().admin });
  config.PluginSettings.Plugins[PLUGIN_ID].agentsbridge = on;
  await api().ok('/api/v4/config', { as: world().admin, method: 'PUT', json: config });
}

beforeAll(async () => {
  as = await startAuthorizationServer();
  secure = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
  own = await startMcpServer({ tools: [echoTool, whoamiTool] });
  await useServers([
    // The admin's policy hint for one tool: the sidecar names it, the shim registers it as a first default.
    { name: 'own', baseURL: own.url, tools: { echo: { policy: 'auto_run_everywhere' } } },
    { name: 'bridged', baseURL: secure.url },
  ]);
  for (const id of [AGENTS, UNTRUSTED]) await uploadBundle(api(), world().admin, standInBundle(id));
}, 15 * 60_000);

afterAll(async () => {
  for (const id of [AGENTS, UNTRUSTED])
    await api().request(`/api/v4/plugins/${id}`, { as: world().admin, method: 'DELETE' });
  await own?.close();
  await secure?.stop();
  await as?.stop();
});

describe('the Agents plugin bridge', () => {
  it('registers with an Agents plugin enabled after this plugin, within one look at its status, with the admin’s tool policies named as the endpoint lists them', async () => {
    await setPluginEnabled(AGENTS, true);
    const { version } = JSON.parse(readFileSync(join(ROOT, 'plugin.json'), 'utf8')) as { version: string };
    await eventually(
      async () => {
        expect((await standInRecord()).registrations[PLUGIN_ID]).toEqual(
          expect.objectContaining({
            plugin_id: PLUGIN_ID,
            claimed_plugin_id: PLUGIN_ID,
            name: 'MCP Tools',
            path: '/api/v1/mcp',
            expose_external: false,
            enabled: true,
            version,
            tool_configs: [
              { name: 'mcp_connections', policy: 'auto_run_in_dm', enabled: true },
              { name: 'own__echo', policy: 'auto_run_everywhere', enabled: true },
            ],
          }),
        );
      },
      ONE_LOOK_MS,
      500,
    );
    await eventually(
      async () => expect(await bridgeLine(world().alice)).toContain('registered with the Agents plugin'),
      10_000,
      250,
    );
  }, 120_000);

  it('lists each user’s own tools through PluginHTTP, as the Agents plugin’s client does', async () => {
    const { alice, bob } = world();
    await connectInBrowser(alice, 'bridged', as.issuer);
    const aliceTools = await toolNames(alice);
    expect(aliceTools).toEqual(
      expect.arrayContaining(['own__echo', 'own__whoami', 'bridged__whoami', 'mcp_connections']),
    );
    const bobTools = await toolNames(bob);
    expect(bobTools).toEqual(expect.arrayContaining(['own__echo', 'own__whoami', 'mcp_connections']));
    expect(bobTools).not.toContain('bridged__whoami');
  });

  it('calls tools as the user the Agents plugin names, with that user’s own account', async () => {
    const { alice, bob } = world();
    expect(await callAs(alice, 'own__whoami')).toEqual(expect.objectContaining({ isError: false, text: alice.userId }));
    expect(await callAs(bob, 'own__whoami')).toEqual(expect.objectContaining({ isError: false, text: bob.userId }));
    expect(await callAs(alice, 'bridged__whoami')).toEqual(
      expect.objectContaining({ isError: false, text: alice.username }),
    );
    expect(await callAs(alice, 'own__echo', { message: 'through the bridge' })).toEqual(
      expect.objectContaining({ text: 'echo: through the bridge' }),
    );
    const bobsConnections = await callAs(bob, 'mcp_connections');
    expect(bobsConnections.text).toContain('bridged');
    expect(bobsConnections.text).toContain(pluginPath('/mcp/oauth/bridged/start'));
  });

  it('refuses a plugin outside TrustedPluginIDs, and a browser request naming a user', async () => {
    await setPluginEnabled(UNTRUSTED, true);
    const response = await throughStandIn(
      UNTRUSTED,
      'list-tools',
      world().alice,
      {},
      `&plugin_id=${PLUGIN_ID}&path=/api/v1/mcp`,
    );
    expect(response.status).toBe(502);
    expect([401, 403]).toContain(response.json.status);
    await setPluginEnabled(UNTRUSTED, false);

    const browser = await api().request(pluginPath('/api/v1/mcp'), {
      method: 'POST',
      headers: { 'x-mattermost-userid': world().alice.userId, accept: 'application/json, text/event-stream' },
      json: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
    });
    expect([401, 403]).toContain(browser.status);
    expect(browser.json?.result).toBeUndefined();
  });

  it('shows the Agents plugin’s refusal and its reason in /mcp status, and follows the AgentsBridge setting', async () => {
    const { alice, admin } = world();
    const refuse = (status: number) =>
      api().ok(`/plugins/${AGENTS}/test/refuse`, {
        as: admin,
        json: { status, body: { error: LICENCE, license_required: 'enterprise' } },
      });
    await refuse(403);
    await setAgentsBridge(false);
    await eventually(
      async () => expect(await bridgeLine(alice)).toContain('off: a system admin turned off'),
      10_000,
      250,
    );
    expect((await standInRecord()).events.at(-1)).toEqual(
      expect.objectContaining({ kind: 'unregister', plugin_id: PLUGIN_ID }),
    );

    await setAgentsBridge(true);
    await eventually(
      async () => expect(await bridgeLine(alice)).toContain(`refused the registration: ${LICENCE}`),
      10_000,
      250,
    );

    await refuse(0);
    await setAgentsBridge(false);
    await setAgentsBridge(true);
    await eventually(
      async () => expect(await bridgeLine(alice)).toContain('registered with the Agents plugin'),
      10_000,
      250,
    );
  });

  it('registers again when the Agents plugin comes back after a restart', async () => {
    await setPluginEnabled(AGENTS, false);
    await eventually(
      async () => expect(await bridgeLine(world().alice)).toContain('the Agents plugin is not running'),
      ONE_LOOK_MS,
      500,
    );
    await setPluginEnabled(AGENTS, true); // the stand-in, like older Agents versions, forgot every registration
    await eventually(
      async () => expect((await standInRecord()).registrations[PLUGIN_ID]).toBeDefined(),
      ONE_LOOK_MS,
      500,
    );
  }, 150_000);

  it('unregisters when this plugin is disabled, and registers at once when it is enabled again', async () => {
    const { admin } = world();
    await disablePlugin(api(), admin);
    await eventually(
      async () => {
        const record = await standInRecord();
        expect(record.registrations[PLUGIN_ID]).toBeUndefined();
        expect(record.events.at(-1)).toEqual(expect.objectContaining({ kind: 'unregister', plugin_id: PLUGIN_ID }));
      },
      30_000,
      250,
    );
    await enablePlugin(api(), admin);
    await eventually(async () => expect((await standInRecord()).registrations[PLUGIN_ID]).toBeDefined(), 20_000, 250);
  }, 120_000);
});
