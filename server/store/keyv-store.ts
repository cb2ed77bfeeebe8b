import type { Backend } from './backends/backend.js';
import { makeGuard, type Guard } from './guard.js';
import type { Keyring } from './keyring.js';
import { keyvRecords } from './keyv-records.js';
import { acquireLease } from './leases.js';
import { sealedRecords } from './sealed-records.js';
import type { Lease, RecordKind, RecordStore, Store } from './types.js';

/**
 * Kinds whose values are sealed at rest: tokens, client registrations, pending authorization requests (their PKCE
 * verifiers) and the config (they hold client secrets, header values).
 */
export const SEALED_KINDS: ReadonlySet<RecordKind> = new Set<RecordKind>([
  'tokens',
  'clients',
  'oauth-state',
  'config',
]);

/** The `Store` over one backend; `records(kind)` seals the kinds in `SEALED_KINDS` with `keyring`. */
export class KeyvStore implements Store {
  private closed = false;
  private readonly guard: Guard;
  private readonly cache = new Map<RecordKind, RecordStore<unknown>>();

  constructor(
    private readonly backend: Backend,
    private readonly keyring: Keyring,
  ) {
    this.guard = makeGuard(backend.name, backend.where, () => this.closed);
  }

  records<T>(kind: RecordKind): RecordStore<T> {
    let records = this.cache.get(kind);
    if (records === undefined) {
      const plain = keyvRecords<unknown>(this.backend.storage(kind), kind, this.guard);
      records = SEALED_KINDS.has(kind)
        ? sealedRecords<unknown>(plain as RecordStore<string>, this.keyring, kind)
        : plain;
      this.cache.set(kind, records);
    }
    return records as RecordStore<T>;
  }

  acquireLease(key: string, leaseMs: number, waitMs: number): Promise<Lease | undefined> {
    return acquireLease(this.backend.storage('locks'), this.guard, key, leaseMs, waitMs);
  }

  purgeExpired(): Promise<number> {
    return this.guard('purge expired records', () => this.backend.purgeExpired(Date.now()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.backend.close();
  }
}
