import { EventEmitter } from 'node:events';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { KeyvStoreAdapter, StoredData } from 'keyv';

/**
 * The table keyv's SQLite adapter (@keyv/sqlite 4) made and this backend keeps, so a database written
 * before still opens: `key` (keyv's storage key, namespace-prefixed) and `value` (keyv-serialised text).
 */
export function keyvTableDDL(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table}(key VARCHAR(255) PRIMARY KEY, value TEXT )`;
}

/** Runs statements on one node:sqlite connection, each prepared once. */
export class SqliteStatements {
  private readonly prepared = new Map<string, StatementSync>();

  constructor(readonly db: DatabaseSync) {}

  all(sql: string, params: readonly unknown[] = []): Array<Record<string, unknown>> {
    return this.statement(sql).all(...(params as SQLInputValue[])) as Array<Record<string, unknown>>;
  }

  private statement(sql: string): StatementSync {
    let statement = this.prepared.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.prepared.set(sql, statement);
    }
    return statement;
  }
}

/**
 * keyv's store adapter over one table of a node:sqlite database. Keyv hands it storage keys with the
 * namespace already in them and values already serialised; each method is one statement.
 */
export class SqliteKeyvAdapter extends EventEmitter implements KeyvStoreAdapter {
  readonly opts: { table: string; dialect: 'sqlite' };
  namespace?: string | undefined;
  private readonly sql: { get: string; getMany: string; set: string; delete: string; clear: string };

  constructor(
    private readonly statements: SqliteStatements,
    table: string,
  ) {
    super();
    this.opts = { table, dialect: 'sqlite' };
    this.sql = {
      get: `SELECT value FROM ${table} WHERE key = ?`,
      getMany: `SELECT key, value FROM ${table} WHERE key IN (SELECT value FROM json_each(?))`,
      set: `INSERT INTO ${table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      delete: `DELETE FROM ${table} WHERE key = ? RETURNING key`,
      clear: `DELETE FROM ${table} WHERE substr(key, 1, ?) = ?`,
    };
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.statements.all(this.sql.get, [key])[0]?.['value'] as StoredData<Value> | undefined;
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    const rows = this.statements.all(this.sql.getMany, [JSON.stringify(keys)]);
    const byKey = new Map(rows.map((row) => [row['key'], row['value']]));
    return keys.map((key) => byKey.get(key) as StoredData<Value | undefined>);
  }

  async set(key: string, value: unknown): Promise<void> {
    this.statements.all(this.sql.set, [key, value]);
  }

  async delete(key: string): Promise<boolean> {
    return this.statements.all(this.sql.delete, [key]).length > 0;
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Deletes this namespace's rows (every row when keyv has no namespace). */
  async clear(): Promise<void> {
    const prefix = this.namespace ? `${this.namespace}:` : '';
    this.statements.all(this.sql.clear, [prefix.length, prefix]);
  }
}
