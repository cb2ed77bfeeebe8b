/**
 * Issue 15 item 9: an authorization server that forgot this plugin's client (deleted, expired) must not lock
 * users out for good. `invalid_client` at refresh or token time, a registration past its
 * `client_secret_expires_at`, or an error callback `invalid_client` / `unauthorized_client` drop the stored
 * dynamic registration, so the next Connect registers again; a pre-registered client is never dropped, the
 * admin is told instead.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { parseConfig, type Config, type ServerConfig } from '../../server/config/schema.js';
import { OAuthManager } from '../../server/oauth/oauth-manager.js';
import { ClientRejectedError } from '../../server/oauth/callback-errors.js';
import { clientKey, type StoredClient } from '../../server/oauth/records.js';
import { defaultRegistrationRequest, registerClient } from '../../server/oauth/registration.js';
import type { Store } from '../../server/store/index.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { BrowserUser } from '../support/browser-user.js';
import { storeTarget, type StoreTarget } from '../support/store-fixtures.js';
import { captureLogger } from '../support/logger.js';

const PUBLIC_BASE = 'http://127.0.0.1:9/plugins/mattermost-mcp';
const CALLBACK = `${PUBLIC_BASE}/oauth/callback`;
const TEN_MINUTES = 10 * 60_000;

let as: TestAuthorizationServer;
let secure: ProtectedMcpServer;
let target: StoreTarget;
let store: Store;
let config: Config;
let preRegistered: string;
const logs = captureLogger('debug');
let clock = Date.now();
let oauth: OAuthManager;
let manager: ClientManager;

beforeAll(async () => {
  as = await startAuthorizationServer({ accessTokenTTL: 60 });
  secure = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
  const registered = await registerClient(
    as.registrationEndpoint,
    defaultRegistrationRequest(CALLBACK, 'pre-registered by the admin', {
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
    }),
  );
  preRegistered = registered.client_id;
  target = await storeTarget('sqlite');
  store = await target.open();
  config = parseConfig({
    servers: [
      { name: 'secure', baseURL: secure.url },
      {
        name: 'pinned',
        baseURL: secure.url,
        oauth: { clientId: registered.client_id, clientSecret: registered.client_secret!, issuer: as.issuer },
      },
    ],
  });
});

afterAll(async () => {
  await manager?.close();
  await target?.cleanUp();
  await secure?.stop();
  await as?.stop();
});

beforeEach(async () => {
  await manager?.close();
  clock = Date.now();
  oauth = new OAuthManager({
    store,
    publicBaseURL: PUBLIC_BASE,
    logger: logs.logger,
    connectURLMode: 'direct',
    now: () => clock,
    onConnectionChange: (userId, serverName) => manager.invalidateUser(userId, serverName),
  });
  manager = new ClientManager(config, { logger: logs.logger, auth: oauth });
});

const serverNamed = (name: string): ServerConfig | undefined => config.servers.find((s) => s.name === name);

/** The Connect URL the user is given for `server` (undefined when connected). */
async function connectURL(userId: string, server = 'secure'): Promise<string | undefined> {
  manager.invalidateUser(userId);
  const { errors } = await manager.getToolsForUser(userId);
  return errors.toolAuthErrors.find((e) => e.serverName === server)?.authURL;
}

async function connect(userId: string, server = 'secure'): Promise<string> {
  const authURL = (await connectURL(userId, server))!;
  const callback = await new BrowserUser({ login: userId }).authorize(authURL, CALLBACK);
  await oauth.completeAuthorization(userId, callback.searchParams, serverNamed);
  expect(await connectURL(userId, server)).toBeUndefined();
  return new URL(authURL).searchParams.get('client_id')!;
}

const clientIdOf = (authURL: string | undefined) => new URL(authURL!).searchParams.get('client_id');

describe('an authorization server that forgot this plugin’s registration', () => {
  it('answers invalid_client at refresh: the registration is dropped and the next Connect registers again', async () => {
    const forgotten = await connect('alice');
    await as.forgetClient(forgotten);
    clock += TEN_MINUTES; // the access token is past its 60 s: refresh
    const again = await connectURL('alice');
    expect(again).toBeDefined();
    expect(clientIdOf(again)).not.toBe(forgotten);
    expect(await store.records<StoredClient>('clients').get(clientKey('secure', as.issuer))).toMatchObject({
      client: { clientId: clientIdOf(again) },
    });
    const callback = await new BrowserUser({ login: 'alice' }).authorize(again!, CALLBACK);
    await oauth.completeAuthorization('alice', callback.searchParams, serverNamed);
    expect(await connectURL('alice')).toBeUndefined();
  });

  it('has a registration past its client_secret_expires_at: dropped, and the next Connect registers again', async () => {
    const expiring = await connect('bob');
    const records = store.records<StoredClient>('clients');
    const stored = (await records.get(clientKey('secure', as.issuer)))!;
    await records.set(clientKey('secure', as.issuer), {
      ...stored,
      registration: { ...stored.registration, client_secret_expires_at: Math.floor(clock / 1000) + 120 },
    });
    clock += TEN_MINUTES;
    const again = await connectURL('bob');
    expect(again).toBeDefined();
    expect(clientIdOf(again)).not.toBe(expiring);
  });

  it.each(['invalid_client', 'unauthorized_client'])(
    'sends an error callback %s: the registration is dropped and the next Connect registers again',
    async (error) => {
      const authURL = (await connectURL('carol'))!;
      const refused = clientIdOf(authURL);
      const state = new URL(authURL).searchParams.get('state')!;
      const redirect = new URL(new URL(authURL).searchParams.get('redirect_uri')!);
      const callback = new URLSearchParams({
        ...Object.fromEntries(redirect.searchParams),
        state,
        error,
        iss: as.issuer,
      });
      await expect(oauth.completeAuthorization('carol', callback, serverNamed)).rejects.toBeInstanceOf(
        ClientRejectedError,
      );
      expect(clientIdOf(await oauth.beginAuthorization('carol', serverNamed('secure')!))).not.toBe(refused);
    },
  );

  it('refuses a pre-registered client: nothing is dropped, and the admin is told in the log', async () => {
    expect(await connect('dave', 'pinned')).toBe(preRegistered);
    await as.forgetClient(preRegistered);
    clock += TEN_MINUTES;
    const again = await connectURL('dave', 'pinned');
    expect(clientIdOf(again)).toBe(preRegistered);
    const lines = logs
      .output()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; server?: string; msg?: string });
    expect(lines.find((l) => l.msg?.includes('pre-registered client'))).toMatchObject({
      level: 50,
      server: 'pinned',
      msg: expect.stringContaining('a system admin must check'),
    });
  });
});
