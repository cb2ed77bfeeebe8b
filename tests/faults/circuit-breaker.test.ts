import { afterEach, describe, expect, it } from '@jest/globals';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { DEFAULT_FAILURE_THRESHOLD, type BreakerState } from '../../server/outbound/circuit-breaker.js';
import { ServerUnavailableError } from '../../server/mcp/errors.js';
import { ServerBreakers } from '../../server/mcp/server-breakers.js';
import { parseConfig, type ConfigInput } from '../../server/config/schema.js';
import type { FetchLike } from '../../server/outbound/fetch-like.js';
import { echoTool, startMcpServer, type TestMcpServer } from '../support/mcp-test-server.js';
import { silentLogger } from '../support/logger.js';
import { startDeadServer, portOf, type DeadServer } from '../support/dead-server.js';
import { startFaultProxy } from './support/fault-proxy.js';

const COOLDOWN_MS = 10_000;
const cleanups: Array<() => Promise<void>> = [];
let clock = Date.now();

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(): Promise<TestMcpServer> {
  const s = await startMcpServer({ tools: [echoTool] });
  cleanups.push(() => s.close());
  return s;
}

async function dead(port?: number): Promise<DeadServer> {
  const d = await startDeadServer(port);
  cleanups.push(() => d.close());
  return d;
}

/** A request the breakers let through to the network: its server, and the state of that server's breaker as it went. */
interface Dial {
  readonly server: string;
  readonly state: BreakerState;
}

/**
 * A manager whose clock (per-user backoff and breakers) the test moves: cooldowns pass without sleeping, so
 * a breaker that opened stays open however slowly the machine runs. Below the breakers sits a fetch that
 * records every request let through, with the breaker's state at that moment: the specs count dials by state
 * transition (none while open, one per half-open) instead of by when a socket reached a test server.
 */
function manager(config: ConfigInput): { m: ClientManager; breakers: ServerBreakers; dials: Dial[] } {
  clock = Date.now();
  const parsed = parseConfig(config);
  const breakers = new ServerBreakers({ cooldownMs: COOLDOWN_MS, now: () => clock });
  const dials: Dial[] = [];
  const recording: FetchLike = (url, init) => {
    const origin = new URL(String(url)).origin;
    const server = parsed.servers.find((s) => new URL(s.baseURL).origin === origin);
    if (server) dials.push({ server: server.name, state: breakers.breaker(server).state });
    return fetch(url, init);
  };
  const m = new ClientManager(parsed, { logger: silentLogger(), now: () => clock, breakers, fetch: recording });
  cleanups.push(() => m.close());
  return { m, breakers, dials };
}

const dialsTo = (dials: readonly Dial[], server: string, state?: BreakerState): number =>
  dials.filter((d) => d.server === server && (state === undefined || d.state === state)).length;

const users = (count: number, prefix = 'user'): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);

/** Every user lists tools once, concurrently; returns each user's error for `serverName` (undefined: none). */
async function listRound(m: ClientManager, who: readonly string[], serverName: string) {
  const results = await Promise.all(who.map((u) => m.getToolsForUser(u)));
  return results.map((r) => r.errors.errors.find((e) => e.serverName === serverName));
}

/** Lists tools until every user is connected to `serverName` (on a loaded machine some handshakes time out). */
async function connectAll(m: ClientManager, who: readonly string[], serverName: string): Promise<void> {
  let pending = who;
  for (let attempt = 0; attempt < 5 && pending.length > 0; attempt++) {
    const errors = await listRound(m, pending, serverName);
    pending = pending.filter((_u, i) => errors[i] !== undefined);
    clock += 61_000; // past the stragglers' own backoff
  }
  expect(pending).toEqual([]);
}

