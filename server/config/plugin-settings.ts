import { parseConfig, type Config } from './schema.js';
import { ConfigValidationError } from './errors.js';

/**
 * Reads the MCP `Config` out of the plugin settings Mattermost hands the shim (keys lower-cased):
 * `config` holds the server list (an object, or a JSON string), `idletimeoutminutes` may override the
 * timeout.
 */
export function configFromPluginSettings(settings: unknown): Config {
  if (settings === null || typeof settings !== 'object') {
    throw new ConfigValidationError([{ path: 'settings', message: 'must be an object' }]);
  }
  const record = settings as Record<string, unknown>;
  let raw = record.config ?? {};
  if (typeof raw === 'string') {
    try {
      raw = raw.trim() === '' ? {} : JSON.parse(raw);
    } catch {
      throw new ConfigValidationError([{ path: 'config', message: 'is not valid JSON' }]);
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigValidationError([{ path: 'config', message: 'must be an object with "servers"' }]);
  }
  const merged: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  const idle = record.idletimeoutminutes;
  if (idle !== undefined && idle !== null && idle !== '')
    merged.idleTimeoutMinutes = typeof idle === 'string' ? Number(idle) : idle;
  return parseConfig(merged);
}
