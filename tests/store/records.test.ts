import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreClosedError, StoreUnavailableError, type Store } from '../../server/store/index.js';
import { eventually } from '../support/eventually.js';
import { BACKENDS, storeTarget, type StoreTarget } from '../support/store-fixtures.js';

interface PendingAuthorization {
  userId: string;
  codeVerifier: string;
}

describe.each(BACKENDS)('records on %s', (backend) => {
  let target: StoreTarget;
  let store: Store;

  beforeAll(async () => {
    target = await storeTarget(backend);
    store = await target.open();
  });
  afterAll(() => target?.cleanUp());

  it('reads back what was set, and nothing after delete', async () => {
    const records = store.records<PendingAuthorization>('oauth-state');
    await records.set('state-1', { userId: 'u1', codeVerifier: 'v1' });
    expect(await records.get('state-1')).toEqual({ userId: 'u1', codeVerifier: 'v1' });
    expect(await records.delete('state-1')).toBe(true);
    expect(await records.get('state-1')).toBeUndefined();
    expect(await records.delete('state-1')).toBe(false);
  });

  it('replaces a record on a second set', async () => {
    const records = store.records<string>('discovery');
    await records.set('server-a', 'first');
    await records.set('server-a', 'second');
    expect(await records.get('server-a')).toBe('second');
  });

  it('keeps the kinds apart under the same key', async () => {
    await store.records<string>('discovery').set('same-key', 'discovery document');
    await store.records<string>('oauth-state').set('same-key', 'pending state');
    expect(await store.records<string>('discovery').get('same-key')).toBe('discovery document');
    expect(await store.records<string>('oauth-state').get('same-key')).toBe('pending state');
  });

  it('keeps keys with colons and slashes distinct', async () => {
    const records = store.records<string>('discovery');
    await records.set('user:server', 'colon');
    await records.set('user/server', 'slash');
    await records.set('https://issuer.example/path', 'url');
    expect(await records.get('user:server')).toBe('colon');
    expect(await records.get('user/server')).toBe('slash');
    expect(await records.get('https://issuer.example/path')).toBe('url');
  });

  it('forgets a record once its TTL has passed, and keeps the one whose TTL has not', async () => {
    const records = store.records<string>('oauth-state');
    await records.set('short-lived', 'gone soon', 50);
    await records.set('long-lived', 'still here', 60_000);
    await eventually(async () => expect(await records.get('short-lived')).toBeUndefined());
    expect(await records.get('long-lived')).toBe('still here');
  });

  it('refuses a TTL of zero instead of keeping the record forever', async () => {
    await expect(store.records<string>('oauth-state').set('no-ttl', 'x', 0)).rejects.toBeInstanceOf(RangeError);
  });

  it('gives a pending state to exactly one of many concurrent takers, across two stores', async () => {
    const other = await target.open();
    for (const round of [1, 2, 3]) {
      const key = `contended-${round}`;
      await store
        .records<PendingAuthorization>('oauth-state')
        .set(key, { userId: `u${round}`, codeVerifier: `v${round}` });
      const takers = Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? store : other).records<PendingAuthorization>('oauth-state').take(key),
      );
      const results = await Promise.all(takers);
      const winners = results.filter((result) => result !== undefined);
      expect(winners).toEqual([{ userId: `u${round}`, codeVerifier: `v${round}` }]);
      expect(await store.records('oauth-state').get(key)).toBeUndefined();
    }
  });

  it('takes nothing for a missing key', async () => {
    expect(await store.records('oauth-state').take('never-set')).toBeUndefined();
  });

  it('does not hand out an expired record on take', async () => {
    const records = store.records<string>('oauth-state');
    const expiresAt = Date.now() + 30;
    await records.set('expired-before-take', 'stale', 30);
    await sleep(Math.max(0, expiresAt - Date.now()) + 20); // past the expiry, without a read that would delete it
    expect(await records.take('expired-before-take')).toBeUndefined();
  });

  it('still reads its records after a restart (a new store on the same URL)', async () => {
    const before = await target.open();
    await before.records<string>('discovery').set('survives', 'document');
    await before.records<{ accessToken: string }>('tokens').set('u1:server', { accessToken: 'at-1' });
    await before.close();
    const after = await target.open();
    expect(await after.records<string>('discovery').get('survives')).toBe('document');
    expect(await after.records<{ accessToken: string }>('tokens').get('u1:server')).toEqual({ accessToken: 'at-1' });
  });

  it('refuses to work after close', async () => {
    const closing = await target.open();
    await closing.close();
    await closing.close(); // closing twice is harmless
    await expect(closing.records('discovery').get('x')).rejects.toBeInstanceOf(StoreClosedError);
    await expect(closing.acquireLease('x', 1000, 0)).rejects.toBeInstanceOf(StoreClosedError);
  });

  it('reports a failing backend as StoreUnavailableError, not as a missing record', async () => {
    const broken = await storeTarget(backend);
    try {
      const records = (await broken.open()).records<string>('discovery');
      await records.set('k', 'v');
      await broken.breakStorage('discovery', 'k');
      const failure = records.get('k');
      await expect(failure).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(failure).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
        backend,
        operation: 'get discovery',
      });
    } finally {
      await broken.cleanUp();
    }
  });
});
