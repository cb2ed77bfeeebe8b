import type { Backend, BackendLayout } from './backends/backend.js';
import { StoreError, StoreOptionError, StoreUnavailableError } from './errors.js';
import { keyFilePathFor, loadOrCreateKeyFile } from './key-file.js';
import { parseKeyring, type Keyring } from './keyring.js';
import { KeyvStore } from './keyv-store.js';
import { parseStoreUrl, type StoreTarget } from './store-url.js';
import type { Store } from './types.js';

export interface StoreOptions {
  /**
   * Prefix of every key, on every backend, so several deployments (or test runs) can share one server.
   * Each record kind lives in the keyv namespace `<namespace>:<kind>`. Default `mattermost-mcp`.
   */
  namespace?: string;
  /**
   * SQL table for SQLite and PostgreSQL, created if absent: lowercase letters, digits, `_`. Default `mattermost_mcp`.
   */
  table?: string;
  /** PostgreSQL schema holding the table, created if absent: lowercase letters, digits, `_`. Default `public`. */
  schema?: string;
  /**
   * Keys that seal tokens and client registrations: `kid1:<base64url 32 bytes>,kid2:...` (or a parsed keyring);
   * the first encrypts, all decrypt. Required for Redis and PostgreSQL (replicas must share them). When
   * omitted with SQLite, a key is generated once into `<database>.key` (mode 0600), for the single-node default only.
   */
  encryptionKeys?: string | Keyring;
  /** Told about backend failures outside any operation (a dropped connection); operations still reject on their own. */
  onBackgroundError?: (error: StoreUnavailableError) => void;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const NAMESPACE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Opens the store named by `url` (`sqlite://<path>`, `redis://host:port[/db]`, `postgres://user@host:port/db`),
 * creating what it needs (directory, database file, schema, table). Rejects with `StoreUrlError`,
 * `StoreOptionError`, `KeyringError` or, when the backend cannot be reached, `StoreUnavailableError`.
 */
export async function createStore(url: string, options: StoreOptions = {}): Promise<Store> {
  const target = parseStoreUrl(url);
  const layout = readLayout(target, options);
  const keyring = await resolveKeyring(target, options.encryptionKeys);
  let backend: Backend;
  try {
    backend = await openBackend(target, layout);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreUnavailableError(target.backend, where(target), 'connect', { cause: error });
  }
  return new KeyvStore(backend, keyring);
}

function readLayout(target: StoreTarget, options: StoreOptions): BackendLayout {
  const namespace = options.namespace ?? 'mattermost-mcp';
  const table = options.table ?? 'mattermost_mcp';
  const schema = options.schema ?? 'public';
  if (!NAMESPACE.test(namespace)) throw new StoreOptionError('namespace', 'use 1-64 letters, digits, ".", "_" or "-"');
  if (!IDENTIFIER.test(table))
    throw new StoreOptionError('table', 'use lowercase letters, digits and "_", starting with a letter or "_"');
  if (!IDENTIFIER.test(schema))
    throw new StoreOptionError('schema', 'use lowercase letters, digits and "_", starting with a letter or "_"');
  if (options.schema !== undefined && target.backend !== 'postgres')
    throw new StoreOptionError('schema', 'only PostgreSQL has schemas');
  const report = options.onBackgroundError;
  const onBackgroundError = (error: unknown) =>
    report?.(new StoreUnavailableError(target.backend, where(target), 'background', { cause: error }));
  return { namespace, table, schema, onBackgroundError };
}

async function resolveKeyring(target: StoreTarget, keys: string | Keyring | undefined): Promise<Keyring> {
  if (typeof keys === 'string') return parseKeyring(keys);
  if (keys !== undefined) return keys;
  if (target.backend === 'sqlite') return loadOrCreateKeyFile(keyFilePathFor(target.path));
  throw new StoreOptionError(
    'encryptionKeys',
    `required for ${target.backend}: every replica must seal and open records with the same keys`,
  );
}

/** Loads only the chosen backend: a native driver the deployment does not use (sqlite3 on arm64) is never required. */
async function openBackend(target: StoreTarget, layout: BackendLayout): Promise<Backend> {
  switch (target.backend) {
    case 'sqlite':
      return (await import('./backends/sqlite.js')).openSqlite(target.path, layout);
    case 'redis':
      return (await import('./backends/redis.js')).openRedis(target.url, target.address, layout);
    case 'postgres':
      return (await import('./backends/postgres.js')).openPostgres(target.url, target.address, layout);
  }
}

/** Where the backend is, without credentials. */
function where(target: StoreTarget): string {
  return target.backend === 'sqlite' ? target.path : target.address;
}
