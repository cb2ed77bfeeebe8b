import type { Keyv } from 'keyv';
import { keyvStorageKey, type KindStorage } from './backend.js';

/** Runs one statement with positional parameters and returns its rows. */
export type SqlQuery = (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** The two places where SQLite and PostgreSQL spell things differently. */
export interface SqlDialect {
  /** The n-th (1-based) positional parameter. */
  param(n: number): string;
  /** keyv's `expires` (epoch ms, or NULL) out of a serialised value column. */
  expiresOf(column: string): string;
}

/**
 * The atomic steps over keyv's table (`key` primary key, `value` = keyv-serialised text), each one
 * statement, so they hold across connections and processes.
 */
export function sqlKindStorage(keyv: Keyv, query: SqlQuery, table: string, dialect: SqlDialect): KindStorage {
  const p = (n: number) => dialect.param(n);
  const take = `DELETE FROM ${table} WHERE key = ${p(1)} RETURNING value`;
  // Upsert guarded by expiry: inserts when absent, replaces only an expired holder, else returns no row.
  const putIfVacant = `INSERT INTO ${table} AS held (key, value) VALUES (${p(1)}, ${p(2)})
    ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE ${dialect.expiresOf('held.value')} < ${p(3)}
    RETURNING key`;
  const deleteIfEquals = `DELETE FROM ${table} WHERE key = ${p(1)} AND value = ${p(2)} RETURNING key`;
  return {
    keyv,
    async takeRaw(key) {
      const rows = await query(take, [keyvStorageKey(keyv, key)]);
      const value = rows[0]?.['value'];
      return typeof value === 'string' ? value : undefined;
    },
    async putIfVacant(key, serialized, _ttlMs, now) {
      return (await query(putIfVacant, [keyvStorageKey(keyv, key), serialized, now])).length > 0;
    },
    async deleteIfEquals(key, serialized) {
      return (await query(deleteIfEquals, [keyvStorageKey(keyv, key), serialized])).length > 0;
    },
  };
}

/**
 * Deletes the rows under `keyPrefix` (one store's namespace) whose keyv `expires` is before `now`, in one
 * statement; keyv itself deletes an expired row only when it is read. Rows without `expires` stay.
 */
export async function purgeExpiredRows(
  query: SqlQuery,
  table: string,
  dialect: SqlDialect,
  keyPrefix: string,
  now: number,
): Promise<number> {
  const p = (n: number) => dialect.param(n);
  const purge = `DELETE FROM ${table} WHERE substr(key, 1, ${p(1)}) = ${p(2)} AND ${dialect.expiresOf('value')} < ${p(3)} RETURNING key`;
  return (await query(purge, [keyPrefix.length, keyPrefix, now])).length;
}
