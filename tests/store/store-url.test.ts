import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createStore,
  generateKeyringEntry,
  parseStoreUrl,
  StoreOptionError,
  StoreUnavailableError,
  StoreUrlError,
  type StoreUrlPart,
} from '../../server/store/index.js';

const keys = generateKeyringEntry();

describe('parseStoreUrl', () => {
  it.each([
    ['sqlite://data/mcp.db', { backend: 'sqlite', path: 'data/mcp.db' }],
    ['sqlite:///var/lib/mattermost-mcp/store.db', { backend: 'sqlite', path: '/var/lib/mattermost-mcp/store.db' }],
    ['redis://127.0.0.1:6379', { backend: 'redis', address: '127.0.0.1:6379' }],
    ['redis://:pw@cache.internal/2', { backend: 'redis', address: 'cache.internal:6379' }],
    ['postgres://mm@db.internal:5433/mcp', { backend: 'postgres', address: 'db.internal:5433' }],
    ['postgresql://mm:pw@db.internal/mcp?sslmode=require', { backend: 'postgres', address: 'db.internal:5432' }],
  ])('reads %s', (url, expected) => {
    expect(parseStoreUrl(url)).toMatchObject(expected);
  });

  it.each<[string, StoreUrlPart]>([
    ['data/mcp.db', 'scheme'],
    ['mysql://db/mcp', 'scheme'],
    ['sqlite:data.db', 'url'],
    ['sqlite://', 'path'],
    ['sqlite://data/', 'path'],
    ['sqlite://:memory:', 'path'],
    ['redis://', 'host'],
    ['redis://127.0.0.1:0', 'port'],
    ['redis://127.0.0.1:6379/cache', 'database'],
    ['postgres://mm@db.internal:5432', 'database'],
    ['postgres://mm@db.internal:5432/', 'database'],
    ['postgres://[nope', 'url'],
  ])('refuses %s, naming its %s', (url, part) => {
    expect(() => parseStoreUrl(url)).toThrow(expect.objectContaining({ code: 'ERR_STORE_URL_INVALID', part }));
  });

  it('never repeats a password in its errors', () => {
    expect(() => parseStoreUrl('postgres://mm:hunter2@db.internal:5432')).toThrow(StoreUrlError);
    expect(() => parseStoreUrl('postgres://mm:hunter2@db.internal:5432')).not.toThrow(/hunter2/);
  });
});

describe('createStore', () => {
  it('refuses a table name PostgreSQL and SQLite would read differently', async () => {
    await expect(
      createStore('redis://127.0.0.1:6379', { encryptionKeys: keys, table: 'Tokens-Table' }),
    ).rejects.toMatchObject({
      code: 'ERR_STORE_OPTION_INVALID',
      option: 'table',
    });
  });

  it('refuses a schema for a backend that has none', async () => {
    await expect(createStore('redis://127.0.0.1:6379', { encryptionKeys: keys, schema: 'mcp' })).rejects.toBeInstanceOf(
      StoreOptionError,
    );
  });

  it.each(['redis://127.0.0.1:6379', 'postgres://postgres@127.0.0.1:5432/test'])(
    'requires encryption keys for the shared store %s',
    async (url) => {
      await expect(createStore(url)).rejects.toMatchObject({
        code: 'ERR_STORE_OPTION_INVALID',
        option: 'encryptionKeys',
      });
    },
  );

  it.each([
    ['redis', 'redis://127.0.0.1:1'],
    ['postgres', 'postgres://postgres:hunter2@127.0.0.1:1/test'],
  ])('fails fast with StoreUnavailableError when %s cannot be reached', async (backend, url) => {
    const failure = createStore(url, { encryptionKeys: keys });
    await expect(failure).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(failure).rejects.toMatchObject({ backend, where: '127.0.0.1:1', operation: 'connect' });
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });

  it('fails with StoreUnavailableError when the SQLite file cannot be opened', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mmcp-store-'));
    try {
      // A directory where the database file should be.
      await expect(createStore(`sqlite://${dir}`, { encryptionKeys: keys })).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
        backend: 'sqlite',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
