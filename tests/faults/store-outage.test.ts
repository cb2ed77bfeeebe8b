import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientManager } from '../../server/mcp/client-manager.js';
import type { Config, ServerConfig } from '../../server/config/schema.js';
import { OAuthManager } from '../../server/oauth/oauth-manager.js';
import { TokenUnavailableError } from '../../server/oauth/errors.js';
import {
  createStore,
  generateKeyringEntry,
  StoreUnavailableError,
  type Store,
  type StoreOptions,
} from '../../server/store/index.js';
import { BrowserUser } from '../support/browser-user.js';
import { silentLogger } from '../support/logger.js';
import { eventually } from '../support/eventually.js';
import type { FaultyHost } from './support/faulty-host.js';
import { startFaultyOAuthWorld, type FaultyOAuthWorld } from './support/faulty-oauth-world.js';
import { privatePostgres, privateRedis, type StoreServer } from './support/private-stores.js';

const PUBLIC_BASE = 'http://127.0.0.1:9/plugins/mattermost-mcp';
const CALLBACK = `${PUBLIC_BASE}/oauth/callback`;
const USERS = Array.from({ length: 10 }, (_, i) => `user${i}`);
const logger = silentLogger();

let host: FaultyHost;
let config: Config;

let world: FaultyOAuthWorld | undefined;

beforeAll(async () => {
  world = await startFaultyOAuthWorld();
  ({ host, config } = world);
});

afterAll(async () => {
  await world?.close();
});

const serverNamed = (name: string): ServerConfig | undefined => config.servers.find((s) => s.name === name);

describe.each([
  ['redis', privateRedis],
  ['postgres', privatePostgres],
] as const)('a %s store that goes away under load', (_backend, startStoreServer) => {
  let storeServer: StoreServer;
  let options: StoreOptions;
  const stores: Store[] = [];
  const managers: ClientManager[] = [];
  let clock = Date.now();

  beforeAll(async () => {
    storeServer = await startStoreServer();
    options = { encryptionKeys: generateKeyringEntry(), onBackgroundError: () => undefined };
  });

  afterAll(async () => {
    await Promise.all(managers.map((m) => m.close()));
    await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
    await storeServer?.close();
  });

  /** One sidecar replica's OAuth and MCP layers over its own connection to the store. */
  async function replica(): Promise<{ oauth: OAuthManager; manager: ClientManager }> {
    const store = await createStore(storeServer.url, options);
    stores.push(store);
    let manager: ClientManager | undefined;
    const oauth = new OAuthManager({
      store,
      publicBaseURL: PUBLIC_BASE,
      logger,
      connectURLMode: 'direct',
      now: () => clock,
      onConnectionChange: (userId, serverName) => manager?.invalidateUser(userId, serverName),
    });
    manager = new ClientManager(config, { logger, auth: oauth, now: () => clock });
    managers.push(manager);
    return { oauth, manager };
  }

  it('keeps serving connected users, fails fast what needs the store, and loses no connection', async () => {
    const { oauth, manager } = await replica();
    for (const user of USERS) {
      const { errors } = await manager.getToolsForUser(user);
      const callback = await new BrowserUser({ login: user }).authorize(errors.toolAuthErrors[0]!.authURL, CALLBACK);
      await oauth.completeAuthorization(user, callback.searchParams, serverNamed);
    }

    // Every user's token expires; the refreshes reach the authorization server while the store is up…
    host.set('hold', '/token');
    clock += 60 * 60_000;
    const refreshing = USERS.map((u) => manager.callTool(u, 'secure__whoami', {}));
    await eventually(() => expect(host.held).toBe(USERS.length), 10_000);
    // …and the store goes away before the new tokens (the old refresh tokens now rotated away) can be written.
    await storeServer.stop();
    host.set('up');
    const refreshed = await Promise.allSettled(refreshing);
    expect(refreshed.map((r) => (r.status === 'fulfilled' ? r.value.text : String(r.reason)))).toEqual(USERS);

    // Load while the store is down: connected users are served from memory; what needs the store fails at once.
    let served = 0;
    for (let round = 0; round < 5; round++) {
      const calls = await Promise.all(
        USERS.flatMap((u) => [
          manager.callTool(u, 'secure__whoami', {}).then((r) => r.text),
          manager.callTool(u, 'open__echo', { message: u }).then((r) => r.text),
        ]),
      );
      expect(calls).toEqual(USERS.flatMap((u) => [u, `echo: ${u}`]));
      served += calls.length;
      const newcomer = await manager.getToolsForUser(`newcomer${round}`);
      expect(newcomer.tools.map((t) => t.name)).toEqual(['open__echo']);
      expect(newcomer.errors.errors).toEqual([
        expect.objectContaining({
          serverName: 'secure',
          code: 'ERR_OAUTH_TOKEN_UNAVAILABLE',
          message: expect.stringContaining('storage is unavailable'),
        }),
      ]);
      await expect(oauth.beginAuthorization(`newcomer${round}`, serverNamed('secure')!)).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    }
    expect(served).toBe(100);
    const stuck = manager.callTool('newcomer0', 'secure__whoami', {});
    await expect(stuck).rejects.toBeInstanceOf(TokenUnavailableError);

    // The store comes back: new users can connect again, and what was kept in memory is written.
    await storeServer.start();
    await eventually(
      async () => {
        clock += 61_000; // past the newcomer's own backoff
        const { errors } = await manager.getToolsForUser('newcomer0');
        expect(errors.toolAuthErrors.map((e) => e.serverName)).toEqual(['secure']);
      },
      20_000,
      200,
    );
    clock += 10_000;
    expect((await Promise.all(USERS.map((u) => manager.callTool(u, 'secure__whoami', {})))).map((r) => r.text)).toEqual(
      USERS,
    );

    // Nothing lost: a replica that knows only what is in the store serves every user, refreshing with the stored
    // tokens.
    const other = await replica();
    clock += 60 * 60_000;
    const results = await Promise.allSettled(USERS.map((u) => other.manager.callTool(u, 'secure__whoami', {})));
    const lost = USERS.filter(
      (_u, i) =>
        results[i]!.status !== 'fulfilled' ||
        (results[i] as PromiseFulfilledResult<{ text: string }>).value.text !== USERS[i],
    );
    expect(lost).toEqual([]);
  }, 90_000);
});
