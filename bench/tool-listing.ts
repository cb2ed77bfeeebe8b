/**
 * Tool listing. Warm: `getToolsForUser` in-process for a user already connected to 5 servers, against a raw
 * SDK `listTools` round trip to one of them. Cold: a new user's first `getToolsForUser` fanning out to 1, 5
 * and 10 servers that each answer every request after 20 ms, against a raw SDK connect + listTools to one.
 */
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parseConfig } from '../server/config/schema.js';
import { CLIENT_INFO } from '../server/mcp/client.js';
import { ClientManager } from '../server/mcp/client-manager.js';
import { silentLogger } from '../tests/support/logger.js';
import { startServerHost, type ServerHost } from './mcp-server-host.js';
import { summarize, timed, type Summary } from './stats.js';

export const TOOLS_PER_SERVER = 20;
export const COLD_DELAY_MS = 20;
export const FAN_OUT = [1, 5, 10] as const;

export interface ToolListingResult {
  readonly warm: {
    readonly servers: number;
    readonly tools: number;
    readonly manager: Summary;
    readonly rawListTools: Summary;
  };
  /**
   * `raw`: one raw SDK client; `rawFanOut`: raw SDK clients to the largest fan-out in parallel (the machine's own cost
   * of it).
   */
  readonly cold: {
    readonly delayMs: number;
    readonly raw: Summary;
    readonly rawFanOut: Summary;
    readonly fanOut: Record<string, Summary>;
  };
  readonly plan: { readonly warmCalls: number; readonly rawCalls: number; readonly coldIterations: number };
}

export interface ToolListingOptions {
  readonly warmCalls?: number;
  readonly rawCalls?: number;
  readonly coldIterations?: number;
}

const logger = silentLogger();

export async function measureToolListing(
  host: ServerHost,
  options: ToolListingOptions = {},
): Promise<ToolListingResult> {
  const { warmCalls = 5000, rawCalls = 500, coldIterations = 20 } = options;
  const fast = await host.start({ count: 5, tools: TOOLS_PER_SERVER });
  const warm = await measureWarm(fast, warmCalls, rawCalls);
  // Remote servers run on machines of their own: here each in a process of its own, so that ten of them are
  // not served one after another by one event loop (which measured the host, not the fan-out).
  const slowHosts = await Promise.all(Array.from({ length: Math.max(...FAN_OUT) }, () => startServerHost()));
  try {
    const slow = (
      await Promise.all(slowHosts.map((h) => h.start({ count: 1, tools: TOOLS_PER_SERVER, delayMs: COLD_DELAY_MS })))
    ).flat();
    const cold = await measureCold(slow, coldIterations);
    return { warm, cold, plan: { warmCalls, rawCalls, coldIterations } };
  } finally {
    await Promise.all(slowHosts.map((h) => h.close()));
  }
}

async function measureWarm(urls: string[], calls: number, rawCalls: number): Promise<ToolListingResult['warm']> {
  const manager = managerFor(urls);
  const raw = new SdkClient({ ...CLIENT_INFO });
  await raw.connect(new StreamableHTTPClientTransport(new URL(urls[0]!)));
  try {
    const first = await manager.getToolsForUser('warmuser');
    expectComplete(first, urls.length);
    for (let i = 0; i < calls / 5; i++) await manager.getToolsForUser('warmuser');
    for (let i = 0; i < rawCalls / 5; i++) await raw.listTools();
    const samples: number[] = [];
    for (let i = 0; i < calls; i++) samples.push(await timed(() => manager.getToolsForUser('warmuser')));
    const rawSamples: number[] = [];
    for (let i = 0; i < rawCalls; i++) rawSamples.push(await timed(() => raw.listTools()));
    return {
      servers: urls.length,
      tools: first.tools.length,
      manager: summarize(samples),
      rawListTools: summarize(rawSamples),
    };
  } finally {
    await manager.close();
    await raw.close();
  }
}

async function measureCold(urls: string[], iterations: number): Promise<ToolListingResult['cold']> {
  const kinds = ['raw', `raw${Math.max(...FAN_OUT)}`, ...FAN_OUT.map(String)];
  const samples = new Map<string, number[]>(kinds.map((kind) => [kind, []]));
  const warmup = 3;
  let user = 0;
  for (let i = 0; i < warmup + iterations; i++) {
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[(i + k) % kinds.length]!;
      const elapsed = kind.startsWith('raw')
        ? await coldRaw(urls.slice(0, Number(kind.slice(3) || 1)))
        : await coldFanOut(urls.slice(0, Number(kind)), `colduser${user++}`);
      if (i >= warmup) samples.get(kind)!.push(elapsed);
    }
  }
  const fanOut = Object.fromEntries(FAN_OUT.map((n) => [String(n), summarize(samples.get(String(n))!)]));
  return {
    delayMs: COLD_DELAY_MS,
    raw: summarize(samples.get('raw')!),
    rawFanOut: summarize(samples.get(`raw${Math.max(...FAN_OUT)}`)!),
    fanOut,
  };
}

/** A new user's first listing; the manager is closed (sessions deleted) before the next one starts. */
async function coldFanOut(urls: string[], userId: string): Promise<number> {
  const manager = managerFor(urls);
  try {
    let result: Awaited<ReturnType<ClientManager['getToolsForUser']>> | undefined;
    const elapsed = await timed(async () => (result = await manager.getToolsForUser(userId)));
    expectComplete(result!, urls.length);
    return elapsed;
  } finally {
    await manager.close();
  }
}

/** Raw SDK clients connecting and listing in parallel, one per server; closed before the next sample. */
async function coldRaw(urls: string[]): Promise<number> {
  const sessions = urls.map((url) => ({
    client: new SdkClient({ ...CLIENT_INFO }),
    transport: new StreamableHTTPClientTransport(new URL(url)),
  }));
  try {
    return await timed(() =>
      Promise.all(
        sessions.map(async ({ client, transport }) => {
          await client.connect(transport);
          await client.listTools();
        }),
      ),
    );
  } finally {
    await Promise.all(
      sessions.map(async ({ client, transport }) => {
        await transport.terminateSession().catch(() => undefined);
        await client.close();
      }),
    );
  }
}

function managerFor(urls: string[]): ClientManager {
  return new ClientManager(parseConfig({ servers: urls.map((baseURL, i) => ({ name: `s${i}`, baseURL })) }), {
    logger,
  });
}

function expectComplete(result: Awaited<ReturnType<ClientManager['getToolsForUser']>>, servers: number): void {
  const expected = servers * (TOOLS_PER_SERVER + 1);
  if (result.tools.length !== expected || result.errors.errors.length > 0) {
    throw new Error(
      `expected ${expected} tools and no errors, got ${result.tools.length} tools and ${JSON.stringify(result.errors)}`,
    );
  }
}
