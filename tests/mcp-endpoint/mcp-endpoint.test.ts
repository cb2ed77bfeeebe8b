/**
 * The plugin's own MCP server endpoint (`POST /api/v1/mcp`) as the AI bot and external MCP clients
 * use it: a real SDK client against the real sidecar, real MCP servers (one behind OAuth with a real
 * authorization server), a SQLite store and a stand-in for the shim's reverse channel.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { parseConfig } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { BrowserUser } from '../support/browser-user.js';
import { startDeadServer, type DeadServer } from '../support/dead-server.js';
import { eventually } from '../support/eventually.js';
import { silentLogger } from '../support/logger.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer, type TestTool } from '../support/mcp-test-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { sidecarRequest } from '../support/sidecar-client.js';
import { storeTarget, type StoreTarget } from '../support/store-fixtures.js';
import { startFakeShim, type FakeShim } from '../mattermost/fake-shim.js';
import { connectEndpoint } from '../support/mcp-endpoint-client.js';

const SECRET = 'mcp-endpoint-secret-0123456789';
const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';
const BOB = 'bobbbbbbbbbbbbbbbbbbbbbbbb';
/** 1229 bytes: shown as 1.2 KiB. */
const PNG = Buffer.alloc(1229, 7).toString('base64');

const pictureTool: TestTool = {
  name: 'picture',
  description: 'A picture with its size',
  annotations: { readOnlyHint: true, title: 'Picture' },
  run: () => ({
    content: [
      { type: 'text', text: 'a red dot' },
      { type: 'image', data: PNG, mimeType: 'image/png' },
    ],
    structuredContent: { width: 1, height: 1 },
  }),
};
const reportTool: TestTool = {
  name: 'report',
  description: 'Structured content sent as text too, as MCP asks',
  run: () => ({
    content: [{ type: 'text', text: JSON.stringify({ open: 3 }, null, 2) }],
    structuredContent: { open: 3 },
  }),
};
const stuckTool: TestTool = {
  name: 'stuck',
  description: 'Never answers before it is cancelled',
  run: (_args, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ content: [] }))),
};

/** Runs until cancelled, counting the calls that started and those cancelled. */
const waiting = { started: 0, cancelled: 0 };
const waitTool: TestTool = {
  name: 'wait',
  description: 'Waits until cancelled',
  run: (_args, ctx) => {
    waiting.started++;
    return new Promise((resolve) =>
      ctx.signal.addEventListener('abort', () => {
        waiting.cancelled++;
        resolve({ content: [] });
      }),
    );
  },
};

const textOf = (result: unknown) =>
  (result as CallToolResult).content[0]?.type === 'text'
    ? ((result as CallToolResult).content[0] as { text: string }).text
    : undefined;

let tools: TestMcpServer;
let slow: TestMcpServer;
let dead: DeadServer;
let as: TestAuthorizationServer;
let secure: ProtectedMcpServer;
let target: StoreTarget;
let shim: FakeShim;
let sidecar: Sidecar;
let alice: Client;
let bob: Client;

beforeAll(async () => {
  tools = await startMcpServer({ tools: [echoTool, whoamiTool, pictureTool, reportTool, waitTool] });
  slow = await startMcpServer({ tools: [stuckTool] });
  dead = await startDeadServer();
  as = await startAuthorizationServer();
  secure = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
  target = await storeTarget('sqlite');
  shim = await startFakeShim({ secret: SECRET, botUserId: 'botaaaaaaaaaaaaaaaaaaaaaaa' });
  sidecar = await startSidecar({
    config: parseConfig({
      servers: [
        { name: 'tools', baseURL: tools.url },
        { name: 'dead', baseURL: dead.url },
        { name: 'secure', baseURL: secure.url },
        { name: 'slow', baseURL: slow.url, toolTimeoutSeconds: 0.5 },
      ],
    }),
    secret: SECRET,
    logger: silentLogger(),
    listen: '127.0.0.1:0',
    store: await target.open(),
    mattermost: { shimURL: shim.url },
  });
  alice = (await connectEndpoint(sidecar.address, { secret: SECRET, userId: ALICE })).client;
  bob = (await connectEndpoint(sidecar.address, { secret: SECRET, userId: BOB })).client;
});

afterAll(async () => {
  await alice?.close();
  await bob?.close();
  await sidecar?.close();
  await shim?.close();
  await target?.cleanUp();
  await secure?.stop();
  await as?.stop();
  await dead?.close();
  await slow?.close();
  await tools?.close();
});

const namesOf = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);

