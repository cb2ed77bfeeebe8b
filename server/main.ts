import { readFileSync } from 'node:fs';
import { parseConfig, type Config } from './config/schema.js';
import { createLogger } from './observability/logger.js';
import { startSidecar } from './sidecar.js';
import { mattermostOptionsFromEnv } from './mattermost/surfaces.js';
import { createStore } from './store/index.js';
import { PLUGIN_ID } from './plugin-manifest.js';

/**
 * Starts the sidecar from the environment (docs/sidecar-protocol.md):
 * MCP_SIDECAR_SECRET (required), MCP_SIDECAR_LISTEN (default 127.0.0.1:8787),
 * MCP_CONFIG_FILE (optional JSON Config), MCP_STORE_URL (default sqlite://.data/mcp.sqlite),
 * MCP_STORE_NAMESPACE, MCP_STORE_TABLE, MCP_ENCRYPTION_KEYS, MCP_CONFIG_POLL_MS (how often replicas
 * read the shared config), MCP_SITE_URL + MCP_PLUGIN_ID (where browsers reach the plugin's routes),
 * MCP_LOG_LEVEL; `--demo` adds a local demo MCP server.
 */
async function main(): Promise<void> {
  const logger = createLogger({ level: (process.env.MCP_LOG_LEVEL as 'info' | undefined) ?? 'info' });
  const secret = process.env.MCP_SIDECAR_SECRET;
  if (!secret || secret.length < 16) {
    logger.fatal(
      'MCP_SIDECAR_SECRET must be set to at least 16 characters (the shim sets a fresh one per activation).',
    );
    process.exit(2);
  }
  const configPollMs = process.env.MCP_CONFIG_POLL_MS ? Number(process.env.MCP_CONFIG_POLL_MS) : undefined;
  if (configPollMs !== undefined && !(Number.isFinite(configPollMs) && configPollMs > 0)) {
    logger.fatal('MCP_CONFIG_POLL_MS must be a positive number of milliseconds.');
    process.exit(2);
  }
  let config: Config = parseConfig(
    process.env.MCP_CONFIG_FILE ? JSON.parse(readFileSync(process.env.MCP_CONFIG_FILE, 'utf8')) : {},
  );
  const closers: Array<() => Promise<void>> = [];
  if (process.argv.includes('--demo')) {
    // Loaded only here: the MCP server SDK adds a second or so to every replica's start-up otherwise.
    const { startDemoMcpServer } = await import('./demo/demo-mcp-server.js');
    const demo = await startDemoMcpServer(Number(process.env.MCP_DEMO_PORT ?? 0));
    closers.push(demo.close);
    config = parseConfig({ ...config, servers: [...config.servers, { name: 'demo', baseURL: demo.url }] });
    logger.info({ url: demo.url }, 'demo MCP server started');
  }
  const store = await createStore(process.env.MCP_STORE_URL ?? 'sqlite://.data/mcp.sqlite', {
    ...(process.env.MCP_ENCRYPTION_KEYS && { encryptionKeys: process.env.MCP_ENCRYPTION_KEYS }),
    ...(process.env.MCP_STORE_NAMESPACE && { namespace: process.env.MCP_STORE_NAMESPACE }),
    ...(process.env.MCP_STORE_TABLE && { table: process.env.MCP_STORE_TABLE }),
    onBackgroundError: (error) => logger.warn({ reason: error.message }, 'store connection problem'),
  });
  closers.push(() => store.close());
  const siteURL = process.env.MCP_SITE_URL?.trim().replace(/\/+$/, '');
  const sidecar = await startSidecar({
    config,
    secret,
    logger,
    store,
    ...(configPollMs !== undefined && { configPollMs }),
    ...(siteURL && { publicBaseURL: `${siteURL}/plugins/${process.env.MCP_PLUGIN_ID ?? PLUGIN_ID}` }),
    listen: process.env.MCP_SIDECAR_LISTEN ?? '127.0.0.1:8787',
    allowRemote: process.env.MCP_SIDECAR_ALLOW_REMOTE === 'true',
    mattermost: mattermostOptionsFromEnv(process.env),
  });
  const shutdown = async (signal: string): Promise<void> => {
    logger.info({ signal }, 'shutting down');
    await sidecar.close();
    for (const close of closers) await close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
