/**
 * The load scenario the default suite runs small and `make test-slow` runs at 1,000 users: users connect to 3
 * real MCP servers, then list tools and call tools concurrently, a set number of requests each; then they go idle
 * and are evicted (by the manager's sweep on an injected clock), and the manager is closed. It reports what a spec
 * asserts on: errors, answers that came back to the wrong caller, live sessions, open handles, and the heap at each
 * stage (after full collections).
 *
 * It counts work, not time, so that a busy machine makes it slower but not different: every user makes the same
 * requests however long they take, and each wait ends when the work it waits for is done (or has stopped moving).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { ConnectLimiter } from '../../server/mcp/connect-limiter.js';
import { parseConfig } from '../../server/config/schema.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer, type TestTool } from '../support/mcp-test-server.js';
import { silentLogger } from '../support/logger.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export interface LoadOptions {
  readonly users: number;
  readonly servers?: number;
  /** Requests each user makes once all are connected: a listing, then two calls, and again. */
  readonly requestsPerUser: number;
}

/**
 * Handshakes at once. The test servers share this process (and its core) with the clients, so a handshake costs
 * twice what it costs the sidecar. With the product's 64 at once, on a core shared with other work, a wave of 64
 * handshakes ended together after more than the 10 s connect timeout (which starts when a handshake leaves the
 * queue): they failed, the servers' breakers opened, the sessions they had begun were never ended, and the eviction
 * waited for them in vain. 8 at once take no longer in all (less on a busy machine), and each ends within its timeout.
 */
const CONCURRENT_HANDSHAKES = 8;
/** A wait for sessions or sockets to end gives up once none has ended for this long. */
const STALLED_MS = 15_000;

export interface LoadReport {
  readonly users: number;
  readonly servers: number;
  readonly listings: number;
  readonly calls: number;
  /** Every failure, as `<what>: <message>`. */
  readonly errors: readonly string[];
  /** Answers that did not carry their own request's user and message (mixed up, or lost on the way). */
  readonly misdelivered: number;
  readonly sessionsAtPeak: number;
  readonly sessionsAfterEviction: number;
  /** Heap used, MiB, after full collections. */
  readonly heapMiB: { readonly baseline: number; readonly peak: number; readonly afterEviction: number };
  /** Handle types still open after `close()` beyond those open before the manager existed (empty: nothing leaked). */
  readonly leakedHandles: Readonly<Record<string, number>>;
  readonly seconds: { readonly connect: number; readonly load: number; readonly drain: number };
}

/** Tools of a realistic size: a handful with schemas, so listing does real work. */
function tools(server: number): TestTool[] {
  const extra = Array.from({ length: 8 }, (_, i): TestTool => ({
    name: `search_${i}`,
    description: `Searches collection ${i} of server ${server} for documents matching a query, with paging and filters.`,
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string' },
        page: { type: 'integer', minimum: 1 },
        filters: { type: 'object', additionalProperties: { type: 'string' } },
      },
      required: ['query'],
    },
    run: (args) => ({ content: [{ type: 'text', text: `results for ${String(args.query)}` }] }),
  }));
  return [echoTool, whoamiTool, ...extra];
}

const MIB = 1024 * 1024;

async function settledHeapMiB(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Math.round((process.memoryUsage().heapUsed / MIB) * 10) / 10;
}

function handleCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

function beyond(now: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const [type, count] of now) if (count > (before.get(type) ?? 0)) extra[type] = count - (before.get(type) ?? 0);
  return extra;
}

/**
 * Waits until `remaining()` is 0, however long the work takes while it moves; gives up once it stopped moving for
 * `STALLED_MS` (something will never end: the spec's assertions then say what).
 */
