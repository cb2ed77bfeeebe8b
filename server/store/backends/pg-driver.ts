import { createRequire } from 'node:module';

/** The part of node-postgres' `Pool` the store uses (the package ships no types of its own). */
export interface PgPool {
  query(sql: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface PgPoolConfig {
  connectionString: string;
  max?: number;
  connectionTimeoutMillis?: number;
  application_name?: string;
}

interface PgModule {
  Pool: new (config: PgPoolConfig) => PgPool;
}

/**
 * A pool of the very `pg` that @keyv/postgres depends on (resolved from the adapter's location, so the
 * versions always match). Loaded on first use: SQLite and Redis deployments never load it.
 */
export function newPgPool(config: PgPoolConfig): PgPool {
  const fromHere = createRequire(import.meta.url);
  const fromAdapter = createRequire(fromHere.resolve('@keyv/postgres'));
  const pg = fromAdapter('pg') as PgModule;
  return new pg.Pool(config);
}
