import { afterEach, describe, expect, it } from '@jest/globals';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { ToolCallError } from '../../server/mcp/errors.js';
import { parseConfig, type ConfigInput } from '../../server/config/schema.js';
import { echoTool, startMcpServer, type TestMcpServer, type TestTool } from '../support/mcp-test-server.js';
import { startRawServer } from '../support/raw-http-server.js';
import { silentLogger } from '../support/logger.js';
import { eventually } from '../support/eventually.js';

const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';
const BOB = 'bobbbbbbbbbbbbbbbbbbbbbbbb';
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options: Parameters<typeof startMcpServer>[0] = {}): Promise<TestMcpServer> {
  const s = await startMcpServer(options);
  cleanups.push(() => s.close());
  return s;
}

function manager(config: ConfigInput): ClientManager {
  const m = new ClientManager(parseConfig(config), { logger: silentLogger() });
  cleanups.push(() => m.close());
  return m;
}

let hangStarted = false;
const hang: TestTool = {
  name: 'hang',
  run: (_args, ctx) => {
    hangStarted = true;
    return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ content: [] })));
  },
};

describe('faults in MCP servers', () => {
  it('gives the caller a clear error when the server dies mid-call, and reconnects after a restart', async () => {
    const s = await server({ tools: [echoTool, hang] });
    const m = manager({ servers: [{ name: 's', baseURL: s.url }] });
    hangStarted = false;
    const call = m.callTool(ALICE, 's__hang', {}, { timeoutMs: 10_000 });
    await eventually(() => expect(hangStarted).toBe(true));
    await s.kill();
    await expect(call).rejects.toThrow(ToolCallError);
    await s.restart();
    const result = await m.callTool(ALICE, 's__echo', { message: 'back' });
    expect(result.text).toBe('echo: back');
    expect(s.initializeCount).toBe(2);
  });

  it('times a hanging tool out without holding up other users or servers', async () => {
    const stuck = await server({ tools: [hang] });
    const fine = await server({ tools: [echoTool] });
    const m = manager({
      servers: [
        { name: 'stuck', baseURL: stuck.url },
        { name: 'fine', baseURL: fine.url },
      ],
    });
    const hanging = m.callTool(ALICE, 'stuck__hang', {}, { timeoutMs: 500 });
    const others = await Promise.all([
      m.callTool(ALICE, 'fine__echo', { message: 'a' }),
      m.callTool(BOB, 'fine__echo', { message: 'b' }),
    ]);
    expect(others.map((r) => r.text)).toEqual(['echo: a', 'echo: b']);
    await expect(hanging).rejects.toThrow(/no answer within 0.5 s/);
  });

  it.each([
    [
      'HTML instead of JSON-RPC',
      (res: import('node:http').ServerResponse) =>
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>oops</html>'),
    ],
    [
      'invalid JSON',
      (res: import('node:http').ServerResponse) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc": "2.0", "id": '),
    ],
    [
      'a server error',
      (res: import('node:http').ServerResponse) => res.writeHead(500, { 'content-type': 'text/plain' }).end('boom'),
    ],
    [
      'a body over the size limit',
      (res: import('node:http').ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"jsonrpc":"2.0","id":0,"result":{"pad":"${'x'.repeat(17 * 1024 * 1024)}"}}`);
      },
    ],
  ])('reports a server answering with %s as that server’s error while the others work', async (_name, answer) => {
    const bad = await startRawServer((_req, res) => answer(res));
    cleanups.push(bad.close);
    const good = await server({ tools: [echoTool] });
    const m = manager({
      servers: [
        { name: 'bad', baseURL: bad.url, connectTimeoutSeconds: 5 },
        { name: 'good', baseURL: good.url },
      ],
    });
    const { tools, errors } = await m.getToolsForUser(ALICE);
    expect(tools.map((t) => t.name)).toEqual(['good__echo']);
    expect(errors.errors).toEqual([
      expect.objectContaining({ serverName: 'bad', message: expect.stringMatching(/^Server bad: /) }),
    ]);
  });

  it('reconnects after an SSE stream is dropped', async () => {
    const s = await server({ transport: 'sse', tools: [echoTool] });
    const m = manager({ servers: [{ name: 's', baseURL: s.url }] });
    expect((await m.callTool(ALICE, 's__echo', { message: 'one' })).text).toBe('echo: one');
    await s.kill();
    await s.restart();
    // A call racing the dropped connection may fail (a tool call is never silently repeated);
    // the one after it must reconnect and work.
    await m
      .callTool(ALICE, 's__echo', { message: 'two' })
      .catch((error: unknown) => expect(error).toBeInstanceOf(ToolCallError));
    expect((await m.callTool(ALICE, 's__echo', { message: 'three' })).text).toBe('echo: three');
    expect(s.initializeCount).toBe(2);
  });
});
