import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { internalCredential, requireMcpEndpointCaller } from '../../server/http/authentication.js';
import { callerSettingsFrom } from '../../server/http/caller-settings.js';
import { toErrorResponse, type HttpError } from '../../server/http/errors.js';
import type { Sidecar } from '../../server/sidecar.js';
import type { TestMcpServer } from '../support/mcp-test-server.js';
import {
  ADMIN,
  ALICE,
  startSidecarWithMattermost,
  type SidecarWithMattermost,
} from '../support/sidecar-with-mattermost.js';
import { sidecarRequest, type RequestOptions } from '../support/sidecar-client.js';

const SECRET = 'route-access-secret-0123456789abcdef';
const BOT_TOKEN = 'bottokenrouteaccessaaaaaaaa';
const MCP_CALL = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'tools__whoami', arguments: {} } };
const MCP_ACCEPT = { accept: 'application/json, text/event-stream' };

let world: SidecarWithMattermost;
let mcp: TestMcpServer;
let sidecar: Sidecar;

beforeAll(async () => {
  world = await startSidecarWithMattermost(SECRET, BOT_TOKEN);
  ({ mcp, sidecar } = world);
});

afterAll(async () => {
  await world?.close();
});

const request = (path: string, options: RequestOptions) =>
  sidecarRequest(sidecar.address, path, { secret: SECRET, ...options });
/** What the shim sends for OnConfigurationChange, with the caller settings of a spec. */
const pushSettings = async (callers: Record<string, unknown>) => {
  const answer = await request('/hooks/OnConfigurationChange', {
    body: { settings: { config: world.config(), ...callers } },
  });
  expect(answer.status).toBe(200);
};

type Route = readonly [method: string, path: string, body?: unknown];
const INTERNAL: readonly Route[] = [
  ['GET', '/healthz'],
  ['GET', '/metrics'],
  [
    'POST',
    '/hooks/OnConfigurationChange',
    { settings: { config: { servers: [] }, externalmcpclients: true, trustedpluginids: 'com.example.spy' } },
  ],
  ['POST', '/hooks/ConfigurationWillBeSaved', { settings: { config: { servers: [] } } }],
  ['POST', '/hooks/ExecuteCommand', { user_id: ALICE, command: '/mcp status' }],
  ['POST', '/hooks/UserHasBeenDeactivated', { user_id: ALICE }],
  ['POST', '/hooks/OnDeactivate', {}],
  ['POST', '/HOOKS/OnDeactivate', {}],
  ['GET', '/healthz/'],
  ['GET', '/Metrics'],
];
/** Routes a signed-in user may use (the admin routes check the role themselves). */
const USER_ROUTES: readonly Route[] = [
  ['GET', '/api/v1/tools'],
  ['POST', '/api/v1/tools/call', { name: 'tools__whoami', arguments: {} }],
  ['GET', '/mcp/tools'],
  ['PUT', '/mcp/servers/tools/enabled', { enabled: true }],
  ['GET', '/autocomplete/servers'],
  ['GET', '/mcp/oauth/tools/start'],
  ['GET', '/oauth/callback?state=forged&code=forged'],
  ['DELETE', '/mcp/oauth/tools'],
];
const ADMIN_ROUTES: readonly Route[] = [
  ['GET', '/admin/mcp/tools'],
  ['POST', '/admin/mcp/discover', { name: 'probe', baseURL: 'http://127.0.0.1:9/mcp' }],
];
const MCP_ENDPOINT: Route = ['POST', '/api/v1/mcp', MCP_CALL];
const PLUGIN_ROUTES: readonly Route[] = [USER_ROUTES[0]!, USER_ROUTES[1]!, MCP_ENDPOINT];
const PUBLIC_ROUTES: readonly Route[] = [
  ...USER_ROUTES,
  ...ADMIN_ROUTES,
  MCP_ENDPOINT,
  ['GET', '/oauth/client-metadata.json'],
];
const as = ([method, , body]: Route, options: RequestOptions = {}): RequestOptions => ({
  method,
  headers: MCP_ACCEPT,
  ...(body === undefined ? {} : { body }),
  ...options,
});

