import type { Config, ServerConfig } from './schema.js';
import { ConfigValidationError } from './errors.js';

/**
 * Mattermost's mask for a secret setting (`model.FakeSetting`). `Config` is a secret setting, so the System
 * Console gets it masked whole; it reads the server list from `GET /admin/mcp/config` instead, where this mask
 * stands for each header value and `oauth.clientSecret`, and sends it back for a value the admin kept. The shim
 * puts the saved values back before Mattermost stores the config (server/shim/secret_settings.go).
 */
export const SECRET_MASK = '********************************';

/** The config as the console may see it: every header value and client secret masked. */
export function maskSecrets(config: Config): Config {
  return { ...config, servers: config.servers.map(maskServer) };
}

function maskServer(server: ServerConfig): ServerConfig {
  const headers = Object.fromEntries(Object.keys(server.headers).map((name) => [name, SECRET_MASK]));
  const oauth = server.oauth?.clientSecret ? { ...server.oauth, clientSecret: SECRET_MASK } : server.oauth;
  return { ...server, headers, ...(oauth && { oauth }) };
}

/**
 * A server config from the console (not parsed yet) with each masked header value and client secret replaced
 * by the running config's value for the server of the same name (header names compared case-insensitively,
 * RFC 9110 §5.1). A mask with nothing to restore from is refused, naming the field.
 */
export function restoreMaskedServer(input: unknown, running: Config): unknown {
  if (!isRecord(input) || !JSON.stringify(input).includes(SECRET_MASK)) return input;
  const name = typeof input.name === 'string' ? input.name : '';
  const saved = running.servers.find((s) => s.name === name);
  const restored: Record<string, unknown> = { ...input };
  if (isRecord(input.headers)) {
    restored.headers = Object.fromEntries(
      Object.entries(input.headers).map(([header, value]) => {
        if (value !== SECRET_MASK) return [header, value];
        const kept = Object.entries(saved?.headers ?? {}).find(
          ([savedName]) => savedName.toLowerCase() === header.toLowerCase(),
        )?.[1];
        if (kept === undefined) throw maskedWithoutValue(name, `header ${header}`);
        return [header, kept];
      }),
    );
  }
  if (isRecord(input.oauth) && input.oauth.clientSecret === SECRET_MASK) {
    const kept = saved?.oauth?.clientSecret;
    if (!kept) throw maskedWithoutValue(name, 'oauth.clientSecret');
    restored.oauth = { ...input.oauth, clientSecret: kept };
  }
  return restored;
}

function maskedWithoutValue(server: string, field: string): ConfigValidationError {
  return new ConfigValidationError([
    {
      path: '',
      message: `Server ${server}: ${field} is masked but has no saved value to keep (was the server or the header renamed?). Type the value again.`,
    },
  ]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
