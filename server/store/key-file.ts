import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KeyringError, StoreOptionError } from './errors.js';
import { generateKeyringEntry, parseKeyring, type Keyring } from './keyring.js';

/** Where the embedded SQLite default keeps its generated key: next to the database. */
export function keyFilePathFor(databasePath: string): string {
  return `${databasePath}.key`;
}

/**
 * The keyring stored in `path`, created (mode 0600) with one fresh key the first time.
 * For the single-node SQLite default only: replicas must share keys through configuration.
 * The file holds a keyring string, so it can be copied into configuration when moving to a shared store.
 */
export async function loadOrCreateKeyFile(path: string): Promise<Keyring> {
  await createIfAbsent(path);
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) {
    throw new StoreOptionError(
      'encryptionKeys',
      `key file ${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 ${path}`,
    );
  }
  try {
    return parseKeyring(await readFile(path, 'utf8'));
  } catch (error) {
    if (error instanceof KeyringError)
      throw new StoreOptionError('encryptionKeys', `key file ${path}: ${error.message}`);
    throw error;
  }
}

/** Writes a complete file aside, then links it into place: a concurrent starter sees no file or a whole one. */
async function createIfAbsent(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(aside, `${generateKeyringEntry()}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(aside, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(aside);
  }
}
