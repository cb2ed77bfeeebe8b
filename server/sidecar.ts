import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ConfigSync } from './config/config-sync.js';
import type { Config } from './config/schema.js';
import { createApp } from './http/app.js';
import { createMattermostSurfaces, type MattermostOptions } from './mattermost/surfaces.js';
import { ClientManager } from './mcp/index.js';
import type { UserClientsDeps } from './mcp/index.js';
import { StoredServerChoices } from './mcp/index.js';
import { createMetrics } from './observability/metrics.js';
import { publishConnectionChanges } from './mattermost/connection-events.js';
import { OAuthManager } from './oauth/index.js';
import { StoreClosedError, type Store } from './store/index.js';
import { CallerSettingsHolder } from './http/caller-settings.js';

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
  /** Where OAuth tokens, registrations and flow state live; without a store there is no per-user OAuth. */
  readonly store?: Store;
  /** Where browsers reach the plugin's routes, `${siteURL}/plugins/<id>`; default: the sidecar's own address. */
  readonly publicBaseURL?: string;
  /**
   * With a store: how often the config shared by the replicas is read (default 5 s; `server/config/config-sync.ts`).
   */
  readonly configPollMs?: number;
  /** With a store: how often its expired records are deleted (default 5 minutes). */
  readonly purgeIntervalMs?: number;
}

export interface Sidecar {
  readonly manager: ClientManager;
  readonly oauth?: OAuthManager;
  /** `http://127.0.0.1:port` or `unix:/path`. */
  readonly address: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export const DEFAULT_PURGE_INTERVAL_MS = 5 * 60_000;

/** Wires the client manager and the HTTP surface and starts listening. */
export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  const { logger } = options;
  // Listen first: the OAuth redirect URI may be the sidecar's own address (port 0 in tests).
  let handle: RequestListener = (_req, res) => res.writeHead(503).end();
  const server = await listen((req, res) => handle(req, res), options.listen, options.allowRemote ?? false);
  const address = options.listen.startsWith('unix:')
    ? options.listen
    : `http://${formatAddress(server.address() as AddressInfo)}`;

