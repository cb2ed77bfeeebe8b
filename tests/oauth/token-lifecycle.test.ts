/**
 * The life of a user's tokens in one sidecar: when they are refreshed, what of a pending flow is stored, how long
 * decrypted tokens stay in memory, what another replica's Disconnect does here, and what a shutdown does to a
 * refresh under way. Real authorization server (behind a FaultyHost), real protected MCP server, real store.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { parseConfig, type Config, type ServerConfig } from '../../server/config/schema.js';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { OAuthManager } from '../../server/oauth/oauth-manager.js';
import { tokensKey, type StoredTokens } from '../../server/oauth/records.js';
import type { Store } from '../../server/store/index.js';
import { BrowserUser } from '../support/browser-user.js';
import { eventually } from '../support/eventually.js';
import { captureLogger } from '../support/logger.js';
import { COMPACT_JWE, storeTarget, type StoreTarget } from '../support/store-fixtures.js';
import { startFaultyOAuthWorld, type FaultyOAuthWorld } from '../faults/support/faulty-oauth-world.js';

const PUBLIC_BASE = 'http://127.0.0.1:9/plugins/mattermost-mcp';
const CALLBACK = `${PUBLIC_BASE}/oauth/callback`;
const SHORT_TTL_S = 20;

let world: FaultyOAuthWorld;
let target: StoreTarget;
let store: Store;
let config: Config;
let clock = Date.now();
let logs = captureLogger('debug');
/** What the sidecar sent to and got from the token endpoint, in order. */
let tokenExchanges: Array<{ sent: URLSearchParams; answer: Record<string, unknown> }> = [];

/**
 * The sidecar's fetch, recording token-endpoint traffic so a spec can name the tokens the authorization server issued.
 */
async function recordingFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  if (
    new URL(input instanceof Request ? input.url : input).pathname.endsWith('/token') &&
    init?.body instanceof URLSearchParams
  ) {
    tokenExchanges.push({
      sent: new URLSearchParams(init.body),
      answer: (await response.clone().json()) as Record<string, unknown>,
    });
  }
  return response;
}

/** One replica: its own OAuth manager and client manager on the shared store. */
function replica(on: Store = store): { oauth: OAuthManager; manager: ClientManager } {
  let manager: ClientManager | undefined;
  const oauth = new OAuthManager({
    store: on,
    publicBaseURL: PUBLIC_BASE,
    logger: logs.logger,
    connectURLMode: 'direct',
    now: () => clock,
    fetch: recordingFetch,
    onConnectionChange: (userId, serverName) => manager?.invalidateUser(userId, serverName),
  });
  manager = new ClientManager(config, { logger: logs.logger, auth: oauth, now: () => clock });
  return { oauth, manager };
}

let sidecar: ReturnType<typeof replica>;
const serverNamed = (name: string): ServerConfig | undefined => config.servers.find((s) => s.name === name);

async function connect(userId: string, on = sidecar): Promise<void> {
  const { errors } = await on.manager.getToolsForUser(userId);
  const authURL = errors.toolAuthErrors.find((e) => e.serverName === 'secure')!.authURL;
  const callback = await new BrowserUser({ login: userId }).authorize(authURL, CALLBACK);
  await on.oauth.completeAuthorization(userId, callback.searchParams, serverNamed);
}

const whoami = (userId: string, on = sidecar) => on.manager.callTool(userId, 'secure__whoami', {});

beforeAll(async () => {
  world = await startFaultyOAuthWorld();
  config = parseConfig({ servers: [{ name: 'secure', baseURL: world.secure.url }], idleTimeoutMinutes: 30 });
  target = await storeTarget('sqlite');
  store = await target.open();
});

afterAll(async () => {
  await sidecar?.manager.close();
  await target?.cleanUp();
  await world?.close();
});

beforeEach(async () => {
  await sidecar?.manager.close();
  world.host.set('up');
  world.as.setAccessTokenTTL(600);
  clock = Date.now();
  logs = captureLogger('debug');
  tokenExchanges = [];
  sidecar = replica();
});

describe('refresh timing', () => {
  it('refreshes 20-second tokens once for connecting and calls spread over their lifetime, not on every call', async () => {
    world.as.setAccessTokenTTL(SHORT_TTL_S);
    const before = world.as.tokenRequests('refresh_token');
    await connect('ava');
    for (const seconds of [0, 2, 4, 6, 8]) {
      clock += seconds === 0 ? 0 : 2_000;
      expect((await whoami('ava')).text).toContain('ava');
    }
    expect(world.as.tokenRequests('refresh_token') - before).toBe(0); // 12 s and more left of 20: not "about to expire"
    clock += 8_000; // 4 s left: inside the margin (a quarter to a half of the lifetime)
    expect((await whoami('ava')).text).toContain('ava');
    await eventually(() => expect(world.as.tokenRequests('refresh_token') - before).toBe(1));
    clock += 1_000; // the fresh 20-second token is used, not refreshed again
    expect((await whoami('ava')).text).toContain('ava');
    expect(world.as.tokenRequests('refresh_token') - before).toBe(1);
  });
});

