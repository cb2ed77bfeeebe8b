/**
 * Where the sidecar keeps what must survive a restart and be shared by replicas.
 * One namespace per kind of record; nothing but `server/store/` talks to keyv directly.
 */
export type RecordKind =
  | 'clients' // OAuth client registrations, per server and issuer (secrets encrypted)
  | 'tokens' // OAuth tokens, per user and server (encrypted)
  | 'oauth-state' // pending authorization requests, single-use, short TTL (encrypted: PKCE verifiers)
  | 'discovery' // cached discovery documents, per server
  | 'locks' // leases for single-flight work across replicas
  | 'config' // the plugin config last applied by a replica, versioned, for the others to adopt (encrypted)
  | 'user-choices'; // what each user chose for themselves, per user: the servers they switched off

export interface RecordStore<T> {
  get(key: string): Promise<T | undefined>;
  /** `ttlMs` makes the record expire; omitted means kept until deleted. */
  set(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Reads and deletes in one atomic step (across replicas): at most one caller gets the value. */
  take(key: string): Promise<T | undefined>;
}

export interface Lease {
  readonly key: string;
  /** Gives the lease back early; safe to call twice. */
  release(): Promise<void>;
}

export interface Store {
  /**
   * The records of one kind. `tokens`, `clients`, `oauth-state` and `config` are sealed at rest (JWE, see
   * `sealed-records.ts`): a value
   * that cannot be opened makes get/take throw `RecordDecryptionError`. Values must be JSON-serialisable.
   * `locks` holds the leases of `acquireLease`; do not write it directly.
   */
  records<T>(kind: RecordKind): RecordStore<T>;
  /** Takes a lease on `key` for `leaseMs`, waiting up to `waitMs`; undefined when another holder kept it. */
  acquireLease(key: string, leaseMs: number, waitMs: number): Promise<Lease | undefined>;
  /**
   * Deletes this namespace's expired records and returns how many. SQL backends keep an expired row until
   * something reads it (flows never finished, lapsed leases); Redis expires keys itself and always returns 0.
   */
  purgeExpired(): Promise<number>;
  close(): Promise<void>;
}
