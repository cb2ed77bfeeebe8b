/**
 * The transitions of `Client`'s declared states (`ClientState` in server/mcp/client.ts) that no other spec walks
 * through: a close that lands while a new session is on the way, and a reconnection that fails and is tried again.
 * Real SDK servers on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Client } from '../../server/mcp/client.js';
import { ClientClosedError } from '../../server/mcp/errors.js';
import { parseConfig } from '../../server/config/schema.js';
import { startMcpServer, type TestMcpServer } from '../support/mcp-test-server.js';
import { silentLogger } from '../support/logger.js';
import { eventually } from '../support/eventually.js';

const servers: TestMcpServer[] = [];
const clients: Client[] = [];

async function server(): Promise<TestMcpServer> {
  const s = await startMcpServer();
  servers.push(s);
  return s;
}

async function connect(s: TestMcpServer): Promise<Client> {
  const server = parseConfig({ servers: [{ name: 's', baseURL: s.url }] }).servers[0]!;
  const client = await Client.connect({ userId: 'alice', server, logger: silentLogger(), connectTimeoutMs: 5_000 });
  clients.push(client);
  return client;
}

/** A POST without a session id: an `initialize`, the start of a new session. */
const initializeRequests = (s: TestMcpServer, from: number) =>
  s.requests.slice(from).filter((r) => r.method === 'POST' && r.headers['mcp-session-id'] === undefined);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('Client states', () => {
  it('closed while a new session is on the way: the waiting call fails as closed and the new session is ended on the server', async () => {
    const s = await server();
    const client = await connect(s);
    s.expireSessions();
    s.setDelay(300);
    const from = s.requests.length;
    const call = client.callTool('echo', { message: 'too late' });
    call.catch(() => undefined);
    // The expired session answered 404; the replacement's initialize has reached the server, which holds it.
    await eventually(() => expect(initializeRequests(s, from)).toHaveLength(1), 5_000, 20);

    await client.close();

    await expect(call).rejects.toBeInstanceOf(ClientClosedError);
    expect(client.closed).toBe(true);
    await expect(client.callTool('echo', { message: 'after close' })).rejects.toBeInstanceOf(ClientClosedError);
    // The session the handshake opened is not left behind: its DELETE reaches the server.
    await eventually(() => expect(s.liveSessions).toBe(0), 5_000, 20);
    expect(s.initializeCount).toBe(2);
  });

  it('a reconnection that fails leaves the client usable: the next call opens a session once the server is back', async () => {
    const s = await server();
    const client = await connect(s);
    s.expireSessions();
    s.setDelay(300);
    const from = s.requests.length;
    const call = client.callTool('echo', { message: 'while down' });
    call.catch(() => undefined);
    // The expired session answered 404; the server goes away while it holds the replacement's initialize.
    await eventually(() => expect(initializeRequests(s, from)).toHaveLength(1), 5_000, 20);
    await s.kill();

    await expect(call).rejects.toThrow(/Server s/);
    expect(client.closed).toBe(false);

    s.setDelay(0);
    await s.restart();
    expect((await client.callTool('echo', { message: 'back' })).text).toBe('echo: back');
    expect(s.liveSessions).toBe(1);
  });
});
