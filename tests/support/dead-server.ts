/**
 * A "dead" server at a known 127.0.0.1 port: a TCP listener that accepts every connection and drops it at
 * once (as a crashed process behind a load balancer would), counting the connection attempts it receives.
 * Unlike a server that was stopped, it keeps its port: no other test can be handed that port and answer.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

export interface DeadServer {
  readonly port: number;
  /** An MCP endpoint URL on it. */
  readonly url: string;
  /** TCP connections opened to it so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startDeadServer(port = 0): Promise<DeadServer> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.destroy();
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const listening = (server.address() as { port: number }).port;
  return {
    port: listening,
    url: `http://127.0.0.1:${listening}/mcp`,
    get connections() {
      return connections;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      const closed = once(server, 'close');
      server.close();
      await closed;
    },
  };
}

/** The port of an `http://127.0.0.1:<port>/…` URL. */
export function portOf(url: string): number {
  return Number(new URL(url).port);
}
