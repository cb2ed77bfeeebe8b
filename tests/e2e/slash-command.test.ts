/**
 * `/mcp` typed in a channel of a real Mattermost (`POST /api/v4/commands/execute`): status, tools,
 * connect, disconnect and help, answered to the user who typed it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { connectInBrowser } from './support/connect.js';
import { runCommand, useServers } from './support/people.js';
import { pluginPath, world } from './support/world.js';

let as: TestAuthorizationServer;
let locked: ProtectedMcpServer;
let wiki: TestMcpServer;

beforeAll(async () => {
  as = await startAuthorizationServer();
  locked = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
  wiki = await startMcpServer({ tools: [echoTool, whoamiTool] });
  await useServers([
    { name: 'wiki', baseURL: wiki.url },
    { name: 'locked', baseURL: locked.url },
  ]);
});

afterAll(async () => {
  await wiki?.close();
  await locked?.stop();
  await as?.stop();
});

const connectLink = () => `[Connect your account](${world().siteURL}${pluginPath('/mcp/oauth/locked/start')})`;

describe('/mcp in a channel', () => {
  it('status shows each server and a Connect link where the user has no account connected', async () => {
    const text = await runCommand(world().bob, '/mcp status');
    expect(text).toMatch(/\| ✅ \| \*\*wiki\*\* \| Connected, 2 tools \(~\d+ tokens\) \|/);
    expect(text).toContain(`| 🔑 | **locked** | Not connected: ${connectLink()} |`);
  });

  it('tools lists the user’s tools under the names the bot uses', async () => {
    const text = await runCommand(world().bob, '/mcp tools');
    expect(text).toContain('- `wiki__echo`: Echoes its message');
    expect(text).toContain(`**locked**: 🔑 ${connectLink()} to use its tools.`);
  });

  it('connect gives the Connect link; after the browser flow the server is connected', async () => {
    const { bob } = world();
    expect(await runCommand(bob, '/mcp connect locked')).toContain(
      `(${world().siteURL}${pluginPath('/mcp/oauth/locked/start')})`,
    );
    await connectInBrowser(bob, 'locked', as.issuer);
    expect(await runCommand(bob, '/mcp status')).toMatch(
      /\| ✅ \| \*\*locked\*\* \| Connected, 2 tools \(~\d+ tokens\) \|/,
    );
    expect(await runCommand(bob, '/mcp connect locked')).toContain('**locked** is already connected for you');
  });

  it('disconnect removes the user’s stored connection and status asks to connect again', async () => {
    const { bob } = world();
    expect(await runCommand(bob, '/mcp disconnect locked')).toBe(
      'Removed your stored connection to **locked**. Run `/mcp connect locked` to connect again.',
    );
    expect(await runCommand(bob, '/mcp status')).toContain(`| 🔑 | **locked** | Not connected: ${connectLink()} |`);
  });

  it('help lists every subcommand', async () => {
    const text = await runCommand(world().alice, '/mcp help');
    for (const sub of ['status', 'tools', 'connect <server>', 'disconnect <server>', 'help'])
      expect(text).toContain(`\`/mcp ${sub}\``);
  });
});