describe('a circuit breaker per MCP server, shared by all users', () => {
  it('dials a dead server a bounded number of times however many users ask, and tells each user why', async () => {
    const down = await dead();
    const { m, breakers, dials } = manager({
      servers: [{ name: 'down', baseURL: `http://127.0.0.1:${down.port}/mcp`, connectTimeoutSeconds: 1 }],
    });
    const thousand = users(1000);
    for (let round = 0; round < 5; round++) {
      const errors = await listRound(m, thousand, 'down');
      // The first connection to a server that drops it may instead hang until the connect timeout.
      for (const error of errors)
        expect(error?.message).toMatch(/^Server down: (could not connect \(|no answer to connect)/);
    }
    // Without the breaker: 1,000 dials in the first round and one per user whenever its backoff ends.
    expect(dialsTo(dials, 'down')).toBeLessThanOrEqual(DEFAULT_FAILURE_THRESHOLD);
    expect(dialsTo(dials, 'down', 'open')).toBe(0);
    // Nothing reached the server past the breaker (a slow accept only makes this count smaller).
    expect(down.connections).toBeLessThanOrEqual(dialsTo(dials, 'down'));
    expect(breakers.breaker({ name: 'down', baseURL: `http://127.0.0.1:${down.port}/mcp` }).state).toBe('open');
  }, 60_000);

  it('stops sending requests for users who were connected when the server died', async () => {
    const s = await server();
    const { m, breakers, dials } = manager({ servers: [{ name: 's', baseURL: s.url }] });
    const connected = users(100);
    await connectAll(m, connected, 's');
    await s.kill();
    const down = await dead(portOf(s.url));

    const first = await Promise.allSettled(connected.map((u) => m.callTool(u, 's__echo', { message: 'x' })));
    for (const result of first)
      expect(result).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/^Server s: /) } });
    expect(breakers.breaker({ name: 's', baseURL: s.url }).state).toBe('open');
    // The clock stands still: the breaker stays open through the rounds below, however long they take. Dials
    // that went before it opened (calls, server streams reconnecting on their own timers) may still be
    // reaching the dead server; none may go from now on.
    const whenOpened = dials.length;

    for (let round = 0; round < 3; round++) {
      const calls = await Promise.allSettled(connected.map((u) => m.callTool(u, 's__echo', { message: 'x' })));
      for (const call of calls)
        expect(call).toMatchObject({ status: 'rejected', reason: expect.any(ServerUnavailableError) });
    }
    expect(dials.length).toBe(whenOpened);
    expect(dialsTo(dials, 's', 'open')).toBe(0);
    expect(down.connections).toBeLessThanOrEqual(dials.length);
  }, 60_000);

  it('probes once per cooldown, doubling it, and closes again when the server is back', async () => {
    const s = await server();
    await s.kill();
    const down = await dead(portOf(s.url));
    const { m, breakers, dials } = manager({ servers: [{ name: 's', baseURL: s.url }] });
    const breaker = breakers.breaker({ name: 's', baseURL: s.url });
    const hundred = users(100);
    while (breaker.state !== 'open') await listRound(m, hundred, 's');
    const opened = dials.length;

    clock += COOLDOWN_MS;
    expect(breaker.state).toBe('half-open');
    await listRound(m, hundred, 's');
    expect(dials.slice(opened)).toEqual([{ server: 's', state: 'half-open' }]); // one probe, which failed
    expect(breaker.state).toBe('open');
    clock += COOLDOWN_MS; // the cooldown doubled: still open
    await listRound(m, hundred, 's');
    expect(dials).toHaveLength(opened + 1);
    expect(dialsTo(dials, 's', 'open')).toBe(0);
    expect(down.connections).toBeLessThanOrEqual(dials.length);

    await down.close();
    await s.restart();
    clock += 61_000; // past the longer cooldown and every user's own backoff
    await connectAll(m, hundred, 's');
    expect(breaker.state).toBe('closed');
  }, 60_000);

  it('leaves other servers and their users alone', async () => {
    const down = await dead();
    const good = await server();
    const { m, breakers } = manager({
      servers: [
        { name: 'down', baseURL: `http://127.0.0.1:${down.port}/mcp` },
        { name: 'good', baseURL: good.url },
      ],
    });
    const fifty = users(50);
    await connectAll(m, fifty, 'good');
    for (let round = 0; round < 4; round++) {
      const results = await Promise.all(fifty.map((u) => m.getToolsForUser(u)));
      for (const r of results) expect(r.tools.map((t) => t.name)).toEqual(['good__echo']);
    }
    expect(breakers.breaker({ name: 'good', baseURL: good.url }).state).toBe('closed');
    const calls = await Promise.all(fifty.map((u) => m.callTool(u, 'good__echo', { message: u })));
    expect(calls.map((c) => c.text)).toEqual(fifty.map((u) => `echo: ${u}`));
  });

  it('cannot be opened by one user whose requests fail: the others keep being served', async () => {
    const s = await server();
    const proxy = await startFaultProxy(s.url);
    cleanups.push(() => proxy.close());
    proxy.breakWhen((req) => (req.headers['x-mattermost-userid'] === 'mallory' ? 'drop' : undefined));
    const { m, breakers } = manager({ servers: [{ name: 's', baseURL: proxy.url }] });
    for (let attempt = 0; attempt < 10; attempt++) {
      clock += 61_000; // past mallory's own backoff: every attempt reaches the server
      expect((await m.getToolsForUser('mallory')).errors.errors).toHaveLength(1);
    }
    expect(proxy.requests.filter((r) => r.userId === 'mallory')).toHaveLength(10);
    expect(breakers.breaker({ name: 's', baseURL: proxy.url }).state).not.toBe('open');
    expect((await m.callTool('alice', 's__echo', { message: 'still here' })).text).toBe('echo: still here');
  });
});