describe('the internal credential', () => {
  it('is HMAC-SHA256 of a fixed label keyed by the secret, as the shim derives it (server/shim/public_routes_test.go)', () => {
    expect(internalCredential('external-secret-0123456789abcdef')).toBe(
      '8fa73de16a389c5442b1cd03761663aa69fa39715c0d849b5ffff3da7927f04c',
    );
  });

  it.each(INTERNAL.slice(0, 2))('opens %s %s', async (...route) => {
    expect((await request(route[1], as(route))).status).toBe(200);
  });

  it.each(INTERNAL)(
    'is the only way into %s %s: the secret the shim proxies with is refused with 403 and changes nothing',
    async (...route) => {
      const before = mcp.requests.length;
      const response = await request(route[1], as(route, { credential: 'proxied', userId: ADMIN }));
      expect(response.status).toBe(403);
      expect(response.body).toEqual({
        code: 'ERR_INTERNAL_ROUTE',
        error: expect.stringContaining('not reachable through Mattermost'),
      });
      expect(mcp.requests.length).toBe(before);
      expect(sidecar.manager.currentConfig.servers.map((s) => s.name)).toEqual(['tools']);
      expect((await request('/api/v1/tools/call', { userId: ALICE, body: { name: 'tools__whoami' } })).body.text).toBe(
        ALICE,
      );
    },
  );
});

describe('anonymous: no user vouched for', () => {
  it.each([...USER_ROUTES, ...ADMIN_ROUTES])('%s %s answers 401', async (...route) => {
    expect((await request(route[1], as(route))).status).toBe(401);
  });

  it('gets the OAuth client metadata document, which the authorization server fetches without a session', async () => {
    const response = await request('/oauth/client-metadata.json', {});
    expect(response.status).toBe(200);
    expect(response.body.redirect_uris).toEqual([expect.stringMatching(/\/oauth\/callback$/)]);
  });

  it('is refused at the MCP endpoint: 403 while external clients are off, 401 when they are on', async () => {
    expect((await request('/api/v1/mcp', as(MCP_ENDPOINT))).body.code).toBe('ERR_EXTERNAL_CLIENTS_OFF');
    await pushSettings({ externalmcpclients: true });
    try {
      const response = await request('/api/v1/mcp', as(MCP_ENDPOINT));
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('ERR_NO_USER');
    } finally {
      await pushSettings({});
    }
  });
});

describe('a user', () => {
  it.each([
    ['GET', '/api/v1/tools', 200],
    ['POST', '/api/v1/tools/call', 200],
    ['GET', '/mcp/tools', 200],
    ['PUT', '/mcp/servers/tools/enabled', 200],
    ['GET', '/autocomplete/servers', 200],
    ['DELETE', '/mcp/oauth/tools', 200],
  ] as const)('uses %s %s (%i)', async (method, path, status) => {
    const route = USER_ROUTES.find(([m, p]) => m === method && p === path)!;
    expect((await request(path, as(route, { userId: ALICE }))).status).toBe(status);
  });

  it.each(ADMIN_ROUTES)(
    'is refused %s %s with 403: the fake Mattermost says Alice is no system admin',
    async (...route) => {
      const response = await request(route[1], as(route, { userId: ALICE }));
      expect(response.status).toBe(403);
    },
  );

  it.each(ADMIN_ROUTES)('who is a system admin uses %s %s', async (...route) => {
    const response = await request(route[1], as(route, { userId: ADMIN }));
    expect([200, 502]).toContain(response.status); // discover reaches a closed port: 502 is its answer, not a refusal
    expect(response.body.code).not.toBe('ERR_NOT_ADMIN');
  });

  it('reaches the MCP endpoint from their own MCP client only when ExternalMCPClients is on', async () => {
    const off = await request('/api/v1/mcp', as(MCP_ENDPOINT, { userId: ALICE }));
    expect(off.status).toBe(403);
    expect(off.body).toEqual({
      code: 'ERR_EXTERNAL_CLIENTS_OFF',
      error: expect.stringContaining('External MCP clients'),
    });
    await pushSettings({ externalmcpclients: true });
    try {
      const on = await request('/api/v1/mcp', as(MCP_ENDPOINT, { userId: ALICE }));
      expect(on.status).toBe(200);
      expect(on.body.result.content[0].text).toBe(ALICE);
    } finally {
      await pushSettings({});
    }
  });
});

