/**
 * Scale, in two child processes of their own (bigger heap, --expose-gc), each with the 3 servers in host
 * processes of their own (no process holds both ends of the sockets):
 * - ramp: RSS of the process holding the clients after connecting 1,000 and 10,000 users and after idle
 *   eviction, against its RSS before the first user. Users arrive in batches while the manager's clock moves
 *   on, so those idle for a while have their server streams closed, as in production.
 * - burst: 1,000 users connecting at once, in a fresh process, against one user connecting alone.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../server/config/schema.js';
import { ClientManager, HEAP_RELEASE_DELAY_MS } from '../server/mcp/client-manager.js';
import { silentLogger } from '../tests/support/logger.js';
import { startServerHost, type ServerHost } from './mcp-server-host.js';
import { nowMs, summarize, timed, type Summary } from './stats.js';
import { quietAbortListenerWarnings } from './warnings.js';

export const SCALE_SERVERS = 3;
const TOOLS_PER_SERVER = 20;
const IDLE_TIMEOUT_MINUTES = 30;
/** Simulated time between two batches of the ramp (40 batches of 250: 20 minutes, within the idle timeout). */
export const ARRIVAL_STEP_MS = 30_000;
const MIB = 1024 * 1024;

export interface MemorySample {
  readonly users: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  /** Heap V8 keeps committed (RSS follows it, not the heap in use). */
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
  /** Open TCP sockets in the process (libuv handles): open server streams, pooled connections. */
  readonly sockets: number;
}

/** The most frequent failure messages, with how often each occurred. */
export type ErrorCounts = ReadonlyArray<readonly [message: string, count: number]>;

export interface RampResult {
  readonly baseline: MemorySample;
  readonly afterUsers: readonly MemorySample[];
  readonly afterEviction: MemorySample & { readonly drainMs: number };
  readonly target: number;
  readonly users: number;
  readonly batch: number;
  readonly arrivalStepMs: number;
  readonly seconds: number;
  readonly errors: number;
  readonly topErrors: ErrorCounts;
  /** Why the ramp ended before its target, if it did. */
  readonly stoppedBecause?: string;
  /** Sessions the servers still held after eviction (handshakes the client gave up on are never deleted). */
  readonly orphanedSessions: number;
}

export interface BurstResult {
  /** One user after another (the baseline). */
  readonly single: Summary;
  readonly burst: Summary & {
    readonly users: number;
    readonly errors: number;
    readonly topErrors: ErrorCounts;
    readonly seconds: number;
  };
}

export interface ScaleResult {
  readonly servers: number;
  readonly toolsPerServer: number;
  readonly maxOldSpaceMiB: number;
  readonly ramp: RampResult;
  readonly burst: BurstResult;
  readonly rampSeconds: number;
  readonly burstSeconds: number;
}

export interface ScaleOptions {
  readonly users?: readonly number[];
  readonly burst?: number;
  readonly batch?: number;
  readonly maxOldSpaceMiB?: number;
  /** Wall-clock budget of the ramp; it stops at the first step boundary past it (default 900 s). */
  readonly rampSeconds?: number;
}

type ChildJob =
  { kind: 'ramp'; users: readonly number[]; batch: number; seconds: number } | { kind: 'burst'; users: number };

/** Runs the ramp and the burst, each in a child process, and returns what they measured. */
export async function measureScale(options: ScaleOptions = {}): Promise<ScaleResult> {
  const maxOldSpaceMiB = options.maxOldSpaceMiB ?? 2048;
  let start = nowMs();
  const ramp = await inChild<RampResult>(
    {
      kind: 'ramp',
      users: options.users ?? [1_000, 10_000],
      batch: options.batch ?? 250,
      seconds: options.rampSeconds ?? 900,
    },
    maxOldSpaceMiB,
  );
  const rampSeconds = (nowMs() - start) / 1000;
  start = nowMs();
  const burst = await inChild<BurstResult>({ kind: 'burst', users: options.burst ?? 1_000 }, maxOldSpaceMiB);
  return {
    servers: SCALE_SERVERS,
    toolsPerServer: TOOLS_PER_SERVER + 1,
    maxOldSpaceMiB,
    ramp,
    burst,
    rampSeconds,
    burstSeconds: (nowMs() - start) / 1000,
  };
}

