import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ClientManager } from '../../server/mcp/client-manager.js';
import type { Config, ServerConfig } from '../../server/config/schema.js';
import { DEFAULT_FAILURE_THRESHOLD } from '../../server/outbound/circuit-breaker.js';
import { OAuthManager } from '../../server/oauth/oauth-manager.js';
import { OAuthNetworkError, TokenUnavailableError } from '../../server/oauth/errors.js';
import { toErrorResponse } from '../../server/http/errors.js';
import type { Store } from '../../server/store/index.js';
import type { TestAuthorizationServer } from '../support/authorization-server.js';
import { BrowserUser } from '../support/browser-user.js';
import { storeTarget, type StoreTarget } from '../support/store-fixtures.js';
import { silentLogger } from '../support/logger.js';
import { eventually } from '../support/eventually.js';
import { countRequests, type FaultyHost } from './support/faulty-host.js';
import { startFaultyOAuthWorld, type FaultyOAuthWorld } from './support/faulty-oauth-world.js';

const PUBLIC_BASE = 'http://127.0.0.1:9/plugins/mattermost-mcp';
const CALLBACK = `${PUBLIC_BASE}/oauth/callback`;
const TIMEOUT_MS = 2_000;
const COOLDOWN_MS = 5_000;
const logger = silentLogger();

let as: TestAuthorizationServer;
/** Stands between the authorization server and its callers, with faults the tests switch on and off. */
let host: FaultyHost;
let config: Config;
let target: StoreTarget;
let store: Store;
let clock: number;
let oauth: OAuthManager;
let manager: ClientManager;

let world: FaultyOAuthWorld | undefined;

beforeAll(async () => {
  world = await startFaultyOAuthWorld();
  ({ as, host, config } = world);
});

afterAll(async () => {
  await world?.close();
});

// Each test starts cold: no discovery cached, no client registered, no tokens, every breaker closed.
beforeEach(async () => {
  host.set('up');
  clock = Date.now();
  target = await storeTarget('sqlite');
  store = await target.open();
  oauth = new OAuthManager({
    store,
    publicBaseURL: PUBLIC_BASE,
    logger,
    connectURLMode: 'direct',
    now: () => clock,
    timeoutMs: TIMEOUT_MS,
    circuitBreaker: { cooldownMs: COOLDOWN_MS },
    onConnectionChange: (userId, serverName) => manager.invalidateUser(userId, serverName),
  });
  manager = new ClientManager(config, { logger, auth: oauth, now: () => clock });
});

afterEach(async () => {
  await manager.close();
  await target.cleanUp();
});

const serverNamed = (name: string): ServerConfig | undefined => config.servers.find((s) => s.name === name);
const path = (suffix: string) => `${new URL(as.issuer).pathname.replace(/\/$/, '')}${suffix}`;

/** Lists tools (which starts the authorization), signs in at the authorization server, finishes the callback. */
async function connect(userId: string): Promise<void> {
  const { errors } = await manager.getToolsForUser(userId);
  const authURL = errors.toolAuthErrors.find((e) => e.serverName === 'secure')?.authURL;
  if (!authURL) throw new Error(`no Connect URL for ${userId}: ${JSON.stringify(errors)}`);
  const callback = await new BrowserUser({ login: userId }).authorize(authURL, CALLBACK);
  await oauth.completeAuthorization(userId, callback.searchParams, serverNamed);
}

async function secureError(userId: string) {
  return (await manager.getToolsForUser(userId)).errors.errors.find((e) => e.serverName === 'secure');
}

