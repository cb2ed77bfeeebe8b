/**
 * The SQLite backend runs on Node's own node:sqlite; databases written before, through @keyv/sqlite 4 and
 * the sqlite3 addon, must still open. That adapter made one table `<table>(key VARCHAR(255) PRIMARY KEY,
 * value TEXT )`, keyed by keyv's storage key `<namespace>:<kind>:<key>`, each value keyv's serialisation
 * `{"value":…,"expires":<epoch ms>}` (no `expires` without a TTL); the store switched the file to WAL. These specs
 * write such a file
 * by hand and read it with the store.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createStore, generateKeyringEntry, parseKeyring, type Store } from '../../server/store/index.js';
import { sealRecord } from '../../server/store/sealed-records.js';

/** @keyv/sqlite 4.0.8's CREATE TABLE, as it sent it (table `mattermost_mcp`, the store's default). */
const KEYV_SQLITE_DDL = 'CREATE TABLE IF NOT EXISTS mattermost_mcp(key VARCHAR(255) PRIMARY KEY, value TEXT )';
const NAMESPACE = 'mattermost-mcp';

/** keyv's serialisation: `expires` only with a TTL. */
const keyvValue = (value: unknown, expires?: number) =>
  JSON.stringify(expires === undefined ? { value } : { value, expires });

describe('an SQLite database @keyv/sqlite wrote', () => {
  let dir: string;
  let path: string;
  const keys = generateKeyringEntry('k1');
  const stores: Store[] = [];
  const open = async () => {
    const store = await createStore(`sqlite://${path}`, { encryptionKeys: keys });
    stores.push(store);
    return store;
  };
  const rows = () => {
    const db = new DatabaseSync(path);
    try {
      return db.prepare('SELECT key, value FROM mattermost_mcp ORDER BY key').all() as Array<{
        key: string;
        value: string;
      }>;
    } finally {
      db.close();
    }
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmcp-keyv-layout-'));
    path = join(dir, 'mcp.sqlite');
    const now = Date.now();
    const db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode=WAL');
    db.exec(KEYV_SQLITE_DDL);
    const insert = db.prepare('INSERT INTO mattermost_mcp (key, value) VALUES (?, ?)');
    const keyring = parseKeyring(keys);
    insert.run(
      `${NAMESPACE}:tokens:u1:wiki`,
      keyvValue(await sealRecord({ access_token: 'at-1' }, keyring, 'tokens', 'u1:wiki')),
    );
    insert.run(
      `${NAMESPACE}:oauth-state:pending`,
      keyvValue(await sealRecord({ user: 'u3' }, keyring, 'oauth-state', 'pending'), now + 600_000),
    );
    insert.run(
      `${NAMESPACE}:discovery:https://wiki.example`,
      keyvValue({ issuer: 'https://auth.example' }, now + 3_600_000),
    );
    insert.run(
      `${NAMESPACE}:discovery:https://gone.example`,
      keyvValue({ issuer: 'https://old-auth.example' }, now - 60_000),
    );
    insert.run(`${NAMESPACE}:locks:refresh:u1:wiki`, keyvValue('another-replica', now + 60_000));
    db.close();
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('reads its sealed and plain records', async () => {
    const store = await open();
    expect(await store.records('tokens').get('u1:wiki')).toEqual({ access_token: 'at-1' });
    expect(await store.records('discovery').get('https://wiki.example')).toEqual({ issuer: 'https://auth.example' });
    expect(await store.records('discovery').get('https://gone.example')).toBeUndefined(); // expired
  });

  it('takes, purges and leases over its rows', async () => {
    const store = await open();
    expect(await store.records('oauth-state').take('pending')).toEqual({ user: 'u3' });
    expect(await store.records('oauth-state').take('pending')).toBeUndefined();
    expect(await store.acquireLease('refresh:u1:wiki', 1000, 0)).toBeUndefined(); // still held by the lease written before
    expect(await store.purgeExpired()).toBe(1);
    expect(rows().map((row) => row.key)).not.toContain(`${NAMESPACE}:discovery:https://gone.example`);
  });

  it('keeps writing the same table, keys and serialisation', async () => {
    const store = await open();
    await store.records('discovery').set('https://other.example', { issuer: 'https://other-auth.example' });
    await store.records('discovery').set('https://fresh.example', { issuer: 'https://fresh-auth.example' }, 60_000);
    const written = Object.fromEntries(rows().map((row) => [row.key, JSON.parse(row.value)]));
    expect(written[`${NAMESPACE}:discovery:https://other.example`]).toEqual({
      value: { issuer: 'https://other-auth.example' },
    });
    expect(written[`${NAMESPACE}:discovery:https://fresh.example`]).toEqual({
      value: { issuer: 'https://fresh-auth.example' },
      expires: expect.any(Number),
    });
    const db = new DatabaseSync(path);
    try {
      expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'mattermost_mcp'").get()).toEqual({
        sql: KEYV_SQLITE_DDL.replace('IF NOT EXISTS ', ''),
      });
    } finally {
      db.close();
    }
  });
});
