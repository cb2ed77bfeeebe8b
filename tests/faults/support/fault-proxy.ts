/**
 * An HTTP reverse proxy on 127.0.0.1:0 in front of a real test server, that can break chosen requests:
 * drop the connection without an answer (as a crashing server or a reset would), hold them unanswered, or
 * redirect them elsewhere (307).
 */
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'drop' | 'hang' | { readonly redirect: string } | undefined;

export interface FaultProxy {
  /** The target URL with the proxy's origin. */
  readonly url: string;
  /** Requests that reached the proxy, with the Mattermost user they carried. */
  readonly requests: ReadonlyArray<{ readonly method: string; readonly userId: string | undefined }>;
  /** Chooses a fault per request (undefined: forward it). */
  breakWhen(choose: (req: IncomingMessage) => Fault): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetURL: string): Promise<FaultProxy> {
  const target = new URL(targetURL);
  let choose: (req: IncomingMessage) => Fault = () => undefined;
  const requests: Array<{ method: string; userId: string | undefined }> = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', userId: req.headers['x-mattermost-userid'] as string | undefined });
    const fault = choose(req);
    if (fault === 'drop') return void req.socket.destroy();
    if (fault === 'hang') return;
    if (fault) return void res.writeHead(307, { location: fault.redirect }).end();
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    requests,
    breakWhen: (next) => void (choose = next),
    async close() {
      server.closeAllConnections();
      const closed = once(server, 'close');
      server.close();
      await closed;
    },
  };
}
