/** The storage layer's face: everything outside `server/store/` imports from here, never keyv. */
export type { Lease, RecordKind, RecordStore, Store } from './types.js';
export { createStore, type StoreOptions } from './create-store.js';
export { SEALED_KINDS } from './keyv-store.js';
export { parseKeyring, generateKeyringEntry, type Keyring, type KeyringKey } from './keyring.js';
export { sealedRecords } from './sealed-records.js';
export { parseStoreUrl, type StoreTarget } from './store-url.js';
export {
  StoreError,
  StoreUrlError,
  StoreOptionError,
  KeyringError,
  StoreUnavailableError,
  StoreClosedError,
  RecordDecryptionError,
  type StoreUrlPart,
  type DecryptionFailure,
} from './errors.js';
