import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ClientIdentities } from '../../server/oauth/client-identities.js';
import type { StoredClient, StoredTokens } from '../../server/oauth/records.js';
import { TokenVault } from '../../server/oauth/token-vault.js';
import type { Store } from '../../server/store/index.js';
import { silentLogger } from '../support/logger.js';
import { BACKENDS, storeTarget, type StoreTarget } from '../support/store-fixtures.js';

const TOKENS: StoredTokens = {
  tokens: { accessToken: 'access-1', refreshToken: 'refresh-1', tokenType: 'Bearer', expiresAt: Date.now() + 600_000 },
  serverURL: 'http://127.0.0.1:9/mcp',
  issuer: 'http://127.0.0.1:9',
  clientId: 'client-1',
  authMethod: 'none',
  tokenEndpoint: 'http://127.0.0.1:9/token',
  savedAt: Date.now(),
};

/** A vault as a replica holds it: its own memory, the shared store. */
function vaultOn(store: Store): TokenVault {
  const http = { fetch: globalThis.fetch };
  const identities = new ClientIdentities({
    clients: store.records<StoredClient>('clients'),
    redirectURI: 'http://127.0.0.1:9/oauth/callback',
    clientName: 'test',
    logger: silentLogger(),
    http,
  });
  return new TokenVault({ store, identities, logger: silentLogger(), http });
}

describe.each(BACKENDS)('TokenVault on %s: what the user did last to their tokens stands', (backend) => {
  let target: StoreTarget;
  let store: Store;

  beforeEach(async () => {
    target = await storeTarget(backend);
    store = await target.open();
  });

  afterEach(async () => {
    await target.cleanUp();
  });

  it('a disconnect while the store is still answering an earlier read leaves no tokens, in memory or stored', async () => {
    await vaultOn(store).save('ann', 'github', TOKENS);
    const replica = vaultOn(store); // nothing in its memory: its first read goes to the store
    const reading = replica.get('ann', 'github');
    const forgetting = replica.delete('ann', 'github');
    await Promise.all([reading, forgetting]);
    expect(await replica.get('ann', 'github')).toBeUndefined();
    expect(await store.records('tokens').get('ann:github')).toBeUndefined();
  });

  it('a read that starts while a disconnect is being written finds no tokens, and leaves none in memory', async () => {
    await vaultOn(store).save('cay', 'github', TOKENS);
    const replica = vaultOn(store);
    const forgetting = replica.delete('cay', 'github');
    const reading = replica.get('cay', 'github'); // before the store has deleted the row
    expect(await reading).toBeUndefined();
    await forgetting;
    expect(await replica.get('cay', 'github')).toBeUndefined();
  });

  it('keeps what came last when saves and deletes of the same tokens overlap: a save sealing its tokens cannot outrun a later delete', async () => {
    const vault = vaultOn(store);
    const tokens = store.records<StoredTokens>('tokens');
    const withAccess = (accessToken: string): StoredTokens => ({
      ...TOKENS,
      tokens: { ...TOKENS.tokens, accessToken },
    });
    for (let i = 0; i < 25; i++) {
      await Promise.all([
        vault.save('dan', `saved${i}`, withAccess('older')),
        vault.save('dan', `saved${i}`, withAccess('newer')),
      ]);
      await Promise.all([
        vault.save('dan', `deleted${i}`, withAccess('connected')),
        vault.delete('dan', `deleted${i}`),
      ]);
    }
    for (let i = 0; i < 25; i++) {
      expect((await tokens.get(`dan:saved${i}`))?.tokens.accessToken).toBe('newer');
      expect(await tokens.get(`dan:deleted${i}`)).toBeUndefined();
      expect(await vaultOn(store).get('dan', `deleted${i}`)).toBeUndefined(); // what another replica reads
    }
  });

  it('new tokens saved while the store is still answering an earlier read are the ones kept', async () => {
    await vaultOn(store).save('ben', 'github', TOKENS);
    const replica = vaultOn(store);
    const renewed: StoredTokens = { ...TOKENS, tokens: { ...TOKENS.tokens, accessToken: 'access-2' } };
    const reading = replica.get('ben', 'github');
    const saving = replica.save('ben', 'github', renewed);
    await Promise.all([reading, saving]);
    expect((await replica.get('ben', 'github'))?.tokens.accessToken).toBe('access-2');
  });
});

describe('TokenVault: what a request costs the store', () => {
  let target: StoreTarget;
  let store: Store;

  beforeEach(async () => {
    target = await storeTarget('sqlite');
    store = await target.open();
  });

  afterEach(async () => {
    await target.cleanUp();
  });

  /** The store, counting the reads of tokens that reach it. */
  function countingReads(inner: Store): { store: Store; reads: () => number } {
    let reads = 0;
    const counted: Store = {
      ...inner,
      acquireLease: (...args) => inner.acquireLease(...args),
      purgeExpired: () => inner.purgeExpired(),
      close: () => inner.close(),
      records<T>(kind: Parameters<Store['records']>[0]) {
        const records = inner.records<T>(kind);
        return kind !== 'tokens' ? records : { ...records, get: (key: string) => (reads++, records.get(key)) };
      },
    };
    return { store: counted, reads: () => reads };
  }

  it('reads the store once for 10 concurrent requests, and again only once its copy is 2 seconds old', async () => {
    await vaultOn(store).save('eva', 'github', TOKENS);
    const { store: counted, reads } = countingReads(store);
    let clock = Date.now();
    const http = { fetch: globalThis.fetch };
    const identities = new ClientIdentities({
      clients: store.records<StoredClient>('clients'),
      redirectURI: 'http://127.0.0.1:9/oauth/callback',
      clientName: 'test',
      logger: silentLogger(),
      http,
    });
    const replica = new TokenVault({ store: counted, identities, logger: silentLogger(), http, now: () => clock });
    const burst = () => Promise.all(Array.from({ length: 10 }, () => replica.get('eva', 'github')));

    expect((await burst()).map((stored) => stored?.tokens.accessToken)).toEqual(Array(10).fill('access-1'));
    expect(reads()).toBe(1);
    clock += 1_000;
    await burst();
    expect(reads()).toBe(1); // a second-old copy is used as it is
    clock += 1_500;
    await burst();
    expect(reads()).toBe(2); // older than 2 s: one read for the 10 of them
  });
});
