import { afterEach, describe, expect, it } from '@jest/globals';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ServerStreamGate } from '../../server/mcp/server-stream-gate.js';
import { echoTool, startMcpServer, type TestMcpServer } from '../support/mcp-test-server.js';
import { eventually } from '../support/eventually.js';

const open: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** A raw SDK session through the gate, and the GET requests the server saw. */
async function session(): Promise<{ server: TestMcpServer; gate: ServerStreamGate; transport: StreamableHTTPClientTransport; gets: () => number }> {
  const server = await startMcpServer({ tools: [echoTool] });
  open.push(server);
  const gate = new ServerStreamGate();
  const transport = new StreamableHTTPClientTransport(new URL(server.url), { fetch: gate.wrap(fetch) });
  const sdk = new SdkClient({ name: 'gate-test', version: '0' });
  await sdk.connect(transport);
  open.unshift(sdk);
  return { server, gate, transport, gets: () => server.requests.filter((r) => r.method === 'GET').length };
}

describe('ServerStreamGate', () => {
  it('lets the session open its server stream, and requests pass either way', async () => {
    const { gate, gets } = await session();
    await eventually(() => expect(gets()).toBe(1));
    expect(gate.isClosed).toBe(false);
  });

  it('closes the open stream and answers the SDK\'s reconnection with 405, so no socket stays open', async () => {
    const { server, gate, gets } = await session();
    await eventually(() => expect(gets()).toBe(1));
    expect(gate.close()).toBe(true);
    expect(gate.close()).toBe(false);
    // The SDK retries a dropped stream after about a second; the retry never reaches the server.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(gets()).toBe(1);
    const response = await gate.wrap(fetch)(server.url, { method: 'GET' });
    expect(response.status).toBe(405);
  });

  it('opens a new stream when asked after being closed, and still passes tool calls while closed', async () => {
    const { server, gate, transport, gets } = await session();
    await eventually(() => expect(gets()).toBe(1));
    gate.close();
    const post = await gate.wrap(fetch)(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(post.status).not.toBe(405);
    await post.body?.cancel();
    expect(gate.open()).toBe(true);
    expect(gate.open()).toBe(false);
    await transport.resumeStream('');
    await eventually(() => expect(gets()).toBe(2));
  });
});
