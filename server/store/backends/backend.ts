import { Keyv, type KeyvStoreAdapter } from 'keyv';
import type { RecordKind } from '../types.js';

/**
 * One record kind in one backend: keyv for the plain operations, plus the atomic steps keyv lacks,
 * done with the adapter's own client on keyv's storage key and keyv's serialised value.
 */
export interface KindStorage {
  readonly keyv: Keyv;
  /** Deletes the stored (serialised) value of `key` and returns it, in one atomic step. */
  takeRaw(key: string): Promise<string | undefined>;
  /** Stores `serialized` (expiring after `ttlMs`) unless an unexpired record is there at `now`; true when stored. */
  putIfVacant(key: string, serialized: string, ttlMs: number, now: number): Promise<boolean>;
  /** Deletes `key` only while it still holds exactly `serialized` (compare-and-delete). */
  deleteIfEquals(key: string, serialized: string): Promise<boolean>;
}

export type BackendName = 'sqlite' | 'redis' | 'postgres';

export interface Backend {
  readonly name: BackendName;
  /** Which server or file, for messages: never with credentials. */
  readonly where: string;
  storage(kind: RecordKind): KindStorage;
  /** Deletes the layout's records that expired before `now` (epoch ms); returns how many. */
  purgeExpired(now: number): Promise<number>;
  close(): Promise<void>;
}

/** Where each kind lives inside a backend. */
export interface BackendLayout {
  /** Prefix of every key; each kind gets the keyv namespace `<namespace>:<kind>`. */
  readonly namespace: string;
  /** SQL table (SQLite, PostgreSQL). */
  readonly table: string;
  /** PostgreSQL schema. */
  readonly schema: string;
  /** Errors that happen outside any operation (a dropped connection); operations reject on their own. */
  readonly onBackgroundError: (error: unknown) => void;
}

export const RECORD_KINDS: readonly RecordKind[] = [
  'clients',
  'tokens',
  'oauth-state',
  'discovery',
  'locks',
  'config',
  'user-choices',
];

export function kindNamespace(layout: BackendLayout, kind: RecordKind): string {
  return `${layout.namespace}:${kind}`;
}

/** A keyv that throws backend failures instead of reading them as "absent" (keyv's default). */
export function strictKeyv(adapter: KeyvStoreAdapter, namespace: string, useKeyPrefix: boolean): Keyv {
  return new Keyv(adapter, { namespace, useKeyPrefix, throwOnErrors: true });
}

/** Keyv's own storage key for `key` (the adapter adds nothing for SQL backends). */
export function keyvStorageKey(keyv: Keyv, key: string): string {
  return keyv._getKeyPrefix(key);
}
