import { pino, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';
import { PLUGIN_ID } from '../plugin-manifest.js';

/**
 * Paths whose values are never written: credentials, admin-configured header values, tokens and
 * codes, wherever they appear in a log object.
 */
export const REDACTED_PATHS = [
  'headers',
  '*.headers',
  'authorization',
  '*.authorization',
  'secret',
  '*.secret',
  'clientSecret',
  '*.clientSecret',
  'client_secret',
  '*.client_secret',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'code',
  'code_verifier',
  '*.code_verifier',
  'codeVerifier',
  '*.codeVerifier',
  'req.headers',
];

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: PLUGIN_ID,
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination,
  );
}

export type { Logger };