  let manager: ClientManager | undefined;
  const mattermostOptions = options.mattermost ?? {};
  const shimEvents = (shim: Parameters<typeof publishConnectionChanges>[0] | undefined) =>
    shim ? publishConnectionChanges(shim, logger) : undefined;
  let announce: ReturnType<typeof shimEvents>;
  const publicBaseURL = options.publicBaseURL ?? (address.startsWith('http') ? address : 'http://127.0.0.1');
  const oauth = options.store
    ? new OAuthManager({
        store: options.store,
        publicBaseURL,
        logger,
        ...(options.clientDeps?.fetch && { fetch: options.clientDeps.fetch as typeof fetch }),
        // SEP-991: the plugin serves its own client metadata document when browsers reach it over HTTPS.
        ...(publicBaseURL.startsWith('https://') && {
          clientMetadataURL: `${publicBaseURL.replace(/\/+$/, '')}/oauth/client-metadata.json`,
        }),
        // With one server configured there is no other authorization server to mix up, so `iss` is not needed for it.
        soleAuthorizationServer: () =>
          (manager?.currentConfig.servers.filter((server) => server.enabled).length ?? 0) <= 1,
        onConnectionChange: (userId, serverName, status) => {
          manager?.invalidateUser(userId, serverName);
          announce?.(userId, serverName, status);
        },
      })
    : undefined;
  const auth = options.clientDeps?.auth ?? oauth;
  // Who may call besides browsers (trusted plugins, external MCP clients): pushed with the config, shared with it.
  const callers = new CallerSettingsHolder();
  // Replicas share one config through the store: start with the one Mattermost pushed last, if any.
  const configSync = options.store
    ? new ConfigSync({
        store: options.store,
        logger,
        apply: (next) => manager?.reInit(next),
        applySettings: (settings) => callers.apply(settings),
        ...(options.configPollMs !== undefined && { intervalMs: options.configPollMs }),
      })
    : undefined;
  const config = configSync ? await configSync.adopt(options.config) : options.config;
  // Users' own server switches live in the store, so every replica honours them.
  const choices = options.store ? new StoredServerChoices({ store: options.store, logger }) : undefined;
  manager = new ClientManager(config, {
    logger,
    ...options.clientDeps,
    ...(auth && { auth }),
    ...(choices && { choices }),
  });
  const connections = oauth
    ? {
        disconnect: async (userId: string, serverName: string) => {
          const serverConfig = manager!.currentConfig.servers.find((s) => s.name === serverName);
          if (serverConfig) await oauth.disconnect(userId, serverConfig);
          manager!.invalidateUser(userId, serverName);
        },
        hasTokens: (userId: string, serverName: string) => oauth.hasTokens(userId, serverName),
      }
    : undefined;
  const metrics = createMetrics(() => manager);
  const mattermost = createMattermostSurfaces(
    { ...(connections && { connections }), ...mattermostOptions },
    { secret: options.secret, logger, fetch: options.clientDeps?.fetch, auth },
  );
  announce = shimEvents(mattermost.shim);
  handle = createApp({
    manager,
    metrics,
    logger,
    secret: options.secret,
    mattermost,
    ...(oauth && { oauth }),
    ...(configSync && { configPublisher: configSync }),
    callers,
  });
  configSync?.start();
  const stopPurging = options.store
    ? purgeExpiredPeriodically(options.store, logger, options.purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS)
    : undefined;
  logger.info({ address, servers: config.servers.map((s) => s.name), oauth: Boolean(oauth) }, 'MCP sidecar listening');
  return {
    manager,
    ...(oauth && { oauth }),
    address,
    async close() {
      configSync?.close();
      stopPurging?.();
      // No token refresh starts from here; those under way finish (bounded) before the caller closes the store.
      const refreshesDone = oauth?.close();
      await manager!.close();
      await refreshesDone;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (options.listen.startsWith('unix:')) rmSync(options.listen.slice(5), { force: true });
    },
  };
}

/** SQL stores keep expired rows (abandoned flows, lapsed leases) until read: delete them now and then. */
function purgeExpiredPeriodically(store: Store, logger: Logger, intervalMs: number): () => void {
  const timer = setInterval(() => {
    store.purgeExpired().then(
      (purged) => purged > 0 && logger.debug({ purged }, 'expired store records deleted'),
      (error: unknown) =>
        error instanceof StoreClosedError ||
        logger.warn(
          { reason: error instanceof Error ? error.message : String(error) },
          'could not delete expired store records',
        ),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function formatAddress(address: AddressInfo): string {
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}

async function listen(handler: RequestListener, target: string, allowRemote: boolean): Promise<Server> {
  if (target.startsWith('unix:')) {
    const path = target.slice(5);
    if (existsSync(path)) rmSync(path);
    // The socket is created with 0600 (umask) so only the plugin's own OS user can connect.
    const previous = process.umask(0o177);
    try {
      const server = await new Promise<Server>((resolve, reject) => {
        const s = createServer(handler);
        s.once('error', reject);
        s.listen(path, () => resolve(s));
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
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`MCP_SIDECAR_LISTEN: "${target}" is not unix:<path> or <host>:<port>.`);
  if (!allowRemote && !LOOPBACK.has(host))
    throw new Error(
      `MCP_SIDECAR_LISTEN: refusing to listen on ${host}; bind to 127.0.0.1 or a unix socket, or set MCP_SIDECAR_ALLOW_REMOTE=true behind a trusted network.`,
    );
  return new Promise<Server>((resolve, reject) => {
    const s = createServer(handler);
    s.once('error', reject);
    s.listen(port, host, () => resolve(s));
  });
}
