import type { KindStorage } from './backends/backend.js';
import type { Guard } from './guard.js';
import type { RecordKind, RecordStore } from './types.js';

/** Plain (unsealed) records of one kind over keyv; `take` is the backend's atomic delete-and-return. */
export function keyvRecords<T>(storage: KindStorage, kind: RecordKind, guard: Guard): RecordStore<T> {
  const { keyv } = storage;
  return {
    get: (key) => guard(`get ${kind}`, async () => (await keyv.get(key)) as T | undefined),
    async set(key, value, ttlMs) {
      checkTtl(ttlMs);
      await guard(`set ${kind}`, () => keyv.set(key, value, ttlMs));
    },
    delete: (key) => guard(`delete ${kind}`, () => keyv.delete(key)),
    take: (key) =>
      guard(`take ${kind}`, async () => {
        const raw = await storage.takeRaw(key);
        if (raw === undefined) return undefined;
        const data = await keyv.deserializeData<T>(raw);
        // The row is gone either way; an expired one was only waiting for a reader to delete it.
        if (data === undefined || data === null || (typeof data.expires === 'number' && Date.now() > data.expires))
          return undefined;
        return data.value;
      }),
  };
}

/** keyv reads a TTL of 0 as "never expires"; refuse it (and nonsense) rather than keep a record forever. */
function checkTtl(ttlMs: number | undefined): void {
  if (ttlMs !== undefined && !(Number.isFinite(ttlMs) && ttlMs > 0)) {
    throw new RangeError(
      `ttlMs must be a positive number of milliseconds (got ${ttlMs}); omit it to keep the record until deleted`,
    );
  }
}
