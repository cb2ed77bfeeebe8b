import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, parseKeyring, StoreOptionError, type Store } from '../../server/store/index.js';
import { COMPACT_JWE } from '../support/store-fixtures.js';

/** The single-node default: SQLite with no configured key generates one next to the database. */
describe('SQLite without configured encryption keys', () => {
  let dir: string;
  let databasePath: string;
  const stores: Store[] = [];
  const open = async () => {
    const store = await createStore(`sqlite://${databasePath}`);
    stores.push(store);
    return store;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmcp-keyfile-'));
    databasePath = join(dir, 'state', 'mcp.db');
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('generates a key once into <database>.key, readable by its owner only', async () => {
    await (await open()).records<string>('tokens').set('u1:server', 'secret');
    const keyFile = `${databasePath}.key`;
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(parseKeyring(await readFile(keyFile, 'utf8')).current.key).toHaveLength(32);
  });

  it('creates the parent directory and a database file readable by its owner only', async () => {
    await open();
    expect((await stat(join(dir, 'state'))).isDirectory()).toBe(true);
    expect((await stat(databasePath)).mode & 0o777).toBe(0o600);
  });

  it('keeps using the same key after a restart', async () => {
    const first = await open();
    await first.records<string>('tokens').set('u1:server', 'secret');
    const keyBefore = await readFile(`${databasePath}.key`, 'utf8');
    await first.close();
    const second = await open();
    expect(await second.records<string>('tokens').get('u1:server')).toBe('secret');
    expect(await readFile(`${databasePath}.key`, 'utf8')).toBe(keyBefore);
  });

  it('seals tokens with the generated key', async () => {
    await (await open()).records<string>('tokens').set('u1:server', 'plain secret');
    const database = await readFile(databasePath);
    expect(database.includes('plain secret')).toBe(false);
    // WAL mode: fresh rows may still sit in the write-ahead log next to the file.
    const log = await readFile(`${databasePath}-wal`).catch(() => Buffer.alloc(0));
    expect(log.includes('plain secret')).toBe(false);
    expect(Buffer.concat([database, log]).toString('latin1')).toMatch(COMPACT_JWE);
  });

  it('agrees on one key when several stores start at once', async () => {
    const [first, second, third] = await Promise.all([open(), open(), open()]);
    await first!.records<string>('tokens').set('u1:server', 'secret');
    expect(await second!.records<string>('tokens').get('u1:server')).toBe('secret');
    expect(await third!.records<string>('tokens').get('u1:server')).toBe('secret');
  });

  it('refuses a key file other users can read', async () => {
    await (await open()).close();
    await chmod(`${databasePath}.key`, 0o644);
    await expect(open()).rejects.toBeInstanceOf(StoreOptionError);
    await expect(open()).rejects.toThrow(/chmod 600/);
  });

  it('refuses a key file that does not hold a keyring, naming the file', async () => {
    await (await open()).close();
    await writeFile(`${databasePath}.key`, 'not a keyring', { mode: 0o600 });
    await expect(open()).rejects.toMatchObject({ code: 'ERR_STORE_OPTION_INVALID', option: 'encryptionKeys' });
    await expect(open()).rejects.toThrow(`${databasePath}.key`);
  });
});
