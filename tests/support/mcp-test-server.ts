/**
 * Real MCP servers for tests, built with the SDK and listening on 127.0.0.1:0.
 * One factory covers the kinds the suites need: Streamable HTTP or SSE-only, paginated, slow,
 * header-recording, killable, with expirable sessions and tool-list changes.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import express, { type Request, type Response } from 'express';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

export interface TestTool {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema?: Tool['inputSchema'];
  readonly outputSchema?: Tool['outputSchema'];
  readonly annotations?: Tool['annotations'];
  readonly run: (args: Record<string, unknown>, context: ToolContext) => Promise<CallToolResult> | CallToolResult;
}

export interface ToolContext {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly signal: AbortSignal;
  readonly progress: (progress: number, total?: number) => Promise<void>;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

export interface TestServerOptions {
  readonly transport?: 'streamable-http' | 'sse';
  readonly tools?: readonly TestTool[];
  /** tools/list page size; pages are linked with nextCursor. */
  readonly pageSize?: number;
  /** Delay before every HTTP request is handled (a slow server). */
  readonly delayMs?: number;
  readonly path?: string;
  /** The largest JSON body the server reads (express's default, 100 kB, unless given). */
  readonly bodyLimit?: string;
}

export interface TestMcpServer {
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Number of completed initialize handshakes. */
  readonly initializeCount: number;
  readonly deletedSessions: number;
  readonly liveSessions: number;
  setTools(tools: readonly TestTool[]): void;
  /** Sends notifications/tools/list_changed on every live session. */
  notifyToolsChanged(): Promise<void>;
  /** Forgets every session, as a restarted or expiring server would: old session ids get 404. */
  expireSessions(): void;
  setDelay(ms: number): void;
  /** Drops every connection and stops listening, like a crashed process. */
  kill(): Promise<void>;
  /** Listens again on the same port with no sessions, like a restarted process. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const echoTool: TestTool = {
  name: 'echo',
  description: 'Echoes its message',
  inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
  run: (args) => ({ content: [{ type: 'text', text: `echo: ${String(args.message)}` }] }),
};

export const whoamiTool: TestTool = {
  name: 'whoami',
  description: 'Returns the X-Mattermost-UserID the server received',
  inputSchema: { type: 'object', properties: {} },
  run: (_args, ctx) => ({ content: [{ type: 'text', text: String(ctx.headers['x-mattermost-userid'] ?? '') }] }),
};

export async function startMcpServer(options: TestServerOptions = {}): Promise<TestMcpServer> {
  let tools: readonly TestTool[] = options.tools ?? [echoTool, whoamiTool];
  let delayMs = options.delayMs ?? 0;
  const path = options.path ?? (options.transport === 'sse' ? '/sse' : '/mcp');
  const requests: RecordedRequest[] = [];
  const servers = new Set<Server>();
  const streamable = new Map<string, StreamableHTTPServerTransport>();
  const sse = new Map<string, SSEServerTransport>();
  let initializeCount = 0;
  let deletedSessions = 0;

  function buildServer(): Server {
    const server = new Server(
      { name: 'test-server', version: '1.0.0' },
      { capabilities: { tools: { listChanged: true } } },
    );
    server.setRequestHandler(ListToolsRequestSchema, (request) => {
      const all = tools.map((t) => ({
        name: t.name,
        description: t.description,
        inputSchema: t.inputSchema ?? { type: 'object' as const },
        ...(t.outputSchema && { outputSchema: t.outputSchema }),
        ...(t.annotations && { annotations: t.annotations }),
      }));
      const size = options.pageSize ?? all.length;
      const start = request.params?.cursor ? Number(request.params.cursor) : 0;
      const next = start + size;
      return { tools: all.slice(start, next), ...(next < all.length ? { nextCursor: String(next) } : {}) };
    });
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const tool = tools.find((t) => t.name === request.params.name);
      if (!tool) return { content: [{ type: 'text', text: `unknown tool ${request.params.name}` }], isError: true };
      const token = request.params._meta?.progressToken;
      return tool.run(request.params.arguments ?? {}, {
        headers: extra.requestInfo?.headers ?? {},
        signal: extra.signal,
        progress: async (progress, total) => {
          if (token !== undefined)
            await extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken: token, progress, total },
            });
        },
      });
    });
    server.oninitialized = () => {
      initializeCount++;
    };
    servers.add(server);
    server.onclose = () => servers.delete(server);
    return server;
  }

  const app = express();
  app.use(async (req, _res, next) => {
    requests.push({ method: req.method, path: req.path, headers: { ...req.headers } });
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
    next();
  });

  if (options.transport === 'sse') {
    app.get(path, async (_req: Request, res: Response) => {
      const transport = new SSEServerTransport('/messages', res);
      sse.set(transport.sessionId, transport);
      transport.onclose = () => sse.delete(transport.sessionId);
      await buildServer().connect(transport);
    });
    app.post(
      '/messages',
      express.json({ ...(options.bodyLimit && { limit: options.bodyLimit }) }),
      async (req: Request, res: Response) => {
        const transport = sse.get(String(req.query.sessionId));
        if (!transport) {
          res.status(404).send('unknown session');
          return;
        }
        await transport.handlePostMessage(req, res, req.body);
      },
    );
  } else {
    app.all(
      path,
      express.json({ ...(options.bodyLimit && { limit: options.bodyLimit }) }),
      async (req: Request, res: Response) => {
        const sessionId = req.header('mcp-session-id');
        if (sessionId) {
          const transport = streamable.get(sessionId);
          if (!transport) {
            res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
            return;
          }
          if (req.method === 'DELETE') deletedSessions++;
          await transport.handleRequest(req, res, req.body);
          return;
        }
        if (req.method !== 'POST') {
          res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Missing session' }, id: null });
          return;
        }
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            streamable.set(id, transport);
          },
        });
        transport.onclose = () => {
          if (transport.sessionId) streamable.delete(transport.sessionId);
        };
        await buildServer().connect(transport);
        await transport.handleRequest(req, res, req.body);
      },
    );
  }

  const listen = (onPort: number): Promise<HttpServer> =>
    new Promise((resolve, reject) => {
      const s = app.listen(onPort, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  let http: HttpServer = await listen(0);
  const { port } = http.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    get initializeCount() {
      return initializeCount;
    },
    get deletedSessions() {
      return deletedSessions;
    },
    get liveSessions() {
      return streamable.size + sse.size;
    },
    setTools(next) {
      tools = next;
    },
    async notifyToolsChanged() {
      await Promise.all([...servers].map((s) => s.sendToolListChanged().catch(() => undefined)));
    },
    expireSessions() {
      streamable.clear();
    },
    setDelay(ms) {
      delayMs = ms;
    },
    async kill() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
    async restart() {
      streamable.clear();
      sse.clear();
      http = await listen(port);
    },
    async close() {
      await Promise.all([...servers].map((s) => s.close().catch(() => undefined)));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
