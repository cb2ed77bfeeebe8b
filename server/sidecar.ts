import { chmodSync, existsSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { createApp } from './http/app.js';
import { createMattermostSurfaces, type MattermostOptions } from './mattermost/surfaces.js';
import { ClientManager } from './mcp/client-manager.js';
import type { UserClientsDeps } from './mcp/user-clients.js';
import { createMetrics } from './observability/metrics.js';

export interface SidecarOptions {
  readonly config: Config;
  readonly secret: string;
  readonly logger: Logger;
  /** `unix:/path/to.sock` or `host:port` (the host must be loopback unless `allowRemote`). */
  readonly listen: string;
  readonly allowRemote?: boolean;
  readonly clientDeps?: Partial<UserClientsDeps>;
  /** Mattermost REST access, the shim's reverse channel, the site URL (docs/sidecar-protocol.md). */
  readonly mattermost?: MattermostOptions;
}

export interface Sidecar {
  readonly manager: ClientManager;
  /** `http://127.0.0.1:port` or `unix:/path`. */
  readonly address: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Wires the client manager and the HTTP surface and starts listening. */
export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  const { logger } = options;
  const manager = new ClientManager(options.config, { logger, ...options.clientDeps });
  const metrics = createMetrics(() => manager);
  const mattermost = createMattermostSurfaces(options.mattermost, { secret: options.secret, logger, fetch: options.clientDeps?.fetch, auth: options.clientDeps?.auth });
  const app = createApp({ manager, metrics, logger, secret: options.secret, mattermost });
  const server = await listen(app, options.listen, options.allowRemote ?? false);
  const address = options.listen.startsWith('unix:') ? options.listen : `http://${formatAddress(server.address() as AddressInfo)}`;
  logger.info({ address, servers: options.config.servers.map((s) => s.name) }, 'MCP sidecar listening');
  return {
    manager,
    address,
    async close() {
      await manager.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (options.listen.startsWith('unix:')) rmSync(options.listen.slice(5), { force: true });
    },
  };
}

function formatAddress(address: AddressInfo): string {
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}

async function listen(app: ReturnType<typeof createApp>, target: string, allowRemote: boolean): Promise<Server> {
  if (target.startsWith('unix:')) {
    const path = target.slice(5);
    if (existsSync(path)) rmSync(path);
    // The socket is created with 0600 (umask) so only the plugin's own OS user can connect.
    const previous = process.umask(0o177);
    try {
      const server = await new Promise<Server>((resolve, reject) => {
        const s = app.listen(path, () => resolve(s));
        s.once('error', reject);
      });
      chmodSync(path, 0o600);
      return server;
    } finally {
      process.umask(previous);
    }
  }
  const separator = target.lastIndexOf(':');
  const host = target.slice(0, separator).replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(target.slice(separator + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`MCP_SIDECAR_LISTEN: "${target}" is not unix:<path> or <host>:<port>.`);
  if (!allowRemote && !LOOPBACK.has(host)) throw new Error(`MCP_SIDECAR_LISTEN: refusing to listen on ${host}; bind to 127.0.0.1 or a unix socket, or set MCP_SIDECAR_ALLOW_REMOTE=true behind a trusted network.`);
  return new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
}
