/**
 * Until the OAuth layer lands, these play its part with real HTTP: a server that answers every MCP
 * request with 401, and the two hooks the MCP layer leaves for OAuth turning that 401 into an error
 * carrying a Connect URL (`isAuthNeeded`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerConfig } from '../../server/config/schema.js';
import { Client } from '../../server/mcp/client.js';
import type { FetchLike } from '../../server/outbound/fetch-like.js';
import { PluginError } from '../../server/errors/plugin-error.js';
import type { AuthNeeded, ClientAuthHooks } from '../../server/mcp/types.js';
import type { UserClientsDeps } from '../../server/mcp/user-clients.js';

export class ConnectNeeded extends PluginError implements AuthNeeded {
  readonly code = 'ERR_OAUTH_NEEDED';
  readonly category = 'forbidden';
  constructor(
    readonly serverName: string,
    readonly authURL: string,
  ) {
    super(`Connect your account to ${serverName}`);
  }
}

/** The plugin's start route for a server, as the OAuth layer will hand it out (relative to the site). */
export function startPath(serverName: string): string {
  return `/plugins/mattermost-mcp/mcp/oauth/${encodeURIComponent(serverName)}/start`;
}

/** An MCP server protected by OAuth, to a client without a token: 401 with a resource metadata hint. */
export async function startProtectedServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host}`;
    res.writeHead(401, {
      'www-authenticate': `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
      'content-type': 'application/json',
    });
    res.end(JSON.stringify({ error: 'invalid_token', error_description: 'No access token was provided' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `UserClientsDeps.connect` with the `onUnauthorized` hook set, as the OAuth layer will. */
export const connectAskingForOAuth: NonNullable<UserClientsDeps['connect']> = (options, signal) =>
  Client.connect(
    { ...options, onUnauthorized: () => new ConnectNeeded(options.server.name, startPath(options.server.name)) },
    signal,
  );

/** `ClientAuthHooks` whose fetch turns a 401 into `ConnectNeeded` (what discovery for the admin sees). */
export const authAskingForOAuth: ClientAuthHooks = {
  fetchFor(_userId: string, server: ServerConfig, base: FetchLike): FetchLike {
    return async (input, init) => {
      const response = await base(input, init);
      if (response.status === 401) throw new ConnectNeeded(server.name, startPath(server.name));
      return response;
    };
  },
};
