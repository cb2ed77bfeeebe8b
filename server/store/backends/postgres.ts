import { KeyvPostgres } from '@keyv/postgres';
import type { RecordKind } from '../types.js';
import {
  kindNamespace,
  RECORD_KINDS,
  strictKeyv,
  type Backend,
  type BackendLayout,
  type KindStorage,
} from './backend.js';
import { newPgPool, type PgPool } from './pg-driver.js';
import { purgeExpiredRows, sqlKindStorage, type SqlDialect, type SqlQuery } from './sql-kind.js';

const CONNECT_TIMEOUT_MS = 5000;
const KEY_SIZE = 1024; // keyv's default VARCHAR(255) is too short for user + server + issuer keys

const postgresDialect: SqlDialect = {
  param: (n) => `$${n}`,
  expiresOf: (column) => `((${column})::jsonb ->> 'expires')::bigint`,
};

/**
 * @keyv/postgres on a pool owned by this store. The adapter's own pool is a module-wide singleton per URL
 * whose `disconnect()` ends whichever pool was made last, so two stores in one process would close each other's.
 */
class KeyvPostgresOnPool extends KeyvPostgres {
  override async connect(): Promise<(sql: string, values?: unknown[]) => Promise<Array<Record<string, unknown>>>> {
    const { pool } = this.opts as { pool: PgPool };
    return async (sql, values) => (await pool.query(sql, values)).rows;
  }

  /** The backend ends the shared pool once, for every kind. */
  override async disconnect(): Promise<void> {}
}

/** Scale-out: one keyv table in `schema` (created if absent), one connection pool per store. */
export async function openPostgres(url: string, where: string, layout: BackendLayout): Promise<Backend> {
  const pool = newPgPool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'mattermost-mcp',
  });
  pool.on('error', layout.onBackgroundError); // an idle connection dropped by the server; the pool replaces it
  const table = `${layout.schema}.${layout.table}`;
  let setupError: unknown;
  const open = async (): Promise<KeyvPostgresOnPool> => {
    const adapter = new KeyvPostgresOnPool({
      pool,
      schema: layout.schema,
      table: layout.table,
      keySize: KEY_SIZE,
    } as ConstructorParameters<typeof KeyvPostgres>[0]);
    adapter.on('error', (error: unknown) => (setupError ??= error)); // keyv reports a failed CREATE TABLE only as an event
    await adapter.query(`SELECT 1 FROM ${table} LIMIT 0`).catch((error: unknown) => {
      throw setupError ?? error;
    });
    return adapter;
  };
  try {
    await pool.query('SELECT 1');
    // The first adapter creates schema and table; the others then find them (no CREATE race inside one process).
    const first = await open();
    const rest = await Promise.all(RECORD_KINDS.slice(1).map(open));
    const query: SqlQuery = async (sql, params) => (await pool.query(sql, params)).rows;
    const storages = new Map<RecordKind, KindStorage>();
    [first, ...rest].forEach((adapter, index) => {
      const kind = RECORD_KINDS[index]!;
      storages.set(
        kind,
        sqlKindStorage(strictKeyv(adapter, kindNamespace(layout, kind), true), query, table, postgresDialect),
      );
    });
    return {
      name: 'postgres',
      where,
      storage: (kind) => storages.get(kind)!,
      purgeExpired: (now) => purgeExpiredRows(query, table, postgresDialect, `${layout.namespace}:`, now),
      close: () => pool.end(),
    };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
