/**
 * Real stores for the storage specs: each target gets its own random namespace and table, reads the bytes
 * the backend really holds through an independent client (not through the store), and removes what it made.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createClient } from '@redis/client';
import { newPgPool, type PgPool } from '../../server/store/backends/pg-driver.js';
import { createStore, generateKeyringEntry, type Store, type StoreOptions } from '../../server/store/index.js';

export type BackendName = 'sqlite' | 'redis' | 'postgres';

export const BACKENDS: readonly BackendName[] = ['sqlite', 'redis', 'postgres'];

export const REDIS_URL = 'redis://127.0.0.1:6379/0';
const POSTGRES_URLS = ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];

/** One backend location, private to a test file, with its stores closed and its data removed by `cleanUp`. */
export interface StoreTarget {
  readonly backend: BackendName;
  readonly url: string;
  /** Namespace and table private to this target, and a fresh keyring. */
  readonly options: StoreOptions & { namespace: string; table: string; encryptionKeys: string };
  /** Opens a store here (same options unless overridden); closed by `cleanUp`. */
  open(overrides?: Partial<StoreOptions>): Promise<Store>;
  /** Every stored value of this target (including namespaces that extend its own), as the backend holds it. */
  rawValues(): Promise<string[]>;
  /** Makes the backend fail on `kind`/`key` (SQL: drops the table; Redis: puts a hash at the key). */
  breakStorage(kind: string, key: string): Promise<void>;
  cleanUp(): Promise<void>;
}

export async function storeTarget(backend: BackendName): Promise<StoreTarget> {
  const id = randomBytes(5).toString('hex');
  const options = { namespace: `test-${id}`, table: `test_${id}`, encryptionKeys: generateKeyringEntry(`k-${id}`) };
  const raw = await rawAccess(backend, options.table, options.namespace);
  const stores: Store[] = [];
  return {
    backend,
    url: raw.url,
    options,
    async open(overrides = {}) {
      const store = await createStore(raw.url, { ...options, ...overrides });
      stores.push(store);
      return store;
    },
    rawValues: raw.values,
    breakStorage: raw.breakStorage,
    async cleanUp() {
      await Promise.all(stores.map((store) => store.close()));
      await raw.cleanUp();
    },
  };
}

interface RawAccess {
  url: string;
  values(): Promise<string[]>;
  breakStorage(kind: string, key: string): Promise<void>;
  cleanUp(): Promise<void>;
}

function rawAccess(backend: BackendName, table: string, namespace: string): Promise<RawAccess> {
  switch (backend) {
    case 'sqlite':
      return rawSqlite(table);
    case 'redis':
      return rawRedis(namespace);
    case 'postgres':
      return rawPostgres(table);
  }
}

async function rawSqlite(table: string): Promise<RawAccess> {
  const dir = await mkdtemp(join(tmpdir(), 'mmcp-store-'));
  const path = join(dir, 'nested', 'data', 'store.db'); // parent directories do not exist yet
  /** A connection of its own for each statement, as another process would read the file. */
  const all = async (sql: string) => {
    const db = new DatabaseSync(path, { timeout: 5000 });
    try {
      return db.prepare(sql).all() as Array<Record<string, unknown>>;
    } finally {
      db.close();
    }
  };
  return {
    url: `sqlite://${path}`,
    values: async () => (await all(`SELECT value FROM ${table}`)).map((row) => String(row['value'])),
    breakStorage: async () => void (await all(`DROP TABLE ${table}`)),
    cleanUp: () => rm(dir, { recursive: true, force: true }),
  };
}

async function rawRedis(namespace: string): Promise<RawAccess> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  const keys = async () => {
    const found: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${namespace}*`, COUNT: 100 })) found.push(...batch);
    return found;
  };
  return {
    url: REDIS_URL,
    async values() {
      const found = await keys();
      return found.length === 0 ? [] : (await client.mGet(found)).filter((value): value is string => value !== null);
    },
    async breakStorage(kind, key) {
      const storageKey = `${namespace}:${kind}::${key}`;
      await client.multi().del(storageKey).hSet(storageKey, 'not', 'a string').exec();
    },
    async cleanUp() {
      const found = await keys();
      if (found.length > 0) await client.del(found);
      client.destroy();
    },
  };
}

async function rawPostgres(table: string): Promise<RawAccess> {
  const { url, pool } = await reachablePostgres();
  return {
    url,
    values: async () => (await pool.query(`SELECT value FROM ${table}`)).rows.map((row) => String(row['value'])),
    breakStorage: async () => void (await pool.query(`DROP TABLE ${table}`)),
    async cleanUp() {
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
      await pool.end();
    },
  };
}

/** The machine's PostgreSQL trusts `postgres`, or else the OS user `root`. */
async function reachablePostgres(): Promise<{ url: string; pool: PgPool }> {
  let lastError: unknown;
  for (const url of POSTGRES_URLS) {
    const pool = newPgPool({ connectionString: url, max: 2 });
    pool.on('error', () => undefined);
    try {
      await pool.query('SELECT 1');
      return { url, pool };
    } catch (error) {
      lastError = error;
      await pool.end();
    }
  }
  throw lastError;
}

/** The compact JWE (five base64url parts, empty encrypted key for `dir`) inside a stored value. */
export const COMPACT_JWE = /eyJ[A-Za-z0-9_-]*\.\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

/** A value no other test writes, to look for in stored bytes. */
export function marker(label: string): string {
  return `${label}-${randomBytes(8).toString('hex')}`;
}