function inChild<T>(job: ChildJob, maxOldSpaceMiB: number): Promise<T> {
  const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(job)], {
    // --max-semi-space-size and MALLOC_ARENA_MAX: what the shim gives the sidecar it starts
    // (server/shim/sidecar_env.go).
    execArgv: [`--max-old-space-size=${maxOldSpaceMiB}`, '--expose-gc', '--max-semi-space-size=16'],
    // The environment's MALLOC_ARENA_MAX, if set, wins, as with the shim.
    env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let result: T | undefined;
    let failure: string | undefined;
    child.on('message', (message: { result?: T; error?: string }) => {
      if (message.error) failure = message.error;
      else result = message.result;
    });
    child.once('exit', (code) =>
      result
        ? resolve(result)
        : reject(new Error(`scale ${job.kind}: ${failure ?? `exited with code ${code} and no result`}`)),
    );
  });
}

/** Three servers in host processes of their own and a manager over them, with a clock the caller moves. */
async function setUp(): Promise<{
  manager: ClientManager;
  hosts: ServerHost[];
  advance: (ms: number) => void;
  liveSessions: () => Promise<number>;
}> {
  const hosts: ServerHost[] = [];
  for (let i = 0; i < SCALE_SERVERS; i++) hosts.push(await startServerHost(['--max-old-space-size=4096']));
  const urls = (await Promise.all(hosts.map((host) => host.start({ count: 1, tools: TOOLS_PER_SERVER })))).flat();
  let skewMs = 0;
  const config = parseConfig({
    idleTimeoutMinutes: IDLE_TIMEOUT_MINUTES,
    servers: urls.map((baseURL, i) => ({ name: `s${i}`, baseURL })),
  });
  const manager = new ClientManager(config, { logger: silentLogger(), now: () => Date.now() + skewMs });
  return {
    manager,
    hosts,
    advance: (ms) => void (skewMs += ms),
    liveSessions: async () => (await Promise.all(hosts.map((host) => host.liveSessions()))).reduce((a, b) => a + b, 0),
  };
}

async function ramp(users: readonly number[], batchSize: number, budgetSeconds: number): Promise<RampResult> {
  const { manager, hosts, advance, liveSessions } = await setUp();
  try {
    // Evicts everyone, then waits until this process has no socket left and the servers' session count settled.
    const evictAll = async () => {
      advance((IDLE_TIMEOUT_MINUTES + 1) * 60_000);
      manager.sweepIdle();
      const start = nowMs();
      let previous = -1;
      for (;;) {
        const sessions = await liveSessions();
        if ((sessions === 0 || sessions === previous) && tcpSockets() === 0) break;
        if (nowMs() - start > 60_000) break;
        previous = sessions;
        await sleep(500);
      }
      const drainMs = nowMs() - start;
      // The manager hands the heap the sweep freed back to the system this long after the last close.
      await sleep(HEAP_RELEASE_DELAY_MS + 2_000);
      return drainMs;
    };
    // Warm the code paths before the baseline.
    for (let i = 0; i < 20; i++) await connectUser(manager, `warm${i}`);
    await evictAll();
    const baseline = await settledMemory();

    const afterUsers: MemorySample[] = [];
    const errors: string[] = [];
    const start = nowMs();
    let connected = 0;
    let stoppedBecause: string | undefined;
    for (const target of users) {
      while (connected < target && !stoppedBecause) {
        const batch = Math.min(batchSize, target - connected);
        const before = errors.length;
        await Promise.all(
          Array.from({ length: batch }, (_, i) =>
            connectUser(manager, `user${connected + i}`).catch((e: unknown) => void errors.push(describe(e))),
          ),
        );
        connected += batch;
        if (errors.length - before > batch / 100) stoppedBecause = `more than 1% of a batch failed`;
        else if (nowMs() - start > budgetSeconds * 1000) stoppedBecause = `its ${budgetSeconds} s budget ran out`;
        // Users arrive over time: the manager's clock moves on and its sweep runs, as its timer would.
        advance(ARRIVAL_STEP_MS);
        manager.sweepIdle();
      }
      // As after eviction: V8 hands freed pages back over seconds after a collection, so RSS is read once it settles.
      afterUsers.push({ ...(await settledMemory()), users: connected });
      if (stoppedBecause) break;
    }
    const seconds = (nowMs() - start) / 1000;
    const drainMs = await evictAll();
    const orphanedSessions = await liveSessions();
    const afterEviction = { ...(await settledMemory()), drainMs };
    await manager.close();
    return {
      baseline,
      afterUsers,
      afterEviction,
      target: Math.max(...users),
      users: connected,
      batch: batchSize,
      arrivalStepMs: ARRIVAL_STEP_MS,
      seconds,
      errors: errors.length,
      topErrors: topErrors(errors),
      ...(stoppedBecause && { stoppedBecause }),
      orphanedSessions,
    };
  } finally {
    await Promise.all(hosts.map((host) => host.close()));
  }
}

