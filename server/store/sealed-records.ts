import { CompactEncrypt, compactDecrypt, decodeProtectedHeader, errors } from 'jose';
import { RecordDecryptionError } from './errors.js';
import type { Keyring } from './keyring.js';
import type { RecordKind, RecordStore } from './types.js';

const ALG = 'dir';
const ENC = 'A256GCM';

/** What is sealed: the value and the record it belongs to, so a ciphertext copied to another key is refused. */
interface SealedPayload {
  readonly rec: string;
  readonly val: unknown;
}

/**
 * A record store whose values are sealed as compact JWE (`alg: dir`, `enc: A256GCM`, `kid` in the
 * protected header) in `records`. The keyring's first key seals; any key in it opens (rotation).
 * A value that cannot be opened throws `RecordDecryptionError`, never reads as absent.
 * Values must be JSON-serialisable.
 */
export function sealedRecords<T>(records: RecordStore<string>, keyring: Keyring, kind: RecordKind): RecordStore<T> {
  const open = async (key: string, sealed: string | undefined): Promise<T | undefined> =>
    sealed === undefined ? undefined : ((await openRecord(sealed, keyring, kind, key)) as T);
  return {
    async get(key) {
      return open(key, await records.get(key));
    },
    async set(key, value, ttlMs) {
      await records.set(key, await sealRecord(value, keyring, kind, key), ttlMs);
    },
    delete: (key) => records.delete(key),
    async take(key) {
      return open(key, await records.take(key));
    },
  };
}

/** Seals one value for `kind`/`key` with the keyring's current key. */
export async function sealRecord(value: unknown, keyring: Keyring, kind: RecordKind, key: string): Promise<string> {
  const payload: SealedPayload = { rec: recordId(kind, key), val: value };
  const plaintext = new TextEncoder().encode(JSON.stringify(payload));
  const { kid, key: secret } = keyring.current;
  return new CompactEncrypt(plaintext).setProtectedHeader({ alg: ALG, enc: ENC, kid }).encrypt(secret);
}

/** Opens a value sealed by `sealRecord` for the same `kind`/`key`. */
export async function openRecord(sealed: string, keyring: Keyring, kind: RecordKind, key: string): Promise<unknown> {
  const kid = readKid(sealed, kind, key);
  const secret = keyring.byKid.get(kid);
  if (secret === undefined) throw new RecordDecryptionError(kind, key, 'unknown-kid', kid);
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(sealed, secret, {
      keyManagementAlgorithms: [ALG],
      contentEncryptionAlgorithms: [ENC],
    }));
  } catch (error) {
    throw new RecordDecryptionError(
      kind,
      key,
      error instanceof errors.JWEDecryptionFailed ? 'failed' : 'malformed',
      kid,
    );
  }
  const payload = parsePayload(plaintext);
  if (payload === undefined) throw new RecordDecryptionError(kind, key, 'malformed', kid);
  if (payload.rec !== recordId(kind, key)) throw new RecordDecryptionError(kind, key, 'wrong-record', kid);
  return payload.val;
}

function readKid(sealed: string, kind: RecordKind, key: string): string {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(sealed).kid;
  } catch {
    throw new RecordDecryptionError(kind, key, 'malformed');
  }
  if (typeof kid !== 'string' || kid === '') throw new RecordDecryptionError(kind, key, 'malformed');
  return kid;
}

function parsePayload(plaintext: Uint8Array): SealedPayload | undefined {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(plaintext));
    if (typeof parsed === 'object' && parsed !== null && 'rec' in parsed && typeof parsed.rec === 'string') {
      return { rec: parsed.rec, val: 'val' in parsed ? parsed.val : undefined };
    }
  } catch {
    // falls through: not our payload
  }
  return undefined;
}

function recordId(kind: RecordKind, key: string): string {
  return `${kind}/${key}`;
}
