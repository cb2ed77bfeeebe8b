/**
 * Two sidecar processes behind one load balancer, on one Redis and on one PostgreSQL: the compiled sidecar,
 * started as an operator starts replicas (same store, keys and site URL; its own port each), a real
 * authorization server and a real protected MCP server. Needs `npm run build` first (make test-node does).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokensKey, type StoredTokens } from '../../server/oauth/records.js';
import type { StoredConfig } from '../../server/config/config-sync.js';
import type { Store } from '../../server/store/index.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { BrowserUser } from '../support/browser-user.js';
import { eventually } from '../support/eventually.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { sidecarRequest } from '../support/sidecar-client.js';
import { COMPACT_JWE, marker, storeTarget, type StoreTarget } from '../support/store-fixtures.js';
import { assertBuilt, killAllReplicas, startReplica, type ReplicaProcess } from './support/replica-process.js';

const SECRET = 'replicas-secret-0123456789abcdef';
const SITE_URL = 'http://127.0.0.1:8065';
/** Where the authorization server sends the browser back: Mattermost, which strips `/plugins/<id>` for the shim. */
const REDIRECT_URI = `${SITE_URL}/plugins/mattermost-mcp/oauth/callback`;
const CONFIG_POLL_MS = 100;
const LONG_TTL_S = 3600;
const SHORT_TTL_S = 1;
const TWENTY_SECONDS_S = 20;

let as: TestAuthorizationServer;
let mcp: ProtectedMcpServer;

beforeAll(async () => {
  assertBuilt();
  as = await startAuthorizationServer({ accessTokenTTL: LONG_TTL_S });
  mcp = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
});

afterAll(async () => {
  await killAllReplicas();
  await mcp?.stop();
  await as?.stop();
});

/** What the shim sends for the logged-in user: the shared secret and the user's id. */
const asUser = (replica: ReplicaProcess, userId: string, path: string, method = 'GET') =>
  sidecarRequest(replica.address, path, { secret: SECRET, userId, method });

const callTool = (replica: ReplicaProcess, userId: string, name = 'secure__whoami') =>
  sidecarRequest(replica.address, '/api/v1/tools/call', { secret: SECRET, userId, body: { name, arguments: {} } });

/** The callback as the shim forwards it: Mattermost strips `/plugins/<id>` and passes path and query on. */
const callbackPath = (redirect: URL) =>
  `${redirect.pathname.replace(/^\/plugins\/mattermost-mcp/, '')}${redirect.search}`;

/**
 * Clicks Connect on `replica` (its start route) and goes through login and consent: returns the redirect to Mattermost.
 */
async function startOn(replica: ReplicaProcess, userId: string): Promise<string> {
  const start = await asUser(replica, userId, '/mcp/oauth/secure/start');
  expect(start.status).toBe(302);
  return String(start.headers.location);
}

const authorize = (userId: string, authorizationURL: string) =>
  new BrowserUser({ login: userId }).authorize(authorizationURL, REDIRECT_URI);

