import { request } from 'node:http';
import { ShimChannelError } from './errors.js';

/** A post only the user sees (Mattermost `API.SendEphemeralPost`); the shim fills in the bot as author. */
export interface EphemeralPost {
  readonly channel_id: string;
  readonly root_id?: string;
  readonly message: string;
}

/**
 * The shim's registration with the Agents plugin (docs/sidecar-protocol.md, "Reverse channel"): `state` is
 * registered, registering, disabled, not_installed, not_running, refused, unreachable or inactive.
 */
export interface AgentsBridgeStatus {
  readonly state: string;
  /** Why, in the Agents plugin's or Mattermost's words (e.g. the licence a refusal asks for). */
  readonly detail?: string;
}

export interface ShimChannelOptions {
  /** `MCP_SHIM_URL`: `unix:/path/to/shim.sock` or `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The activation secret; sent as `Authorization: Bearer <secret>` on every request. */
  readonly secret: string;
  /** Per request; the shim answers locally, so this is short. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_RESPONSE_BYTES = 64 * 1024;

type Target = { readonly socketPath: string } | { readonly host: string; readonly port: number };

/**
 * The reverse channel (docs/sidecar-protocol.md): plugin-API abilities Mattermost offers only to the
 * Go side, asked of the shim over its socket.
 */
export class ShimChannel {
  private readonly target: Target;
  private readonly timeoutMs: number;

  constructor(private readonly options: ShimChannelOptions) {
    this.target = parseTarget(options.url);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** `API.PublishWebSocketEvent` to one user; clients receive `custom_<plugin id>_<event>`. */
  async publishWebSocketEvent(event: string, payload: Record<string, unknown>, userId: string): Promise<void> {
    await this.send('POST', '/api/v1/websocket-event', { event, payload, userId });
  }

  /** `API.SendEphemeralPost`: a message in a channel (or thread) that only `userId` sees. */
  async sendEphemeralPost(userId: string, post: EphemeralPost): Promise<void> {
    await this.send('POST', '/api/v1/ephemeral-post', { userId, post });
  }

  /** The plugin bot's user id. */
  async getBotUserId(): Promise<string> {
    const body = await this.send('GET', '/api/v1/bot');
    const userId = (body as { userId?: unknown } | undefined)?.userId;
    if (typeof userId !== 'string' || userId === '')
      throw new ShimChannelError('GET /api/v1/bot', 200, 'the answer has no userId');
    return userId;
  }

  /** The shim's registration with the Agents plugin (the AI bot): `GET /api/v1/agents-bridge`. */
  async getAgentsBridge(): Promise<AgentsBridgeStatus> {
    const body = (await this.send('GET', '/api/v1/agents-bridge')) as { state?: unknown; detail?: unknown } | undefined;
    if (typeof body?.state !== 'string')
      throw new ShimChannelError('GET /api/v1/agents-bridge', 200, 'the answer has no state');
    return { state: body.state, ...(typeof body.detail === 'string' && body.detail ? { detail: body.detail } : {}) };
  }

  private send(method: string, path: string, body?: unknown): Promise<unknown> {
    const route = `${method} ${path}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.secret}`,
      accept: 'application/json',
    };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const req = request({ ...this.target, method, path, headers, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          const json = parseJson(text);
          if (status >= 200 && status < 300) resolve(json);
          else reject(new ShimChannelError(route, status, errorReason(json, text)));
        });
        res.on('error', (error) =>
          reject(new ShimChannelError(route, res.statusCode, error.message, { cause: error })),
        );
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs / 1000} s`)));
      req.on('error', (error) => reject(new ShimChannelError(route, undefined, error.message, { cause: error })));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}

function parseTarget(url: string): Target {
  if (url.startsWith('unix:')) {
    const socketPath = url.slice('unix:'.length);
    if (!socketPath) throw new Error('MCP_SHIM_URL: "unix:" needs a socket path.');
    return { socketPath };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`MCP_SHIM_URL: "${url}" is not unix:<path> or http://<host>:<port>.`);
  }
  if (parsed.protocol !== 'http:')
    throw new Error(`MCP_SHIM_URL: "${url}" must be unix:<path> or http://<host>:<port>.`);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 80) };
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorReason(json: unknown, text: string): string {
  const error = (json as { error?: unknown } | undefined)?.error;
  const reason = typeof error === 'string' ? error : text.trim();
  const line = reason.replace(/\s+/g, ' ');
  return line ? (line.length > 300 ? `${line.slice(0, 300)}…` : line) : 'no reason given';
}
