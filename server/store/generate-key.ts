/**
 * Prints a new store encryption key entry, `kid:<base64url 32 bytes>`, to put first in the configured keys:
 *   node dist/server/store/generate-key.js [kid]
 * The key goes to stdout only; nothing is written or logged elsewhere.
 */
import { generateKeyringEntry } from './keyring.js';

process.stdout.write(`${generateKeyringEntry(process.argv[2])}\n`);
