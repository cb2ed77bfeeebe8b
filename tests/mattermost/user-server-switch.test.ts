import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../server/config/schema.js';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { ServerSwitchedOffError } from '../../server/mcp/errors.js';
import { estimateToolTokens } from '../../server/mcp/tool-budget.js';
import { StoredServerChoices } from '../../server/mcp/user-server-choices.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import type { Store } from '../../server/store/index.js';
import { captureLogger, silentLogger } from '../support/logger.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { sidecarRequest } from '../support/sidecar-client.js';
import { BACKENDS, storeTarget, type StoreTarget } from '../support/store-fixtures.js';

const SECRET = 'switch-secret-0123456789abcdef';
const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';
const BOB = 'bobbbbbbbbbbbbbbbbbbbbbbbb';

/** The requests the server got on behalf of `userId` (the plugin names the user in every request). */
function requestsOf(server: TestMcpServer, userId: string): number {
  return server.requests.filter((r) => r.headers['x-mattermost-userid'] === userId).length;
}

async function run(on: Sidecar, command: string, userId = ALICE): Promise<string> {
  const body = {
    user_id: userId,
    channel_id: 'channelaaaaaaaaaaaaaaaaaaa',
    team_id: 'teamaaaaaaaaaaaaaaaaaaaaaa',
    command,
  };
  const response = await sidecarRequest(on.address, '/hooks/ExecuteCommand', { secret: SECRET, userId, body });
  expect(response.status).toBe(200);
  return response.body.text as string;
}

describe('a user switches a server off for themselves', () => {
  let target: StoreTarget;
  let wiki: TestMcpServer;
  let team: TestMcpServer;
  let sidecar: Sidecar;

  beforeAll(async () => {
    target = await storeTarget('sqlite');
    wiki = await startMcpServer({ tools: [echoTool, whoamiTool] });
    team = await startMcpServer({ tools: [echoTool] });
    const config = parseConfig({
      servers: [
        { name: 'wiki', baseURL: wiki.url },
        { name: 'Team Wiki', baseURL: team.url },
      ],
    });
    sidecar = await startSidecar({
      config,
      secret: SECRET,
      logger: silentLogger(),
      listen: '127.0.0.1:0',
      store: await target.open(),
    });
  });

  afterAll(async () => {
    await sidecar.close();
    await Promise.all([wiki.close(), team.close()]);
    await target.cleanUp();
  });

  it('with /mcp disable: the MCP server sees no request from that user, others keep it, and /mcp status says so', async () => {
    await run(sidecar, '/mcp status');
    expect(requestsOf(wiki, ALICE)).toBeGreaterThan(0);
    expect(await run(sidecar, '/mcp disable wiki')).toBe(
      '⏸️ Switched **wiki** off for you: the AI bot gets none of its tools and the plugin opens no connection to it for you. Run `/mcp enable wiki` to switch it back on.',
    );
    const before = requestsOf(wiki, ALICE);
    const status = await run(sidecar, '/mcp status');
    expect(status).toContain('| ⏸️ | **wiki** | Switched off by you: `/mcp enable wiki` to use it |');
    expect(status).toContain('1 switched off by you');
    const listed = await sidecarRequest(sidecar.address, '/api/v1/tools', { secret: SECRET, userId: ALICE });
    expect(listed.body.tools.map((t: { serverName: string }) => t.serverName)).toEqual(['Team Wiki']);
    const call = await sidecarRequest(sidecar.address, '/api/v1/tools/call', {
      secret: SECRET,
      userId: ALICE,
      body: { name: 'wiki__echo', arguments: { message: 'x' } },
    });
    expect(call.status).toBe(403);
    expect(call.body).toMatchObject({
      code: 'ERR_MCP_SERVER_SWITCHED_OFF',
      error: expect.stringContaining('/mcp enable wiki'),
    });
    const view = await sidecarRequest(sidecar.address, '/mcp/tools', { secret: SECRET, userId: ALICE });
    expect(view.body.servers.find((s: { name: string }) => s.name === 'wiki')).toMatchObject({
      status: 'switched_off',
      switchedOff: true,
      tools: [],
    });
    // The closed session's DELETE, if any, went out with the switch; nothing after it.
    expect(requestsOf(wiki, ALICE)).toBe(before);

    expect(
      (await sidecarRequest(sidecar.address, '/api/v1/tools', { secret: SECRET, userId: BOB })).body.tools,
    ).toHaveLength(3);
  });

  it("is kept in the store as the user's record, and /mcp enable switches it back on", async () => {
    await run(sidecar, '/mcp disable wiki'); // whichever spec ran before
    const store = await target.open();
    expect(await store.records('user-choices').get(ALICE)).toEqual({ switchedOff: ['wiki'] });
    expect(await run(sidecar, '/mcp disable WIKI')).toBe(
      '**wiki** is already switched off for you. Run `/mcp enable wiki` to switch it back on.',
    );
    expect(await run(sidecar, '/mcp enable wiki')).toBe(
      '▶️ Switched **wiki** back on for you. `/mcp status` shows whether it is connected.',
    );
    expect(await store.records('user-choices').get(ALICE)).toBeUndefined();
    expect(await run(sidecar, '/mcp status')).toContain('| ✅ | **wiki** | Connected, 2 tools');
    expect(await run(sidecar, '/mcp enable wiki')).toBe('**wiki** is already on for you.');
  });

  it("switches from the webapp panel's route, and answers an unknown server with 404", async () => {
    await run(sidecar, '/mcp enable wiki'); // whichever spec ran before
    const off = await sidecarRequest(sidecar.address, '/mcp/servers/Team%20Wiki/enabled', {
      method: 'PUT',
      secret: SECRET,
      userId: ALICE,
      body: { enabled: false },
    });
    expect(off.status).toBe(200);
    expect(off.body).toEqual({ name: 'Team Wiki', enabled: false });
    expect(
      (await sidecarRequest(sidecar.address, '/api/v1/tools', { secret: SECRET, userId: ALICE })).body.tools.map(
        (t: { serverName: string }) => t.serverName,
      ),
    ).toEqual(['wiki', 'wiki']);
    const on = await sidecarRequest(sidecar.address, '/mcp/servers/Team%20Wiki/enabled', {
      method: 'PUT',
      secret: SECRET,
      userId: ALICE,
      body: { enabled: true },
    });
    expect(on.body).toEqual({ name: 'Team Wiki', enabled: true });
    const unknown = await sidecarRequest(sidecar.address, '/mcp/servers/nope/enabled', {
      method: 'PUT',
      secret: SECRET,
      userId: ALICE,
      body: { enabled: false },
    });
    expect(unknown.status).toBe(404);
    const bad = await sidecarRequest(sidecar.address, '/mcp/servers/wiki/enabled', {
      method: 'PUT',
      secret: SECRET,
      userId: ALICE,
      body: { enabled: 'no' },
    });
    expect(bad.status).toBe(400);
  });

  it('counts the tools that reach the bot and estimates the tokens their definitions take', async () => {
    const tools = (await sidecarRequest(sidecar.address, '/api/v1/tools', { secret: SECRET, userId: BOB })).body
      .tools as Array<{ name: string; description: string; inputSchema: Record<string, unknown> }>;
    const tokens = tools.reduce(
      (sum, t) =>
        sum +
        Math.ceil(JSON.stringify({ name: t.name, description: t.description, input_schema: t.inputSchema }).length / 4),
      0,
    );
    expect(tokens).toBe(tools.reduce((sum, t) => sum + estimateToolTokens(t), 0));
    expect(await run(sidecar, '/mcp status', BOB)).toContain(
      `**2** of 2 servers connected, 3 tools reach the AI bot for you, about ${tokens} tokens (an estimate: JSON length / 4).`,
    );
  });
});

