import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { RecordKind } from '../types.js';
import {
  kindNamespace,
  RECORD_KINDS,
  strictKeyv,
  type Backend,
  type BackendLayout,
  type KindStorage,
} from './backend.js';
import { keyvTableDDL, SqliteKeyvAdapter, SqliteStatements } from './sqlite-keyv.js';
import { purgeExpiredRows, sqlKindStorage, type SqlDialect, type SqlQuery } from './sql-kind.js';

/**
 * How long a statement waits for another process's write lock before failing (SQLITE_BUSY). Statements
 * are synchronous: within one process they never overlap, so only other processes make anyone wait.
 */
const BUSY_TIMEOUT_MS = 5000;

const sqliteDialect: SqlDialect = {
  param: () => '?',
  expiresOf: (column) => `json_extract(${column}, '$.expires')`,
};

/**
 * The embedded default, on Node's own SQLite (node:sqlite, no native addon): one database file in WAL
 * mode, one keyv table (the layout @keyv/sqlite made), one connection. Creates the parent directory
 * (0700) and a new database file readable by its owner only, before SQLite first opens it.
 */
export async function openSqlite(path: string, layout: BackendLayout): Promise<Backend> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await createOwnerOnly(path);
  const db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.exec('PRAGMA journal_mode=WAL');
    db.exec(keyvTableDDL(layout.table));
  } catch (error) {
    db.close();
    throw error;
  }
  const statements = new SqliteStatements(db);
  const query: SqlQuery = async (sql, params) => statements.all(sql, params);
  const storages = new Map<RecordKind, KindStorage>();
  for (const kind of RECORD_KINDS) {
    const keyv = strictKeyv(new SqliteKeyvAdapter(statements, layout.table), kindNamespace(layout, kind), true);
    storages.set(kind, sqlKindStorage(keyv, query, layout.table, sqliteDialect));
  }
  return {
    name: 'sqlite',
    where: path,
    storage: (kind) => storages.get(kind)!,
    purgeExpired: (now) => purgeExpiredRows(query, layout.table, sqliteDialect, `${layout.namespace}:`, now),
    close: async () => {
      if (db.isOpen) db.close();
    },
  };
}

/** An empty file is an empty SQLite database: making it first keeps it 0600 from the start. */
async function createOwnerOnly(path: string): Promise<void> {
  try {
    await (await open(path, 'wx', 0o600)).close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
