import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../../server/store/index.js';
import { BACKENDS, storeTarget, type StoreTarget } from '../support/store-fixtures.js';

const LONG = 60_000;
const PATIENT = 10_000; // long enough that only a broken lease makes a waiter give up

describe.each(BACKENDS)('leases on %s', (backend) => {
  let target: StoreTarget;
  let replicaA: Store;
  let replicaB: Store;

  beforeAll(async () => {
    target = await storeTarget(backend);
    replicaA = await target.open();
    replicaB = await target.open();
  });
  afterAll(() => target?.cleanUp());

  it('grants a free lease at once and names its key', async () => {
    const lease = await replicaA.acquireLease('refresh:u1:free', LONG, 0);
    expect(lease?.key).toBe('refresh:u1:free');
    await lease?.release();
  });

  it('refuses a held lease to another replica that does not wait', async () => {
    const held = await replicaA.acquireLease('refresh:u1:held', LONG, 0);
    expect(held).toBeDefined();
    expect(await replicaB.acquireLease('refresh:u1:held', LONG, 0)).toBeUndefined();
    expect(await replicaA.acquireLease('refresh:u1:held', LONG, 0)).toBeUndefined(); // not re-entrant either
    await held?.release();
  });

  it('hands the lease to a waiting replica once the holder releases it', async () => {
    const held = await replicaA.acquireLease('refresh:u1:released', LONG, 0);
    expect(held).toBeDefined();
    let granted = false;
    const waiting = replicaB
      .acquireLease('refresh:u1:released', LONG, PATIENT)
      .then((lease) => ((granted = true), lease));
    // Time for the waiter to find the lease taken (on a busy machine it may ask only after the release).
    await sleep(50);
    expect(granted).toBe(false); // held for a minute: not before the release, however long the wait
    await held?.release();
    const next = await waiting;
    expect(next).toBeDefined();
    expect(await replicaA.acquireLease('refresh:u1:released', LONG, 0)).toBeUndefined();
    await next?.release();
  });

  it('hands the lease to a waiting replica once the holder lets it expire', async () => {
    const leaseMs = 300;
    const askedAt = Date.now();
    const held = await replicaA.acquireLease('refresh:u1:expired', leaseMs, 0);
    expect(held).toBeDefined();
    const next = await replicaB.acquireLease('refresh:u1:expired', LONG, PATIENT);
    expect(next).toBeDefined();
    // Never released: the waiter has it only once the lease ran out. (A bound, not a race: the store counts the lease
    // from when it took it, after askedAt, so a busy machine can only make the handover later, never earlier.)
    expect(Date.now() - askedAt).toBeGreaterThanOrEqual(leaseMs);
    await next?.release();
  });

  it('gives up after waitMs when the holder keeps the lease', async () => {
    const held = await replicaA.acquireLease('refresh:u1:kept', LONG, 0);
    expect(await replicaB.acquireLease('refresh:u1:kept', LONG, 100)).toBeUndefined();
    await held?.release();
  });

  it('lets a holder whose lease expired release nothing of its successor', async () => {
    const stale = await replicaA.acquireLease('refresh:u1:successor', 100, 0);
    const successor = await replicaB.acquireLease('refresh:u1:successor', LONG, PATIENT);
    expect(successor).toBeDefined();
    await stale?.release(); // no longer the owner
    expect(await replicaA.acquireLease('refresh:u1:successor', LONG, 0)).toBeUndefined();
    await successor?.release();
    expect(await replicaA.acquireLease('refresh:u1:successor', LONG, 0)).toBeDefined();
  });

  it('is safe to release twice, even after someone else took the lease', async () => {
    const first = await replicaA.acquireLease('refresh:u1:twice', LONG, 0);
    await first?.release();
    const second = await replicaB.acquireLease('refresh:u1:twice', LONG, 0);
    expect(second).toBeDefined();
    await first?.release();
    expect(await replicaA.acquireLease('refresh:u1:twice', LONG, 0)).toBeUndefined();
    await second?.release();
  });

  it('grants a contended lease to exactly one of many replicas asking at once', async () => {
    const askers = Array.from({ length: 30 }, (_, i) =>
      (i % 2 === 0 ? replicaA : replicaB).acquireLease('refresh:u1:contended', LONG, 0),
    );
    const granted = (await Promise.all(askers)).filter((lease) => lease !== undefined);
    expect(granted).toHaveLength(1);
    await granted[0]?.release();
  });

  it('keeps leases on different keys independent', async () => {
    const one = await replicaA.acquireLease('refresh:u1:server-a', LONG, 0);
    const other = await replicaB.acquireLease('refresh:u1:server-b', LONG, 0);
    expect(one).toBeDefined();
    expect(other).toBeDefined();
    await Promise.all([one?.release(), other?.release()]);
  });

  it('refuses a lease time that is not positive', async () => {
    await expect(replicaA.acquireLease('refresh:u1:bad', 0, 0)).rejects.toBeInstanceOf(RangeError);
  });
});
