import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../server/observability/logger.js';

/** A real pino logger whose output the test can read (to check what was, and was not, logged). */
export function captureLogger(level: 'debug' | 'info' | 'warn' = 'debug'): { logger: Logger; output: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { logger: createLogger({ level, destination }), output: () => chunks.join('') };
}

export function silentLogger(): Logger {
  return createLogger({ level: 'silent' });
}
