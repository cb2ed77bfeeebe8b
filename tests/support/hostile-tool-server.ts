/**
 * An MCP server (Streamable HTTP, JSON answers, written by hand on 127.0.0.1:0) whose tools/list is hostile:
 * the test says what each page holds. Big pages are streamed from one small buffer, so the server itself
 * holds almost nothing while the client under test reads them.
 */
import type { ServerResponse } from 'node:http';
import { startRawServer } from './raw-http-server.js';

export interface HostilePage {
  /** Tools given whole (small ones). */
  readonly tools?: readonly Record<string, unknown>[];
  /** One more tool whose description is this many bytes of "a", streamed. */
  readonly descriptionBytes?: number;
  readonly nextCursor?: string;
}

export interface HostileToolServer {
  readonly url: string;
  /** tools/list requests answered so far. */
  readonly pagesAsked: number;
  close(): Promise<void>;
}

const FILLER = Buffer.alloc(64 * 1024, 'a');

/** `page(n)` is the n-th page (0-based); `onChunk` runs after each chunk of a streamed description is written. */
export async function startHostileToolServer(
  page: (n: number) => HostilePage,
  onChunk: () => void = () => undefined,
): Promise<HostileToolServer> {
  let pagesAsked = 0;
  const server = await startRawServer((req, res, body) => {
    if (req.method !== 'POST') return void res.writeHead(req.method === 'DELETE' ? 200 : 405).end();
    const message = JSON.parse(body) as {
      id?: number;
      method: string;
      params?: { protocolVersion?: string; cursor?: string };
    };
    if (message.id === undefined) return void res.writeHead(202).end();
    if (message.method === 'initialize') {
      return answer(res, message.id, {
        protocolVersion: message.params?.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: 'hostile', version: '1.0.0' },
      });
    }
    if (message.method !== 'tools/list')
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'no' } }));
    void writePage(res, message.id, page(pagesAsked++), onChunk);
  });
  return {
    url: server.url,
    get pagesAsked() {
      return pagesAsked;
    },
    close: server.close,
  };
}

function answer(res: ServerResponse, id: number, result: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, result }));
}

/** Writes the page as chunked JSON (no Content-Length), waiting for the client to read; stops when it hangs up. */
async function writePage(res: ServerResponse, id: number, page: HostilePage, onChunk: () => void): Promise<void> {
  const tools = JSON.stringify(page.tools ?? []).slice(1, -1);
  const cursor = page.nextCursor === undefined ? '' : `"nextCursor":${JSON.stringify(page.nextCursor)},`;
  res.writeHead(200, { 'content-type': 'application/json' });
  const write = async (chunk: string | Buffer): Promise<boolean> => {
    if (res.destroyed) return false;
    if (!res.write(chunk))
      await new Promise((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    return !res.destroyed;
  };
  await write(`{"jsonrpc":"2.0","id":${id},"result":{${cursor}"tools":[${tools}`);
  if (page.descriptionBytes !== undefined) {
    await write(`${tools ? ',' : ''}{"name":"huge","inputSchema":{"type":"object"},"description":"`);
    for (let left = page.descriptionBytes; left > 0; left -= FILLER.length) {
      if (!(await write(left >= FILLER.length ? FILLER : FILLER.subarray(0, left)))) return;
      onChunk();
    }
    await write('"}');
  }
  if (await write(']}}')) res.end();
}
