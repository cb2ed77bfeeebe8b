import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/**
 * A tiny stateless MCP server that `make run` starts next to the sidecar so a fresh checkout has
 * something to list and call without any external service.
 */
export async function startDemoMcpServer(port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(express.json());
  app.post('/mcp', async (req, res) => {
    const server = new McpServer({ name: 'mattermost-mcp-demo', version: '0.1.0' });
    server.registerTool(
      'echo',
      { description: 'Repeats a message back', inputSchema: { message: z.string() } },
      ({ message }) => ({
        content: [{ type: 'text', text: message }],
      }),
    );
    server.registerTool(
      'whoami',
      { description: 'Tells which Mattermost user the sidecar called for', inputSchema: {} },
      (_args, extra) => ({
        content: [{ type: 'text', text: String(extra.requestInfo?.headers['x-mattermost-userid'] ?? 'unknown') }],
      }),
    );
    server.registerTool('utc_time', { description: 'The current time in UTC (ISO 8601)', inputSchema: {} }, () => ({
      content: [{ type: 'text', text: new Date().toISOString() }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  app.all('/mcp', (_req, res) => {
    res.status(405).set('Allow', 'POST').end();
  });
  const http: Server = await new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  const address = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/mcp`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}
