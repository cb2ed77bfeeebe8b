import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { startFakeMattermost, type FakeMattermost } from '../support/fake-mattermost.js';
import { BrowserUser } from '../support/browser-user.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { storeTarget, type StoreTarget } from '../support/store-fixtures.js';
import { captureLogger } from '../support/logger.js';
import { eventually } from '../support/eventually.js';
import { sidecarRequest } from '../support/sidecar-client.js';

const SECRET = 'log-scan-sidecar-secret-0123456789';
const BOT_TOKEN = 'logscanbottokenaaaaaaaaaaa';
const ADMIN_HEADER_VALUE = 'log-scan-admin-api-key-9f8e7d';
const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';
const ADMIN = 'adminaaaaaaaaaaaaaaaaaaaaa';

/** Every credential value that crossed the wire, whichever way: none may appear in the log. */
const credentials = new Map<string, string>();
const kindsSeen = new Set<string>();
function remember(kind: string, value: unknown): void {
  if (typeof value !== 'string' || value.length < 8) return;
  kindsSeen.add(kind);
  if (!credentials.has(value)) credentials.set(value, kind);
}

/** The real fetch, noting the credentials in OAuth requests and answers (it changes nothing). */
const recordingFetch: typeof fetch = async (input, init) => {
  const headers = new Headers(init?.headers);
  const authorization = headers.get('authorization');
  if (authorization?.startsWith('Basic ')) {
    const [id, secret] = Buffer.from(authorization.slice(6), 'base64').toString().split(':');
    remember('client secret (Basic)', decodeURIComponent(secret ?? ''));
    remember('client id', decodeURIComponent(id ?? ''));
  }
  if (authorization?.startsWith('Bearer ')) remember('bearer token sent', authorization.slice(7));
  if (init?.body instanceof URLSearchParams) {
    for (const field of ['code', 'code_verifier', 'refresh_token', 'client_secret', 'token'])
      remember(`form ${field}`, init.body.get(field));
  }
  const response = await fetch(input, init);
  if ((response.headers.get('content-type') ?? '').includes('application/json')) {
    const json = (await response
      .clone()
      .json()
      .catch(() => undefined)) as Record<string, unknown> | undefined;
    for (const field of ['access_token', 'refresh_token', 'id_token', 'client_secret', 'registration_access_token'])
      remember(field, json?.[field]);
  }
  return response;
};

let as: TestAuthorizationServer;
let secure: ProtectedMcpServer;
let open: TestMcpServer;
let mattermost: FakeMattermost;
let target: StoreTarget;
let sidecar: Sidecar;
const logs = captureLogger('debug');

beforeAll(async () => {
  // Access tokens live 2 s: a call a second or so later is inside the refresh margin (a quarter to a half of the
  // lifetime), so calls refresh in the background (or on a 401 once expired) and refresh tokens rotate.
  as = await startAuthorizationServer({ accessTokenTTL: 2 });
  secure = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
  open = await startMcpServer({ tools: [echoTool, whoamiTool] });
  mattermost = await startFakeMattermost({
    token: BOT_TOKEN,
    users: [
      { id: ADMIN, username: 'admin', roles: 'system_user system_admin' },
      { id: ALICE, username: 'alice', roles: 'system_user' },
    ],
  });
  target = await storeTarget('sqlite');
  sidecar = await startSidecar({
    config: parseConfig({
      servers: [
        { name: 'secure', baseURL: secure.url },
        { name: 'open', baseURL: open.url, headers: { 'X-Api-Key': ADMIN_HEADER_VALUE } },
      ],
    }),
    secret: SECRET,
    logger: logs.logger,
    listen: '127.0.0.1:0',
    store: await target.open(),
    clientDeps: { fetch: recordingFetch },
    mattermost: { restURL: mattermost.url, restToken: BOT_TOKEN },
  });
});

afterAll(async () => {
  await sidecar?.close();
  await target?.cleanUp();
  await mattermost?.close();
  await open?.close();
  await secure?.stop();
  await as?.stop();
});

const asUser = (userId: string, path: string, options: Parameters<typeof sidecarRequest>[2] = {}) =>
  sidecarRequest(sidecar.address, path, { secret: SECRET, userId, ...options });
