import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeProtectedHeader } from 'jose';
import {
  generateKeyringEntry,
  parseKeyring,
  RecordDecryptionError,
  sealedRecords,
  type Keyring,
  type RecordStore,
  type Store,
} from '../../server/store/index.js';
import { BACKENDS, COMPACT_JWE, marker, storeTarget, type StoreTarget } from '../support/store-fixtures.js';

interface TokenRecord {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

interface ClientRecord {
  clientId: string;
  clientSecret: string;
}

function jweIn(raw: string): string {
  const jwe = COMPACT_JWE.exec(raw)?.[0];
  if (jwe === undefined) throw new Error('no compact JWE in the stored value');
  return jwe;
}

/** Changes one character inside the ciphertext part (a full 6 bits of data, unlike the last character). */
function tamper(jwe: string): string {
  const parts = jwe.split('.');
  const ciphertext = parts[3]!;
  parts[3] = (ciphertext[0] === 'A' ? 'B' : 'A') + ciphertext.slice(1);
  return parts.join('.');
}

describe.each(BACKENDS)('encryption at rest on %s', (backend) => {
  let target: StoreTarget;
  let store: Store;

  beforeAll(async () => {
    target = await storeTarget(backend);
    store = await target.open();
  });
  afterAll(() => target?.cleanUp());

  it('reads back sealed tokens and client registrations', async () => {
    const token: TokenRecord = { accessToken: 'at', refreshToken: 'rt', expiresAt: 1_700_000_000_000 };
    await store.records<TokenRecord>('tokens').set('u1:server-a', token);
    await store
      .records<ClientRecord>('clients')
      .set('server-a:https://issuer.example', { clientId: 'c1', clientSecret: 's1' });
    expect(await store.records<TokenRecord>('tokens').get('u1:server-a')).toEqual(token);
    expect(await store.records<ClientRecord>('clients').get('server-a:https://issuer.example')).toEqual({
      clientId: 'c1',
      clientSecret: 's1',
    });
    expect(await store.records<TokenRecord>('tokens').take('u1:server-a')).toEqual(token);
    expect(await store.records<TokenRecord>('tokens').get('u1:server-a')).toBeUndefined();
  });

  it('keeps no token or client secret in the stored bytes', async () => {
    const accessToken = marker('access');
    const refreshToken = marker('refresh');
    const clientSecret = marker('secret');
    const discovery = marker('discovery'); // not sealed: shows the raw reader sees the records
    await store.records<TokenRecord>('tokens').set('u2:server-a', { accessToken, refreshToken, expiresAt: 0 });
    await store.records<ClientRecord>('clients').set('server-a:issuer', { clientId: 'c2', clientSecret });
    await store.records<string>('discovery').set('server-a', discovery);
    const stored = (await target.rawValues()).join('\n');
    expect(stored).toContain(discovery);
    expect(stored).toMatch(COMPACT_JWE);
    for (const secret of [accessToken, refreshToken, clientSecret]) expect(stored).not.toContain(secret);
  });

  it('seals with alg dir, enc A256GCM and the first key id in the protected header', async () => {
    const keys = `${generateKeyringEntry('current')},${generateKeyringEntry('previous')}`;
    const sealing = await target.open({ encryptionKeys: keys, namespace: `${target.options.namespace}-header` });
    await sealing
      .records<TokenRecord>('tokens')
      .set('u3:server-a', { accessToken: 'a', refreshToken: 'r', expiresAt: 0 });
    const sealed = (await target.rawValues()).filter((raw) => COMPACT_JWE.test(raw)).map(jweIn);
    expect(sealed.map((jwe) => decodeProtectedHeader(jwe))).toContainEqual({
      alg: 'dir',
      enc: 'A256GCM',
      kid: 'current',
    });
  });

  it('opens records sealed by an older key after rotation, and seals new ones with the new key', async () => {
    const oldKey = generateKeyringEntry('old');
    const newKey = generateKeyringEntry('new');
    const namespace = `${target.options.namespace}-rotation`;
    const before = await target.open({ encryptionKeys: oldKey, namespace });
    await before.records<string>('tokens').set('sealed-before', 'old secret');
    const rotated = await target.open({ encryptionKeys: `${newKey},${oldKey}`, namespace });
    expect(await rotated.records<string>('tokens').get('sealed-before')).toBe('old secret');
    await rotated.records<string>('tokens').set('sealed-after', 'new secret');
    const onlyNew = await target.open({ encryptionKeys: newKey, namespace });
    expect(await onlyNew.records<string>('tokens').get('sealed-after')).toBe('new secret');
    await expect(onlyNew.records<string>('tokens').get('sealed-before')).rejects.toMatchObject({
      code: 'ERR_RECORD_DECRYPTION',
      reason: 'unknown-kid',
      kid: 'old',
      kind: 'tokens',
      key: 'sealed-before',
    });
  });

  it('refuses a record sealed under the same kid with a different key', async () => {
    const namespace = `${target.options.namespace}-wrong-key`;
    const writer = await target.open({ encryptionKeys: generateKeyringEntry('shared-kid'), namespace });
    await writer.records<string>('clients').set('server-a', 'secret');
    const reader = await target.open({ encryptionKeys: generateKeyringEntry('shared-kid'), namespace });
    const failure = reader.records<string>('clients').get('server-a');
    await expect(failure).rejects.toBeInstanceOf(RecordDecryptionError);
    await expect(failure).rejects.toMatchObject({ reason: 'failed', kind: 'clients', key: 'server-a' });
  });

  describe('a sealed value changed in the store', () => {
    let keyring: Keyring;
    let raw: RecordStore<string>;
    let sealed: RecordStore<string>;

    beforeAll(() => {
      keyring = parseKeyring(target.options.encryptionKeys);
      raw = store.records<string>('discovery'); // plain records: the sealed strings as stored
      sealed = sealedRecords<string>(raw, keyring, 'tokens');
    });

    it('is refused when its ciphertext was altered', async () => {
      await sealed.set('altered', 'secret');
      await raw.set('altered', tamper((await raw.get('altered'))!));
      await expect(sealed.get('altered')).rejects.toMatchObject({ code: 'ERR_RECORD_DECRYPTION', reason: 'failed' });
    });

    it('is refused when it is not a JWE at all', async () => {
      await raw.set('garbage', 'not a jwe');
      await expect(sealed.get('garbage')).rejects.toMatchObject({ code: 'ERR_RECORD_DECRYPTION', reason: 'malformed' });
    });

    it("is refused when another record's ciphertext was copied over it", async () => {
      await sealed.set('victim', 'victim token');
      await raw.set('attacker', (await raw.get('victim'))!);
      await expect(sealed.get('attacker')).rejects.toMatchObject({
        code: 'ERR_RECORD_DECRYPTION',
        reason: 'wrong-record',
      });
    });

    it('is refused on take as well, never read as absent', async () => {
      await sealed.set('taken', 'secret');
      await raw.set('taken', tamper((await raw.get('taken'))!));
      await expect(sealed.take('taken')).rejects.toBeInstanceOf(RecordDecryptionError);
    });

    it('yields an error that names the record but carries neither plaintext nor key', async () => {
      const secret = marker('plaintext');
      await sealed.set('reported', secret);
      const ciphertext = tamper((await raw.get('reported'))!);
      await raw.set('reported', ciphertext);
      const error = await sealed.get('reported').then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(RecordDecryptionError);
      const everything = `${String(error)} ${(error as Error).stack} ${JSON.stringify(error)}`;
      expect(everything).toContain('tokens/reported');
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(target.options.encryptionKeys.split(':')[1]);
      expect(everything).not.toContain(ciphertext);
    });
  });
});
