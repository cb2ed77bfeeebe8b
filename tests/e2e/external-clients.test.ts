/**
 * A user's own MCP client (an IDE, a desktop app) through a real Mattermost: the SDK's Streamable HTTP
 * client at `<SiteURL>/plugins/mattermost-mcp/api/v1/mcp` with a personal access token as
 * `Authorization: Bearer`, which Mattermost turns into the session user (and strips before the plugin).
 * Refused while the admin's External MCP clients setting is off (the default) and again once it is
 * switched back off; with it on, each user sees their own servers and accounts and the servers see that
 * user; no token, a made-up one or a revoked one gets 401 and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { eventually } from '../support/eventually.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { connectInBrowser } from './support/connect.js';
import type { ApiResponse, Session } from './support/mattermost-api.js';
import { useServers } from './support/people.js';
import { patchPluginSettings } from './support/plugin.js';
import { api, pluginPath, world } from './support/world.js';

const ENDPOINT = pluginPath('/api/v1/mcp');
const TOOLS_LIST = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
/** A config push reaches the sidecar within a second or two; this only bounds a wait that ends as soon as it lands. */
const ONE_PUSH_MS = 15_000;

let as: TestAuthorizationServer;
let secure: ProtectedMcpServer;
let own: TestMcpServer;
/** Every personal access token the spec made, revoked at the end. */
const tokenIds: string[] = [];
const clients: Client[] = [];

/** `own` (reports the X-Mattermost-UserID it got) and `ide` (OAuth: each user connects their own account). */
const servers = () => [
  { name: 'own', baseURL: own.url },
  { name: 'ide', baseURL: secure.url },
];

/** The admin saves the plugin's settings with External MCP clients on or off (one config push). */
async function setExternalClients(on: boolean): Promise<void> {
  await patchPluginSettings(api(), world().admin, { config: { servers: servers() }, externalmcpclients: on });
}

/** A personal access token as the user makes it (Profile > Security > Personal Access Tokens); its secret. */
async function personalAccessToken(user: Session, description = 'my IDE'): Promise<{ id: string; token: string }> {
  const created = (await api().ok(`/api/v4/users/${user.userId}/tokens`, { as: user, json: { description } })) as {
    id: string;
    token: string;
  };
  tokenIds.push(created.id);
  return created;
}

/** A raw JSON-RPC POST to the endpoint, as any MCP client sends it, with `authorization` as given. */
function post(authorization: string | undefined, message: unknown = TOOLS_LIST): Promise<ApiResponse> {
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream' };
  if (authorization !== undefined) headers.authorization = authorization;
  return api().request(ENDPOINT, { headers, json: message });
}

/** The TS SDK's client on the endpoint through Mattermost, the token as its only credential. */
async function connectWith(token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(ENDPOINT, world().siteURL), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'external-clients-spec', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

/**
 * `mcp-remote`, the stdio bridge desktop apps run for remote servers, as a user configures it:
 * `mcp-remote <url> --header "Authorization:Bearer <token>"` (plain HTTP allowed: the test server is on loopback).
 */
async function connectThroughMcpRemote(token: string, configDir: string): Promise<Client> {
  const proxy = createRequire(import.meta.url).resolve('mcp-remote/dist/proxy.js');
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      proxy,
      new URL(ENDPOINT, world().siteURL).href,
      '--allow-http',
      '--transport',
      'http-only',
      '--header',
      `Authorization:Bearer ${token}`,
    ],
    env: { PATH: process.env.PATH ?? '', HOME: configDir, MCP_REMOTE_CONFIG_DIR: configDir },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'mcp-remote-spec', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name);
}

