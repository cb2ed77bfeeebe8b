/**
 * Issue 15 items 4 and 11: the start route behind Connect buttons (`GET /mcp/oauth/<server>/start`) takes
 * the scope and the metadata URL from the server's own 401 challenge (kept by the sidecar), never from its
 * query, keeps its caches bounded, and says plainly when a server needs no connection at all.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { DISCOVERY_CACHE_ENTRIES } from '../../server/oauth/discovery-cache.js';
import { MAX_PENDING_FLOWS_PER_USER } from '../../server/oauth/pending-flows.js';
import { sessionKey } from '../../server/oauth/records.js';
import type { Store } from '../../server/store/index.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { echoTool, startMcpServer, type TestMcpServer } from '../support/mcp-test-server.js';
import { storeTarget, type StoreTarget } from '../support/store-fixtures.js';
import { captureLogger } from '../support/logger.js';
import { startMetadataServer, type MetadataServer } from '../support/metadata-server.js';
import { sidecarRequest } from '../support/sidecar-client.js';

const SECRET = 'start-route-secret-0123456789';
const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';
const MALLORY = 'malloryaaaaaaaaaaaaaaaaaaa';

let as: TestAuthorizationServer;
let secure: ProtectedMcpServer;
let open: TestMcpServer;
let target: StoreTarget;
let store: Store;
let sidecar: Sidecar;
/**
 * An MCP server that is its own authorization server, whose registration endpoint answers with an internal error page.
 */
let leaky: MetadataServer;
const logs = captureLogger('info');
const INTERNAL_BODY = 'Traceback: connect(db.internal:5432) password=hunter2-internal '.repeat(200);

beforeAll(async () => {
  as = await startAuthorizationServer();
  secure = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL, challengeScope: 'mcp:tools' });
  open = await startMcpServer({ tools: [echoTool] });
  leaky = await startMetadataServer();
  leaky.serve('/mcp', {
    status: 401,
    headers: {
      'www-authenticate': `Bearer resource_metadata="${leaky.url('/.well-known/oauth-protected-resource/mcp')}"`,
    },
    body: { error: 'unauthorized' },
  });
  leaky.serve('/.well-known/oauth-protected-resource/mcp', {
    body: { resource: leaky.url('/mcp'), authorization_servers: [leaky.origin] },
  });
  leaky.serve('/.well-known/oauth-authorization-server', {
    body: {
      issuer: leaky.origin,
      authorization_endpoint: leaky.url('/authorize'),
      token_endpoint: leaky.url('/token'),
      registration_endpoint: leaky.url('/internal/register'),
      code_challenge_methods_supported: ['S256'],
    },
  });
  leaky.serve('/internal/register', { status: 400, body: INTERNAL_BODY });
  target = await storeTarget('redis');
  store = await target.open();
  sidecar = await startSidecar({
    config: parseConfig({
      servers: [
        { name: 'secure', baseURL: secure.url },
        { name: 'open', baseURL: open.url },
        { name: 'leaky', baseURL: leaky.url('/mcp') },
      ],
    }),
    secret: SECRET,
    logger: logs.logger,
    listen: '127.0.0.1:0',
    store,
  });
});

afterAll(async () => {
  await sidecar?.close();
  await target?.cleanUp();
  await open?.close();
  await leaky?.stop();
  await secure?.stop();
  await as?.stop();
});

const asUser = (userId: string, path: string) => sidecarRequest(sidecar.address, path, { secret: SECRET, userId });
const start = (userId: string, server: string, query: Record<string, string> = {}) =>
  asUser(userId, `/mcp/oauth/${server}/start?${new URLSearchParams(query)}`);

