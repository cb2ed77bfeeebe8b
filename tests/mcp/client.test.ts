import { afterEach, describe, expect, it } from '@jest/globals';
import { Client } from '../../server/mcp/client.js';
import { ServerConnectError, ServerTimeoutError, ToolCallError } from '../../server/mcp/errors.js';
import { parseConfig, type ServerConfig } from '../../server/config/schema.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer, type TestTool } from '../support/mcp-test-server.js';
import { silentLogger } from '../support/logger.js';
import { eventually } from '../support/eventually.js';

const USER = 'u1aaaaaaaaaaaaaaaaaaaaaaaa';
const logger = silentLogger();
const open: Array<{ close(): Promise<void> }> = [];

function serverConfig(url: string, extra: Record<string, unknown> = {}): ServerConfig {
  return parseConfig({ servers: [{ name: 'test', baseURL: url, ...extra }] }).servers[0]!;
}

async function server(options: Parameters<typeof startMcpServer>[0] = {}): Promise<TestMcpServer> {
  const s = await startMcpServer(options);
  open.push(s);
  return s;
}

async function connect(url: string, extra: Record<string, unknown> = {}, connectTimeoutMs?: number): Promise<Client> {
  const client = await Client.connect({ userId: USER, server: serverConfig(url, extra), logger, connectTimeoutMs });
  open.unshift(client);
  return client;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

const rich: TestTool = {
  name: 'rich',
  run: () => ({
    content: [
      { type: 'text', text: 'first' },
      { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
      { type: 'text', text: 'second' },
    ],
    structuredContent: { answer: 42 },
  }),
};
const failing: TestTool = {
  name: 'fails',
  run: () => ({ content: [{ type: 'text', text: 'disk full' }], isError: true }),
};
const slowWithProgress: TestTool = {
  name: 'progress',
  run: async (_args, ctx) => {
    for (let i = 1; i <= 3; i++) await ctx.progress(i, 3);
    return { content: [{ type: 'text', text: 'done' }] };
  },
};

describe('Client', () => {
  it('connects over Streamable HTTP and lists every page of tools', async () => {
    const tools = Array.from({ length: 5 }, (_, i) => ({ ...echoTool, name: `tool${i}` }));
    const s = await server({ tools, pageSize: 2 });
    const client = await connect(s.url);
    expect(client.transportKind).toBe('streamable-http');
    expect(client.tools.map((t) => t.name)).toEqual(['tool0', 'tool1', 'tool2', 'tool3', 'tool4']);
  });

  it('sends X-Mattermost-UserID and the admin headers on every request, including the session DELETE', async () => {
    const s = await server();
    const client = await connect(s.url, { headers: { 'X-Api-Key': 'k-123', 'X-Team': 'blue' } });
    await client.callTool('echo', { message: 'hi' });
    await client.close();
    expect(s.requests.length).toBeGreaterThanOrEqual(4);
    expect(s.requests.map((r) => r.method)).toEqual(expect.arrayContaining(['POST', 'DELETE']));
    for (const request of s.requests) {
      expect(request.headers['x-mattermost-userid']).toBe(USER);
      expect(request.headers['x-api-key']).toBe('k-123');
      expect(request.headers['x-team']).toBe('blue');
    }
  });

  it('identifies the user to the server (whoami sees the Mattermost user id)', async () => {
    const s = await server({ tools: [whoamiTool] });
    const client = await connect(s.url);
    const result = await client.callTool('whoami', {});
    expect(result.text).toBe(USER);
  });

  it('falls back to SSE when the server does not speak Streamable HTTP', async () => {
    const s = await server({ transport: 'sse', tools: [echoTool, whoamiTool] });
    const client = await connect(s.url, { headers: { 'X-Api-Key': 'sse-key' } });
    expect(client.transportKind).toBe('sse');
    expect(client.tools.map((t) => t.name)).toEqual(['echo', 'whoami']);
    expect((await client.callTool('echo', { message: 'over sse' })).text).toBe('echo: over sse');
    expect((await client.callTool('whoami', {})).text).toBe(USER);
    const sseRequests = s.requests.filter((r) => r.path === '/sse' || r.path === '/messages');
    expect(sseRequests.length).toBeGreaterThan(0);
    for (const request of sseRequests) expect(request.headers['x-api-key']).toBe('sse-key');
  });

  it('returns text, images and structured content from a tool call', async () => {
    const s = await server({ tools: [rich] });
    const result = await (await connect(s.url)).callTool('rich', {});
    expect(result.text).toBe('first\nsecond');
    expect(result.images).toEqual([{ data: 'iVBORw0KGgo=', mimeType: 'image/png' }]);
    expect(result.structuredContent).toEqual({ answer: 42 });
    expect(result.isError).toBe(false);
  });

  it('reports a tool failure as isError with the tool’s explanation', async () => {
    const s = await server({ tools: [failing] });
    const result = await (await connect(s.url)).callTool('fails', {});
    expect(result).toMatchObject({ isError: true, text: 'disk full' });
  });

  it('asks for progress on every call and passes it to onProgress', async () => {
    const s = await server({ tools: [slowWithProgress] });
    const seen: number[] = [];
    const result = await (await connect(s.url)).callTool('progress', {}, { onProgress: (p) => seen.push(p.progress) });
    expect(result.text).toBe('done');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('refreshes its tool list when the server sends tools/list_changed', async () => {
    const s = await server({ tools: [echoTool] });
    const changes: string[][] = [];
    const client = await Client.connect({
      userId: USER,
      server: serverConfig(s.url),
      logger,
      onToolsChanged: (tools) => changes.push(tools.map((t) => t.name)),
    });
    open.unshift(client);
    s.setTools([echoTool, whoamiTool]);
    await s.notifyToolsChanged();
    await eventually(() => expect(client.tools.map((t) => t.name)).toEqual(['echo', 'whoami']));
    expect(changes.at(-1)).toEqual(['echo', 'whoami']);
  });

  it('re-initializes once and retries when the server answers 404 for an expired session', async () => {
    const s = await server();
    const client = await connect(s.url);
    expect(s.initializeCount).toBe(1);
    s.expireSessions();
    const result = await client.callTool('echo', { message: 'after expiry' });
    expect(result.text).toBe('echo: after expiry');
    expect(s.initializeCount).toBe(2);
  });

  it('ends the session with DELETE when closed', async () => {
    const s = await server();
    const client = await connect(s.url);
    expect(s.liveSessions).toBe(1);
    await client.close();
    expect(s.deletedSessions).toBe(1);
    expect(s.liveSessions).toBe(0);
  });

  it('fails with a connect error naming the server when nothing listens', async () => {
    const s = await server();
    await s.kill();
    await expect(connect(s.url)).rejects.toThrow(ServerConnectError);
    await expect(connect(s.url)).rejects.toThrow(/Server test: could not connect/);
  });

  it('gives up on a server that does not answer the handshake within the connect timeout', async () => {
    const s = await server({ delayMs: 5_000 });
    await expect(connect(s.url, {}, 200)).rejects.toThrow(ServerTimeoutError);
  });

  it('turns a tool call to a killed server into a ToolCallError', async () => {
    const s = await server();
    const client = await connect(s.url);
    await s.kill();
    await expect(client.callTool('echo', { message: 'x' })).rejects.toThrow(ToolCallError);
  });
});

describe('discoverServerTools', () => {
  it('lists a server’s tools on a temporary connection and ends its session', async () => {
    const { discoverServerTools } = await import('../../server/mcp/discover-server-tools.js');
    const s = await server({ tools: [echoTool, whoamiTool] });
    const tools = await discoverServerTools(serverConfig(s.url), USER, { logger });
    expect(tools).toEqual([
      {
        name: 'echo',
        description: 'Echoes its message',
        inputSchema: expect.objectContaining({ required: ['message'] }),
      },
      { name: 'whoami', description: expect.any(String), inputSchema: expect.objectContaining({ type: 'object' }) },
    ]);
    expect(s.deletedSessions).toBe(1);
    expect(s.requests.every((r) => r.headers['x-mattermost-userid'] === USER)).toBe(true);
  });

  it('reports a server that cannot be reached', async () => {
    const { discoverServerTools } = await import('../../server/mcp/discover-server-tools.js');
    const s = await server();
    await s.kill();
    await expect(discoverServerTools(serverConfig(s.url), USER, { logger })).rejects.toThrow(ServerConnectError);
  });
});