async function callText(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<{ isError: boolean; text: string }> {
  const result = (await client.callTool({ name, arguments: args })) as {
    isError?: boolean;
    content: Array<{ type: string; text?: string }>;
  };
  return {
    isError: result.isError === true,
    text: result.content
      .filter((c) => c.type === 'text')
      .map((c) => c.text)
      .join('\n'),
  };
}

/** Nothing of a user's: no tool, server or user id. */
function expectNoToolData(response: ApiResponse): void {
  const { alice, bob } = world();
  for (const secret of ['own__', 'ide__', 'mcp_connections', 'whoami', alice.userId, bob.userId])
    expect(response.text).not.toContain(secret);
}

function expectTurnedOff(response: ApiResponse): void {
  expect({ status: response.status, body: response.json }).toEqual({
    status: 403,
    body: expect.objectContaining({
      code: 'ERR_EXTERNAL_CLIENTS_OFF',
      error: expect.stringContaining('A system admin can turn on External MCP clients'),
    }),
  });
  expectNoToolData(response);
}

let aliceToken: string;
let bobToken: string;

beforeAll(async () => {
  const { admin, alice, bob } = world();
  as = await startAuthorizationServer();
  secure = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
  own = await startMcpServer({ tools: [echoTool, whoamiTool] });
  await useServers(servers()); // saves only the servers: External MCP clients is at its default, off
  // The admin lets both users make personal access tokens (System Console > Users > Manage Roles).
  for (const user of [alice, bob]) {
    await api().ok(`/api/v4/users/${user.userId}/roles`, {
      as: admin,
      method: 'PUT',
      json: { roles: 'system_user system_user_access_token' },
    });
  }
  aliceToken = (await personalAccessToken(alice)).token;
  bobToken = (await personalAccessToken(bob)).token;
  await connectInBrowser(alice, 'ide', as.issuer);
}, 120_000);

afterAll(async () => {
  const { admin, alice, bob } = world();
  for (const client of clients) await client.close().catch(() => undefined);
  for (const id of tokenIds) await api().request('/api/v4/users/tokens/revoke', { as: admin, json: { token_id: id } });
  for (const user of [alice, bob])
    await api().request(`/api/v4/users/${user.userId}/roles`, {
      as: admin,
      method: 'PUT',
      json: { roles: 'system_user' },
    });
  await api().request(pluginPath('/mcp/oauth/ide'), { as: alice, method: 'DELETE' });
  await setExternalClients(false);
  await own?.close();
  await secure?.stop();
  await as?.stop();
});

describe('external MCP clients through Mattermost with a personal access token', () => {
  it('are refused while External MCP clients is off (the default), the answer saying a system admin can turn it on', async () => {
    expectTurnedOff(await post(`Bearer ${aliceToken}`));
    await expect(connectWith(aliceToken)).rejects.toThrow('A system admin can turn on External MCP clients');
  });

  it('once the admin turns it on, list the user’s own servers’ tools as <server>__<tool> with mcp_connections, and call them as that user', async () => {
    const { alice } = world();
    await setExternalClients(true);
    await eventually(async () => expect((await post(`Bearer ${aliceToken}`)).status).toBe(200), ONE_PUSH_MS, 200);

    const client = await connectWith(aliceToken);
    expect(client.getServerVersion()?.name).toBeTruthy();
    expect(await toolNames(client)).toEqual(
      expect.arrayContaining(['mcp_connections', 'own__echo', 'own__whoami', 'ide__whoami']),
    );
    expect(await callText(client, 'own__whoami')).toEqual({ isError: false, text: alice.userId });
    expect(await callText(client, 'ide__whoami')).toEqual({ isError: false, text: alice.username }); // her own account at the server
    expect(await callText(client, 'own__echo', { message: 'from my IDE' })).toEqual({
      isError: false,
      text: 'echo: from my IDE',
    });
    // The token opened Mattermost and went no further: the MCP server got the user's id, never the token.
    expect(own.requests.length).toBeGreaterThan(0);
    expect(JSON.stringify(own.requests.map((r) => r.headers))).not.toContain(aliceToken);
  });

  it('work through mcp-remote, the stdio bridge desktop apps use, with the token as its header', async () => {
    const { alice } = world();
    const configDir = mkdtempSync(join(tmpdir(), 'mcp-remote-'));
    try {
      const client = await connectThroughMcpRemote(aliceToken, configDir);
      expect(await toolNames(client)).toEqual(
        expect.arrayContaining(['mcp_connections', 'own__whoami', 'ide__whoami']),
      );
      expect(await callText(client, 'own__whoami')).toEqual({ isError: false, text: alice.userId });
      expect(await callText(client, 'ide__whoami')).toEqual({ isError: false, text: alice.username });
      await client.close();
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('give a second user’s token that user: their own id at the server, their own connections', async () => {
    const { bob } = world();
    const client = await connectWith(bobToken);
    const names = await toolNames(client);
    expect(names).toEqual(expect.arrayContaining(['mcp_connections', 'own__echo', 'own__whoami']));
    expect(names).not.toContain('ide__whoami'); // bob has not connected an account to ide
    expect(await callText(client, 'own__whoami')).toEqual({ isError: false, text: bob.userId });
    const connections = await callText(client, 'mcp_connections');
    expect(connections.text).toContain('ide');
    expect(connections.text).toContain(pluginPath('/mcp/oauth/ide/start'));
  });

  it('answer 401 and nothing else without a token, with a made-up one, or with one the user revoked', async () => {
    const { alice } = world();
    const revoked = await personalAccessToken(alice, 'a laptop I lost');
    expect(await callText(await connectWith(revoked.token), 'own__whoami')).toEqual({
      isError: false,
      text: alice.userId,
    });
    await api().ok('/api/v4/users/tokens/revoke', { as: alice, json: { token_id: revoked.id } });

    const cases: Array<[string, string | undefined]> = [
      ['no token', undefined],
      ['a made-up token', `Bearer ${randomBytes(13).toString('hex')}`],
      ['the revoked token', `Bearer ${revoked.token}`],
    ];
    for (const [what, authorization] of cases) {
      // Mattermost passes the request on without a user; the sidecar answers.
      const response = await post(authorization);
      expect({ what, status: response.status, code: response.json?.code }).toEqual({
        what,
        status: 401,
        code: 'ERR_NO_USER',
      });
      expectNoToolData(response);
    }
    await expect(connectWith(revoked.token)).rejects.toMatchObject({ code: 401 });
  });

  it('are refused again once the admin switches it back off, within one config push, also a client connected before', async () => {
    const connected = await connectWith(aliceToken);
    await setExternalClients(false);
    await eventually(async () => expectTurnedOff(await post(`Bearer ${aliceToken}`)), ONE_PUSH_MS, 200);
    await expect(connected.listTools()).rejects.toThrow('A system admin can turn on External MCP clients');
    await expect(connectWith(bobToken)).rejects.toThrow('A system admin can turn on External MCP clients');
  });
});
