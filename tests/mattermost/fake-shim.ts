/**
 * The shim's part of the reverse channel (docs/sidecar-protocol.md), served on a unix socket like
 * the real one: every request needs `Authorization: Bearer <secret>`; the three routes record what
 * they were asked and answer 200, or 400 `{"error"}` for a body the contract does not allow.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ShimCall {
  readonly route: string;
  readonly body: any;
}

export interface FakeShim {
  /** `unix:/…/shim.sock`, as MCP_SHIM_URL. */
  readonly url: string;
  readonly calls: readonly ShimCall[];
  readonly refused: number;
  close(): Promise<void>;
}

export interface FakeShimOptions {
  secret: string;
  botUserId: string;
  /** What `GET /api/v1/agents-bridge` answers: a status, or an HTTP status to fail with. */
  agentsBridge?: { state: string; detail?: string } | number;
}

export async function startFakeShim(options: FakeShimOptions): Promise<FakeShim> {
  const dir = mkdtempSync(join(tmpdir(), 'fake-shim-'));
  const socket = join(dir, 'shim.sock');
  const calls: ShimCall[] = [];
  let refused = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.headers.authorization !== `Bearer ${options.secret}`) {
      refused++;
      json(res, 401, { error: 'missing or wrong secret' });
      return;
    }
    const route = `${req.method} ${req.url}`;
    const body = await readJson(req);
    switch (route) {
      case 'POST /api/v1/websocket-event':
        if (typeof body?.event !== 'string' || typeof body?.userId !== 'string' || typeof body?.payload !== 'object') {
          json(res, 400, { error: 'event, payload and userId are required' });
          return;
        }
        break;
      case 'POST /api/v1/ephemeral-post':
        if (
          typeof body?.userId !== 'string' ||
          typeof body?.post?.channel_id !== 'string' ||
          typeof body?.post?.message !== 'string'
        ) {
          json(res, 400, { error: 'userId, post.channel_id and post.message are required' });
          return;
        }
        break;
      case 'GET /api/v1/bot':
        calls.push({ route, body });
        json(res, 200, { userId: options.botUserId });
        return;
      case 'GET /api/v1/agents-bridge': {
        calls.push({ route, body });
        const bridge = options.agentsBridge ?? { state: 'inactive' };
        if (typeof bridge === 'number') json(res, bridge, { error: 'the shim failed' });
        else json(res, 200, bridge);
        return;
      }
      default:
        json(res, 404, { error: `no route ${route}` });
        return;
    }
    calls.push({ route, body });
    json(res, 200, {});
  };
  const server = createServer((req, res) => void handle(req, res));

  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    url: `unix:${socket}`,
    calls,
    get refused() {
      return refused;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function readJson(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
