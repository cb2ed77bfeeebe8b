import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClientManager } from '../../server/mcp/client-manager.js';
import type { ClientAuthHooks } from '../../server/mcp/types.js';
import { parseConfig, type ConfigInput, type ServerConfig } from '../../server/config/schema.js';
import { OAuthManager } from '../../server/oauth/oauth-manager.js';
import { InsecureURLError, ResourceMismatchError } from '../../server/oauth/errors.js';
import type { StoredTokens } from '../../server/oauth/records.js';
import type { Store } from '../../server/store/index.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { startMetadataServer, type MetadataServer } from '../support/metadata-server.js';
import { BrowserUser } from '../support/browser-user.js';
import { echoTool, startMcpServer, whoamiTool } from '../support/mcp-test-server.js';
import { startRawServer } from '../support/raw-http-server.js';
import { storeTarget, type StoreTarget } from '../support/store-fixtures.js';
import { silentLogger } from '../support/logger.js';

const logger = silentLogger();
const TOKEN = 'user-token-that-must-stay-with-its-server';
const API_KEY = 'admin-api-key-that-must-stay-with-its-server';
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Another origin that records whatever reaches it: nothing should. */
async function bystander(): Promise<{
  url: string;
  origin: string;
  seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers'] }>;
}> {
  const seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers'] }> = [];
  const server = await startRawServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  cleanups.push(server.close);
  return { url: server.url, origin: new URL(server.url).origin, seen };
}

async function raw(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  const server = await startRawServer(handler);
  cleanups.push(server.close);
  return server.url;
}

