import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig, type ConfigInput } from '../../server/config/schema.js';
import type { ConnectionActions } from '../../server/mattermost/connection-actions.js';
import { startSidecar, type Sidecar, type SidecarOptions } from '../../server/sidecar.js';
import { startDeadServer, type DeadServer } from '../support/dead-server.js';
import { silentLogger } from '../support/logger.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { sidecarRequest } from '../support/sidecar-client.js';
import { connectAskingForOAuth, startProtectedServer } from './oauth-stand-in.js';

const SECRET = 'test-secret-0123456789abcdef';
const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';
const SITE = 'https://chat.example.com';
const LOCKED_LINK = `${SITE}/plugins/mattermost-mcp/mcp/oauth/locked/start`;

const sidecars: Sidecar[] = [];

async function sidecar(config: ConfigInput, extra: Partial<SidecarOptions> = {}): Promise<Sidecar> {
  const s = await startSidecar({
    config: parseConfig(config),
    secret: SECRET,
    logger: silentLogger(),
    listen: '127.0.0.1:0',
    clientDeps: { connect: connectAskingForOAuth },
    mattermost: { siteURL: SITE },
    ...extra,
  });
  sidecars.push(s);
  return s;
}

/** Sends `command` as Mattermost's CommandArgs through the ExecuteCommand hook; returns the reply text. */
async function run(on: Sidecar, command: string, userId = ALICE): Promise<string> {
  const args = {
    user_id: userId,
    channel_id: 'channelaaaaaaaaaaaaaaaaaaa',
    team_id: 'teamaaaaaaaaaaaaaaaaaaaaaa',
    root_id: '',
    parent_id: '',
    command,
  };
  const response = await sidecarRequest(on.address, '/hooks/ExecuteCommand', { secret: SECRET, userId, body: args });
  expect(response.status).toBe(200);
  expect(response.body).toEqual({ response_type: 'ephemeral', text: expect.any(String) });
  return response.body.text;
}

