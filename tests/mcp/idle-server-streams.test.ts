import { afterEach, describe, expect, it } from '@jest/globals';
import { Client, type ClientOptions } from '../../server/mcp/client.js';
import { ClientManager, type ClientManagerDeps } from '../../server/mcp/client-manager.js';
import { ConnectLimiter } from '../../server/mcp/connect-limiter.js';
import { parseConfig } from '../../server/config/schema.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { silentLogger } from '../support/logger.js';
import { eventually } from '../support/eventually.js';

const logger = silentLogger();
const servers: TestMcpServer[] = [];
const managers: ClientManager[] = [];

async function server(): Promise<TestMcpServer> {
  const s = await startMcpServer({ tools: [echoTool] });
  servers.push(s);
  return s;
}

function manager(urls: string[], deps: Partial<ClientManagerDeps> = {}): ClientManager {
  const m = new ClientManager(parseConfig({ servers: urls.map((baseURL, i) => ({ name: `s${i}`, baseURL })) }), {
    logger,
    ...deps,
  });
  managers.push(m);
  return m;
}

const streamsOpened = (s: TestMcpServer) => s.requests.filter((r) => r.method === 'GET').length;

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('server streams of idle users', () => {
  it("closes an idle user's server stream, keeps the session, and reopens the stream with a fresh tool list on the next request", async () => {
    const s = await server();
    let now = Date.now();
    const clients: Client[] = [];
    const connect = async (options: ClientOptions, signal?: AbortSignal) => {
      const client = await Client.connect(options, signal);
      clients.push(client);
      return client;
    };
    const m = manager([s.url], { now: () => now, serverStreamIdleMs: 60_000, connect });
    expect((await m.getToolsForUser('alice')).tools.map((t) => t.name)).toEqual(['s0__echo']);
    await eventually(() => expect(streamsOpened(s)).toBe(1));

    now += 61_000;
    m.sweepIdle();
    // The session is set aside: no transport and no stream is left that could open again on its own.
    expect(clients.map((c) => [c.isDormant, c.closed])).toEqual([[true, false]]);
    s.setTools([echoTool, whoamiTool]);
    await s.notifyToolsChanged(); // nobody listens: the stream is closed
    expect(streamsOpened(s)).toBe(1);
    expect(s.liveSessions).toBe(1);

    // The next request reopens the stream and lists the tools again.
    await m.getToolsForUser('alice');
    await eventually(async () =>
      expect((await m.getToolsForUser('alice')).tools.map((t) => t.name)).toEqual(['s0__echo', 's0__whoami']),
    );
    await eventually(() => expect(streamsOpened(s)).toBe(2));
    expect(s.initializeCount).toBe(1);

    // And it listens again.
    s.setTools([whoamiTool]);
    await s.notifyToolsChanged();
    await eventually(async () =>
      expect((await m.getToolsForUser('alice')).tools.map((t) => t.name)).toEqual(['s0__whoami']),
    );
  });

  it('keeps the stream of a user who is still active, and calls tools for an idle one without waking it first', async () => {
    const s = await server();
    let now = Date.now();
    const m = manager([s.url], { now: () => now, serverStreamIdleMs: 60_000 });
    await m.getToolsForUser('active');
    await m.getToolsForUser('idle');
    await eventually(() => expect(streamsOpened(s)).toBe(2));
    now += 61_000;
    await m.getToolsForUser('active');
    m.sweepIdle();
    expect((await m.callTool('idle', 's0__echo', { message: 'still works' })).text).toBe('echo: still works');
    await eventually(() => expect(streamsOpened(s)).toBe(3));
  });
});

describe('handshakes under a burst of users', () => {
  it('runs no more handshakes at once than its limiter allows, and every user gets their tools', async () => {
    const s = await server();
    let running = 0;
    let most = 0;
    const connect = async (options: ClientOptions, signal?: AbortSignal) => {
      most = Math.max(most, ++running);
      try {
        return await Client.connect(options, signal);
      } finally {
        running--;
      }
    };
    const m = manager([s.url], { connect, connectLimiter: new ConnectLimiter(2) });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => m.getToolsForUser(`user${i}`)));
    expect(results.every((r) => r.tools.length === 1 && r.errors.errors.length === 0)).toBe(true);
    expect(most).toBe(2);
  });
});

describe('evicting many idle users at once', () => {
  it('ends every session, a few users at a time', async () => {
    const s = await server();
    let now = Date.now();
    const m = manager([s.url], { now: () => now });
    await Promise.all(Array.from({ length: 80 }, (_, i) => m.getToolsForUser(`user${i}`)));
    expect(s.liveSessions).toBe(80);
    now += 31 * 60_000;
    m.sweepIdle();
    expect(m.stats().users).toBe(0);
    await eventually(() => expect(s.liveSessions).toBe(0), 10_000);
    expect(s.deletedSessions).toBe(80);
  });
});
