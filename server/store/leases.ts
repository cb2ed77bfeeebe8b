import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KindStorage } from './backends/backend.js';
import type { Guard } from './guard.js';
import type { Lease } from './types.js';

const FIRST_PAUSE_MS = 10;
const MAX_PAUSE_MS = 250;

/**
 * Tries to store a holder token at `key` (absent or expired only); while another holder keeps it, polls
 * with a doubling, jittered pause until `waitMs` has passed. The token, random per attempt, is what
 * `release` compares before deleting, so a holder whose lease expired cannot release its successor's.
 */
export async function acquireLease(
  locks: KindStorage,
  guard: Guard,
  key: string,
  leaseMs: number,
  waitMs: number,
): Promise<Lease | undefined> {
  if (!(Number.isFinite(leaseMs) && leaseMs > 0))
    throw new RangeError(`leaseMs must be a positive number of milliseconds (got ${leaseMs})`);
  if (!(waitMs >= 0)) throw new RangeError(`waitMs must be zero or more milliseconds (got ${waitMs})`);
  const token = randomBytes(16).toString('base64url');
  const deadline = Date.now() + waitMs;
  let pause = FIRST_PAUSE_MS;
  for (;;) {
    const now = Date.now();
    const held = await locks.keyv.serializeData({ value: token, expires: now + leaseMs });
    if (typeof held !== 'string') throw new TypeError('the locks namespace must use a string serializer');
    if (await guard('acquire lease', () => locks.putIfVacant(key, held, leaseMs, now)))
      return heldLease(locks, guard, key, held);
    const remaining = deadline - Date.now();
    if (remaining <= 0) return undefined;
    await sleep(Math.min(remaining, pause * (0.5 + Math.random())));
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
}

function heldLease(locks: KindStorage, guard: Guard, key: string, held: string): Lease {
  let releasing: Promise<void> | undefined;
  return {
    key,
    // Concurrent calls share one release; one that failed (the store was away) can be tried again.
    release() {
      releasing ??= guard('release lease', () => locks.deleteIfEquals(key, held)).then(
        () => undefined,
        (error: unknown) => {
          releasing = undefined;
          throw error;
        },
      );
      return releasing;
    },
  };
}
