/**
 * A command-line MCP client over the project's own `Client` and `OAuthManager`: connect
 * (authorizing when the server asks, following the authorization server's redirects as a browser
 * would), list tools, call each tool with arguments built from its input schema, close.
 * `tests/conformance/client.sh <server-url>` runs it for the MCP conformance suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { parseConfig, type ServerConfig } from '../config/schema.js';
import { Client } from '../mcp/index.js';
import { acceptWithDefaults } from '../mcp/index.js';
import { isAuthNeeded } from '../mcp/index.js';
import { discoverAuthorization } from '../oauth/index.js';
import { OAuthManager } from '../oauth/index.js';
import { createLogger } from '../observability/logger.js';
import { createStore } from '../store/index.js';

const USER_ID = 'conformance-user';
const CALLBACK_BASE = 'http://127.0.0.1:9/plugins/mattermost-mcp';
/** How often one request may send the user to authorize before giving up (a server that never accepts). */
const MAX_AUTHORIZATIONS = 3;
const MAX_REDIRECTS = 10;

/** A value of the schema's type: the default, the first enum member, or a small literal. */
export function sampleArguments(tool: Tool): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
    const property = schema as { type?: string; default?: unknown; enum?: unknown[] };
    if (property.default !== undefined) args[name] = property.default;
    else if (property.enum?.length) args[name] = property.enum[0];
    else if (property.type === 'number' || property.type === 'integer') args[name] = 1;
    else if (property.type === 'boolean') args[name] = true;
    else if (property.type === 'array') args[name] = [];
    else if (property.type === 'object') args[name] = {};
    else args[name] = 'test';
  }
  return args;
}

/**
 * The scenario's pre-registered client, if it gives one (`MCP_CONFORMANCE_CONTEXT`), pinned to the issuer the
 * server's metadata names: what an admin looks up before filling in `oauth.issuer` beside `clientId`.
 */
async function preRegisteredClient(serverURL: string): Promise<ServerConfig['oauth']> {
  const context = process.env.MCP_CONFORMANCE_CONTEXT
    ? (JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT) as Record<string, unknown>)
    : {};
  if (typeof context.client_id !== 'string' || context.private_key_pem) return undefined;
  const { issuer } = await discoverAuthorization(serverURL);
  return {
    clientId: context.client_id,
    issuer,
    ...(typeof context.client_secret === 'string' && { clientSecret: context.client_secret }),
  };
}

async function main(): Promise<number> {
  const url = process.argv[process.argv.length - 1];
  if (!url || !/^https?:\/\//.test(url)) {
    console.error('usage: conformance-client <server-url>');
    return 2;
  }
  const logger = createLogger({
    level: (process.env.MCP_LOG_LEVEL as 'info' | undefined) ?? 'warn',
    destination: process.stderr as never,
  });
  const oauthOptions = await preRegisteredClient(url);
  const server = parseConfig({
    servers: [
      {
        name: 'conformance',
        baseURL: url,
        connectTimeoutSeconds: 30,
        toolTimeoutSeconds: 30,
        ...(oauthOptions && { oauth: oauthOptions }),
      },
    ],
  }).servers[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'mcp-conformance-'));
  const store = await createStore(`sqlite://${join(dir, 'store.sqlite')}`);
  const oauth = new OAuthManager({
    store,
    publicBaseURL: CALLBACK_BASE,
    logger,
    connectURLMode: 'direct',
    soleAuthorizationServer: () => true, // one server a run
    ...(process.env.MCP_CLIENT_METADATA_URL && { clientMetadataURL: process.env.MCP_CLIENT_METADATA_URL }),
  });

  /** Follows the authorization URL's redirects (the test AS approves at once) to our callback. */
  const authorize = async (authURL: string): Promise<void> => {
    let next = new URL(authURL);
    for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
      if (next.href.startsWith(oauth.callbackURL)) {
        await oauth.completeAuthorization(USER_ID, next.searchParams, () => server);
        return;
      }
      const response = await fetch(next, { redirect: 'manual' });
      await response.body?.cancel();
      const location = response.headers.get('location');
      if (!location) throw new Error(`authorization stopped at HTTP ${response.status}`);
      next = new URL(location, next);
    }
    throw new Error('too many redirects during authorization');
  };

  /** Runs `fn`, authorizing and retrying when the server asks for (more) authorization. */
  const withAuthorization = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!isAuthNeeded(error) || attempt >= MAX_AUTHORIZATIONS) throw error;
        await authorize(error.authURL);
      }
    }
  };

  const client = await withAuthorization(() =>
    Client.connect({
      userId: USER_ID,
      server,
      logger,
      onElicitation: acceptWithDefaults,
      auth: oauth,
    }),
  );
  try {
    for (const tool of client.tools) {
      const result = await withAuthorization(() => client.callTool(tool.name, sampleArguments(tool)));
      logger.info({ tool: tool.name, isError: result.isError }, 'called tool');
    }
  } finally {
    await client.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
