import { afterEach, describe, expect, it } from '@jest/globals';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { ToolNotFoundError } from '../../server/mcp/errors.js';
import { parseConfig, type ConfigInput } from '../../server/config/schema.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer, type TestTool } from '../support/mcp-test-server.js';
import { startDeadServer } from '../support/dead-server.js';
import { silentLogger } from '../support/logger.js';
import { eventually } from '../support/eventually.js';

const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';
const BOB = 'bobbbbbbbbbbbbbbbbbbbbbbbb';
const logger = silentLogger();
const servers: Array<{ close(): Promise<void> }> = [];
const managers: ClientManager[] = [];

async function server(options: Parameters<typeof startMcpServer>[0] = {}): Promise<TestMcpServer> {
  const s = await startMcpServer(options);
  servers.push(s);
  return s;
}

function manager(config: ConfigInput): ClientManager {
  const m = new ClientManager(parseConfig(config), { logger });
  managers.push(m);
  return m;
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('ClientManager', () => {
  it('returns the tools of every working server and an error for the dead one, on every request', async () => {
    const a = await server({ tools: [echoTool] });
    const b = await server({ transport: 'sse', tools: [whoamiTool] });
    const dead = await startDeadServer();
    servers.push(dead);
    const m = manager({
      servers: [
        { name: 'a', baseURL: a.url },
        { name: 'b', baseURL: b.url },
        { name: 'dead', baseURL: dead.url },
      ],
    });
    for (let request = 0; request < 2; request++) {
      const { tools, errors } = await m.getToolsForUser(ALICE);
      expect(tools.map((t) => t.name).sort()).toEqual(['a__echo', 'b__whoami']);
      expect(errors.toolAuthErrors).toEqual([]);
      expect(errors.errors).toEqual([
        expect.objectContaining({
          serverName: 'dead',
          code: 'ERR_MCP_CONNECT',
          message: expect.stringContaining('Server dead: could not connect'),
        }),
      ]);
    }
  });

  it('does not let a slow server hold back the others beyond its connect timeout', async () => {
    const fast = await server({ tools: [echoTool] });
    const slow = await server({ delayMs: 10_000 });
    const m = manager({
      servers: [
        { name: 'fast', baseURL: fast.url },
        { name: 'slow', baseURL: slow.url, connectTimeoutSeconds: 0.3 },
      ],
    });
    const { tools, errors } = await m.getToolsForUser(ALICE);
    expect(tools.map((t) => t.name)).toEqual(['fast__echo']);
    expect(errors.errors).toEqual([expect.objectContaining({ serverName: 'slow', code: 'ERR_MCP_TIMEOUT' })]);
  });

  it('never connects to a disabled server, nor to any server when MCP is disabled', async () => {
    const on = await server();
    const off = await server();
    const m = manager({
      servers: [
        { name: 'on', baseURL: on.url },
        { name: 'off', baseURL: off.url, enabled: false },
      ],
    });
    const { tools } = await m.getToolsForUser(ALICE);
    expect(new Set(tools.map((t) => t.serverName))).toEqual(new Set(['on']));
    expect(off.requests).toHaveLength(0);

    const disabled = manager({ enabled: false, servers: [{ name: 'off', baseURL: off.url }] });
    expect(await disabled.getToolsForUser(ALICE)).toEqual({ tools: [], errors: { toolAuthErrors: [], errors: [] } });
    expect(off.requests).toHaveLength(0);
  });

  it('creates one set of connections for concurrent first requests of the same user', async () => {
    const s = await server();
    const m = manager({ servers: [{ name: 's', baseURL: s.url }] });
    const results = await Promise.all(Array.from({ length: 10 }, () => m.getToolsForUser(ALICE)));
    expect(results.every((r) => r.tools.length === 2)).toBe(true);
    expect(s.initializeCount).toBe(1);
  });

  it('keeps users apart: each gets a session carrying their own user id', async () => {
    const s = await server({ tools: [whoamiTool] });
    const m = manager({ servers: [{ name: 's', baseURL: s.url }] });
    expect((await m.callTool(ALICE, 's__whoami', {})).text).toBe(ALICE);
    expect((await m.callTool(BOB, 's__whoami', {})).text).toBe(BOB);
    expect(s.initializeCount).toBe(2);
  });

  it('maps exposed tool names back to the right server, even when servers share tool names', async () => {
    const tagged = (tag: string): TestTool => ({
      name: 'echo',
      run: (args) => ({ content: [{ type: 'text', text: `${tag}:${String(args.message)}` }] }),
    });
    const a = await server({ tools: [tagged('A')] });
    const b = await server({ tools: [tagged('B')] });
    const m = manager({
      servers: [
        { name: 'a', baseURL: a.url },
        { name: 'b', baseURL: b.url },
      ],
    });
    expect((await m.callTool(ALICE, 'b__echo', { message: 'x' })).text).toBe('B:x');
    expect((await m.callTool(ALICE, 'a__echo', { message: 'y' })).text).toBe('A:y');
    await expect(m.callTool(ALICE, 'c__echo', {})).rejects.toThrow(ToolNotFoundError);
  });

  it('closes a user’s connections after the idle timeout, and reconnects on the next request', async () => {
    const s = await server();
    const m = manager({ idleTimeoutMinutes: 0.002, servers: [{ name: 's', baseURL: s.url }] });
    await m.getToolsForUser(ALICE);
    expect(m.hasUser(ALICE)).toBe(true);
    await eventually(() => expect(m.hasUser(ALICE)).toBe(false));
    await eventually(() => expect(s.deletedSessions).toBe(1));
    await m.getToolsForUser(ALICE);
    expect(s.initializeCount).toBe(2);
  });

  it('does not evict a user whose tool call is still running', async () => {
    let release: (() => void) | undefined;
    const blocking: TestTool = {
      name: 'wait',
      run: () => new Promise((resolve) => (release = () => resolve({ content: [{ type: 'text', text: 'finished' }] }))),
    };
    const s = await server({ tools: [blocking] });
    let clock = 1_000_000;
    const m = new ClientManager(parseConfig({ idleTimeoutMinutes: 1, servers: [{ name: 's', baseURL: s.url }] }), {
      logger,
      now: () => clock,
    });
    managers.push(m);
    const call = m.callTool(ALICE, 's__wait', {});
    await eventually(() => expect(release).toBeDefined()); // the tool runs on the server
    // Several idle periods pass while the call runs; the sweep must skip this user.
    for (let sweep = 0; sweep < 3; sweep++) {
      clock += 2 * 60_000;
      m.sweepIdle();
      expect(m.hasUser(ALICE)).toBe(true);
    }
    release!();
    expect((await call).text).toBe('finished');
    // Once the call is over, the same idle time evicts the user.
    clock += 2 * 60_000;
    m.sweepIdle();
    expect(m.hasUser(ALICE)).toBe(false);
  });

  it('on reInit closes only the clients whose server config changed', async () => {
    const a = await server();
    const b = await server();
    const config = {
      servers: [
        { name: 'a', baseURL: a.url },
        { name: 'b', baseURL: b.url, headers: { 'X-Version': '1' } },
      ],
    };
    const m = manager(config);
    await m.getToolsForUser(ALICE);
    m.reInit(
      parseConfig({
        servers: [
          { name: 'a', baseURL: a.url },
          { name: 'b', baseURL: b.url, headers: { 'X-Version': '2' } },
        ],
      }),
    );
    await eventually(() => expect(b.deletedSessions).toBe(1));
    expect(a.deletedSessions).toBe(0);
    await m.getToolsForUser(ALICE);
    expect(a.initializeCount).toBe(1);
    expect(b.initializeCount).toBe(2);
    expect(b.requests.at(-1)?.headers['x-version']).toBe('2');
  });

  it('on reInit drops removed and disabled servers and their tools', async () => {
    const a = await server();
    const b = await server();
    const m = manager({
      servers: [
        { name: 'a', baseURL: a.url },
        { name: 'b', baseURL: b.url },
      ],
    });
    await m.getToolsForUser(ALICE);
    m.reInit(parseConfig({ servers: [{ name: 'a', baseURL: a.url, enabled: false }] }));
    const { tools, errors } = await m.getToolsForUser(ALICE);
    expect(tools).toEqual([]);
    expect(errors.errors).toEqual([]);
    await eventually(() => expect(a.deletedSessions + b.deletedSessions).toBe(2));
  });

  it('reconnects a server that failed once it is back, instead of remembering the failure forever', async () => {
    const s = await server({ delayMs: 10_000 });
    let clock = 1_000_000;
    const m = new ClientManager(parseConfig({ servers: [{ name: 's', baseURL: s.url, connectTimeoutSeconds: 0.2 }] }), {
      logger,
      now: () => clock,
    });
    managers.push(m);
    expect((await m.getToolsForUser(ALICE)).errors.errors).toHaveLength(1);
    s.setDelay(0);
    clock += 120_000; // past the longest backoff
    const { tools, errors } = await m.getToolsForUser(ALICE);
    expect(errors.errors).toEqual([]);
    expect(tools).toHaveLength(2);
  });
});
