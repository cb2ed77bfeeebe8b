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
  return ['x-mattermost-userid', 'x-mattermost-plugin-caller', 'authorization', 'mattermost-user-id', 'mattermost-plugin-id', 'cookie', 'host'].includes(lower) || lower.startsWith('x-mcp-');
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
    const json = (status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    const [scheme, token] = (req.header('authorization') ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || token !== options.restToken) {
      json(401, { id: 'api.context.session_expired.app_error', message: 'Invalid or expired session, please login again.', status_code: 401 });
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
      const upstream = httpRequest({ host: sidecar.hostname, port: Number(sidecar.port), method: req.method, path, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => {
        if (!res.headersSent) res.status(502).json({ error: 'The MCP sidecar is not reachable; ask a system admin to check the server log.' });
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
export async function startReverseChannel(socketPath: string, secret: string, onEvent: (event: PublishedEvent) => void): Promise<ReverseChannel> {
  const events: PublishedEvent[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.headers.authorization !== `Bearer ${secret}`) return reply(401, { error: 'wrong secret' });
      if (req.method === 'GET' && req.url === '/api/v1/bot') return reply(200, { userId: 'mcpbotaaaaaaaaaaaaaaaaaaaa' });
      if (req.method === 'POST' && req.url === '/api/v1/websocket-event') {
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { event: string; payload: Record<string, unknown>; userId: string };
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

/**
 * The page. Query parameters: `view=console|channel`, `theme=light|dark`, `value=<Config JSON>`
 * (the setting's stored value). `window.__mm` exposes what the plugin registered and did.
 */
const HOST_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Mattermost (test host)</title>
<style>
  :root {
    --center-channel-bg: #ffffff; --center-channel-bg-rgb: 255, 255, 255;
    --center-channel-color: #3f4350; --center-channel-color-rgb: 63, 67, 80;
    --button-bg: #1c58d9; --button-bg-rgb: 28, 88, 217; --button-color: #ffffff; --button-color-rgb: 255, 255, 255;
    --error-text: #d24b4e; --error-text-color-rgb: 210, 75, 78;
    --online-indicator: #3db887; --online-indicator-rgb: 61, 184, 135;
    --away-indicator: #ffbc1f; --away-indicator-rgb: 255, 188, 31;
    --link-color: #386fe5; --link-color-rgb: 56, 111, 229;
    --sidebar-bg: #1e325c; --sidebar-text: #ffffff;
  }
  :root.theme-dark {
    --center-channel-bg: #191b1f; --center-channel-bg-rgb: 25, 27, 31;
    --center-channel-color: #e3e4e8; --center-channel-color-rgb: 227, 228, 232;
    --button-bg: #4a7ce8; --button-bg-rgb: 74, 124, 232; --button-color: #ffffff; --button-color-rgb: 255, 255, 255;
    --error-text: #da6c6e; --error-text-color-rgb: 218, 108, 110;
    --online-indicator: #3db887; --online-indicator-rgb: 61, 184, 135;
    --away-indicator: #f5ab07; --away-indicator-rgb: 245, 171, 7;
    --link-color: #4a7ce8; --link-color-rgb: 74, 124, 232;
    --sidebar-bg: #121317; --sidebar-text: #e3e4e8;
  }
  html, body, #root { margin: 0; height: 100%; }
  body { font-family: 'Open Sans', 'Helvetica Neue', Arial, sans-serif; background: var(--center-channel-bg); color: var(--center-channel-color); }
  .host-app { display: flex; min-height: 100%; }
  .host-sidebar { width: 220px; flex: none; background: var(--sidebar-bg); color: var(--sidebar-text); padding: 16px; font-weight: 600; }
  .host-main { flex: 1; display: flex; flex-direction: column; min-width: 0; }
  .host-header { display: flex; align-items: center; gap: 8px; height: 56px; padding: 0 16px; border-bottom: 1px solid rgba(var(--center-channel-color-rgb), 0.12); }
  .host-header h1 { font-size: 16px; margin: 0 auto 0 0; }
  .host-header button { display: inline-flex; align-items: center; justify-content: center; width: 32px; height: 32px; border: 0; border-radius: 4px;
    background: transparent; color: rgba(var(--center-channel-color-rgb), 0.64); cursor: pointer; }
  .host-header button[aria-pressed="true"] { background: rgba(var(--button-bg-rgb), 0.08); color: var(--button-bg); }
  .host-body { display: flex; flex: 1; min-height: 0; }
  .host-center { flex: 1; padding: 16px 24px; overflow: auto; }
  .host-rhs { width: 400px; flex: none; border-left: 1px solid rgba(var(--center-channel-color-rgb), 0.12); overflow: auto; }
  .host-rhs h2 { margin: 0; padding: 0 16px; height: 56px; display: flex; align-items: center; font-size: 16px; border-bottom: 1px solid rgba(var(--center-channel-color-rgb), 0.12); }
  .host-console { padding: 24px 32px; flex: 1; background: rgba(var(--center-channel-color-rgb), 0.04); }
  .host-console-panel { background: var(--center-channel-bg); border-radius: 4px; padding: 24px 32px; box-shadow: 0 2px 3px rgba(0,0,0,0.08); }
  .host-console h2 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
  .host-setting { display: flex; gap: 24px; margin-top: 24px; }
  .host-setting > label { width: 200px; flex: none; font-weight: 600; }
  .host-setting > div { flex: 1; min-width: 0; }
  .host-save { margin-top: 16px; color: rgba(var(--center-channel-color-rgb), 0.64); font-size: 12px; }
</style>
<script src="/static/react.js"></script>
<script src="/static/react-dom.js"></script>
<script>
(function () {
  const params = new URLSearchParams(location.search);
  if (params.get('theme') === 'dark') document.documentElement.classList.add('theme-dark');
  const view = params.get('view') || 'channel';
  const h = React.createElement;
  const mm = window.__mm = {
    settings: {}, rhs: [], headerButtons: [], wsHandlers: {}, dispatched: [], onChangeCalls: [], saveNeeded: 0,
    rhsOpen: false,
    value: params.has('value') ? JSON.parse(params.get('value')) : undefined,
    emitWebSocket(event, data) {
      const handler = mm.wsHandlers[event];
      if (handler) handler({ event, data, broadcast: {}, seq: Date.now() });
      return Boolean(handler);
    },
  };
  const store = {
    getState: () => ({ entities: { general: { config: { SiteURL: location.origin } } } }),
    dispatch(action) {
      mm.dispatched.push(action);
      if (action && action.type === 'TOGGLE_RHS_PLUGIN') { mm.rhsOpen = !mm.rhsOpen; render(); }
      return action;
    },
  };
  let pluginRegistered = false;
  const registry = {
    registerAdminConsoleCustomSetting(key, component, options) { mm.settings[key] = { component, options: options || {} }; },
    registerRightHandSidebarComponent(component, title) {
      const id = 'rhs-' + mm.rhs.length;
      mm.rhs.push({ id, component, title });
      return { id, showRHSPlugin: { type: 'SHOW_RHS_PLUGIN', id }, hideRHSPlugin: { type: 'HIDE_RHS_PLUGIN', id }, toggleRHSPlugin: { type: 'TOGGLE_RHS_PLUGIN', id } };
    },
    registerChannelHeaderButtonAction(icon, action, dropdownText, tooltipText) { mm.headerButtons.push({ icon, action, dropdownText, tooltipText }); return 'button-' + mm.headerButtons.length; },
    registerWebSocketEventHandler(event, handler) { mm.wsHandlers[event] = handler; },
  };
  window.registerPlugin = function (id, plugin) {
    mm.pluginId = id;
    plugin.initialize(registry, store);
    pluginRegistered = true;
    render();
  };

  function ConsoleSetting(props) {
    const [value, setValue] = React.useState(mm.value);
    const [dirty, setDirty] = React.useState(false);
    const Component = props.setting.component;
    return h('div', { className: 'host-setting' },
      h('label', null, 'MCP configuration:'),
      h('div', null,
        h(Component, {
          id: 'PluginSettings.Plugins.' + mm.pluginId + '.config',
          label: 'MCP configuration',
          helpText: null,
          value,
          disabled: false,
          setByEnv: false,
          config: { ServiceSettings: { SiteURL: location.origin } },
          license: {},
          onChange(id, next) { mm.onChangeCalls.push({ id, value: JSON.parse(JSON.stringify(next)) }); mm.value = next; setValue(next); },
          setSaveNeeded() { mm.saveNeeded += 1; setDirty(true); },
          registerSaveAction() {}, unRegisterSaveAction() {},
        }),
        h('div', { className: 'host-save', 'data-testid': 'save-state' }, dirty ? 'Unsaved changes' : 'Saved')));
  }

  function App() {
    if (!pluginRegistered) return h('div', null, 'Loading plugin…');
    if (view === 'console') {
      return h('div', { className: 'host-app' },
        h('nav', { className: 'host-sidebar' }, 'System Console'),
        h('main', { className: 'host-console' },
          h('div', { className: 'host-console-panel' },
            h('h2', null, 'Mattermost MCP'),
            Object.entries(mm.settings).map(([key, setting]) => h(ConsoleSetting, { key, setting })))));
    }
    const rhs = mm.rhs[0];
    return h('div', { className: 'host-app' },
      h('nav', { className: 'host-sidebar' }, 'Town Square'),
      h('div', { className: 'host-main' },
        h('header', { className: 'host-header' },
          h('h1', null, 'Town Square'),
          mm.headerButtons.map((b, i) => h('button', { key: i, type: 'button', 'aria-label': b.tooltipText || b.dropdownText, 'aria-pressed': mm.rhsOpen, title: b.tooltipText, onClick: () => b.action({ id: 'channel1' }) }, b.icon))),
        h('div', { className: 'host-body' },
          h('div', { className: 'host-center' }, 'Welcome to Town Square.'),
          mm.rhsOpen && rhs && h('aside', { className: 'host-rhs', 'aria-label': 'Right-hand sidebar' }, h('h2', null, rhs.title), h(rhs.component)))));
  }

  let root;
  function render() {
    const container = document.getElementById('root');
    if (!container) return;
    if (!root) root = ReactDOM.createRoot(container);
    root.render(h(App));
  }
  window.addEventListener('DOMContentLoaded', render);
})();
</script>
<script src="/static/plugin.js" defer></script>
</head>
<body><div id="root"></div></body>
</html>`;
