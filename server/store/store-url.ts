import { StoreUrlError } from './errors.js';

/** Where the records live, as read from the store URL. */
export type StoreTarget =
  | { readonly backend: 'sqlite'; readonly path: string }
  | { readonly backend: 'redis'; readonly url: string; readonly address: string }
  | { readonly backend: 'postgres'; readonly url: string; readonly address: string };

/**
 * Reads `sqlite://<path>` (relative to the working directory; `sqlite:///abs/path` for an absolute one),
 * `redis[s]://[user:password@]host:port[/db]` or `postgres[ql]://user[:password]@host:port/database[?…]`.
 * Errors name the bad part and never repeat a password.
 */
export function parseStoreUrl(url: string): StoreTarget {
  const trimmed = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) throw new StoreUrlError('scheme', 'missing (expected sqlite:, redis: or postgres:)');
  switch (scheme) {
    case 'sqlite':
      return parseSqlite(trimmed);
    case 'redis':
    case 'rediss':
      return parseRedis(trimmed);
    case 'postgres':
    case 'postgresql':
      return parsePostgres(trimmed);
    default:
      throw new StoreUrlError('scheme', `"${scheme}:" is not supported (expected sqlite:, redis: or postgres:)`);
  }
}

function parseSqlite(url: string): StoreTarget {
  if (!url.toLowerCase().startsWith('sqlite://')) throw new StoreUrlError('url', 'write sqlite://<path>');
  const path = decodeURIComponent(url.slice('sqlite://'.length));
  if (path === '' || path.endsWith('/')) throw new StoreUrlError('path', 'a database file path is required');
  // Every record kind opens its own connection: an in-memory database would be a different one each time.
  if (path === ':memory:' || path.includes('mode=memory'))
    throw new StoreUrlError('path', 'in-memory SQLite is not supported, give a file path');
  return { backend: 'sqlite', path };
}

function parseRedis(url: string): StoreTarget {
  const parsed = parseNetworkUrl(url);
  const address = hostAndPort(parsed, 6379);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,5}$/.test(db)) throw new StoreUrlError('database', `"${db}" is not a Redis database number`);
  return { backend: 'redis', url, address };
}

function parsePostgres(url: string): StoreTarget {
  const parsed = parseNetworkUrl(url);
  const address = hostAndPort(parsed, 5432);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/'))
    throw new StoreUrlError(
      'database',
      'write the database name as the path, e.g. postgres://user@host:5432/mattermost_mcp',
    );
  return { backend: 'postgres', url, address };
}

function parseNetworkUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new StoreUrlError('url', 'not a valid URL');
  }
}

/** `host:port` for messages: what a reader needs to find the server, without credentials. */
function hostAndPort(parsed: URL, defaultPort: number): string {
  if (parsed.hostname === '') throw new StoreUrlError('host', 'a host name is required');
  const port = parsed.port === '' ? defaultPort : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new StoreUrlError('port', `"${parsed.port}" is not a TCP port`);
  return `${parsed.hostname}:${port}`;
}