const pathOf = (url: string) => `${new URL(url).pathname}${new URL(url).search}`;

/** Clicks Connect as `userId` and returns the callback URL the browser comes back with (code and state in it). */
async function authorize(userId: string): Promise<URL> {
  const tools = await asUser(userId, '/api/v1/tools');
  const start = await asUser(userId, pathOf(tools.body.errors.toolAuthErrors[0].authURL));
  const callback = await new BrowserUser({ login: userId }).authorize(
    String(start.headers.location),
    `${sidecar.address}/oauth/callback`,
  );
  remember('authorization code', callback.searchParams.get('code'));
  return callback;
}

describe('the log, at debug level, after every flow that handles a credential', () => {
  beforeAll(async () => {
    // Connect, call, refresh in the background (rotating refresh tokens), replay the callback, forge one.
    const callback = await authorize(ALICE);
    expect((await asUser(ALICE, pathOf(callback.href))).status).toBe(200);
    expect((await asUser(ALICE, pathOf(callback.href))).status).toBe(400); // replayed
    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged-state-0000');
    expect((await asUser(ALICE, pathOf(forged.href))).status).toBe(400);
    await eventually(
      async () => {
        expect((await asUser(ALICE, '/api/v1/tools/call', { body: { name: 'secure__whoami' } })).body.text).toBe(ALICE);
        expect(as.tokenRequests('refresh_token')).toBeGreaterThanOrEqual(2); // refreshed, then refreshed with the rotated token
      },
      15_000,
      100,
    );
    expect(
      (await asUser(ALICE, '/api/v1/tools/call', { body: { name: 'open__echo', arguments: { message: 'hi' } } })).body
        .text,
    ).toBe('echo: hi');
    // A code exchange the authorization server refuses (the code was tampered with).
    const tampered = await authorize('bobbbbbbbbbbbbbbbbbbbbbbbb');
    tampered.searchParams.set('code', `${tampered.searchParams.get('code')}x`);
    expect((await asUser('bobbbbbbbbbbbbbbbbbbbbbbbb', pathOf(tampered.href))).status).toBe(502);
    // The admin's view (the bot token goes to Mattermost), the slash command, then disconnect with revocation.
    expect((await asUser(ADMIN, '/admin/mcp/tools')).status).toBe(200);
    expect(
      (await asUser(ALICE, '/hooks/ExecuteCommand', { body: { user_id: ALICE, command: '/mcp status' } })).status,
    ).toBe(200);
    expect((await asUser(ALICE, '/mcp/oauth/secure', { method: 'DELETE' })).body).toEqual({
      serverName: 'secure',
      revoked: true,
    });
    remember('sidecar secret', SECRET);
    remember('admin header value', ADMIN_HEADER_VALUE);
    remember('Mattermost bot token', BOT_TOKEN);
  }, 60_000);

  it('saw every kind of credential in the flows (the scan below is not vacuous)', () => {
    for (const kind of [
      'access_token',
      'refresh_token',
      'client_secret',
      'registration_access_token',
      'form code_verifier',
      'form refresh_token',
      'authorization code',
      'bearer token sent',
      'client secret (Basic)',
      'form token',
    ]) {
      expect(kindsSeen).toContain(kind);
    }
    expect(credentials.size).toBeGreaterThan(10);
    for (const event of [
      'registered OAuth client (RFC 7591)',
      'OAuth authorization started',
      'OAuth connection completed',
      'OAuth callback refused',
    ])
      expect(logs.output()).toContain(event);
  });

  it('contains none of them', () => {
    const output = logs.output();
    const leaked = [...credentials].filter(([value]) => output.includes(value)).map(([, kind]) => kind);
    expect(leaked).toEqual([]);
  });

  it('contains no JSON Web Token at all, nor a bearer credential', () => {
    const output = logs.output();
    expect(output).not.toMatch(/eyJ[\w-]{8,}\.eyJ[\w-]{8,}\./);
    expect(output).not.toMatch(/Bearer [\w.~+/-]{8,}/i);
  });
});