describe.each(['redis', 'postgres'] as const)('two sidecar replicas on one %s store', (backend) => {
  let target: StoreTarget;
  let store: Store; // the test's own view of the shared store (same keys), to read what the replicas wrote
  let configDir: string;
  let a: ReplicaProcess;
  let b: ReplicaProcess;
  /** Users who connected their account, in order. */
  const users: string[] = [];
  const user = (name: string) => {
    const id = `${name}-${backend}`;
    users.push(id);
    return id;
  };
  const headerSecret = marker('api-key');

  const replica = async (name: string) =>
    startReplica(name, {
      secret: SECRET,
      storeURL: target.url,
      namespace: target.options.namespace,
      table: target.options.table,
      encryptionKeys: target.options.encryptionKeys,
      siteURL: SITE_URL,
      configFile: join(configDir, 'config.json'),
      configPollMs: CONFIG_POLL_MS,
    });
  const storedTokens = async (userId: string) =>
    (await store.records<StoredTokens>('tokens').get(tokensKey(userId, 'secure')))!;

  beforeAll(async () => {
    target = await storeTarget(backend);
    configDir = await mkdtemp(join(tmpdir(), 'mmcp-replicas-'));
    await writeFile(
      join(configDir, 'config.json'),
      JSON.stringify({ servers: [{ name: 'secure', baseURL: mcp.url }] }),
    );
    // Both at once on a table that does not exist yet, as a fresh deployment's replicas start.
    [a, b] = await Promise.all([replica('A'), replica('B')]);
    store = await target.open();
  }, 30_000);

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await target?.cleanUp();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it('finishes on replica B a flow started on replica A, and the user’s tools work on both', async () => {
    const alice = user('alice');
    const redirect = await authorize(alice, await startOn(a, alice));
    const done = await asUser(b, alice, callbackPath(redirect));
    expect(done.status).toBe(200);
    expect(done.body).toContain('Your account is connected to secure');

    for (const replica of [a, b]) {
      const call = await callTool(replica, alice);
      expect(call.status).toBe(200);
      expect(call.body.text).toContain(alice);
    }
  });

  it('serves a user on the replica that showed them the Connect link once they connected through the other', async () => {
    const fred = user('fred');
    const listed = await asUser(a, fred, '/api/v1/tools');
    expect(listed.body.errors.toolAuthErrors.map((e: { serverName: string }) => e.serverName)).toEqual(['secure']);
    const redirect = await authorize(fred, await startOn(a, fred));
    expect((await asUser(b, fred, callbackPath(redirect))).status).toBe(200);
    const onA = await callTool(a, fred);
    expect(onA.body).toEqual(expect.objectContaining({ text: expect.stringContaining(fred) }));
  });

  it('takes a state once across replicas: the same callback sent to both connects once', async () => {
    const bob = user('bob');
    const redirect = await authorize(bob, await startOn(a, bob));
    const codeExchanges = as.tokenRequests('authorization_code');

    const raced = await Promise.all([asUser(a, bob, callbackPath(redirect)), asUser(b, bob, callbackPath(redirect))]);
    expect(raced.map((response) => response.status).sort()).toEqual([200, 400]);
    const replay = await asUser(b, bob, callbackPath(redirect));
    expect(replay.status).toBe(400);
    expect(as.tokenRequests('authorization_code') - codeExchanges).toBe(1);
    expect((await callTool(a, bob)).body.text).toContain(bob);
  });

  it('refreshes an expired access token once at the authorization server for 20 concurrent calls across both replicas', async () => {
    const dave = user('dave');
    as.setAccessTokenTTL(SHORT_TTL_S);
    try {
      const redirect = await authorize(dave, await startOn(a, dave));
      expect((await asUser(b, dave, callbackPath(redirect))).status).toBe(200);
    } finally {
      as.setAccessTokenTTL(LONG_TTL_S);
    }
    const expired = await storedTokens(dave);
    // Wait until both the MCP server and the stored expiry say the access token is no longer valid.
    await eventually(
      async () => {
        expect(Date.now()).toBeGreaterThan(expired.tokens.expiresAt!);
        expect(await bearerStatus(mcp.url, expired.tokens.accessToken)).toBe(401);
      },
      10_000,
      100,
    );
    const refreshes = as.tokenRequests('refresh_token');

    const calls = await Promise.all(Array.from({ length: 20 }, (_, i) => callTool(i % 2 === 0 ? a : b, dave)));

    expect(calls.map((call) => call.status)).toEqual(Array(20).fill(200));
    for (const call of calls) expect(call.body.text).toContain(dave);
    expect(as.tokenRequests('refresh_token') - refreshes).toBe(1);
    const refreshed = await storedTokens(dave);
    expect(refreshed.tokens.accessToken).not.toBe(expired.tokens.accessToken);
    expect(refreshed.tokens.refreshToken).not.toBe(expired.tokens.refreshToken); // rotated, and the new one stored
  });

  it('refreshes a 20-second token once for 20 concurrent calls across both replicas: the one that waited sees the new token as fresh', async () => {
    const hal = user('hal');
    as.setAccessTokenTTL(TWENTY_SECONDS_S); // every grant, the refresh too
    try {
      const redirect = await authorize(hal, await startOn(a, hal));
      expect((await asUser(b, hal, callbackPath(redirect))).status).toBe(200);
      const connected = await storedTokens(hal);
      await eventually(() => expect(Date.now()).toBeGreaterThan(connected.tokens.expiresAt!), 30_000, 200);
      const refreshes = as.tokenRequests('refresh_token');

      const calls = await Promise.all(Array.from({ length: 20 }, (_, i) => callTool(i % 2 === 0 ? a : b, hal)));

      for (const call of calls) expect(call.body.text).toContain(hal);
      expect(as.tokenRequests('refresh_token') - refreshes).toBe(1);
    } finally {
      as.setAccessTokenTTL(LONG_TTL_S);
    }
  }, 60_000);

  it('stops serving a user on replica A within seconds of their Disconnect on replica B, and A reports them as not connected', async () => {
    const ivy = user('ivy');
    const redirect = await authorize(ivy, await startOn(a, ivy));
    expect((await asUser(b, ivy, callbackPath(redirect))).status).toBe(200);
    // Both hold her token now.
    for (const replica of [a, b]) expect((await callTool(replica, ivy)).body.text).toContain(ivy);
    expect(await statusOf(a, ivy)).toEqual({ status: 'connected', authenticated: true, needsOAuth: true });

    const disconnected = await asUser(b, ivy, '/mcp/oauth/secure', 'DELETE');
    expect(disconnected.status).toBe(200);

    await eventually(
      async () => {
        const call = await callTool(a, ivy);
        expect(call.status).toBe(403);
        expect(call.body.code).toBe('ERR_OAUTH_NEEDED');
      },
      5_000,
      250,
    );
    await eventually(
      async () =>
        expect(await statusOf(a, ivy)).toEqual({ status: 'needs_oauth', authenticated: false, needsOAuth: true }),
      5_000,
      250,
    );
    users.splice(users.indexOf(ivy), 1); // not connected any more: the restart spec below does not expect her
  });

  it('stops serving a user on replica A within seconds of their deactivation reaching replica B, with the refresh token revoked', async () => {
    const jon = user('jon');
    expect((await asUser(b, jon, callbackPath(await authorize(jon, await startOn(a, jon))))).status).toBe(200);
    for (const replica of [a, b]) expect((await callTool(replica, jon)).body.text).toContain(jon);
    const { tokens } = await storedTokens(jon);

    const hook = await sidecarRequest(b.address, '/hooks/UserHasBeenDeactivated', {
      secret: SECRET,
      body: { user_id: jon },
    });
    expect(hook.status).toBe(200);

    expect(await as.provider.RefreshToken.find(tokens.refreshToken!)).toBeUndefined();
    expect(await store.records<StoredTokens>('tokens').get(tokensKey(jon, 'secure'))).toBeUndefined();
    await eventually(async () => expect((await callTool(a, jon)).body.code).toBe('ERR_OAUTH_NEEDED'), 5_000, 250);
    users.splice(users.indexOf(jon), 1);
  });

  // The abort-listener pile-up behind Node's MaxListenersExceededWarning is pinned in-process by
  // tests/mcp/request-signal.test.ts; the compiled replicas never printed the warning even before that fix.
  it('serves 24 calls held at the server at once across both replicas, each answering its caller', async () => {
    const first = user('kim');
    expect((await asUser(b, first, callbackPath(await authorize(first, await startOn(a, first))))).status).toBe(200);
    const gate = mcp.holdToolCalls(); // all 24 are in flight on the replicas' sessions at once
    let calls: Awaited<ReturnType<typeof callTool>>[];
    try {
      const calling = Promise.all(Array.from({ length: 24 }, (_, i) => callTool(i % 2 === 0 ? a : b, first)));
      await eventually(() => expect(gate.held()).toBe(24), 10_000, 50);
      gate.release();
      calls = await calling;
    } finally {
      gate.release();
    }
    for (const call of calls) expect(call.body.text).toContain(first);
  });

  it('brings a config pushed to one replica to the other, and never shares a refused one', async () => {
    const erin = `erin-${backend}`; // never connects: only looks at the server list
    const settings = {
      config: {
        servers: [
          { name: 'secure', baseURL: mcp.url },
          { name: 'notes', baseURL: mcp.url, headers: { 'X-Api-Key': headerSecret } },
        ],
      },
    };
    const pushed = await sidecarRequest(a.address, '/hooks/OnConfigurationChange', {
      secret: SECRET,
      body: { settings },
    });
    expect(pushed.status).toBe(200);
    await eventually(
      async () => {
        expect(await serverNames(b, erin)).toEqual(['secure', 'notes']);
      },
      5_000,
      50,
    );

    const shared = await store.records<StoredConfig>('config').get('current');
    const refused = await sidecarRequest(b.address, '/hooks/OnConfigurationChange', {
      secret: SECRET,
      body: { settings: { config: { servers: [{ name: 'x', baseURL: 'ftp://nope' }] } } },
    });
    expect(refused.status).toBe(400);
    expect(await store.records<StoredConfig>('config').get('current')).toEqual(shared);
    expect(await serverNames(b, erin)).toEqual(['secure', 'notes']);
  });

  it('finishes on replica B a flow whose replica A was killed after the user started it', async () => {
    const carol = user('carol');
    const authorizationURL = await startOn(a, carol);
    await a.kill();
    expect(a.running).toBe(false);

    const done = await asUser(b, carol, callbackPath(await authorize(carol, authorizationURL)));
    expect(done.status).toBe(200);
    expect((await callTool(b, carol)).body.text).toContain(carol);
    // Replica A stays down: the next spec starts it again, knowing the user from the store alone.
  });

  it('keeps every connection and the shared config when both replicas restart', async () => {
    const codeExchanges = as.tokenRequests('authorization_code');
    expect(await Promise.all([a, b].filter((r) => r.running).map((r) => r.stop()))).toEqual([0]); // A was killed above
    [a, b] = await Promise.all([replica('A'), replica('B')]);

    for (const id of users) {
      for (const replica of [a, b]) expect((await callTool(replica, id)).body.text).toContain(id);
    }
    expect(as.tokenRequests('authorization_code')).toBe(codeExchanges); // nobody connected again
    // The config file names one server; the replicas start with the config Mattermost pushed last.
    expect(await serverNames(a, users[0]!)).toEqual(['secure', 'notes']);
  });

  it('stores no access token, refresh token, header value or pending flow in plaintext', async () => {
    const pending = new URL(await startOn(a, `pending-${backend}`)); // a flow begun and never finished
    const raw = (await target.rawValues()).join('\n');
    expect(raw).not.toContain(pending.searchParams.get('state')!);
    expect(raw).not.toContain('codeVerifier');
    expect(raw).toMatch(COMPACT_JWE);
    const secrets = [headerSecret];
    for (const id of users) {
      const { tokens } = await storedTokens(id);
      secrets.push(tokens.accessToken, tokens.refreshToken!);
    }
    expect(secrets.length).toBeGreaterThan(8);
    for (const secret of secrets) expect(raw).not.toContain(secret);
  });
});

/** The user's enabled servers as a replica lists them. */
async function serverNames(replica: ReplicaProcess, userId: string): Promise<string[]> {
  const response = await asUser(replica, userId, '/mcp/tools');
  expect(response.status).toBe(200);
  return (response.body.servers as Array<{ name: string }>).map((server) => server.name);
}

/** The server `secure` as a replica shows it to the user (the webapp's Connect or Disconnect button). */
async function statusOf(
  replica: ReplicaProcess,
  userId: string,
): Promise<{ status: string; authenticated: boolean; needsOAuth: boolean }> {
  const response = await asUser(replica, userId, '/mcp/tools');
  const { status, authenticated, needsOAuth } = (
    response.body.servers as Array<{ name: string; status: string; authenticated: boolean; needsOAuth: boolean }>
  ).find((s) => s.name === 'secure')!;
  return { status, authenticated, needsOAuth };
}

/** How the MCP server answers a request carrying `token`. */
async function bearerStatus(url: string, token: string): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  await response.body?.cancel();
  return response.status;
}