describe('POST /api/v1/mcp: the calling user’s tools as one MCP server', () => {
  it('initializes without a session: the server says who it is and offers tools', async () => {
    expect(alice.getServerVersion()).toEqual(expect.objectContaining({ name: 'mattermost-mcp' }));
    expect(alice.getServerCapabilities()?.tools).toBeDefined();
    const raw = await sidecarRequest(sidecar.address, '/api/v1/mcp', {
      secret: SECRET,
      userId: ALICE,
      pluginCaller: 'mattermost-ai',
      headers: { accept: 'application/json, text/event-stream' },
      body: {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      },
    });
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toContain('application/json');
    expect(raw.headers['mcp-session-id']).toBeUndefined();
    expect(raw.body.result.protocolVersion).toBe('2025-06-18');
  });

  it('lists mcp_connections first, then every connected server’s tools as <server>__<tool> with their schemas and annotations; a failing server hides none', async () => {
    const { tools: listed } = await alice.listTools();
    expect(listed.map((t) => t.name)).toEqual([
      'mcp_connections',
      'tools__echo',
      'tools__whoami',
      'tools__picture',
      'tools__report',
      'tools__wait',
      'slow__stuck',
    ]);
    expect(listed.find((t) => t.name === 'tools__echo')).toEqual(
      expect.objectContaining({ description: 'Echoes its message', inputSchema: echoTool.inputSchema }),
    );
    expect(listed.find((t) => t.name === 'tools__picture')?.annotations).toEqual({
      readOnlyHint: true,
      title: 'Picture',
    });
    expect(listed[0]!.description).toContain('Not connected yet: secure.');
  });

  it('tells the user in mcp_connections which servers are connected, failing, or need their account, with the Connect link', async () => {
    const { body } = await sidecarRequest(sidecar.address, '/api/v1/tools', { secret: SECRET, userId: BOB });
    const authURL: string = body.errors.toolAuthErrors[0].authURL;
    const result = await bob.callTool({ name: 'mcp_connections', arguments: {} });
    expect(result.isError).toBeFalsy();
    const lines = textOf(result)!.split('\n');
    expect(lines[0]).toBe('Your MCP servers (4):');
    expect(lines[1]).toBe('- tools: connected, 5 tools');
    expect(lines[2]).toMatch(/^- dead: failing \(could not connect .*\)\. Ask an admin/);
    expect(lines[3]).toBe(`- secure: needs your account. Open this link to connect it: ${authURL}`);
    expect(lines[4]).toBe('- slow: connected, 1 tool');
    expect(result.structuredContent).toEqual({
      servers: expect.arrayContaining([{ name: 'secure', status: 'needs_oauth', tools: 0, connectURL: authURL }]),
    });
  });

  it('answers a call that needs the user’s account with an error result holding the Connect link, and sends the link to the user’s Mattermost clients', async () => {
    const result = await bob.callTool({ name: 'secure__whoami', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      /^secure__whoami needs your account on secure, which is not connected\. Open this link to connect it, then ask again: http:\/\/127\.0\.0\.1:\d+\/mcp\/oauth\/secure\/start/,
    );
    const link = /(http:\S+)$/.exec(textOf(result)!)![1];
    await eventually(() => {
      expect(shim.calls.filter((c) => c.body?.event === 'mcp_connect_needed')).toEqual([
        {
          route: 'POST /api/v1/websocket-event',
          body: { event: 'mcp_connect_needed', userId: BOB, payload: { serverName: 'secure', authURL: link } },
        },
      ]);
    });
  });

  it('serves each user their own servers: after Alice connects her account she gets its tools under her identity, Bob still does not', async () => {
    const { body } = await sidecarRequest(sidecar.address, '/api/v1/tools', { secret: SECRET, userId: ALICE });
    const start = new URL(body.errors.toolAuthErrors[0].authURL);
    const redirect = await sidecarRequest(sidecar.address, `${start.pathname}${start.search}`, {
      secret: SECRET,
      userId: ALICE,
    });
    const callback = await new BrowserUser({ login: ALICE }).authorize(
      String(redirect.headers.location),
      `${sidecar.address}/oauth/callback`,
    );
    expect(
      (
        await sidecarRequest(sidecar.address, `${callback.pathname}${callback.search}`, {
          secret: SECRET,
          userId: ALICE,
        })
      ).status,
    ).toBe(200);

    await eventually(async () => expect(await namesOf(alice)).toEqual(expect.arrayContaining(['secure__whoami'])));
    expect(await namesOf(bob)).not.toContain('secure__whoami');
    expect(textOf(await alice.callTool({ name: 'secure__whoami', arguments: {} }))).toBe(ALICE);
    expect(textOf(await alice.callTool({ name: 'mcp_connections', arguments: {} }))).toContain('- secure: connected');
    expect(textOf(await bob.callTool({ name: 'mcp_connections', arguments: {} }))).toContain(
      '- secure: needs your account',
    );
  });

  it('keeps concurrent calls of two users apart', async () => {
    const calls = Array.from({ length: 20 }, (_, i) => {
      const [client, user] = i % 2 === 0 ? [alice, ALICE] : [bob, BOB];
      return Promise.all([
        client.callTool({ name: 'tools__whoami', arguments: {} }),
        client.callTool({ name: 'tools__echo', arguments: { message: `${user}-${i}` } }),
      ]).then(([who, echo]) => ({ user, i, who: textOf(who), echo: textOf(echo) }));
    });
    for (const { user, i, who, echo } of await Promise.all(calls)) {
      expect(who).toBe(user);
      expect(echo).toBe(`echo: ${user}-${i}`);
    }
  });

  it('puts text first: images described in it, structured content as JSON, the original blocks after', async () => {
    const result = await alice.callTool({ name: 'tools__picture', arguments: {} });
    expect(result.content).toEqual([
      { type: 'text', text: 'a red dot\n[image: image/png, 1.2 KiB]\n{"width":1,"height":1}' },
      { type: 'image', data: PNG, mimeType: 'image/png' },
    ]);
    expect(result.structuredContent).toEqual({ width: 1, height: 1 });
  });

  it('does not repeat structured content the server already sent as text', async () => {
    const result = await alice.callTool({ name: 'tools__report', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: JSON.stringify({ open: 3 }, null, 2) }]);
  });

  it('answers an unknown tool with an error result naming it', async () => {
    const result = await alice.callTool({ name: 'nope__nothing', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('Unknown tool "nope__nothing"');
  });

  it('answers a tool that times out with an error result saying so', async () => {
    const result = await alice.callTool({ name: 'slow__stuck', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('Server slow: calling tool stuck failed: no answer within 0.5 s');
  });

  it('cancels the call at the MCP server when the caller goes away', async () => {
    const request = httpRequest(`${sidecar.address}/api/v1/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${SECRET}`,
        'x-mattermost-userid': ALICE,
        'x-mattermost-plugin-caller': 'mattermost-ai',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
    });
    request.on('error', () => {});
    request.end(
      JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'tools__wait', arguments: {} } }),
    );
    await eventually(() => expect(waiting.started).toBe(1));
    expect(waiting.cancelled).toBe(0);
    request.destroy();
    await eventually(() => expect(waiting.cancelled).toBe(1));
  });

  it.each(['GET', 'DELETE'])('answers %s with 405 and a JSON-RPC error: the endpoint is stateless', async (method) => {
    const response = await sidecarRequest(sidecar.address, '/api/v1/mcp', {
      method,
      secret: SECRET,
      userId: ALICE,
      pluginCaller: 'mattermost-ai',
      headers: { accept: 'application/json, text/event-stream' },
    });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('POST');
    expect(response.body).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: expect.stringContaining('Method not allowed') },
      id: null,
    });
  });

  it('answers a body that is not JSON with a JSON-RPC parse error (-32700), as the SDK’s own transport does', async () => {
    const response = await sidecarRequest(sidecar.address, '/api/v1/mcp', {
      secret: SECRET,
      userId: ALICE,
      pluginCaller: 'mattermost-ai',
      headers: { accept: 'application/json, text/event-stream' },
      rawBody: '{"jsonrpc": "2.0", "id": 1, "method": "tools/list"',
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      jsonrpc: '2.0',
      error: { code: -32700, message: expect.stringContaining('not valid JSON') },
      id: null,
    });
  });

  it('answers a body over the tool-call limit (16 MiB) with 413 and a JSON-RPC invalid request (-32600)', async () => {
    const response = await sidecarRequest(sidecar.address, '/api/v1/mcp', {
      secret: SECRET,
      userId: ALICE,
      pluginCaller: 'mattermost-ai',
      headers: { accept: 'application/json, text/event-stream' },
      rawBody: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'x', arguments: { text: 'a'.repeat(17 * 1024 * 1024) } },
      }),
    });
    expect(response.status).toBe(413);
    expect(response.body).toEqual({
      jsonrpc: '2.0',
      error: { code: -32600, message: expect.stringContaining('too large') },
      id: null,
    });
  });

  it('answers 401 without a user', async () => {
    const response = await sidecarRequest(sidecar.address, '/api/v1/mcp', {
      secret: SECRET,
      pluginCaller: 'mattermost-ai',
      body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    });
    expect(response.status).toBe(401);
  });
});

describe('POST /api/v1/mcp with no servers configured', () => {
  let empty: Sidecar;
  let client: Client;

  beforeAll(async () => {
    empty = await startSidecar({
      config: parseConfig({}),
      secret: SECRET,
      logger: silentLogger(),
      listen: '127.0.0.1:0',
    });
    client = (await connectEndpoint(empty.address, { secret: SECRET, userId: ALICE })).client;
  });

  afterAll(async () => {
    await client?.close();
    await empty?.close();
  });

  it('still lists mcp_connections (a client such as the Agents plugin refuses a server without tools), which says no servers are configured', async () => {
    expect(await namesOf(client)).toEqual(['mcp_connections']);
    expect(textOf(await client.callTool({ name: 'mcp_connections', arguments: {} }))).toContain(
      'No MCP servers are configured',
    );
  });
});