describe('another plugin', () => {
  it.each(PLUGIN_ROUTES)('the AI bot (trusted by default) uses %s %s as the user it names', async (...route) => {
    const response = await request(route[1], as(route, { userId: ALICE, pluginCaller: 'mattermost-ai' }));
    expect(response.status).toBe(200);
    if (route[2] === undefined)
      expect(response.body.tools.map((t: { name: string }) => t.name)).toContain('tools__whoami');
    else expect(JSON.stringify(response.body)).toContain(ALICE); // whoami answered as Alice
  });

  it.each(PUBLIC_ROUTES.filter((r) => !PLUGIN_ROUTES.includes(r)))(
    'the AI bot is refused %s %s: plugins reach only its routes',
    async (...route) => {
      const response = await request(route[1], as(route, { userId: ADMIN, pluginCaller: 'mattermost-ai' }));
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('ERR_PLUGIN_ROUTE');
    },
  );

  it.each(PUBLIC_ROUTES)(
    'a plugin not in TrustedPluginIDs is refused %s %s with 403 and reaches no MCP server',
    async (...route) => {
      const before = mcp.requests.length;
      const response = await request(route[1], as(route, { userId: ALICE, pluginCaller: 'com.example.spy' }));
      expect(response.status).toBe(403);
      expect(response.body).toEqual({
        code: 'ERR_PLUGIN_NOT_TRUSTED',
        error: expect.stringContaining('"com.example.spy" may not call MCP Tools'),
      });
      expect(mcp.requests.length).toBe(before);
    },
  );

  it('a trusted plugin naming no user is refused at the MCP endpoint with 401', async () => {
    const response = await request('/api/v1/mcp', as(MCP_ENDPOINT, { pluginCaller: 'mattermost-ai' }));
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('ERR_NO_USER');
  });

  it('follows TrustedPluginIDs as OnConfigurationChange pushes it', async () => {
    await pushSettings({ trustedpluginids: ' com.example.other , ' });
    try {
      expect(
        (await request('/api/v1/mcp', as(MCP_ENDPOINT, { userId: ALICE, pluginCaller: 'mattermost-ai' }))).status,
      ).toBe(403);
      expect(
        (await request('/api/v1/mcp', as(MCP_ENDPOINT, { userId: ALICE, pluginCaller: 'com.example.other' }))).status,
      ).toBe(200);
      await pushSettings({ trustedpluginids: '' });
      expect((await request('/api/v1/tools', { userId: ALICE, pluginCaller: 'com.example.other' })).status).toBe(403);
    } finally {
      await pushSettings({});
    }
    expect((await request('/api/v1/tools', { userId: ALICE, pluginCaller: 'mattermost-ai' })).status).toBe(200);
  });
});

describe('requireMcpEndpointCaller, the MCP endpoint’s contract', () => {
  const decide = (settings: Record<string, unknown>, headers: Record<string, string>) =>
    new Promise<{ error?: HttpError; locals: Record<string, unknown> }>((resolve) => {
      const locals: Record<string, unknown> = {};
      const req = { header: (name: string) => headers[name.toLowerCase()] } as never;
      const res = { locals, req } as never;
      requireMcpEndpointCaller({ current: callerSettingsFrom(settings) })(req, res, (error?: unknown) =>
        resolve({ error: error as never, locals }),
      );
    });

  it('admits a trusted plugin acting for a user, and says who', async () => {
    const { error, locals } = await decide(
      {},
      { 'x-mattermost-plugin-caller': 'mattermost-ai', 'x-mattermost-userid': ALICE },
    );
    expect(error).toBeUndefined();
    expect(locals).toEqual(expect.objectContaining({ userId: ALICE, pluginCaller: 'mattermost-ai' }));
  });

  it('admits a user with no plugin only when externalmcpclients is true (or "true")', async () => {
    expect((await decide({}, { 'x-mattermost-userid': ALICE })).error?.code).toBe('ERR_EXTERNAL_CLIENTS_OFF');
    expect((await decide({ externalmcpclients: false }, { 'x-mattermost-userid': ALICE })).error?.code).toBe(
      'ERR_EXTERNAL_CLIENTS_OFF',
    );
    expect((await decide({ externalmcpclients: 'true' }, { 'x-mattermost-userid': ALICE })).error).toBeUndefined();
    const { locals } = await decide({ externalmcpclients: true }, { 'x-mattermost-userid': ALICE });
    expect(locals.userId).toBe(ALICE);
    expect(locals.pluginCaller).toBeUndefined();
  });

  it('refuses a plugin missing from trustedpluginids even when external clients are on', async () => {
    const { error } = await decide(
      { externalmcpclients: true, trustedpluginids: 'a,b' },
      { 'x-mattermost-plugin-caller': 'mattermost-ai', 'x-mattermost-userid': ALICE },
    );
    expect(error).toBeDefined();
    expect(toErrorResponse(error).status).toBe(403);
  });
});
