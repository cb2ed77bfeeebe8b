/**
 * Through the sidecar's own routes: the headers of the pages a browser sees during a flow, and what a deactivated
 * user's tokens and sessions become. Real authorization server, protected MCP server and SQLite store.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../server/config/schema.js';
import { tokensKey, type StoredTokens } from '../../server/oauth/records.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import type { Store } from '../../server/store/index.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { BrowserUser } from '../support/browser-user.js';
import { silentLogger } from '../support/logger.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { sidecarRequest, type SidecarResponse } from '../support/sidecar-client.js';
import { storeTarget, type StoreTarget } from '../support/store-fixtures.js';

const SECRET = 'lifecycle-secret-0123456789abcdef';

let as: TestAuthorizationServer;
let mcp: ProtectedMcpServer;
let target: StoreTarget;
let store: Store;
let sidecar: Sidecar;
/** Every refresh token the authorization server issued, in order. */
const refreshTokens: string[] = [];

async function recordingFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  if (new URL(input instanceof Request ? input.url : input).pathname.endsWith('/token')) {
    const answer = (await response.clone().json()) as { refresh_token?: string };
    if (answer.refresh_token) refreshTokens.push(answer.refresh_token);
  }
  return response;
}

beforeAll(async () => {
  as = await startAuthorizationServer();
  mcp = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
  target = await storeTarget('sqlite');
  store = await target.open();
  sidecar = await startSidecar({
    config: parseConfig({ servers: [{ name: 'secure', baseURL: mcp.url }] }),
    secret: SECRET,
    logger: silentLogger(),
    listen: '127.0.0.1:0',
    store,
    clientDeps: { fetch: recordingFetch },
  });
});

afterAll(async () => {
  await sidecar?.close();
  await target?.cleanUp();
  await mcp?.stop();
  await as?.stop();
});

const asUser = (userId: string | undefined, path: string, method = 'GET') =>
  sidecarRequest(sidecar.address, path, { secret: SECRET, ...(userId && { userId }), method });
const pathOf = (url: string) => `${new URL(url).pathname}${new URL(url).search}`;

/** Connect, consent, callback: returns the callback's answer (the "connected" page). */
async function connect(userId: string): Promise<SidecarResponse> {
  const { body } = await asUser(userId, '/api/v1/tools');
  const start = await asUser(userId, pathOf(body.errors.toolAuthErrors[0].authURL));
  const callback = await new BrowserUser({ login: userId }).authorize(
    String(start.headers.location),
    `${sidecar.address}/oauth/callback`,
  );
  return asUser(userId, pathOf(callback.href));
}

function expectLockedDownPage(page: SidecarResponse): void {
  expect(page.headers['content-type']).toMatch(/^text\/html/);
  expect(page.headers['x-content-type-options']).toBe('nosniff');
  const csp = String(page.headers['content-security-policy']).split(/;\s*/);
  expect(csp).toEqual(expect.arrayContaining(["default-src 'none'", "frame-ancestors 'none'"]));
  expect(csp.join(';')).not.toMatch(/script-src[^;]*'unsafe-inline'/);
}

describe('the pages of a flow', () => {
  it('send nosniff and a CSP that allows no script but their own, no request out and no framing', async () => {
    const connected = await connect('ann');
    expect(connected.status).toBe(200);
    expectLockedDownPage(connected);
    // The page's one script (it closes the window) is the one the CSP allows, by hash.
    const script = /<script>([^<]*)<\/script>/.exec(String(connected.body))![1]!;
    const { createHash } = await import('node:crypto');
    expect(String(connected.headers['content-security-policy'])).toContain(
      `'sha256-${createHash('sha256').update(script).digest('base64')}'`,
    );
    const failed = await asUser('ann', '/oauth/callback?state=forged&code=x');
    expect(failed.status).toBe(400);
    expectLockedDownPage(failed);
  });
});

describe('a deactivated user', () => {
  it('has their tokens revoked at the authorization server and deleted, and their sessions closed', async () => {
    expect((await connect('bo')).status).toBe(200);
    const call = await sidecarRequest(sidecar.address, '/api/v1/tools/call', {
      secret: SECRET,
      userId: 'bo',
      body: { name: 'secure__whoami' },
    });
    expect(call.body.text).toContain('bo');
    const stored = await store.records<StoredTokens>('tokens').get(tokensKey('bo', 'secure'));
    expect(await as.provider.RefreshToken.find(stored!.tokens.refreshToken!)).toBeDefined();
    expect(sidecar.manager.hasUser('bo')).toBe(true);

    const hook = await sidecarRequest(sidecar.address, '/hooks/UserHasBeenDeactivated', {
      secret: SECRET,
      body: { user_id: 'bo' },
    });
    expect(hook.status).toBe(200);

    expect(await store.records<StoredTokens>('tokens').get(tokensKey('bo', 'secure'))).toBeUndefined();
    expect(await as.provider.RefreshToken.find(stored!.tokens.refreshToken!)).toBeUndefined();
    expect(sidecar.manager.hasUser('bo')).toBe(false);
    expect(sidecar.oauth!.tokensInMemory('bo')).toBe(0);
  });
});
