import { afterEach, describe, expect, it } from '@jest/globals';
import { Client } from '../../server/mcp/client.js';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { parseConfig } from '../../server/config/schema.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer, type TestTool } from '../support/mcp-test-server.js';
import { silentLogger } from '../support/logger.js';
import { eventually } from '../support/eventually.js';

import pino from 'pino';
const logger = process.env.DEBUG_LOG ? pino({ level: 'debug' }) : silentLogger();
const servers: TestMcpServer[] = [];
const clients: Client[] = [];
const managers: ClientManager[] = [];

async function server(tools: readonly TestTool[] = [echoTool, whoamiTool]): Promise<TestMcpServer> {
  const s = await startMcpServer({ tools });
  servers.push(s);
  return s;
}

async function connect(s: TestMcpServer, userId = 'alice'): Promise<Client> {
  const client = await Client.connect({
    userId,
    server: parseConfig({ servers: [{ name: 's', baseURL: s.url }] }).servers[0]!,
    logger,
  });
  clients.push(client);
  return client;
}

const posts = (s: TestMcpServer) => s.requests.filter((r) => r.method === 'POST');

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(managers.splice(0).map((m) => m.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('a session set aside while its user is idle', () => {
  it('holds no SDK client or stream, and the server keeps the session', async () => {
    const s = await server();
    const client = await connect(s);
    await eventually(() => expect(s.requests.filter((r) => r.method === 'GET')).toHaveLength(1));
    client.pauseServerStream();
    expect(client.isDormant).toBe(true);
    expect(client.transportKind).toBe('streamable-http');
    expect(s.liveSessions).toBe(1);
    expect(s.deletedSessions).toBe(0);
  });

  it('wakes on the next call without a handshake, with the same session id, protocol version and user', async () => {
    const s = await server();
    const client = await connect(s);
    const before = posts(s).at(-1)!.headers;
    client.pauseServerStream();
    const requestsBefore = s.requests.length;

    expect((await client.callTool('whoami', {})).text).toBe('alice');
    expect(client.isDormant).toBe(false);
    expect(s.initializeCount).toBe(1);
    const woken = s.requests.slice(requestsBefore).filter((r) => r.method === 'POST');
    expect(woken).toHaveLength(1); // the call itself: no initialize, no initialized
    expect(woken[0]!.headers['mcp-session-id']).toBe(before['mcp-session-id']);
    expect(woken[0]!.headers['mcp-protocol-version']).toBe(before['mcp-protocol-version']);
  });

  it('reopens the server stream and catches up on the tool list when the user comes back', async () => {
    const s = await server([echoTool]);
    const client = await connect(s);
    client.pauseServerStream();
    s.setTools([echoTool, whoamiTool]);
    await s.notifyToolsChanged(); // nobody listens while the user is idle

    client.resumeServerStream();
    await eventually(() => expect(client.tools.map((t) => t.name)).toEqual(['echo', 'whoami']));
    await eventually(() => expect(s.requests.filter((r) => r.method === 'GET')).toHaveLength(2));
    expect(s.initializeCount).toBe(1);

    // The reopened stream delivers list_changed again (once the server let go of the old stream: until then the
    // notification finds no stream, so it is sent again until one is delivered).
    s.setTools([whoamiTool]);
    await eventually(async () => {
      await s.notifyToolsChanged();
      await eventually(() => expect(client.tools.map((t) => t.name)).toEqual(['whoami']), 1_000);
    }, 15_000);
  });

  it('re-initializes when the server forgot the session meanwhile, and the call still runs once', async () => {
    let runs = 0;
    const counted: TestTool = { ...echoTool, run: (args) => (runs++, echoTool.run(args, undefined as never)) };
    const s = await server([counted]);
    const client = await connect(s);
    client.pauseServerStream();
    s.expireSessions();

    expect((await client.callTool('echo', { message: 'after restart' })).text).toBe('echo: after restart');
    expect(runs).toBe(1);
    expect(s.initializeCount).toBe(2);
  });

  it("still checks structured results against the tool's output schema after waking", async () => {
    const weather: TestTool = {
      name: 'weather',
      inputSchema: { type: 'object', properties: { wrong: { type: 'boolean' } } },
      outputSchema: { type: 'object', properties: { celsius: { type: 'number' } }, required: ['celsius'] },
      run: (args) => ({
        content: [{ type: 'text', text: '21' }],
        structuredContent: args.wrong ? { celsius: 'warm' } : { celsius: 21 },
      }),
    };
    const s = await server([weather]);
    const client = await connect(s);
    await expect(client.callTool('weather', { wrong: true })).rejects.toThrow(/output schema/);
    client.pauseServerStream();

    await expect(client.callTool('weather', { wrong: true })).rejects.toThrow(/output schema/);
    expect((await client.callTool('weather', {})).structuredContent).toEqual({ celsius: 21 });
  });

  it('shares one wake between concurrent requests', async () => {
    const s = await server();
    const client = await connect(s);
    client.pauseServerStream();
    client.resumeServerStream();
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => client.callTool('echo', { message: String(i) })),
    );
    expect(answers.map((a) => a.text)).toEqual(['echo: 0', 'echo: 1', 'echo: 2', 'echo: 3', 'echo: 4']);
    await eventually(() => expect(s.requests.filter((r) => r.method === 'GET')).toHaveLength(2));
    expect(s.initializeCount).toBe(1);
  });

  it('ends the session on the server when closed while set aside', async () => {
    const s = await server();
    const client = await connect(s);
    client.pauseServerStream();
    await client.close();
    expect(s.deletedSessions).toBe(1);
    expect(s.liveSessions).toBe(0);
  });

  it('is what the manager does for users idle past the stream timeout; evicting them later ends their sessions', async () => {
    const s = await server();
    let now = Date.now();
    const made: Client[] = [];
    const connect = async (...args: Parameters<typeof Client.connect>) => {
      const client = await Client.connect(...args);
      made.push(client);
      return client;
    };
    const m = new ClientManager(parseConfig({ servers: [{ name: 's0', baseURL: s.url }] }), {
      logger,
      now: () => now,
      serverStreamIdleMs: 60_000,
      connect,
    });
    managers.push(m);
    await Promise.all(['u1', 'u2', 'u3'].map((u) => m.getToolsForUser(u)));
    now += 61_000;
    m.sweepIdle();
    // Set aside, not ended: every client sleeps and none is closed.
    expect(made.map((c) => [c.isDormant, c.closed])).toEqual([
      [true, false],
      [true, false],
      [true, false],
    ]);
    expect(s.liveSessions).toBe(3);
    expect((await m.callTool('u2', 's0__whoami', {})).text).toBe('u2');
    now += 31 * 60_000;
    m.sweepIdle();
    await eventually(() => expect(s.liveSessions).toBe(0));
    expect(s.deletedSessions).toBe(3);
    expect(s.initializeCount).toBe(3);
  });
});