describe('the start route', () => {
  it('takes the scope and the metadata URL from the server’s own challenge, not from the query', async () => {
    const hostile = await start(ALICE, 'secure', {
      scope: 'mcp:admin openid email offline_access',
      resource_metadata: `${new URL(secure.url).origin}/.well-known/oauth-protected-resource/elsewhere`,
    });
    expect(hostile.status).toBe(302);
    const location = new URL(String(hostile.headers.location));
    expect(location.origin).toBe(new URL(as.issuer).origin);
    expect(location.searchParams.get('scope')?.split(' ')).toEqual(['mcp:tools', 'offline_access']); // the challenge's, and offline_access (SEP-2207)
    expect(location.searchParams.get('resource')).toBe(secure.resource);
  });

  it('keeps the discovery cache and a user’s pending flows within their caps under 3,000 starts with distinct junk queries', async () => {
    const origin = new URL(secure.url).origin;
    const states: string[] = [];
    for (let batch = 0; batch < 3000; batch += 50) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          start(MALLORY, 'secure', {
            scope: `junk-${batch + i}`,
            resource_metadata: `${origin}/.well-known/oauth-protected-resource/junk-${batch + i}`,
          }),
        ),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(302);
        states.push(new URL(String(answer.headers.location)).searchParams.get('state')!);
      }
    }
    expect(new Set(states).size).toBe(3000);
    const stats = sidecar.oauth!.stats();
    expect(stats.discoveries).toBeLessThanOrEqual(DISCOVERY_CACHE_ENTRIES);
    expect(stats.discoveries).toBeLessThanOrEqual(2);
    // 2 users × the 2 servers that answer 401, whatever the queries said.
    expect(stats.challenges).toBeLessThanOrEqual(4);
    const flows = store.records('oauth-state');
    let pending = 0;
    for (const state of states) if (await flows.get(sessionKey(MALLORY, state))) pending++;
    expect(MAX_PENDING_FLOWS_PER_USER).toBe(10);
    expect(pending).toBe(MAX_PENDING_FLOWS_PER_USER);
    // The newest ones are those kept: all from the last batch (its 50 starts ran at once, so which 10 of them is open).
    const lastBatch = states.slice(-50);
    for (const state of states.slice(0, -50)) expect(await flows.get(sessionKey(MALLORY, state))).toBeUndefined();
    let keptFromLastBatch = 0;
    for (const state of lastBatch) if (await flows.get(sessionKey(MALLORY, state))) keptFromLastBatch++;
    expect(keptFromLastBatch).toBe(MAX_PENDING_FLOWS_PER_USER);
  }, 180_000);

  it('says plainly that a server answering without 401 needs no connection, and registers nothing there', async () => {
    const before = open.requests.length;
    const page = await start(ALICE, 'open');
    expect(page.status).toBe(200);
    expect(page.body).toContain('open needs no connection');
    expect(page.body).not.toMatch(/Cannot (GET|POST)|register|HTTP 404/i);
    expect(open.requests.slice(before).map((r) => r.path)).not.toContain('/register');
    expect(open.requests.slice(before).some((r) => r.path.startsWith('/.well-known'))).toBe(false);
  });

  it('shows a generic page naming the server when the authorization server fails, never its answer; the log has it, bounded', async () => {
    const page = await start(ALICE, 'leaky');
    expect(page.status).toBe(502);
    expect(page.body).toContain('Could not start connecting your account to leaky. Try again in a few minutes');
    expect(page.body).not.toContain('hunter2');
    expect(page.body).not.toContain('db.internal');
    const lines = logs
      .output()
      .split('\n')
      .filter((line) => line.includes('hunter2'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.length).toBeLessThan(1500);
  });

  it('says so in /mcp connect too', async () => {
    const args = {
      user_id: ALICE,
      channel_id: 'channelaaaaaaaaaaaaaaaaaaa',
      team_id: 'teamaaaaaaaaaaaaaaaaaaaaaa',
      root_id: '',
      parent_id: '',
      command: '/mcp connect open',
    };
    const reply = await sidecarRequest(sidecar.address, '/hooks/ExecuteCommand', {
      secret: SECRET,
      userId: ALICE,
      body: args,
    });
    expect(reply.body.text).toBe(
      '✅ **open** needs no connection: it works without signing in, and its 1 tool is ready for you.',
    );
  });
});
