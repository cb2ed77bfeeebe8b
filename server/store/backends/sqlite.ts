import { access, chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KeyvSqlite } from '@keyv/sqlite';
import type { RecordKind } from '../types.js';
import { kindNamespace, RECORD_KINDS, strictKeyv, type Backend, type BackendLayout, type KindStorage } from './backend.js';
import { purgeExpiredRows, sqlKindStorage, type SqlDialect, type SqlQuery } from './sql-kind.js';

const BUSY_TIMEOUT_MS = 5000; // each kind has its own connection; writers wait for each other instead of failing

const sqliteDialect: SqlDialect = {
  param: () => '?',
  expiresOf: (column) => `json_extract(${column}, '$.expires')`,
};

/**
 * The embedded default: one database file, one keyv table, one connection per kind. Creates the parent
 * directory (0700) and a new database file readable by its owner only.
 */
export async function openSqlite(path: string, layout: BackendLayout): Promise<Backend> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const isNew = !(await exists(path));
  const adapters: KeyvSqlite[] = [];
  const open = async (): Promise<KeyvSqlite> => {
    const adapter = new KeyvSqlite({ uri: `sqlite://${path}`, table: layout.table, busyTimeout: BUSY_TIMEOUT_MS });
    adapter.on('error', () => undefined); // construction errors reach the caller through the first query
    adapters.push(adapter);
    await adapter.query('SELECT 1');
    return adapter;
  };
  try {
    // The first connection creates the table and switches to WAL before the others open.
    const first = await open();
    await first.query('PRAGMA journal_mode=WAL');
    if (isNew) await chmod(path, 0o600);
    const rest = await Promise.all(RECORD_KINDS.slice(1).map(open));
    const storages = new Map<RecordKind, KindStorage>();
    [first, ...rest].forEach((adapter, index) => {
      const kind = RECORD_KINDS[index]!;
      const keyv = strictKeyv(adapter, kindNamespace(layout, kind), true);
      const query: SqlQuery = (sql, params) => adapter.query(sql, ...params) as Promise<Array<Record<string, unknown>>>;
      storages.set(kind, sqlKindStorage(keyv, query, layout.table, sqliteDialect));
    });
    const purgeQuery: SqlQuery = (sql, params) => first.query(sql, ...params) as Promise<Array<Record<string, unknown>>>;
    return {
      name: 'sqlite',
      where: path,
      storage: (kind) => storages.get(kind)!,
      purgeExpired: (now) => purgeExpiredRows(purgeQuery, layout.table, sqliteDialect, `${layout.namespace}:`, now),
      close: async () => {
        await Promise.all(adapters.map((adapter) => adapter.disconnect()));
      },
    };
  } catch (error) {
    await Promise.allSettled(adapters.map((adapter) => adapter.disconnect()));
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
