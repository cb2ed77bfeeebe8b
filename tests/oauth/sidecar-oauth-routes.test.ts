import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { BrowserUser } from '../support/browser-user.js';
import { storeTarget, type StoreTarget } from '../support/store-fixtures.js';
import { silentLogger } from '../support/logger.js';
import { sidecarRequest } from '../support/sidecar-client.js';

const SECRET = 'oauth-routes-secret-0123456789';
const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';
const BOB = 'bobbbbbbbbbbbbbbbbbbbbbbbb';

let as: TestAuthorizationServer;
let mcp: ProtectedMcpServer;
let target: StoreTarget;
let sidecar: Sidecar;

beforeAll(async () => {
  as = await startAuthorizationServer();
  mcp = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
  target = await storeTarget('sqlite');
  sidecar = await startSidecar({
    config: parseConfig({ servers: [{ name: 'secure', baseURL: mcp.url }] }),
    secret: SECRET,
    logger: silentLogger(),
    listen: '127.0.0.1:0',
    store: await target.open(),
  });
});

afterAll(async () => {
  await sidecar?.close();
  await target?.cleanUp();
  await mcp?.stop();
  await as?.stop();
});

/** What the shim does for the browser: the secret and the logged-in user's id. */
const asUser = (userId: string | undefined, path: string, method = 'GET') =>
  sidecarRequest(sidecar.address, path, { secret: SECRET, ...(userId && { userId }), method });

const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

/** Clicks Connect: the start route, the authorization server's pages, back to the callback URL. */
async function authorizeAt(userId: string, startURL: string, login = userId): Promise<URL> {
  const start = await asUser(userId, pathOf(startURL));
  expect(start.status).toBe(302);
  return new BrowserUser({ login }).authorize(String(start.headers.location), `${sidecar.address}/oauth/callback`);
}

describe('OAuth through the sidecar’s routes', () => {
  it('connects a user end to end: Connect URL, start, consent, callback, tools', async () => {
    const before = await asUser(ALICE, '/api/v1/tools');
    const [authError] = before.body.errors.toolAuthErrors;
    expect(authError).toEqual({
      serverName: 'secure',
      authURL: expect.stringContaining(`${sidecar.address}/mcp/oauth/secure/start`),
      message: 'Connect your account to secure',
    });
    const status = await asUser(ALICE, '/mcp/tools');
    expect(status.body.servers[0]).toEqual(
      expect.objectContaining({
        name: 'secure',
        status: 'needs_oauth',
        needsOAuth: true,
        authenticated: false,
        authURL: authError.authURL,
      }),
    );

    const callback = await authorizeAt(ALICE, authError.authURL);
    const done = await asUser(ALICE, pathOf(callback.href));
    expect(done.status).toBe(200);
    expect(done.body).toContain('Your account is connected to secure');

    const after = await asUser(ALICE, '/api/v1/tools');
    expect(after.body.errors.toolAuthErrors).toEqual([]);
    const call = await sidecarRequest(sidecar.address, '/api/v1/tools/call', {
      secret: SECRET,
      userId: ALICE,
      body: { name: 'secure__whoami' },
    });
    expect(call.body.text).toContain(ALICE);
  });

  it('refuses a callback finished by another Mattermost user, and without a logged-in user', async () => {
    const { body } = await asUser(BOB, '/api/v1/tools');
    const callback = await authorizeAt(BOB, body.errors.toolAuthErrors[0].authURL);
    const stolen = await asUser(ALICE, pathOf(callback.href));
    expect(stolen.status).toBe(400);
    expect(stolen.body).toContain('started by another Mattermost user');
    const anonymous = await asUser(undefined, pathOf(callback.href));
    expect(anonymous.status).toBe(401);
    const owner = await asUser(BOB, pathOf(callback.href));
    expect(owner.status).toBe(200);
  });

  it('shows a clear page when the user declines', async () => {
    const carol = 'carolaaaaaaaaaaaaaaaaaaaaa';
    const { body } = await asUser(carol, '/api/v1/tools');
    const start = await asUser(carol, pathOf(body.errors.toolAuthErrors[0].authURL));
    const callback = await new BrowserUser({ login: carol, consent: 'deny' }).authorize(
      String(start.headers.location),
      `${sidecar.address}/oauth/callback`,
    );
    const page = await asUser(carol, pathOf(callback.href));
    expect(page.status).toBe(400);
    expect(page.body).toContain('You declined the authorization');
  });

  it('answers 404 for the start URL of an unknown server', async () => {
    const response = await asUser(ALICE, '/mcp/oauth/nope/start');
    expect(response.status).toBe(404);
    expect(response.body).toContain('There is no enabled MCP server named &quot;nope&quot;');
  });

  it('ignores a resource_metadata hint on another origin instead of fetching it', async () => {
    const response = await asUser(
      ALICE,
      `/mcp/oauth/secure/start?resource_metadata=${encodeURIComponent('http://169.254.169.254/latest/meta-data')}`,
    );
    expect(response.status).toBe(302);
    expect(String(response.headers.location)).toContain(as.issuer);
  });

  it('disconnects: revokes at the authorization server and asks to connect again', async () => {
    const response = await asUser(ALICE, '/mcp/oauth/secure', 'DELETE');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ serverName: 'secure', revoked: true });
    const after = await asUser(ALICE, '/api/v1/tools');
    expect(after.body.errors.toolAuthErrors.map((e: { serverName: string }) => e.serverName)).toEqual(['secure']);
  });
});
