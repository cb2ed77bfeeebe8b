/**
 * SQL stores delete an expired row only when someone reads it; flows nobody finished and lapsed leases would
 * stay for ever. `purgeExpired` deletes them, and the sidecar runs it now and then.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import type { Store } from '../../server/store/index.js';
import { eventually } from '../support/eventually.js';
import { silentLogger } from '../support/logger.js';
import { marker, storeTarget, type StoreTarget } from '../support/store-fixtures.js';

/** Passes once `ms` have passed from now: records written before with this TTL have then expired. */
const expiredAfter = (ms: number) => {
  const at = Date.now() + ms;
  return () => expect(Date.now()).toBeGreaterThan(at);
};

describe.each(['sqlite', 'postgres'] as const)('expired rows in a %s store', (backend) => {
  let target: StoreTarget;
  let store: Store;

  beforeEach(async () => {
    target = await storeTarget(backend);
    store = await target.open();
  });

  afterEach(async () => {
    await target.cleanUp();
  });

  it('deletes its namespace’s expired records, and keeps live ones and other namespaces’', async () => {
    const neighbour = await target.open({ namespace: `${target.options.namespace}-neighbour` }); // same table
    const [abandoned, cached, kept, theirs] = ['abandoned', 'cached', 'kept', 'theirs'].map(marker);
    // Discovery records are stored unsealed, so the raw rows show what is left (flows are sealed since issue 15).
    await store.records('discovery').set('abandoned', abandoned, 5);
    await store.records('discovery').set('fresh', cached, 3_600_000);
    await store.records('discovery').set('no-ttl', kept);
    await neighbour.records('discovery').set('theirs', theirs, 5);
    await store.acquireLease('refresh:lapsed', 5, 0);
    await eventually(expiredAfter(5));

    expect(await store.purgeExpired()).toBe(2); // the abandoned record and the lapsed lease
    const raw = (await target.rawValues()).join('\n');
    expect(raw).not.toContain(abandoned);
    for (const value of [cached, kept, theirs]) expect(raw).toContain(value);
    expect(await store.records('discovery').get('no-ttl')).toBe(kept);
    expect(await store.purgeExpired()).toBe(0);

    expect(await neighbour.purgeExpired()).toBe(1);
    expect((await target.rawValues()).join('\n')).not.toContain(theirs);
  });

  it('lets a lapsed lease be taken again after its row was purged', async () => {
    await store.acquireLease('refresh:u:s', 5, 0);
    await eventually(expiredAfter(5));
    await store.purgeExpired();
    const lease = await store.acquireLease('refresh:u:s', 30_000, 0);
    expect(lease).toBeDefined();
    expect(await store.acquireLease('refresh:u:s', 30_000, 0)).toBeUndefined();
    await lease!.release();
  });

  it('is purged by the running sidecar without anyone reading the rows', async () => {
    const abandoned = marker('abandoned');
    let sidecar: Sidecar | undefined;
    try {
      sidecar = await startSidecar({
        config: parseConfig({}),
        secret: 'purge-secret-0123456789',
        logger: silentLogger(),
        listen: '127.0.0.1:0',
        store,
        purgeIntervalMs: 50,
      });
      // Discovery records are stored unsealed, so the raw rows show what is left (flows are sealed since issue 15).
      await store.records('discovery').set('abandoned', abandoned, 5);
      await eventually(async () => expect((await target.rawValues()).join('\n')).not.toContain(abandoned), 5_000, 50);
    } finally {
      await sidecar?.close();
    }
  });
});

describe('expired records in a Redis store', () => {
  it('are Redis’s own business: purgeExpired has nothing to do', async () => {
    const target = await storeTarget('redis');
    try {
      const store = await target.open();
      await store.records('oauth-state').set('flow', 'x', 5);
      expect(await store.purgeExpired()).toBe(0);
    } finally {
      await target.cleanUp();
    }
  });
});
