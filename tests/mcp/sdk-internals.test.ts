import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { PINNED_SDK_VERSION, cacheToolMetadata, ssePostStatus } from '../../server/mcp/sdk-internals.js';
import { startMcpServer, type TestTool } from '../support/mcp-test-server.js';
import { startRawServer } from '../support/raw-http-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function installedSdkVersion(): string {
  const manifest = new URL('../../node_modules/@modelcontextprotocol/sdk/package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** A tool whose answers break its own output schema: only a client that cached the schema notices. */
const countTool: TestTool = {
  name: 'count',
  inputSchema: { type: 'object' },
  outputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  run: () => ({ content: [{ type: 'text', text: 'n is not a number' }], structuredContent: { n: 'many' } }),
};

describe('the MCP SDK internals server/mcp/sdk-internals.ts leans on', () => {
  it(`were checked against @modelcontextprotocol/sdk ${PINNED_SDK_VERSION}, the version installed`, () => {
    const installed = installedSdkVersion();
    if (installed !== PINNED_SDK_VERSION)
      throw new Error(
        `@modelcontextprotocol/sdk is ${installed}, but server/mcp/sdk-internals.ts was checked against ` +
          `${PINNED_SDK_VERSION}. Re-check that (1) the SDK's Client still has the private cacheToolMetadata(tools), ` +
          `which fills the output-schema validators callTool uses (woken dormant sessions rely on it), and (2) ` +
          `SSEClientTransport still throws "Error POSTing to endpoint (HTTP <status>): …" for a failed POST (the SSE ` +
          `fallback's 404 and 401 handling rely on it); the other specs in this file check both. Then set ` +
          `PINNED_SDK_VERSION to ${installed}.`,
      );
  });

  it("caches a tool's output schema in the SDK's client, whose tool calls then validate against it", async () => {
    const server = await startMcpServer({ tools: [countTool] });
    cleanups.push(() => server.close());
    const sdk = new SdkClient({ name: 'sdk-internals-spec', version: '0' });
    cleanups.push(() => sdk.close());
    await sdk.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    expect(typeof (SdkClient.prototype as unknown as Record<string, unknown>).cacheToolMetadata).toBe('function');
    // Without a listing the SDK knows no schema and lets the answer through.
    await expect(sdk.callTool({ name: 'count' })).resolves.toMatchObject({ structuredContent: { n: 'many' } });
    cacheToolMetadata(sdk, [
      { name: 'count', inputSchema: countTool.inputSchema, outputSchema: countTool.outputSchema } as Tool,
    ]);
    await expect(sdk.callTool({ name: 'count' })).rejects.toThrow(/does not match the tool's output schema/);
  });

  it("reads the status of a POST the SDK's SSE transport saw fail from the error's text", async () => {
    const server = await startRawServer((req, res) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: endpoint\ndata: /mcp/messages\n\n');
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('session gone');
    });
    cleanups.push(() => server.close());
    const transport = new SSEClientTransport(new URL(server.url));
    cleanups.push(() => transport.close());
    await transport.start();
    const failed = await transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(ssePostStatus(failed)).toBe(404);
    expect(ssePostStatus(new Error('fetch failed'))).toBeUndefined();
  });
});
