import KeyvRedis, { createClient, type RedisClientType } from '@keyv/redis';
import type { RecordKind } from '../types.js';
import {
  kindNamespace,
  RECORD_KINDS,
  strictKeyv,
  type Backend,
  type BackendLayout,
  type KindStorage,
} from './backend.js';

const CONNECT_TIMEOUT_MS = 5000;
const FIRST_CONNECT_ATTEMPTS = 3; // at start-up, fail fast instead of retrying forever

// Compare-and-delete: only the holder of exactly this value may delete it.
const DELETE_IF_EQUALS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Scale-out: one client (one connection) per store, shared by the keyv adapter of every kind. Commands fail
 * at once while disconnected (no offline queue), so callers fail fast; the client reconnects in the background.
 */
export async function openRedis(url: string, where: string, layout: BackendLayout): Promise<Backend> {
  let everReady = false;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      // `false` ends the first connect with its cause (node-redis' `instanceof Error` check for a returned error is
      // realm-sensitive).
      reconnectStrategy: (retries) =>
        everReady ? Math.min(50 * 2 ** retries, 2000) : retries + 1 < FIRST_CONNECT_ATTEMPTS && 100,
    },
  }) as RedisClientType;
  client.on('error', (error: unknown) => {
    if (everReady) layout.onBackgroundError(error); // before that, the failed connect itself is the report
  });
  client.on('ready', () => {
    everReady = true;
  });
  try {
    await client.connect();
  } catch (error) {
    if (client.isOpen) client.destroy();
    throw error;
  }
  const storages = new Map<RecordKind, KindStorage>();
  for (const kind of RECORD_KINDS) {
    const adapter = new KeyvRedis(client, { throwOnErrors: true, throwOnConnectError: true });
    // keyv hands its namespace to the adapter, which prefixes `<namespace>::`; keyv must not prefix again.
    const keyv = strictKeyv(adapter, kindNamespace(layout, kind), false);
    const storageKey = (key: string) => adapter.createKeyPrefix(key, adapter.namespace);
    storages.set(kind, {
      keyv,
      async takeRaw(key) {
        return (await client.getDel(storageKey(key))) ?? undefined;
      },
      async putIfVacant(key, serialized, ttlMs) {
        const ttl = Math.max(1, Math.ceil(ttlMs));
        return (
          (await client.set(storageKey(key), serialized, {
            condition: 'NX',
            expiration: { type: 'PX', value: ttl },
          })) === 'OK'
        );
      },
      async deleteIfEquals(key, serialized) {
        return (await client.eval(DELETE_IF_EQUALS, { keys: [storageKey(key)], arguments: [serialized] })) === 1;
      },
    });
  }
  return {
    name: 'redis',
    where,
    storage: (kind) => storages.get(kind)!,
    purgeExpired: async () => 0, // Redis expires keys itself (PX)
    close: async () => {
      if (client.isOpen) await client.close();
    },
  };
}
