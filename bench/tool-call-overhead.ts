/**
 * Tool-call overhead: `POST /api/v1/tools/call` through the sidecar vs a raw SDK `Client.callTool` to the
 * same server. Both run in this process against servers in one child process (two processes either way),
 * interleaved in rounds. `ClientManager.callTool` in-process splits the overhead into the MCP client layer
 * and the HTTP hop. A bare `node:http` forwarder in front of the raw SDK client (no auth, no routing, no
 * validation) is the least any HTTP hop between two processes costs here: the floor of the sidecar design.
 * A second server answers every request after 20 ms, as a remote server would.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parseConfig } from '../server/config/schema.js';
import { CLIENT_INFO } from '../server/mcp/client.js';
import { startSidecar } from '../server/sidecar.js';
import { silentLogger } from '../tests/support/logger.js';
import type { ServerHost } from './mcp-server-host.js';
import { sidecarDriver } from './sidecar-driver.js';
import { interleavedSamples, summarize, type Summary } from './stats.js';

export const SECRET = 'bench-secret-0123456789abcdef';
export const USER = 'benchuseraaaaaaaaaaaaaaaaa';
export const REMOTE_DELAY_MS = 20;

export interface ToolCallOverheadResult {
  /** A server answering at once: the overhead alone. */
  readonly local: {
    readonly raw: Summary;
    readonly manager: Summary;
    readonly sidecar: Summary;
    readonly forwarder: Summary;
  };
  /** A server answering after REMOTE_DELAY_MS. */
  readonly remote: { readonly raw: Summary; readonly sidecar: Summary };
  readonly plan: {
    readonly warmupCalls: number;
    readonly rounds: number;
    readonly callsPerRound: number;
    readonly remoteCalls: number;
  };
}

export interface ToolCallOverheadOptions {
  readonly warmupCalls?: number;
  readonly rounds?: number;
  readonly callsPerRound?: number;
  /** Calls per path against the slow server (in rounds of 25). */
  readonly remoteCalls?: number;
}

export async function measureToolCallOverhead(
  host: ServerHost,
  options: ToolCallOverheadOptions = {},
): Promise<ToolCallOverheadResult> {
  const { warmupCalls = 300, rounds = 20, callsPerRound = 100, remoteCalls = 200 } = options;
  const [localURL] = await host.start({ count: 1, tools: 20 });
  const [remoteURL] = await host.start({ count: 1, tools: 20, delayMs: REMOTE_DELAY_MS });
  const rawLocal = await rawClient(localURL!);
  const rawRemote = await rawClient(remoteURL!);
  const sidecar = await startSidecar({
    config: parseConfig({
      servers: [
        { name: 'local', baseURL: localURL },
        { name: 'remote', baseURL: remoteURL },
      ],
    }),
    secret: SECRET,
    logger: silentLogger(),
    // The shim reaches a bundled sidecar over a unix socket: so does the benchmark.
    listen: `unix:${join(mkdtempSync(join(tmpdir(), 'mcp-bench-')), 'sidecar.sock')}`,
  });
  const driver = sidecarDriver(sidecar.address, SECRET);
  const forwarderSocket = join(mkdtempSync(join(tmpdir(), 'mcp-bench-')), 'forwarder.sock');
  const forwarder = await bareForwarder(forwarderSocket, rawLocal);
  const forwarderDriver = sidecarDriver(`unix:${forwarderSocket}`, SECRET);
  const args = { message: 'hello from the benchmark' };
  const call = (server: 'local' | 'remote') => () =>
    driver.post('/api/v1/tools/call', USER, { name: `${server}__echo`, arguments: args });
  const local = {
    raw: () => rawLocal.callTool({ name: 'echo', arguments: args }),
    manager: () => sidecar.manager.callTool(USER, 'local__echo', args),
    sidecar: call('local'),
    forwarder: () => forwarderDriver.post('/call', USER, { name: 'echo', arguments: args }),
  };
  const remote = { raw: () => rawRemote.callTool({ name: 'echo', arguments: args }), sidecar: call('remote') };
  try {
    for (const path of [local.raw, local.sidecar, local.forwarder, remote.raw, remote.sidecar]) await expectEcho(path);
    for (let i = 0; i < warmupCalls; i++) for (const path of Object.values(local)) await path();
    const l = await interleavedSamples(local, rounds, callsPerRound);
    const r = await interleavedSamples(remote, Math.ceil(remoteCalls / 25), 25);
    return {
      local: {
        raw: summarize(l.raw),
        manager: summarize(l.manager),
        sidecar: summarize(l.sidecar),
        forwarder: summarize(l.forwarder),
      },
      remote: { raw: summarize(r.raw), sidecar: summarize(r.sidecar) },
      plan: { warmupCalls, rounds, callsPerRound, remoteCalls: Math.ceil(remoteCalls / 25) * 25 },
    };
  } finally {
    driver.close();
    forwarderDriver.close();
    await new Promise((resolve) => forwarder.close(resolve));
    await sidecar.close();
    await Promise.all([rawLocal.close(), rawRemote.close()]);
  }
}

async function rawClient(url: string): Promise<SdkClient> {
  const client = new SdkClient({ ...CLIENT_INFO });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** The least an HTTP hop can be: read the JSON body, call the raw SDK client, answer its result as JSON. */
async function bareForwarder(socketPath: string, client: SdkClient): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { name, arguments: args } = JSON.parse(Buffer.concat(chunks).toString()) as {
        name: string;
        arguments: Record<string, unknown>;
      };
      client.callTool({ name, arguments: args }).then(
        (result) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result)),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return server;
}

/** Every path must really reach the tool, or the comparison means nothing. */
async function expectEcho(path: () => Promise<unknown>): Promise<void> {
  const text = JSON.stringify(await path());
  if (!text.includes('echo: hello')) throw new Error(`the echo tool did not answer: ${text.slice(0, 200)}`);
}