describe('what a pending flow leaves in the store', () => {
  it('keeps the PKCE verifier of a flow not yet finished sealed, never in plain text', async () => {
    const { errors } = await sidecar.manager.getToolsForUser('bea');
    const authURL = errors.toolAuthErrors[0]!.authURL;
    const pending = (await target.rawValues()).join('\n');
    // Finish the flow to learn the verifier the sidecar kept: the token endpoint receives it.
    const callback = await new BrowserUser({ login: 'bea' }).authorize(authURL, CALLBACK);
    await sidecar.oauth.completeAuthorization('bea', callback.searchParams, serverNamed);
    const verifier = tokenExchanges
      .find((e) => e.sent.get('grant_type') === 'authorization_code')!
      .sent.get('code_verifier')!;
    expect(verifier).toMatch(/^[\w-]{43,128}$/);
    expect(pending).toMatch(COMPACT_JWE);
    expect(pending).not.toContain(verifier);
    expect(pending).not.toContain('codeVerifier');
    expect(pending).not.toContain(new URL(authURL).searchParams.get('state')!);
  });
});

describe('decrypted tokens in memory', () => {
  it('forgets the tokens of a user not seen for a while, and reads them again from the store when they come back', async () => {
    await connect('cid');
    await connect('dee');
    expect((await whoami('cid')).text).toContain('cid');
    expect(sidecar.oauth.tokensInMemory('cid')).toBe(1);
    clock += 31 * 60_000; // past the idle timeout: the client manager evicts cid's clients
    sidecar.manager.sweepIdle();
    expect(sidecar.manager.hasUser('cid')).toBe(false);
    expect((await whoami('dee')).text).toContain('dee'); // another user keeps the sidecar busy
    expect(sidecar.oauth.tokensInMemory('cid')).toBe(0);
    expect(sidecar.oauth.tokensInMemory('dee')).toBe(1);
    expect((await whoami('cid')).text).toContain('cid');
  });
});

describe('a Disconnect made on another replica', () => {
  it('stops this replica using the tokens within seconds, and it reports the user as not connected', async () => {
    const other = replica();
    try {
      await connect('eve');
      expect((await whoami('eve')).text).toContain('eve');
      expect(await other.oauth.hasTokens('eve', 'secure')).toBe(true);
      await other.oauth.disconnect('eve', serverNamed('secure')!);
      clock += 3_000;
      await expect(whoami('eve')).rejects.toMatchObject({ code: 'ERR_OAUTH_NEEDED' });
      expect(await sidecar.oauth.hasTokens('eve', 'secure')).toBe(false);
      const states = await sidecar.manager.getServerStatesForUser('eve');
      expect(states.map((s) => s.status)).toEqual(['needs_oauth']);
    } finally {
      await other.manager.close();
    }
  });

  it('shows the user as not connected on this replica once it looked at their tokens, without a call failing first', async () => {
    const other = replica();
    try {
      await connect('eli');
      expect((await sidecar.manager.getServerStatesForUser('eli')).map((s) => s.status)).toEqual(['connected']);
      await other.oauth.disconnect('eli', serverNamed('secure')!);
      clock += 3_000;
      expect(await sidecar.oauth.hasTokens('eli', 'secure')).toBe(false); // what GET /mcp/tools asks of a connected server
      expect((await sidecar.manager.getServerStatesForUser('eli')).map((s) => s.status)).toEqual(['needs_oauth']);
    } finally {
      await other.manager.close();
    }
  });
});

describe('shutdown with a refresh under way', () => {
  /** Connects, lets the token expire and starts a call whose refresh the authorization server holds. */
  async function refreshHeldAtShutdown(userId: string) {
    await connect(userId);
    const rotatedBefore = tokenExchanges.length;
    world.host.set('hold', new URL(`${world.as.issuer}/token`).pathname);
    clock += 60 * 60_000;
    const call = whoami(userId).catch((error: unknown) => error);
    await eventually(() => expect(world.host.held).toBe(1));
    return {
      call,
      rotated: () =>
        String(
          tokenExchanges.slice(rotatedBefore).find((e) => e.sent.get('grant_type') === 'refresh_token')!.answer
            .refresh_token,
        ),
    };
  }

  it('stores the rotated refresh token of a refresh answered while the sidecar closes, before the store closes', async () => {
    const { call, rotated } = await refreshHeldAtShutdown('fay');
    const closing = sidecar.oauth.close();
    world.host.set('up');
    await closing;
    await store.close(); // as the sidecar's owner does once it closed
    await call;
    await sidecar.manager.close();
    store = await target.open();
    const stored = await store.records<StoredTokens>('tokens').get(tokensKey('fay', 'secure'));
    expect(stored?.tokens.refreshToken).toBe(rotated());
    expect(logs.output()).not.toContain('Store is closed');
  });

  it('revokes at the authorization server a refresh token rotated after the store closed', async () => {
    const { rotated } = await refreshHeldAtShutdown('gus');
    await sidecar.oauth.close({ waitMs: 50 }); // gives up waiting: the authorization server still holds the refresh
    await sidecar.manager.close();
    await store.close();
    world.host.set('up');
    await eventually(() => expect(tokenExchanges.some((e) => e.sent.get('grant_type') === 'refresh_token')).toBe(true));
    await eventually(async () => expect(await world.as.provider.RefreshToken.find(rotated())).toBeUndefined());
    expect(logs.output()).not.toContain('Store is closed');
    store = await target.open();
  });
});
