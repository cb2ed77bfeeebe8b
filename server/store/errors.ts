import { PluginError } from '../errors/plugin-error.js';
import type { RecordKind } from './types.js';

/** Errors of the storage layer; a caller switches on `code`. Messages never carry record values or key material. */
export abstract class StoreError extends PluginError {
  // Whatever broke it, a store that cannot be used is a store unavailable to the request at hand.
  readonly category = 'unavailable';
}

/** Which part of a store URL was refused. */
export type StoreUrlPart = 'url' | 'scheme' | 'host' | 'port' | 'database' | 'path';

/** The store URL cannot be used; `part` names what to fix. */
export class StoreUrlError extends StoreError {
  readonly code = 'ERR_STORE_URL_INVALID';
  constructor(
    readonly part: StoreUrlPart,
    detail: string,
  ) {
    super(
      `Store URL: invalid ${part}: ${detail}. Use sqlite://<path>, redis://host:port[/db] or postgres://user@host:port/database.`,
    );
  }
}

/** A `createStore` option cannot be used; `option` names it. */
export class StoreOptionError extends StoreError {
  readonly code = 'ERR_STORE_OPTION_INVALID';
  constructor(
    readonly option: string,
    detail: string,
  ) {
    super(`Store option ${option}: ${detail}`);
  }
}

/** The encryption keyring string is malformed; the message names the entry (by position and kid), never the key. */
export class KeyringError extends StoreError {
  readonly code = 'ERR_STORE_KEYRING_INVALID';
  constructor(detail: string) {
    super(`Store encryption keys: ${detail}. Expected "kid1:<base64url 32 bytes>,kid2:...", the first key encrypts.`);
  }
}

/** The backend failed or could not be reached; fail fast and retry later rather than treat records as absent. */
export class StoreUnavailableError extends StoreError {
  readonly code = 'ERR_STORE_UNAVAILABLE';
  /** `where` says which server (`host:port`, or the SQLite file), never with credentials. */
  constructor(
    readonly backend: string,
    readonly where: string,
    readonly operation: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      `Store ${backend} at ${where} unavailable during ${operation}: ${describeCause(options.cause)}. Check that it is running and reachable.`,
      options,
    );
  }
}

/** The store was used after `close()`. */
export class StoreClosedError extends StoreError {
  readonly code = 'ERR_STORE_CLOSED';
  constructor(readonly operation: string) {
    super(`Store is closed (during ${operation}); create a new store.`);
  }
}

/** Why a sealed record could not be opened. */
export type DecryptionFailure =
  | 'malformed' // not a compact JWE of the expected algorithms
  | 'unknown-kid' // sealed with a key that is not in the keyring (removed too early?)
  | 'failed' // wrong key for that kid, or the ciphertext was changed
  | 'wrong-record'; // a valid ciphertext of another record was copied here

/**
 * A sealed record exists but cannot be opened. Never treated as absent: the caller decides whether to
 * delete it and ask the user to connect again. Carries kind and key, never the plaintext or the key.
 */
export class RecordDecryptionError extends StoreError {
  readonly code = 'ERR_RECORD_DECRYPTION';
  constructor(
    readonly kind: RecordKind,
    readonly key: string,
    readonly reason: DecryptionFailure,
    readonly kid?: string,
  ) {
    super(
      `Record ${kind}/${key} cannot be decrypted (${reason}${kid === undefined ? '' : `, kid ${kid}`}). ${advice(reason)}`,
    );
  }
}

function advice(reason: DecryptionFailure): string {
  switch (reason) {
    case 'unknown-kid':
      return 'Add the key with that kid back to the store encryption keys, or delete the record.';
    case 'failed':
      return 'The key for that kid differs from the one that sealed it, or the record was altered; check the keys or delete the record.';
    case 'malformed':
    case 'wrong-record':
      return 'The record was altered outside the sidecar; delete it.';
  }
}

/**
 * The cause's own message, reduced to one line; backend driver messages name hosts and SQL, not values.
 * Duck-typed: socket errors may come from another realm (e.g. a test sandbox), where `instanceof Error` fails.
 */
function describeCause(cause: unknown): string {
  if (typeof cause !== 'object' || cause === null) return 'unknown error';
  const { message, errors } = cause as { message?: unknown; errors?: unknown };
  if (Array.isArray(errors) && errors.length > 0 && !message) return describeCause(errors[0]);
  if (typeof message === 'string' && message !== '') return message.split('\n')[0]!;
  if (Array.isArray(errors) && errors.length > 0) return describeCause(errors[0]);
  return 'unknown error';
}
