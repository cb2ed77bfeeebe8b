import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { startDeadServer, type DeadServer } from '../support/dead-server.js';
import { silentLogger } from '../support/logger.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { sidecarRequest } from '../support/sidecar-client.js';
import { connectAskingForOAuth, startProtectedServer } from './oauth-stand-in.js';

const SECRET = 'test-secret-0123456789abcdef';
const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';

describe('GET /autocomplete/servers', () => {
  let wiki: TestMcpServer;
  let dead: DeadServer;
  let locked: { url: string; close(): Promise<void> };
  let sidecar: Sidecar;

  beforeAll(async () => {
    wiki = await startMcpServer({ tools: [echoTool, whoamiTool] });
    dead = await startDeadServer();
    locked = await startProtectedServer();
    sidecar = await startSidecar({
      config: parseConfig({
        servers: [
          { name: 'wiki', baseURL: wiki.url },
          { name: 'Team Wiki', baseURL: locked.url },
          { name: 'dead', baseURL: dead.url },
          { name: 'retired', baseURL: wiki.url, enabled: false },
        ],
      }),
      secret: SECRET,
      logger: silentLogger(),
      listen: '127.0.0.1:0',
      clientDeps: { connect: connectAskingForOAuth },
    });
  });

  afterAll(async () => {
    await sidecar.close();
    await Promise.all([wiki.close(), locked.close(), dead.close()]);
  });

  it('lists the enabled servers as Mattermost AutocompleteListItems with the user’s status as help text', async () => {
    // Mattermost calls the FetchURL with the typed text; it filters the list by prefix itself.
    const response = await sidecarRequest(
      sidecar.address,
      '/autocomplete/servers?user_input=w&parsed=%2Fmcp+connect+',
      { secret: SECRET, userId: ALICE },
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual([
      { Item: 'wiki', Hint: new URL(wiki.url).origin, HelpText: '✅ Connected, 2 tools' },
      {
        Item: '"Team Wiki"',
        Hint: new URL(locked.url).origin,
        HelpText: '🔑 Not connected: connect your account to use it',
      },
      {
        Item: 'dead',
        Hint: new URL(dead.url).origin,
        HelpText: expect.stringMatching(/^⚠️ Error: could not connect \(.*fetch failed\)/),
      },
    ]);
  });

  it('needs the user Mattermost authenticated', async () => {
    const response = await sidecarRequest(sidecar.address, '/autocomplete/servers', { secret: SECRET });
    expect(response.status).toBe(401);
  });

  it('offers nothing while MCP is disabled', async () => {
    const off = await startSidecar({
      config: parseConfig({ enabled: false, servers: [{ name: 'wiki', baseURL: wiki.url }] }),
      secret: SECRET,
      logger: silentLogger(),
      listen: '127.0.0.1:0',
    });
    try {
      const response = await sidecarRequest(off.address, '/autocomplete/servers', { secret: SECRET, userId: ALICE });
      expect(response.body).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
