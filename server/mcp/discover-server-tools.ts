import type { Logger } from 'pino';
import type { ServerConfig } from '../config/schema.js';
import { Client } from './client.js';
import type { FetchLike } from '../outbound/index.js';
import type { ClientAuthHooks } from './types.js';

/** A tool's metadata for the admin's discovery view (the Go plugin's `ToolInfo`). */
export interface ToolInfo {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
}

export interface DiscoverDeps {
  readonly logger: Logger;
  readonly fetch?: FetchLike;
  readonly auth?: ClientAuthHooks;
}

/**
 * Connects to one server as `userId` (the admin) on a temporary connection, lists its tools, and
 * closes. Connection and authorization errors (e.g. an OAuthNeededError for the admin) are thrown.
 */
export async function discoverServerTools(
  server: ServerConfig,
  userId: string,
  deps: DiscoverDeps,
): Promise<ToolInfo[]> {
  const client = await Client.connect({ userId, server, logger: deps.logger, fetch: deps.fetch, auth: deps.auth });
  try {
    return client.tools.map((tool) => ({
      name: tool.name,
      description: tool.description ?? '',
      inputSchema: tool.inputSchema as Record<string, unknown>,
    }));
  } finally {
    await client.close();
  }
}