describe('the store failing', () => {
  it('keeps the last known choices, and asks the store again (and logs) only once per refresh period', async () => {
    const target = await storeTarget('redis');
    try {
      const store = await target.open();
      let clock = 1_000;
      const { logger, output } = captureLogger('warn');
      const choices = new StoredServerChoices({ store, logger, refreshMs: 5_000, now: () => clock });
      await choices.setSwitchedOff(ALICE, 'wiki', true);
      clock += 5_000;
      await target.breakStorage('user-choices', ALICE);
      expect(await choices.switchedOff(ALICE)).toEqual(new Set(['wiki']));
      expect(await choices.switchedOff(ALICE)).toEqual(new Set(['wiki']));
      expect(output().match(/could not read the user's server choices/g)).toHaveLength(1);
      clock += 5_000;
      expect(await choices.switchedOff(ALICE)).toEqual(new Set(['wiki']));
      expect(output().match(/could not read the user's server choices/g)).toHaveLength(2);
    } finally {
      await target.cleanUp();
    }
  });
});

describe.each(BACKENDS)('a switch made on one replica (%s)', (backend) => {
  let target: StoreTarget;
  let wiki: TestMcpServer;
  const managers: ClientManager[] = [];

  beforeAll(async () => {
    target = await storeTarget(backend);
    wiki = await startMcpServer({ tools: [echoTool] });
  });

  afterAll(async () => {
    await Promise.all(managers.map((m) => m.close()));
    await wiki.close();
    await target.cleanUp();
  });

  function replica(store: Store): ClientManager {
    const logger = silentLogger();
    // refreshMs 0: each request reads the store, as a replica does once its copy is older than 5 s.
    const m = new ClientManager(parseConfig({ servers: [{ name: 'wiki', baseURL: wiki.url }] }), {
      logger,
      choices: new StoredServerChoices({ store, logger, refreshMs: 0 }),
    });
    managers.push(m);
    return m;
  }

  it('holds on the others: their listing drops the server and the server sees no request from the user', async () => {
    const a = replica(await target.open());
    const b = replica(await target.open());
    expect((await b.getToolsForUser(ALICE)).tools).toHaveLength(1);
    await a.setServerSwitchedOff(ALICE, 'wiki', true);
    const before = requestsOf(wiki, ALICE);
    expect((await b.getToolsForUser(ALICE)).tools).toEqual([]);
    await expect(b.callTool(ALICE, 'wiki__echo', { message: 'x' })).rejects.toBeInstanceOf(ServerSwitchedOffError);
    const states = await b.getServerStatesForUser(ALICE);
    expect(states.map((s) => s.status)).toEqual(['switched_off']);
    // b's open session may be closed (one DELETE); nothing else reaches the server.
    expect(requestsOf(wiki, ALICE) - before).toBeLessThanOrEqual(1);
    const afterClose = requestsOf(wiki, ALICE);
    await b.getToolsForUser(ALICE);
    expect(requestsOf(wiki, ALICE)).toBe(afterClose);
    await a.setServerSwitchedOff(ALICE, 'wiki', false);
    expect((await b.getToolsForUser(ALICE)).tools).toHaveLength(1);
  });
});