describe('/mcp', () => {
  let wiki: TestMcpServer;
  let team: TestMcpServer;
  let dead: DeadServer;
  let locked: { url: string; close(): Promise<void> };
  let main: Sidecar;

  beforeAll(async () => {
    wiki = await startMcpServer({ tools: [echoTool, whoamiTool] });
    team = await startMcpServer({
      tools: [{ ...echoTool, description: 'Echoes [click here](https://evil.example) **now**' }],
    });
    dead = await startDeadServer();
    locked = await startProtectedServer();
    main = await sidecar({
      servers: [
        { name: 'wiki', baseURL: wiki.url },
        { name: 'locked', baseURL: locked.url },
        { name: 'dead', baseURL: dead.url },
        { name: 'Team Wiki', baseURL: team.url },
        { name: 'retired', baseURL: wiki.url, enabled: false },
      ],
    });
  });

  afterAll(async () => {
    await Promise.all(sidecars.map((s) => s.close()));
    await Promise.all([wiki.close(), team.close(), locked.close(), dead.close()]);
  });

  describe('status', () => {
    it('shows each enabled server with its state, a Connect link or the reason it failed, and a summary', async () => {
      const text = await run(main, '/mcp status');
      expect(text.split('\n')).toEqual([
        '#### MCP servers',
        '| | Server | Status |',
        '|:--|:--|:--|',
        expect.stringMatching(/^\| ✅ \| \*\*wiki\*\* \| Connected, 2 tools \(~\d+ tokens\) \|$/),
        `| 🔑 | **locked** | Not connected: [Connect your account](${LOCKED_LINK}) |`,
        expect.stringMatching(
          /^\| ⚠️ \| \*\*dead\*\* \| Error: could not connect \(.*fetch failed\)\. Check that the server is running and its URL is right\. \|$/,
        ),
        expect.stringMatching(/^\| ✅ \| \*\*Team Wiki\*\* \| Connected, 1 tool \(~\d+ tokens\) \|$/),
        '',
        expect.stringMatching(
          /^\*\*2\*\* of 4 servers connected, 3 tools reach the AI bot for you, about \d+ tokens \(an estimate: JSON length \/ 4\); 1 needs you to connect; 1 has an error\.$/,
        ),
      ]);
    });

    it('says MCP is disabled when an admin turned it off', async () => {
      const off = await sidecar({ enabled: false, servers: [{ name: 'wiki', baseURL: wiki.url }] });
      expect(await run(off, '/mcp status')).toMatch(/^MCP is disabled/);
    });

    it('says no servers are configured when none is enabled', async () => {
      const empty = await sidecar({ servers: [{ name: 'retired', baseURL: wiki.url, enabled: false }] });
      expect(await run(empty, '/mcp status')).toMatch(/^No MCP servers are configured/);
      expect(await run(empty, '/mcp tools')).toMatch(/^No MCP servers are configured/);
    });
  });

  describe('tools', () => {
    it('lists the user’s tools by server under the names the bot uses, and what keeps the others away', async () => {
      const text = await run(main, '/mcp tools');
      expect(text).toContain(
        '**wiki** (2 tools)\n- `wiki__echo`: Echoes its message\n- `wiki__whoami`: Returns the X-Mattermost-UserID the server received',
      );
      expect(text).toContain(`**locked**: 🔑 [Connect your account](${LOCKED_LINK}) to use its tools.`);
      expect(text).toMatch(/\*\*dead\*\*: ⚠️ unavailable \(could not connect \(.*fetch failed\)\./);
      expect(text).toMatch(/\*\*Team Wiki\*\* \(1 tool\)\n- `Team_Wiki__echo\w*`: Echoes/);
      expect(text).toMatch(/The AI bot can use 3 tools for you\.$/);
    });

    it('cuts a list too long for one Mattermost post at a line', async () => {
      const many = await startMcpServer({
        tools: Array.from({ length: 150 }, (_, i) => ({ ...echoTool, name: `tool${i}`, description: 'd'.repeat(200) })),
      });
      try {
        const text = await run(await sidecar({ servers: [{ name: 'many', baseURL: many.url }] }), '/mcp tools');
        expect(text.length).toBeLessThanOrEqual(16_383);
        expect(text).toMatch(/\n- `many__tool\d+`: d+…\n\n… \(cut: too long for one message\)$/);
      } finally {
        await many.close();
      }
    });

    it('escapes Markdown in what MCP servers send, so a description cannot render a link', async () => {
      const text = await run(main, '/mcp tools');
      expect(text).toContain('Echoes \\[click here\\](https:\u2060//evil\u2060.example) \\*\\*now\\*\\*');
    });
  });

  describe('connect', () => {
    it('gives the Connect link of a server that needs the user’s account', async () => {
      const text = await run(main, '/mcp connect locked');
      expect(text).toMatch(
        new RegExp(`^🔑 \\[Connect your account to locked\\]\\(${LOCKED_LINK.replace(/[.]/g, '\\.')}\\)\n`),
      );
    });

    it('says so when the server needs no connection', async () => {
      expect(await run(main, '/mcp connect wiki')).toBe(
        '✅ **wiki** needs no connection: it works without signing in, and its 2 tools are ready for you.',
      );
    });

    it('accepts a quoted server name with spaces, in any case', async () => {
      expect(await run(main, '/mcp connect "team wiki"')).toBe(
        '✅ **Team Wiki** needs no connection: it works without signing in, and its 1 tool is ready for you.',
      );
      expect(await run(main, '/mcp connect Team Wiki')).toContain('**Team Wiki** needs no connection');
    });

    it('explains that a failing server has nothing to connect, with the reason', async () => {
      const text = await run(main, '/mcp connect dead');
      expect(text).toMatch(/^⚠️ \*\*dead\*\* is unavailable: could not connect \(.*fetch failed\)\./);
      expect(text).toContain('nothing to connect');
    });

    it('lists the valid names for an unknown server', async () => {
      expect(await run(main, '/mcp connect nope')).toBe(
        'There is no MCP server named **nope**. Servers: `wiki`, `locked`, `dead`, `Team Wiki`.',
      );
    });

    it('says a server is disabled rather than unknown', async () => {
      expect(await run(main, '/mcp connect retired')).toBe('**retired** is disabled by a system admin.');
    });

    it('shows the usage without a server name', async () => {
      expect(await run(main, '/mcp connect')).toBe(
        'Usage: `/mcp connect <server>`. Servers: `wiki`, `locked`, `dead`, `Team Wiki`.',
      );
    });
  });

  describe('disconnect without stored connections', () => {
    it('says there is no stored connection to remove instead of pretending', async () => {
      const text = await run(main, '/mcp disconnect wiki');
      expect(text).toBe(
        'There is no stored connection to **wiki** to remove: the plugin keeps no sign-in of yours for it, and uses it with the settings a system admin configured.',
      );
    });

    it('lists the valid names for an unknown server', async () => {
      expect(await run(main, '/mcp disconnect nope')).toContain(
        'There is no MCP server named **nope**. Servers: `wiki`',
      );
    });
  });

  describe('disconnect through the OAuth layer’s ConnectionActions', () => {
    const calls: Array<[string, string]> = [];
    let failNext: Error | undefined;
    const connections: ConnectionActions = {
      async disconnect(userId, serverName) {
        calls.push([userId, serverName]);
        if (failNext) {
          const error = failNext;
          failNext = undefined;
          throw error;
        }
      },
      hasTokens: async () => true,
    };
    let withStore: Sidecar;

    beforeAll(async () => {
      withStore = await sidecar(
        {
          servers: [
            { name: 'locked', baseURL: locked.url },
            { name: 'Team Wiki', baseURL: team.url },
          ],
        },
        { mattermost: { siteURL: SITE, connections } },
      );
    });

    it('removes the stored connection for the user who typed the command', async () => {
      calls.length = 0; // the other specs here disconnect too
      const text = await run(withStore, '/mcp disconnect "Team Wiki"');
      expect(calls).toEqual([[ALICE, 'Team Wiki']]);
      expect(text).toBe(
        'Removed your stored connection to **Team Wiki**. Run `/mcp connect "Team Wiki"` to connect again.',
      );
    });

    it('reports a failure to remove it instead of claiming success', async () => {
      failNext = new Error('token store unreachable');
      const text = await run(withStore, '/mcp disconnect locked');
      expect(text).toBe('⚠️ Could not disconnect you from **locked**: token store unreachable. Try again later.');
    });
  });

  describe('help', () => {
    it.each(['/mcp help', '/mcp', '/mcp   HELP  '])('lists the subcommands for %j', async (command) => {
      const text = await run(main, command);
      for (const sub of ['status', 'tools', 'connect <server>', 'disconnect <server>', 'help'])
        expect(text).toContain(`\`/mcp ${sub}\``);
      expect(text).toContain('`/mcp connect "Team Wiki"`');
    });

    it('answers an unknown subcommand with the help', async () => {
      const text = await run(main, '/mcp frobnicate now');
      expect(text).toMatch(/^Unknown subcommand `frobnicate`\.\n\n#### `\/mcp`: your MCP servers/);
    });
  });

  describe('the hook', () => {
    it('answers 400 naming the field when CommandArgs has no user_id', async () => {
      const response = await sidecarRequest(main.address, '/hooks/ExecuteCommand', {
        secret: SECRET,
        userId: ALICE,
        body: { command: '/mcp status' },
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toContain('CommandArgs field user_id');
    });

    it('refuses CommandArgs for another user than the shim’s X-Mattermost-UserID', async () => {
      const response = await sidecarRequest(main.address, '/hooks/ExecuteCommand', {
        secret: SECRET,
        userId: ALICE,
        body: { user_id: 'malloryaaaaaaaaaaaaaaaaaaa', command: '/mcp status' },
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('CommandArgs field user_id does not match X-Mattermost-UserID.');
    });

    it('needs the sidecar secret and the user header', async () => {
      const args = { user_id: ALICE, command: '/mcp status' };
      expect((await sidecarRequest(main.address, '/hooks/ExecuteCommand', { userId: ALICE, body: args })).status).toBe(
        401,
      );
      expect((await sidecarRequest(main.address, '/hooks/ExecuteCommand', { secret: SECRET, body: args })).status).toBe(
        401,
      );
    });
  });
});
