/**
 * A stand-in for the Mattermost webapp that loads the real plugin bundle: it provides React and
 * ReactDOM as globals (UMD builds), `window.registerPlugin` with a registry that records what the
 * plugin registers and renders it where Mattermost would (System Console setting, channel-header
 * button, right-hand sidebar), session cookies (MMAUTHTOKEN, MMCSRF), and a WebSocket-event
 * dispatcher the test drives. `/plugins/mattermost-mcp/*` is proxied to a real sidecar the way
 * Mattermost and the Go shim together would: the user only for a valid session that passes the CSRF
 * check, client identity headers dropped, `X-Mattermost-UserID` and the sidecar secret added.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { type Request, type Response } from 'express';
import { HOST_HTML } from './host-page-html.js';

const PLUGIN_ID = 'mattermost-mcp';
const require = createRequire(import.meta.url);
const REACT_UMD = join(dirname(require.resolve('react/package.json')), 'umd', 'react.development.js');
const REACT_DOM_UMD = join(dirname(require.resolve('react-dom/package.json')), 'umd', 'react-dom.development.js');

export interface HostPageOptions {
  /** The Mattermost user the session cookie belongs to (a system admin). */
  readonly userId: string;
  /** The built plugin bundle (webapp/dist/main.js or a test build). */
  readonly bundlePath: string;
  /** The bot token the sidecar may use on the fake REST API (`GET /api/v4/users/:id`). */
  readonly restToken: string;
}

/** Where the proxy sends plugin requests; set once the sidecar is up (it needs the page's URL first). */
export interface SidecarTarget {
  /** `http://127.0.0.1:port`. */
  readonly address: string;
  readonly secret: string;
}

/** A plugin request as the proxy saw it. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** Whether the request reached the sidecar with the user (session valid and CSRF passed). */
  readonly authenticated: boolean;
  readonly body?: unknown;
}

export interface HostPage {
  readonly url: string;
  setSidecar(target: SidecarTarget): void;
  readonly csrfToken: string;
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

/** Headers a browser could send to impersonate someone; the shim drops them (server/shim/proxy.go). */
function isIdentityHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    [
      'x-mattermost-userid',
      'x-mattermost-plugin-caller',
      'authorization',
      'mattermost-user-id',
      'mattermost-plugin-id',
      'cookie',
      'host',
    ].includes(lower) || lower.startsWith('x-mcp-')
  );
}

function cookies(header: string | undefined): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) jar.set(part.slice(0, at).trim(), decodeURIComponent(part.slice(at + 1).trim()));
  }
  return jar;
}

export async function startHostPage(options: HostPageOptions): Promise<HostPage> {
  const sessionToken = randomBytes(16).toString('hex');
  const csrfToken = randomBytes(16).toString('hex');
  const requests: ProxiedRequest[] = [];
  let target: SidecarTarget | undefined;
  const app = express();

  app.get('/', (_req, res) => {
    res.cookie('MMAUTHTOKEN', sessionToken, { httpOnly: true, path: '/' });
    res.cookie('MMCSRF', csrfToken, { path: '/' });
    res.type('html').send(HOST_HTML);
  });
  app.get('/static/react.js', (_req, res) => res.sendFile(REACT_UMD));
  app.get('/static/react-dom.js', (_req, res) => res.sendFile(REACT_DOM_UMD));
  app.get('/static/plugin.js', (_req, res) => res.sendFile(options.bundlePath));

  // Mattermost's REST API, as much as the sidecar's admin check reads: the test user is a system admin.
  // Like Mattermost: the auth scheme is case-insensitive (Client4 sends "BEARER"), JSON is exactly application/json.
  app.get('/api/v4/users/:id', (req, res) => {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    const [scheme, token] = (req.header('authorization') ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || token !== options.restToken) {
      json(401, {
        id: 'api.context.session_expired.app_error',
        message: 'Invalid or expired session, please login again.',
        status_code: 401,
      });
      return;
    }
    const roles = req.params.id === options.userId ? 'system_user system_admin' : 'system_user';
    json(200, { id: req.params.id, username: `user-${req.params.id.slice(0, 6)}`, roles, delete_at: 0 });
  });

  app.all(/^\/plugins\/mattermost-mcp(\/.*)$/, (req: Request, res: Response) => {
    const path = req.originalUrl.slice(`/plugins/${PLUGIN_ID}`.length) || '/';
    const jar = cookies(req.headers.cookie);
    const session = jar.get('MMAUTHTOKEN') === sessionToken;
    // Strict CSRF (plugin_requests.go): a cookie session's non-GET request needs X-CSRF-Token = MMCSRF.
    const csrfOK = req.method === 'GET' || req.method === 'HEAD' || req.header('x-csrf-token') === csrfToken;
    const authenticated = session && csrfOK;
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!isIdentityHeader(name)) headers[name] = value;
    if (authenticated) headers['x-mattermost-userid'] = options.userId;
    headers.authorization = `Bearer ${target?.secret ?? ''}`;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: unknown;
      try {
        body = raw.length ? JSON.parse(raw.toString()) : undefined;
      } catch {
        body = raw.toString();
      }
      requests.push({ method: req.method, path, authenticated, body });
      if (!target) {
        res.status(502).json({ error: 'The MCP sidecar is not running.' });
        return;
      }
      const sidecar = new URL(target.address);
      const upstream = httpRequest(
        { host: sidecar.hostname, port: Number(sidecar.port), method: req.method, path, headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent)
          res
            .status(502)
            .json({ error: 'The MCP sidecar is not reachable; ask a system admin to check the server log.' });
      });
      upstream.end(raw);
    });
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    csrfToken,
    requests,
    setSidecar(next) {
      target = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A WebSocket event the sidecar asked the shim to publish (`API.PublishWebSocketEvent`). */
export interface PublishedEvent {
  /** As clients receive it: `custom_<plugin id>_<event>`. */
  readonly event: string;
  readonly payload: Record<string, unknown>;
  readonly userId: string;
}

export interface ReverseChannel {
  /** `unix:<path>`, for the sidecar's `mattermost.shimURL` (MCP_SHIM_URL). */
  readonly url: string;
  readonly events: PublishedEvent[];
  close(): Promise<void>;
}

/**
 * The shim's end of the reverse channel (docs/sidecar-protocol.md) on a unix socket: WebSocket events
 * are recorded and handed to `onEvent`, which plays Mattermost's part and delivers them to the page.
 */
export async function startReverseChannel(
  socketPath: string,
  secret: string,
  onEvent: (event: PublishedEvent) => void,
): Promise<ReverseChannel> {
  const events: PublishedEvent[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.headers.authorization !== `Bearer ${secret}`) return reply(401, { error: 'wrong secret' });
      if (req.method === 'GET' && req.url === '/api/v1/bot')
        return reply(200, { userId: 'mcpbotaaaaaaaaaaaaaaaaaaaa' });
      if (req.method === 'POST' && req.url === '/api/v1/websocket-event') {
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as {
          event: string;
          payload: Record<string, unknown>;
          userId: string;
        };
        const published = { event: `custom_${PLUGIN_ID}_${body.event}`, payload: body.payload, userId: body.userId };
        events.push(published);
        onEvent(published);
        return reply(200, {});
      }
      if (req.method === 'POST' && req.url === '/api/v1/ephemeral-post') return reply(200, {});
      return reply(404, { error: `no route ${req.method} ${req.url}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    url: `unix:${socketPath}`,
    events,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
