import { randomBytes } from 'node:crypto';
import { KeyringError } from './errors.js';

/** A 256-bit content encryption key and the id written into every JWE it seals. */
export interface KeyringKey {
  readonly kid: string;
  readonly key: Uint8Array;
}

/** The keys a store seals records with: the first one encrypts, every one decrypts (rotation). */
export interface Keyring {
  readonly current: KeyringKey;
  readonly byKid: ReadonlyMap<string, Uint8Array>;
}

const KEY_BYTES = 32; // A256GCM with alg "dir": the key is the content encryption key (RFC 7518 §5.3)
const KID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/**
 * Reads `kid1:<base64url 32 bytes>,kid2:...` (whitespace and newlines between entries are ignored).
 * Errors name the entry by position and kid, never the key material.
 */
export function parseKeyring(text: string): Keyring {
  const entries = text.split(/[,\s]+/).filter((entry) => entry !== '');
  if (entries.length === 0) throw new KeyringError('no key given');
  const keys: KeyringKey[] = [];
  const byKid = new Map<string, Uint8Array>();
  entries.forEach((entry, index) => {
    const position = `entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new KeyringError(`${position} has no "kid:" before the key`);
    const kid = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (!KID.test(kid)) throw new KeyringError(`${position}: kid must be 1-64 letters, digits, ".", "_" or "-"`);
    if (byKid.has(kid)) throw new KeyringError(`${position}: kid "${kid}" appears twice`);
    if (!BASE64URL.test(encoded)) {
      throw new KeyringError(`${position} (kid "${kid}"): the key is not base64url (use - and _ instead of + and /)`);
    }
    const key = new Uint8Array(Buffer.from(encoded, 'base64url'));
    if (key.length !== KEY_BYTES) {
      throw new KeyringError(`${position} (kid "${kid}"): the key is ${key.length} bytes, it must be ${KEY_BYTES}`);
    }
    keys.push({ kid, key });
    byKid.set(kid, key);
  });
  return { current: keys[0]!, byKid };
}

/**
 * A fresh keyring entry, `kid:<base64url 32 random bytes>`, to put first in the store encryption keys.
 * The default kid carries the date so the rotation order is readable.
 */
export function generateKeyringEntry(kid = defaultKid()): string {
  if (!KID.test(kid)) throw new KeyringError('kid must be 1-64 letters, digits, ".", "_" or "-"');
  return `${kid}:${randomBytes(KEY_BYTES).toString('base64url')}`;
}

function defaultKid(): string {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  return `k${day}-${randomBytes(3).toString('hex')}`;
}
