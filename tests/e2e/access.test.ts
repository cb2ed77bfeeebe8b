/**
 * Who reaches what through a real Mattermost: admin routes for system admins only, nothing for a
 * request without a session, the sidecar's internal routes (hooks, health, metrics) for nobody, not
 * even an admin, and identity only from Mattermost's own session, whatever headers the caller adds.
 */
import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { ApiRequest } from './support/mattermost-api.js';
import { rawRequest } from './support/raw-request.js';
import { callTool, listTools, ownServerForThisFile } from './support/people.js';
import { api, pluginPath, world } from './support/world.js';

const own = ownServerForThisFile();

const plugin = (path: string, options: ApiRequest = {}) => api().request(pluginPath(path), options);

/** Nothing of a user's or of the plugin's inside: no tool, server, user id or sidecar statistic. */
function expectNoData(response: { readonly text: string }): void {
  const { alice, bob, admin } = world();
  for (const secret of [
    'own__',
    'echo',
    alice.userId,
    bob.userId,
    admin.userId,
    'connectedClients',
    'mcp_',
    'process_cpu',
  ]) {
    expect(response.text).not.toContain(secret);
  }
}

interface Route {
  readonly method: string;
  readonly path: string;
  readonly json?: unknown;
}

const routes = (rows: ReadonlyArray<[string, string, unknown?]>): Route[] =>
  rows.map(([method, path, json]) => ({ method, path, json }));

/** Every route a user, an admin, the OAuth redirect or the AI bot uses (method, path, JSON body). */
const PUBLIC_ROUTES = routes([
  ['GET', '/api/v1/tools'],
  ['POST', '/api/v1/tools/call', { name: 'own__whoami', arguments: {} }],
  ['POST', '/api/v1/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }],
  ['GET', '/mcp/tools'],
  ['PUT', '/mcp/servers/own/enabled', { enabled: false }],
  ['GET', '/mcp/oauth/own/start'],
  ['GET', '/oauth/callback?code=guess&state=guess'],
  ['DELETE', '/mcp/oauth/own'],
  ['GET', '/admin/mcp/tools'],
  ['GET', '/admin/mcp/config'],
  ['POST', '/admin/mcp/discover', { name: 'trial', baseURL: 'http://127.0.0.1:9/mcp' }],
  ['GET', '/autocomplete/servers'],
]);

/** The sidecar's own routes, for the shim alone. */
const INTERNAL_ROUTES = routes([
  ['POST', '/hooks/OnConfigurationChange', { settings: { config: { servers: [] } } }],
  ['POST', '/hooks/ConfigurationWillBeSaved', { settings: { config: { servers: [] } } }],
  ['POST', '/hooks/UserHasBeenDeactivated', { user_id: 'placeholder' }],
  ['POST', '/hooks/ExecuteCommand', { user_id: 'placeholder', command: '/mcp status' }],
  ['POST', '/hooks/OnDeactivate', {}],
  ['GET', '/healthz'],
  ['GET', '/metrics'],
]);

describe('admin routes', () => {
  it('refuse a user who is not a system admin with 403', async () => {
    const { alice } = world();
    for (const path of ['/admin/mcp/tools', '/admin/mcp/config'])
      expect((await plugin(path, { as: alice })).status).toBe(403);
    const discover = await plugin('/admin/mcp/discover', { as: alice, json: { name: 'trial', baseURL: own().url } });
    expect(discover.status).toBe(403);
    expectNoData(discover);
  });

  it('answer a system admin: every server’s tools, and a trial discovery of an unsaved server', async () => {
    const { admin } = world();
    const tools = await plugin('/admin/mcp/tools', { as: admin });
    expect(tools.status).toBe(200);
    expect(tools.json.servers).toEqual([
      expect.objectContaining({
        name: 'own',
        error: null,
        tools: expect.arrayContaining([expect.objectContaining({ name: 'echo' })]),
      }),
    ]);
    const discover = await plugin('/admin/mcp/discover', { as: admin, json: { name: 'trial', baseURL: own().url } });
    expect(discover.status).toBe(200);
    expect(discover.json).toEqual(
      expect.objectContaining({
        name: 'trial',
        error: null,
        tools: expect.arrayContaining([expect.objectContaining({ name: 'whoami' })]),
      }),
    );
  });
});

describe('without a Mattermost session', () => {
  it.each(PUBLIC_ROUTES)('$method $path answers 401, 403 or 404 and no data', async ({ method, path, json }) => {
    const response = await plugin(path, { method, ...(json !== undefined && { json }) });
    expect([401, 403, 404]).toContain(response.status);
    expectNoData(response);
  });
});

describe('internal routes', () => {
  it.each(INTERNAL_ROUTES)('$method $path is unreachable, even for a system admin', async ({ method, path, json }) => {
    const { admin, alice } = world();
    const body = json && JSON.parse(JSON.stringify(json).replace('placeholder', alice.userId));
    for (const as of [undefined, admin]) {
      const response = await plugin(path, { method, ...(as && { as }), ...(body !== undefined && { json: body }) });
      expect([401, 403, 404]).toContain(response.status);
      expectNoData(response);
    }
  });

  it.each([
    '/%68ooks/OnDeactivate',
    '/hooks%2FOnDeactivate',
    '//hooks/OnDeactivate',
    '/api/v1/../../hooks/OnDeactivate',
    '/api/v1/%2E%2E/%2E%2E/hooks/OnDeactivate',
    '/HOOKS/OnDeactivate',
  ])('is unreachable under an escaped or dotted path: %s', async (path) => {
    const { siteURL, admin } = world();
    const response = await rawRequest(siteURL, {
      method: 'POST',
      path: `/plugins/mattermost-mcp${path}`,
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).not.toBe(200);
    expect(response.status).toBeGreaterThanOrEqual(300);
    expectNoData(response);
  });

  it('left the configuration and the users as they were', async () => {
    const { alice } = world();
    const tools = await listTools(alice);
    expect(tools.json.tools.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(['own__echo', 'own__whoami']),
    );
    expect((await callTool(alice, 'own__whoami')).json.text).toBe(alice.userId);
  });
});

describe('spoofed identity headers', () => {
  const spoofing = () => {
    const { alice } = world();
    return {
      'X-Mattermost-UserID': alice.userId,
      'Mattermost-User-Id': alice.userId,
      'Mattermost-Plugin-ID': 'mattermost-ai',
      'X-Mattermost-Plugin-Caller': 'mattermost-ai',
    };
  };

  it('change nothing for a logged-in user: the tools still run as that user', async () => {
    const { bob } = world();
    for (const browser of [false, true]) {
      const response = await plugin('/api/v1/tools/call', {
        as: bob,
        browser,
        headers: spoofing(),
        json: { name: 'own__whoami', arguments: {} },
      });
      expect({ browser, status: response.status, body: response.json }).toEqual({
        browser,
        status: 200,
        body: expect.objectContaining({ text: bob.userId }),
      });
    }
  });

  it('give nothing to a request without a session, with or without a guessed bearer token', async () => {
    for (const authorization of [undefined, `Bearer ${randomBytes(32).toString('hex')}`]) {
      const headers = { ...spoofing(), ...(authorization && { Authorization: authorization }) };
      const list = await plugin('/api/v1/tools', { headers });
      expect([401, 403, 404]).toContain(list.status);
      expectNoData(list);
      const call = await plugin('/api/v1/tools/call', { headers, json: { name: 'own__whoami', arguments: {} } });
      expect([401, 403, 404]).toContain(call.status);
      expectNoData(call);
    }
  });
});
