import { request as httpRequest } from 'node:http';
import { internalCredential } from '../../server/http/authentication.js';

export interface SidecarResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any;
}

export interface RequestOptions {
  readonly method?: string;
  readonly secret?: string;
  /**
   * Which credential the secret is sent as: `internal` (what the shim's own hook and health requests
   * carry, derived from the secret) or `proxied` (the secret itself, on every request the shim proxies
   * from Mattermost). Default: `internal` for /hooks/*, /healthz and /metrics, else `proxied`.
   */
  readonly credential?: 'internal' | 'proxied';
  readonly userId?: string;
  /** Sent as X-Mattermost-Plugin-Caller, as the shim does for a trusted plugin's PluginHTTP request. */
  readonly pluginCaller?: string;
  readonly body?: unknown;
  /** Sent as is (for malformed-body tests). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

/** Minimal HTTP client for a sidecar at `http://host:port` or `unix:/path`. */
export function sidecarRequest(address: string, path: string, options: RequestOptions = {}): Promise<SidecarResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.secret !== undefined) {
    const internal = (options.credential ?? (isInternalPath(path) ? 'internal' : 'proxied')) === 'internal';
    headers.authorization = `Bearer ${internal ? internalCredential(options.secret) : options.secret}`;
  }
  if (options.userId !== undefined) headers['x-mattermost-userid'] = options.userId;
  if (options.pluginCaller !== undefined) headers['x-mattermost-plugin-caller'] = options.pluginCaller;
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const target = address.startsWith('unix:') ? { socketPath: address.slice(5), path } : { ...hostPort(address), path };
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { ...target, method: options.method ?? (payload === undefined ? 'GET' : 'POST'), headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** The sidecar's internal routes: only the internal credential opens them (docs/sidecar-protocol.md). */
export function isInternalPath(path: string): boolean {
  return /^\/(hooks(\/|$)|healthz(\/|\?|$)|metrics(\/|\?|$))/i.test(path);
}

function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address);
  return { host: url.hostname, port: Number(url.port) };
}