describe('an authorization server that is down or slow', () => {
  it.each([
    ['down', 'drop', /Could not reach http:\/\/127\.0\.0\.1:\d+\/\.well-known\//],
    ['slow', 'hang', /No answer from http:\/\/127\.0\.0\.1:\d+\/\.well-known\/[^ ]+ in time/],
  ] as const)(
    'during discovery (%s): the user gets a clear error, the other servers work, and a later attempt asks to connect',
    async (_name, fault, message) => {
      host.set(fault);
      const { tools, errors } = await manager.getToolsForUser('alice');
      expect(tools.map((t) => t.name)).toEqual(['open__echo']);
      expect(errors.toolAuthErrors).toEqual([]);
      expect(errors.errors).toEqual([
        { serverName: 'secure', code: 'ERR_OAUTH_SETUP', message: expect.stringMatching(message) },
      ]);
      expect(errors.errors[0]!.message).toMatch(
        /^Server secure: the server requires authorization, but it cannot be started: /,
      );

      host.set('up');
      clock += 61_000; // past the user's own backoff and the authorization server's cooldown
      const later = await manager.getToolsForUser('alice');
      expect(later.errors.errors).toEqual([]);
      expect(later.errors.toolAuthErrors.map((e) => e.serverName)).toEqual(['secure']);
    },
  );

  it('during client registration: a clear error, and registration succeeds later', async () => {
    host.set('drop', path('/reg'));
    expect(await secureError('bob')).toEqual(
      expect.objectContaining({
        code: 'ERR_OAUTH_SETUP',
        message: expect.stringMatching(/Could not reach http:\/\/127\.0\.0\.1:\d+\/reg/),
      }),
    );
    host.set('up');
    clock += 61_000;
    await connect('bob');
    expect((await manager.callTool('bob', 'secure__whoami', {})).text).toBe('bob');
  });

  it('during the code exchange: the callback fails clearly, nothing is stored, and connecting again works', async () => {
    const { errors } = await manager.getToolsForUser('carol');
    const callback = await new BrowserUser({ login: 'carol' }).authorize(errors.toolAuthErrors[0]!.authURL, CALLBACK);
    host.set('hang', path('/token'));
    const failure = await oauth
      .completeAuthorization('carol', callback.searchParams, serverNamed)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OAuthNetworkError);
    expect((failure as OAuthNetworkError).message).toMatch(
      /^No answer from http:\/\/127\.0\.0\.1:\d+\/token in time; try again later\.$/,
    );
    expect(await oauth.hasTokens('carol', 'secure')).toBe(false);

    host.set('up');
    clock += COOLDOWN_MS;
    await connect('carol');
    expect((await manager.callTool('carol', 'secure__whoami', {})).text).toBe('carol');
  });

  describe('during refresh', () => {
    it('keeps the tokens and says the connection could not be renewed; the next attempt after it is back refreshes', async () => {
      await connect('dave');
      const before = (await oauth.hasTokens('dave', 'secure')) && (await store.records('tokens').get('dave:secure'));
      host.set('drop', path('/token'));
      clock += 60 * 60_000; // the 10-minute access token has expired

      const failure = await manager.callTool('dave', 'secure__whoami', {}).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TokenUnavailableError);
      expect((failure as Error).message).toMatch(
        /^Server secure: your connection could not be renewed because the authorization server did not answer \(.*\)\. You stay connected; try again in a minute\.$/,
      );
      expect(toErrorResponse(failure)).toEqual({
        status: 503,
        body: { error: (failure as Error).message, code: 'ERR_OAUTH_TOKEN_UNAVAILABLE' },
      });
      expect(await store.records('tokens').get('dave:secure')).toEqual(before);
      const listed = await manager.getToolsForUser('dave');
      expect(listed.errors.toolAuthErrors).toEqual([]); // not asked to connect again
      expect(listed.tools.map((t) => t.name)).toContain('open__echo');

      host.set('up');
      clock += 61_000;
      expect((await manager.callTool('dave', 'secure__whoami', {})).text).toBe('dave');
      expect(await store.records('tokens').get('dave:secure')).not.toEqual(before); // refreshed and stored
    });

    it('answers at once with a token that is still valid while its early refresh hangs, and keeps it when that fails', async () => {
      await connect('erin');
      const exchanges = countRequests(host, `POST ${path('/token')}`);
      host.set('hang', path('/token'));
      clock += 600_000 - 30_000; // inside the refresh margin, 30 s before expiry
      expect((await manager.callTool('erin', 'secure__whoami', {})).text).toBe('erin');
      await eventually(() => expect(countRequests(host, `POST ${path('/token')}`)).toBeGreaterThan(exchanges)); // it did try, in the background
      expect((await manager.callTool('erin', 'secure__whoami', {})).text).toBe('erin');
      expect(await oauth.hasTokens('erin', 'secure')).toBe(true);
    });

    it('does not hammer a dead authorization server however many users need a refresh, and recovers every user', async () => {
      const users = Array.from({ length: 20 }, (_, i) => `user${i}`);
      for (const user of users) await connect(user);
      host.set('drop', path('/token'));
      const tokenRequests = () => countRequests(host, `POST ${path('/token')}`);
      const before = tokenRequests();
      clock += 60 * 60_000;

      const rounds = 10;
      for (let round = 0; round < rounds; round++) {
        const calls = await Promise.allSettled(users.map((u) => manager.callTool(u, 'secure__whoami', {})));
        for (const call of calls)
          expect(call).toMatchObject({ status: 'rejected', reason: expect.any(TokenUnavailableError) });
        clock += 3_000; // past each user's own backoff; the breaker's cooldown (5 s, doubling) is longer
      }
      // One wave while the server died (the refreshes already under way), then a probe per cooldown at most,
      // instead of a refresh per user and round (200).
      const sent = tokenRequests() - before;
      expect(sent).toBeLessThanOrEqual(users.length + DEFAULT_FAILURE_THRESHOLD + rounds / 2);
      expect(sent).toBeLessThan((users.length * rounds) / 4);

      host.set('up');
      clock += 10 * 60_000;
      const results = await Promise.all(users.map((u) => manager.callTool(u, 'secure__whoami', {})));
      expect(results.map((r) => r.text)).toEqual(users);
      for (const user of users) expect(await oauth.hasTokens(user, 'secure')).toBe(true);
    });
  });
});
