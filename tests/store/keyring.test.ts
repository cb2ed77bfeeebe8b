import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { generateKeyringEntry, KeyringError, parseKeyring } from '../../server/store/index.js';

const key32 = () => randomBytes(32).toString('base64url');

function keyringError(text: string): KeyringError {
  try {
    parseKeyring(text);
  } catch (error) {
    if (error instanceof KeyringError) return error;
    throw error;
  }
  throw new Error('parseKeyring accepted the keyring');
}

describe('parseKeyring', () => {
  it('encrypts with the first key and decrypts with all of them', () => {
    const first = key32();
    const second = key32();
    const keyring = parseKeyring(`new:${first},old:${second}`);
    expect(keyring.current.kid).toBe('new');
    expect(Buffer.from(keyring.current.key).toString('base64url')).toBe(first);
    expect([...keyring.byKid.keys()]).toEqual(['new', 'old']);
    expect(Buffer.from(keyring.byKid.get('old')!).toString('base64url')).toBe(second);
  });

  it('ignores whitespace and newlines between entries', () => {
    expect([...parseKeyring(` a:${key32()} ,\n b:${key32()}\n`).byKid.keys()]).toEqual(['a', 'b']);
  });

  it('reads a generated entry back', () => {
    const entry = generateKeyringEntry();
    const keyring = parseKeyring(entry);
    expect(keyring.current.key).toHaveLength(32);
    expect(entry.startsWith(`${keyring.current.kid}:`)).toBe(true);
  });

  it('generates a different key each time, under the kid asked for', () => {
    const one = generateKeyringEntry('rotation-2');
    const two = generateKeyringEntry('rotation-2');
    expect(one).toMatch(/^rotation-2:[A-Za-z0-9_-]{43}$/);
    expect(one).not.toBe(two);
  });

  it.each([
    ['an empty string', '', /no key given/],
    ['an entry without kid', key32(), /entry 1 has no "kid:"/],
    ['a kid with symbols', `bad/kid!:${key32()}`, /entry 1: kid must be/],
    ['a duplicate kid', `a:${key32()},a:${key32()}`, /entry 2: kid "a" appears twice/],
    ['standard base64 instead of base64url', 'a:ab+/'.padEnd(45, 'A'), /entry 1 \(kid "a"\): the key is not base64url/],
    [
      'a 16-byte key',
      `a:${randomBytes(16).toString('base64url')}`,
      /entry 1 \(kid "a"\): the key is 16 bytes, it must be 32/,
    ],
    [
      'a 64-byte key',
      `a:${key32()},b:${randomBytes(64).toString('base64url')}`,
      /entry 2 \(kid "b"\): the key is 64 bytes/,
    ],
  ])('refuses %s, naming the entry', (_, text, message) => {
    const error = keyringError(text);
    expect(error.code).toBe('ERR_STORE_KEYRING_INVALID');
    expect(error.message).toMatch(message);
  });

  it('never repeats key material in its errors', () => {
    const shortKey = randomBytes(20).toString('base64url');
    const goodKey = key32();
    const error = keyringError(`good:${goodKey},short:${shortKey}`);
    expect(error.message).not.toContain(shortKey);
    expect(error.message).not.toContain(goodKey);
  });
});
