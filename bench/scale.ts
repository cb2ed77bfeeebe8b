/**
 * Scale: RSS of the process holding the clients after connecting 1,000 and 10,000 users to 3 servers and
 * after idle eviction, against the same process's RSS before any user; 1,000 users connecting at once
 * against one user connecting alone. Runs in its own child process (bigger heap, --expose-gc) with each
 * server in a host process of its own (so no process holds more than one side of the sockets).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../server/config/schema.js';
import { ClientManager } from '../server/mcp/client-manager.js';
import { silentLogger } from '../tests/support/logger.js';
import { startServerHost, type ServerHost } from './mcp-server-host.js';
import { nowMs, summarize, timed, type Summary } from './stats.js';
import { quietAbortListenerWarnings } from './warnings.js';

export const SCALE_SERVERS = 3;
const TOOLS_PER_SERVER = 20;
const IDLE_TIMEOUT_MINUTES = 30;
const MIB = 1024 * 1024;

export interface MemorySample {
  readonly users: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly externalMiB: number;
  /** Open TCP sockets in the process (libuv handles). */
  readonly sockets: number;
}

export interface ScaleResult {
  readonly servers: number;
  readonly toolsPerServer: number;
  readonly baseline: MemorySample;
  readonly afterUsers: readonly MemorySample[];
  readonly afterEviction: MemorySample & { readonly drainMs: number };
  readonly single: Summary;
  readonly burst: Summary & { readonly users: number; readonly errors: number; readonly seconds: number; readonly firstError?: string };
  /** Connecting the rest in batches; stops early when more than 1% of a batch fails. */
  readonly ramp: { readonly target: number; readonly users: number; readonly batch: number; readonly seconds: number; readonly errors: number; readonly firstError?: string };
  /** Sessions the servers still held after eviction (handshakes the client gave up on are never deleted). */
  readonly orphanedSessions: number;
  readonly maxOldSpaceMiB: number;
  readonly seconds: number;
}

export interface ScaleOptions {
  readonly users?: readonly number[];
  readonly burst?: number;
  readonly batch?: number;
  readonly maxOldSpaceMiB?: number;
}

/** Runs the scale benchmark in a child process and returns what it measured. */
export function measureScale(options: ScaleOptions = {}): Promise<ScaleResult> {
  const maxOldSpaceMiB = options.maxOldSpaceMiB ?? 2048;
  const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify({ ...options, maxOldSpaceMiB })], {
    execArgv: [`--max-old-space-size=${maxOldSpaceMiB}`, '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let result: ScaleResult | undefined;
    child.on('message', (message: { result?: ScaleResult; error?: string }) => {
      if (message.error) reject(new Error(`scale benchmark: ${message.error}`));
      else result = message.result;
    });
    child.once('exit', (code) => (result ? resolve(result) : reject(new Error(`scale benchmark exited with code ${code} and no result`))));
  });
}

async function run(options: Required<ScaleOptions>): Promise<ScaleResult> {
  const started = nowMs();
  const hosts: ServerHost[] = [];
  let skewMs = 0;
  try {
    for (let i = 0; i < SCALE_SERVERS; i++) hosts.push(await startServerHost(['--max-old-space-size=4096']));
    const urls = (await Promise.all(hosts.map((host) => host.start({ count: 1, tools: TOOLS_PER_SERVER })))).flat();
    const config = parseConfig({ idleTimeoutMinutes: IDLE_TIMEOUT_MINUTES, servers: urls.map((baseURL, i) => ({ name: `s${i}`, baseURL })) });
    const manager = new ClientManager(config, { logger: silentLogger(), now: () => Date.now() + skewMs });
    const liveSessions = async () => (await Promise.all(hosts.map((host) => host.liveSessions()))).reduce((a, b) => a + b, 0);
    // Evicts everyone, then waits until this process has no socket left and the servers' session count settled.
    const evictAll = async () => {
      skewMs += (IDLE_TIMEOUT_MINUTES + 1) * 60_000;
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
      return nowMs() - start;
    };

    // One user at a time: the baseline for the burst, and warm code paths before the baseline RSS.
    const singles: number[] = [];
    for (let i = 0; i < 30; i++) singles.push(await timed(() => connectUser(manager, `single${i}`)));
    await evictAll();
    const baseline = await memory(0);

    const burstErrors: string[] = [];
    const burstStart = nowMs();
    const burstSamples = await Promise.all(
      Array.from({ length: options.burst }, (_, i) => timed(() => connectUser(manager, `user${i}`).catch((e: unknown) => void burstErrors.push(describe(e))))),
    );
    const burstSeconds = (nowMs() - burstStart) / 1000;
    const afterUsers: MemorySample[] = [];
    let connected = options.burst;
    const rampErrors: string[] = [];
    const rampStart = nowMs();
    let stopped = false;
    for (const target of options.users) {
      while (connected < target && !stopped) {
        const batch = Math.min(options.batch, target - connected);
        const before = rampErrors.length;
        await Promise.all(Array.from({ length: batch }, (_, i) => connectUser(manager, `user${connected + i}`).catch((e: unknown) => void rampErrors.push(describe(e)))));
        connected += batch;
        stopped = rampErrors.length - before > batch / 100;
      }
      afterUsers.push(await memory(connected));
      if (stopped) break;
    }
    const rampSeconds = (nowMs() - rampStart) / 1000;
    const drainMs = await evictAll();
    const orphanedSessions = await liveSessions();
    const afterEviction = { ...(await memory(0)), drainMs };
    await manager.close();
    return {
      servers: SCALE_SERVERS,
      toolsPerServer: TOOLS_PER_SERVER + 1,
      baseline,
      afterUsers,
      afterEviction,
      single: summarize(singles.slice(5)),
      burst: { ...summarize(burstSamples), users: options.burst, errors: burstErrors.length, seconds: burstSeconds, ...(burstErrors[0] && { firstError: burstErrors[0] }) },
      ramp: { target: Math.max(...options.users), users: connected, batch: options.batch, seconds: rampSeconds, errors: rampErrors.length, ...(rampErrors[0] && { firstError: rampErrors[0] }) },
      orphanedSessions,
      maxOldSpaceMiB: options.maxOldSpaceMiB,
      seconds: (nowMs() - started) / 1000,
    };
  } finally {
    await Promise.all(hosts.map((host) => host.close()));
  }
}

/** A user's first listing; throws unless every server answered. */
async function connectUser(manager: ClientManager, userId: string): Promise<void> {
  const { tools, errors } = await manager.getToolsForUser(userId);
  const failure = errors.errors[0] ?? errors.toolAuthErrors[0];
  if (failure || tools.length !== SCALE_SERVERS * (TOOLS_PER_SERVER + 1)) throw new Error(failure ? `${failure.serverName}: ${failure.message}` : `only ${tools.length} tools`);
}

async function memory(users: number): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(50);
  }
  const usage = process.memoryUsage();
  return { users, rssMiB: usage.rss / MIB, heapUsedMiB: usage.heapUsed / MIB, externalMiB: usage.external / MIB, sockets: tcpSockets() };
}

function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (process.argv[2] === '--child') {
  quietAbortListenerWarnings();
  const options = JSON.parse(process.argv[3] ?? '{}') as ScaleOptions;
  run({ users: options.users ?? [1_000, 10_000], burst: options.burst ?? 1_000, batch: options.batch ?? 250, maxOldSpaceMiB: options.maxOldSpaceMiB ?? 2048 })
    .then((result) => process.send!({ result }))
    .catch((error: unknown) => process.send!({ error: error instanceof Error ? error.stack ?? error.message : String(error) }))
    .finally(() => process.disconnect());
}