async function untilDone(remaining: () => number): Promise<void> {
  let last = remaining();
  let movedAt = Date.now();
  while (last > 0 && Date.now() - movedAt < STALLED_MS) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = remaining();
    if (now !== last) [last, movedAt] = [now, Date.now()];
  }
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const serverCount = options.servers ?? 3;
  const servers: TestMcpServer[] = [];
  for (let i = 0; i < serverCount; i++) servers.push(await startMcpServer({ tools: tools(i) }));
  const liveSessions = () => servers.reduce((sum, s) => sum + s.liveSessions, 0);
  const errors: string[] = [];
  let misdelivered = 0;
  let listings = 0;
  let calls = 0;
  try {
    const handlesBefore = handleCounts();
    let clock = Date.now();
    const manager = new ClientManager(
      parseConfig({ servers: servers.map((s, i) => ({ name: `s${i}`, baseURL: s.url })) }),
      {
        logger: silentLogger(),
        now: () => clock,
        connectLimiter: new ConnectLimiter(CONCURRENT_HANDSHAKES),
      },
    );
    // Everyone is idle past the timeout at once: the sweep evicts them all, and their sessions end on the servers.
    const evictEveryone = async () => {
      clock += 31 * 60_000;
      manager.sweepIdle();
      await untilDone(() => manager.stats().users + liveSessions());
    };
    const socketsBeyond = (before: Map<string, number>) =>
      Math.max(0, (handleCounts().get('TCPSocketWrap') ?? 0) - (before.get('TCPSocketWrap') ?? 0));
    // A few users come and go first, so what stays for good (compiled code, shared schemas, pools) is in the baseline.
    await Promise.all(
      ['warmup1', 'warmup2', 'warmup3'].map(async (user) => {
        await manager.getToolsForUser(user);
        await manager.callTool(user, 's0__echo', { message: 'warm' });
      }),
    );
    await evictEveryone();
    const baseline = await settledHeapMiB();
    const users = Array.from({ length: options.users }, (_, i) => `user${String(i).padStart(5, '0')}`);

    // Everyone connects at once (the manager queues handshakes beyond its limit).
    const connectStart = Date.now();
    await Promise.all(
      users.map(async (user) => {
        const { tools: listed, errors: failed } = await manager.getToolsForUser(user);
        for (const error of [...failed.errors, ...failed.toolAuthErrors])
          errors.push(`connect ${user} ${error.serverName}: ${error.message}`);
        if (listed.length !== serverCount * 10) errors.push(`connect ${user}: ${listed.length} tools`);
      }),
    );
    const connectSeconds = (Date.now() - connectStart) / 1000;

    // Then each user lists and calls, the same requests however long they take; every answer must be its own.
    const loadStart = Date.now();
    await Promise.all(
      users.map(async (user, u) => {
        for (let n = 0; n < options.requestsPerUser; n++) {
          try {
            if (n % 3 === 0) {
              const { tools: listed, errors: failed } = await manager.getToolsForUser(user);
              listings++;
              if (failed.errors.length > 0 || listed.length !== serverCount * 10)
                errors.push(`list ${user}: ${JSON.stringify(failed.errors)}`);
            } else {
              const server = `s${(u + n) % serverCount}`;
              const message = `${user}#${n}`;
              const answer =
                n % 3 === 1
                  ? await manager.callTool(user, `${server}__echo`, { message })
                  : await manager.callTool(user, `${server}__whoami`, {});
              calls++;
              if (answer.text !== (n % 3 === 1 ? `echo: ${message}` : user)) misdelivered++;
            }
          } catch (error) {
            errors.push(`${user} #${n}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      }),
    );
    const loadSeconds = (Date.now() - loadStart) / 1000;
    const sessionsAtPeak = liveSessions();
    const peak = await settledHeapMiB();

    const drainStart = Date.now();
    await evictEveryone();
    const sessionsAfterEviction = liveSessions();
    // Idle keep-alive connections (client pool and server side) close on their own timers, a few seconds later.
    await untilDone(() => socketsBeyond(handlesBefore));
    const afterEviction = await settledHeapMiB();

    await manager.close();
    // Keep-alive sockets close on their own timers (a few seconds on either side): wait for them, then compare.
    await untilDone(() => Object.values(beyond(handleCounts(), handlesBefore)).reduce((sum, n) => sum + n, 0));
    return {
      users: options.users,
      servers: serverCount,
      listings,
      calls,
      errors,
      misdelivered,
      sessionsAtPeak,
      sessionsAfterEviction,
      heapMiB: { baseline, peak, afterEviction },
      leakedHandles: beyond(handleCounts(), handlesBefore),
      seconds: { connect: connectSeconds, load: loadSeconds, drain: (Date.now() - drainStart) / 1000 },
    };
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}