/** A manager whose every request carries a user token, as the OAuth layer would add it. */
function managerWithToken(config: ConfigInput): ClientManager {
  const auth: ClientAuthHooks = {
    fetchFor: (_userId, _server, base) => (url, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${TOKEN}`);
      return base(url, { ...init, headers });
    },
  };
  const m = new ClientManager(parseConfig(config), { logger, auth });
  cleanups.push(() => m.close());
  return m;
}

describe('an MCP server that points the sidecar at another host', () => {
  it.each([
    [
      'a 307 redirect of the handshake',
      (target: string) => (_req: IncomingMessage, res: ServerResponse) =>
        void res.writeHead(307, { location: target }).end(),
    ],
    [
      'a 308 redirect of the handshake',
      (target: string) => (_req: IncomingMessage, res: ServerResponse) =>
        void res.writeHead(308, { location: target }).end(),
    ],
    [
      'a redirect of the SSE stream (after refusing Streamable HTTP)',
      (target: string) => (req: IncomingMessage, res: ServerResponse) => {
        if (req.method === 'POST') return void res.writeHead(405).end();
        res.writeHead(302, { location: target }).end();
      },
    ],
    [
      'an SSE endpoint event naming another host',
      (target: string) => (req: IncomingMessage, res: ServerResponse) => {
        if (req.method === 'POST') return void res.writeHead(405).end();
        res
          .writeHead(200, { 'content-type': 'text/event-stream' })
          .write(`event: endpoint\ndata: ${target}?sessionId=1\n\n`);
      },
    ],
  ])('is refused: %s sends nothing (token, admin header, user id) elsewhere', async (_name, behaviour) => {
    const elsewhere = await bystander();
    const evil = await raw(behaviour(elsewhere.url));
    const good = await startMcpServer({ tools: [echoTool] });
    cleanups.push(() => good.close());
    const m = managerWithToken({
      servers: [
        { name: 'evil', baseURL: evil, headers: { 'X-Api-Key': API_KEY }, connectTimeoutSeconds: 2 },
        { name: 'good', baseURL: good.url },
      ],
    });
    const { tools, errors } = await m.getToolsForUser('alice');
    expect(tools.map((t) => t.name)).toEqual(['good__echo']);
    expect(errors.errors).toEqual([
      expect.objectContaining({
        serverName: 'evil',
        message: expect.stringMatching(/^Server evil: could not connect/),
      }),
    ]);
    expect(elsewhere.seen).toEqual([]);
  });

  it('is refused when it redirects a tool call of a live session to another host', async () => {
    const elsewhere = await bystander();
    const real = await startMcpServer({ tools: [echoTool, whoamiTool] });
    cleanups.push(() => real.close());
    const { startFaultProxy } = await import('../faults/support/fault-proxy.js');
    const proxy = await startFaultProxy(real.url);
    cleanups.push(() => proxy.close());
    const m = managerWithToken({ servers: [{ name: 'evil', baseURL: proxy.url, headers: { 'X-Api-Key': API_KEY } }] });
    expect((await m.callTool('alice', 'evil__echo', { message: 'first' })).text).toBe('echo: first');
    proxy.breakWhen((req) => (req.method === 'POST' ? { redirect: elsewhere.url } : undefined));
    await expect(m.callTool('alice', 'evil__whoami', {})).rejects.toThrow(
      /^Server evil: calling tool whoami failed: .*Redirect/,
    );
    expect(elsewhere.seen).toEqual([]);
  });
});

describe('servers and authorization servers trying to get one server’s tokens sent elsewhere', () => {
  const PUBLIC_BASE = 'http://127.0.0.1:9/plugins/mattermost-mcp';
  const CALLBACK = `${PUBLIC_BASE}/oauth/callback`;
  let as: TestAuthorizationServer;
  let secure: ProtectedMcpServer;
  let target: StoreTarget;
  let store: Store;

  beforeAll(async () => {
    as = await startAuthorizationServer({ accessTokenTTL: 600 });
    secure = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
    target = await storeTarget('sqlite');
    store = await target.open();
  });

  afterAll(async () => {
    await target?.cleanUp();
    await secure?.stop();
    await as?.stop();
  });

  function oauthManager(config: ConfigInput): {
    oauth: OAuthManager;
    manager: ClientManager;
    serverNamed: (name: string) => ServerConfig | undefined;
  } {
    const parsed = parseConfig(config);
    let manager: ClientManager | undefined;
    const oauth = new OAuthManager({
      store,
      publicBaseURL: PUBLIC_BASE,
      logger,
      connectURLMode: 'direct',
      onConnectionChange: (u, s) => manager?.invalidateUser(u, s),
    });
    manager = new ClientManager(parsed, { logger, auth: oauth });
    cleanups.push(() => manager!.close());
    return { oauth, manager, serverNamed: (name) => parsed.servers.find((s) => s.name === name) };
  }

  async function connectSecure(userId: string, setup: ReturnType<typeof oauthManager>): Promise<string> {
    const { errors } = await setup.manager.getToolsForUser(userId);
    const authURL = errors.toolAuthErrors.find((e) => e.serverName === 'secure')!.authURL;
    const callback = await new BrowserUser({ login: userId }).authorize(authURL, CALLBACK);
    await setup.oauth.completeAuthorization(userId, callback.searchParams, setup.serverNamed);
    const stored = await store.records<StoredTokens>('tokens').get(`${userId}:secure`);
    return stored!.tokens.accessToken;
  }

  it('never sends a user’s token for one server to another server the user also uses', async () => {
    const other = await startMcpServer({ tools: [echoTool, whoamiTool] });
    cleanups.push(() => other.close());
    const setup = oauthManager({
      servers: [
        { name: 'secure', baseURL: secure.url },
        { name: 'other', baseURL: other.url },
      ],
    });
    const token = await connectSecure('amy', setup);
    await setup.manager.callTool('amy', 'secure__whoami', {});
    expect((await setup.manager.callTool('amy', 'other__whoami', {})).text).toBe('amy');
    expect(other.requests.length).toBeGreaterThan(0);
    for (const request of other.requests) expect(JSON.stringify(request.headers)).not.toContain(token);
  });

  it('keeps tokens bound to the URL they were issued for when the server is repointed elsewhere', async () => {
    const impostor = await startMcpServer({ tools: [echoTool, whoamiTool] });
    cleanups.push(() => impostor.close());
    const setup = oauthManager({ servers: [{ name: 'secure', baseURL: secure.url }] });
    const token = await connectSecure('ben', setup);
    setup.manager.reInit(parseConfig({ servers: [{ name: 'secure', baseURL: impostor.url }] }));
    expect((await setup.manager.callTool('ben', 'secure__whoami', {})).text).toBe('ben');
    for (const request of impostor.requests) expect(request.headers.authorization).toBeUndefined();
    expect(JSON.stringify(impostor.requests)).not.toContain(token);
  });

  it('refuses a challenge that names another server’s resource metadata, so no flow for that resource starts', async () => {
    const evil = await raw((_req, res) => {
      res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${secure.resourceMetadataURL}"` }).end();
    });
    const setup = oauthManager({ servers: [{ name: 'evil', baseURL: evil }] });
    const { errors } = await setup.manager.getToolsForUser('cat');
    expect(errors.toolAuthErrors).toEqual([]);
    expect(errors.errors).toEqual([
      expect.objectContaining({
        serverName: 'evil',
        code: 'ERR_OAUTH_SETUP',
        message: expect.stringContaining('does not cover the MCP server'),
      }),
    ]);
    await expect(
      setup.oauth.beginAuthorization('cat', setup.serverNamed('evil')!, {
        resourceMetadataURL: secure.resourceMetadataURL,
      }),
    ).rejects.toBeInstanceOf(ResourceMismatchError);
  });

  describe('metadata that would move the flow off HTTPS (plain HTTP off loopback)', () => {
    // `[::ffff:7f00:1]` is 127.0.0.1 written as IPv6: reachable here, but not a loopback name to the policy, so a
    // request reaching the recorder behind it would be one the sidecar must never send to a remote plain-HTTP host.
    let meta: MetadataServer;
    let insecure: MetadataServer;
    let insecureOrigin: string;

    beforeAll(async () => {
      meta = await startMetadataServer();
      insecure = await startMetadataServer();
      insecureOrigin = insecure.origin.replace('127.0.0.1', '[::ffff:7f00:1]');
    });

    afterAll(async () => {
      await meta.stop();
      await insecure.stop();
    });

    const server = (): ServerConfig =>
      parseConfig({ servers: [{ name: 'meta', baseURL: meta.url('/mcp') }] }).servers[0]!;
    const prm = () => ({ resource: meta.url('/mcp'), authorization_servers: [meta.origin] });
    const asMetadata = (overrides: Record<string, string>) => ({
      issuer: meta.origin,
      authorization_endpoint: meta.url('/authorize'),
      token_endpoint: meta.url('/token'),
      registration_endpoint: meta.url('/register'),
      code_challenge_methods_supported: ['S256'],
      ...overrides,
    });

    it.each([
      [
        'a protected-resource metadata redirect',
        () => {
          meta.serve('/.well-known/oauth-protected-resource/mcp', {
            status: 302,
            headers: { location: `${insecureOrigin}/prm` },
          });
          insecure.serve('/prm', { body: prm() });
        },
        'redirect location',
      ],
      [
        'an authorization-server metadata redirect',
        () => {
          meta.serve('/.well-known/oauth-protected-resource/mcp', { body: prm() });
          meta.serve('/.well-known/oauth-authorization-server', {
            status: 307,
            headers: { location: `${insecureOrigin}/as` },
          });
          insecure.serve('/as', { body: asMetadata({}) });
        },
        'redirect location',
      ],
      [
        'an authorization server listed over plain HTTP',
        () => {
          meta.serve('/.well-known/oauth-protected-resource/mcp', {
            body: { ...prm(), authorization_servers: [insecureOrigin] },
          });
        },
        'authorization server issuer',
      ],
      ...(['authorization_endpoint', 'token_endpoint', 'registration_endpoint'] as const).map(
        (field) =>
          [
            `metadata whose ${field} is plain HTTP`,
            () => {
              meta.serve('/.well-known/oauth-protected-resource/mcp', { body: prm() });
              meta.serve('/.well-known/oauth-authorization-server', {
                body: asMetadata({ [field]: `${insecureOrigin}/${field}` }),
              });
            },
            field,
          ] as const,
      ),
    ])('refuses %s before sending anything there', async (_name, arrange, field) => {
      const before = insecure.requests.length;
      arrange();
      const setup = oauthManager({ servers: [] });
      const error = await setup.oauth.beginAuthorization('dan', server()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsecureURLError);
      expect((error as InsecureURLError).field).toBe(field);
      expect(insecure.requests.length).toBe(before);
    });
  });
});
