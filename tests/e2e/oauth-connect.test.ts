/**
 * Connecting an account through a real Mattermost: the Connect URL opened in the user's browser
 * (Mattermost session cookie), oidc-provider's login and consent, the redirect back to the
 * plugin's callback through Mattermost, then tool calls with the user's own token. A new plugin
 * version uploaded over the old one keeps every user's connection; Disconnect forgets it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { authorizeInBrowser, connectInBrowser, connectURL as connectURLOf } from './support/connect.js';
import type { Session } from './support/mattermost-api.js';
import { callTool, listTools, useServers } from './support/people.js';
import { pluginState, repackWithVersion, uploadBundle, waitUntilRunning } from './support/plugin.js';
import { api, pluginPath, world } from './support/world.js';

let as: TestAuthorizationServer;
let secure: ProtectedMcpServer;

beforeAll(async () => {
  as = await startAuthorizationServer();
  secure = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
  await useServers([{ name: 'secure', baseURL: secure.url }]);
});

afterAll(async () => {
  await secure?.stop();
  await as?.stop();
});

const connect = (user: Session) => connectInBrowser(user, 'secure', as.issuer);
const connectURL = (user: Session) => connectURLOf(user, 'secure');

describe('OAuth Connect through Mattermost', () => {
  it('a user connects in the browser and then calls a tool with their own token', async () => {
    const { alice } = world();
    const before = await callTool(alice, 'secure__whoami');
    expect(before.status).toBe(403);
    expect(before.json).toEqual(
      expect.objectContaining({ code: 'ERR_OAUTH_NEEDED', authURL: await connectURL(alice) }),
    );
    await connect(alice);
    const call = await callTool(alice, 'secure__whoami');
    expect(call.status).toBe(200);
    expect(call.json.text).toBe(alice.username);
    expect((await listTools(alice)).json.errors.toolAuthErrors).toEqual([]);
  });

  it('refuses the callback in another user’s session, and without one', async () => {
    const { bob, alice } = world();
    const callback = await authorizeInBrowser(bob, 'secure', as.issuer);
    const stolen = await api().request(callback.href, { as: alice, browser: true });
    expect(stolen.status).toBe(400);
    expect(stolen.text).toContain('started by another Mattermost user');
    const anonymous = await api().request(callback.href);
    expect(anonymous.status).toBe(401);
    const owner = await api().request(callback.href, { as: bob, browser: true });
    expect(owner.status).toBe(200);
    expect((await callTool(bob, 'secure__whoami')).json.text).toBe(bob.username);
  });

  it('the start route needs a Mattermost session', async () => {
    const response = await api().request(pluginPath('/mcp/oauth/secure/start'));
    expect(response.status).toBe(401);
    expect(response.headers.get('location')).toBeNull();
  });

  it('a new plugin version uploaded over the old one keeps every user’s connection', async () => {
    const { admin, alice, bob, bundle, workDir } = world();
    const current = await pluginState(api(), admin);
    const [major, minor, patch] = current!.version.split(/[.-]/).map(Number);
    const next = `${major}.${minor}.${patch! + 1}`;
    await uploadBundle(api(), admin, repackWithVersion(bundle, next, workDir));
    await waitUntilRunning(api(), admin, next);
    for (const user of [alice, bob]) {
      const call = await callTool(user, 'secure__whoami');
      expect(call.status).toBe(200);
      expect(call.json.text).toBe(user.username);
    }
  });

  it('Disconnect forgets the user’s tokens (revoked at the authorization server) and asks to connect again', async () => {
    const { alice, bob } = world();
    const response = await api().request(pluginPath('/mcp/oauth/secure'), {
      as: alice,
      browser: true,
      method: 'DELETE',
    });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ serverName: 'secure', revoked: true });
    const again = await callTool(alice, 'secure__whoami');
    expect(again.status).toBe(403);
    expect(again.json).toEqual(expect.objectContaining({ code: 'ERR_OAUTH_NEEDED', authURL: await connectURL(alice) }));
    expect((await callTool(bob, 'secure__whoami')).json.text).toBe(bob.username);
  });
});