async function burst(users: number): Promise<BurstResult> {
  const { manager, hosts } = await setUp();
  try {
    const singles: number[] = [];
    for (let i = 0; i < 30; i++) singles.push(await timed(() => connectUser(manager, `single${i}`)));
    const errors: string[] = [];
    const start = nowMs();
    const samples = await Promise.all(
      Array.from({ length: users }, (_, i) =>
        timed(() => connectUser(manager, `user${i}`).catch((e: unknown) => void errors.push(describe(e)))),
      ),
    );
    const seconds = (nowMs() - start) / 1000;
    await manager.close();
    return {
      single: summarize(singles.slice(5)),
      burst: { ...summarize(samples), users, errors: errors.length, topErrors: topErrors(errors), seconds },
    };
  } finally {
    await Promise.all(hosts.map((host) => host.close()));
  }
}

/** A user's first listing; throws unless every server answered. */
async function connectUser(manager: ClientManager, userId: string): Promise<void> {
  const { tools, errors } = await manager.getToolsForUser(userId);
  const failure = errors.errors[0] ?? errors.toolAuthErrors[0];
  if (failure || tools.length !== SCALE_SERVERS * (TOOLS_PER_SERVER + 1))
    throw new Error(failure ? `${failure.serverName}: ${failure.message}` : `only ${tools.length} tools`);
}

async function memory(users: number): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(50);
  }
  const usage = process.memoryUsage();
  return {
    users,
    rssMiB: usage.rss / MIB,
    heapUsedMiB: usage.heapUsed / MIB,
    heapTotalMiB: usage.heapTotal / MIB,
    externalMiB: usage.external / MIB,
    sockets: tcpSockets(),
  };
}

/** Memory once RSS stops falling (V8 and the allocator hand pages back over seconds), within 20 s. */
async function settledMemory(): Promise<MemorySample> {
  let sample = await memory(0);
  for (let waited = 0; waited < 20_000; waited += 2_000) {
    await sleep(2_000);
    const next = await memory(0);
    const falling = next.rssMiB < sample.rssMiB - 1;
    sample = next;
    if (!falling) break;
  }
  return sample;
}

function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
}

function topErrors(errors: readonly string[]): ErrorCounts {
  const counts = new Map<string, number>();
  for (const message of errors) counts.set(message, (counts.get(message) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (process.argv[2] === '--child') {
  quietAbortListenerWarnings();
  const job = JSON.parse(process.argv[3] ?? '{}') as ChildJob;
  (job.kind === 'ramp' ? ramp(job.users, job.batch, job.seconds) : burst(job.users))
    .then((result) => process.send!({ result }))
    .catch((error: unknown) =>
      process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    )
    .finally(() => process.disconnect());
}
