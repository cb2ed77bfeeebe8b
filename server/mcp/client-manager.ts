import type { Config } from '../config/schema.js';
import type { CallToolOptions } from './client.js';
import type { ToolCallResult } from './tool-result.js';
import type { ServerState, UserToolsResult } from './types.js';
import { SharedSchemaValidator } from './shared-schema-validator.js';
import { SharedToolLists } from './shared-tool-lists.js';
import { SharedToolCatalogs } from './tool-catalogs.js';
import { ConnectLimiter } from './connect-limiter.js';
import { ServerBreakers } from './server-breakers.js';
import { UserClients, type UserClientsDeps } from './user-clients.js';
import { MemoryServerChoices, type UserServerChoices } from './user-server-choices.js';
import { releaseFreedHeap } from './heap-release.js';

const EMPTY: UserToolsResult = { tools: [], errors: { toolAuthErrors: [], errors: [] } };
const MAX_SWEEP_INTERVAL_MS = 60_000;
/** How long a user may be idle before their server streams close (their sessions stay; see `ServerStream`). */
export const DEFAULT_SERVER_STREAM_IDLE_MS = 2 * 60_000;
const MAX_CONCURRENT_EVICTIONS = 32;
/**
 * Least time between two sweeps that hand freed heap back to the system (each blocks for a full collection or a few).
 */
export const HEAP_RELEASE_INTERVAL_MS = 10 * 60_000;
/**
 * How long after a sweep's last close the heap is handed back: its connections close too (undici keeps an idle one 4
 * s).
 */
export const HEAP_RELEASE_DELAY_MS = 5_000;

export interface ClientManagerDeps extends UserClientsDeps {
  /** Idle time after which a user's server streams close (default 2 minutes). */
  readonly serverStreamIdleMs?: number;
  /** The servers users switched off for themselves (in the store, shared by replicas); default: this process only. */
  readonly choices?: UserServerChoices;
  /** Run once the users a sweep evicted or set aside are closed, at most every `HEAP_RELEASE_INTERVAL_MS`: by default a
   * memory-reducing collection, without which Node 24 keeps the freed heap pages (`heap-release.ts`). */
  readonly releaseHeap?: () => void;
  /** Wait between the sweep's last close and `releaseHeap` (default `HEAP_RELEASE_DELAY_MS`). */
  readonly heapReleaseDelayMs?: number;
}

interface Entry {
  readonly clients: UserClients;
  lastUsed: number;
  inFlight: number;
  /** The user's server streams are closed until their next request. */
  streamsPaused: boolean;
}

export interface ClientManagerStats {
  readonly users: number;
  readonly connectedClients: number;
}

/**
 * Keeps one `UserClients` per user: created on first use, closed after `idleTimeoutMinutes`
 * without use (a timer sweeps; users with requests in flight are kept), and re-initialised when the
 * config changes, closing only the clients whose server changed. Users idle for `serverStreamIdleMs`
 * keep their sessions but not their server streams, which reopen on their next request.
 */
export class ClientManager {
  private config: Config;
  private readonly users = new Map<string, Entry>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => number;

  private readonly deps: UserClientsDeps;
  private readonly serverStreamIdleMs: number;
  private readonly choices: UserServerChoices;
  /** Users whose sessions end at once: a sweep of thousands would otherwise open a connection per DELETE. */
  private readonly closings = new ConnectLimiter(MAX_CONCURRENT_EVICTIONS);
  private readonly releaseHeap: () => void;
  private readonly heapReleaseDelayMs: number;
  private lastHeapRelease = Number.NEGATIVE_INFINITY;

  constructor(config: Config, deps: ClientManagerDeps) {
    this.config = config;
    this.serverStreamIdleMs = deps.serverStreamIdleMs ?? DEFAULT_SERVER_STREAM_IDLE_MS;
    this.choices = deps.choices ?? new MemoryServerChoices();
    this.releaseHeap = deps.releaseHeap ?? releaseFreedHeap;
    this.heapReleaseDelayMs = deps.heapReleaseDelayMs ?? HEAP_RELEASE_DELAY_MS;
    // Shared by every user's clients: one compiled schema and one tool list per distinct one, not per user.
    this.deps = {
      ...deps,
      schemaValidator: deps.schemaValidator ?? new SharedSchemaValidator(),
      toolLists: deps.toolLists ?? new SharedToolLists(),
      toolCatalogs: deps.toolCatalogs ?? new SharedToolCatalogs(),
      // One circuit breaker per server for all users: a dead server is not dialled once per user.
      breakers: deps.breakers ?? new ServerBreakers({ ...(deps.now && { now: deps.now }) }),
      // Handshakes queue beyond a bound: a burst of users must not run them all at once and time out.
      connectLimiter: deps.connectLimiter ?? new ConnectLimiter(),
    };
    this.now = deps.now ?? Date.now;
    this.startSweeper();
  }

  get currentConfig(): Config {
    return this.config;
  }

  async getToolsForUser(userId: string): Promise<UserToolsResult> {
    if (!this.config.enabled) return EMPTY;
    return this.use(userId, (clients) => clients.getTools());
  }

  async getServerStatesForUser(userId: string): Promise<ServerState[]> {
    if (!this.config.enabled) return [];
    return this.use(userId, (clients) => clients.getServerStates());
  }

  async callTool(
    userId: string,
    toolName: string,
    args: Record<string, unknown>,
    options?: CallToolOptions,
  ): Promise<ToolCallResult> {
    return this.use(userId, (clients) => clients.callTool(toolName, args, options));
  }

  /** The servers `userId` switched off for themselves. */
  switchedOffServers(userId: string): Promise<ReadonlySet<string>> {
    return this.choices.switchedOff(userId);
  }

  /**
   * Switches a configured server off (or back on) for one user, in the store: its connection for the user closes
   * here at once, on other replicas at their next read of the user's choices.
   */
  async setServerSwitchedOff(userId: string, serverName: string, off: boolean): Promise<void> {
    const servers = await this.choices.setSwitchedOff(userId, serverName, off);
    await this.users.get(userId)?.clients.setSwitchedOff(servers);
  }

  /** Applies a validated config; unchanged servers keep their connections. */
  reInit(config: Config): void {
    const idleChanged = config.idleTimeoutMinutes !== this.config.idleTimeoutMinutes;
    this.config = config;
    this.deps.breakers?.retain(config.servers);
    for (const [userId, entry] of this.users) {
      if (!config.enabled) void this.evict(userId);
      else entry.clients.applyConfig(config.servers);
    }
    if (idleChanged) this.startSweeper();
  }

  /** Drops a user's connections (all, or one server's) so the next request reconnects, e.g. after OAuth. */
  invalidateUser(userId: string, serverName?: string): void {
    const entry = this.users.get(userId);
    if (!entry) return;
    if (serverName) entry.clients.reset(serverName);
    else void this.evict(userId);
  }

  stats(): ClientManagerStats {
    let connectedClients = 0;
    for (const entry of this.users.values()) connectedClients += entry.clients.connectedCount;
    return { users: this.users.size, connectedClients };
  }

  hasUser(userId: string): boolean {
    return this.users.has(userId);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    const all = [...this.users.values()].map((entry) => entry.clients.close());
    this.users.clear();
    await Promise.all(all);
  }

  /**
   * Closes the clients of every user idle for longer than the timeout, and the server streams of those idle for a
   * while.
   */
  sweepIdle(): void {
    const cutoff = this.now() - this.idleTimeoutMs;
    this.choices.forgetOlderThan?.(cutoff);
    const streamCutoff = this.now() - this.serverStreamIdleMs;
    const closing: Array<Promise<void>> = [];
    let setAside = 0;
    for (const [userId, entry] of this.users) {
      if (entry.inFlight > 0) continue;
      if (entry.lastUsed < cutoff) {
        closing.push(this.evict(userId));
      } else if (!entry.streamsPaused && entry.lastUsed < streamCutoff) {
        entry.streamsPaused = true;
        entry.clients.pauseServerStreams();
        setAside++;
      }
    }
    if (closing.length + setAside > 0) this.releaseHeapAfter(closing);
  }

  /**
   * Once what a sweep let go of is closed (and its connections), hands the heap it freed back to the system
   * (throttled).
   */
  private releaseHeapAfter(closing: ReadonlyArray<Promise<void>>): void {
    const now = this.now();
    if (now - this.lastHeapRelease < HEAP_RELEASE_INTERVAL_MS) return;
    this.lastHeapRelease = now;
    void Promise.all(closing).then(() =>
      setTimeout(() => {
        if (this.closed) return;
        try {
          this.releaseHeap();
        } catch (error) {
          this.deps.logger.warn({ err: error }, 'handing freed heap back to the system failed');
        }
      }, this.heapReleaseDelayMs).unref(),
    );
  }

  private async use<T>(userId: string, fn: (clients: UserClients) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('The MCP client manager is shut down.');
    let entry = this.users.get(userId);
    if (!entry) {
      // Created synchronously: concurrent first requests share one UserClients.
      entry = {
        clients: new UserClients(userId, this.config.servers, this.deps),
        lastUsed: this.now(),
        inFlight: 0,
        streamsPaused: false,
      };
      this.users.set(userId, entry);
    }
    if (entry.streamsPaused) {
      entry.streamsPaused = false;
      entry.clients.resumeServerStreams();
    }
    entry.inFlight++;
    entry.lastUsed = this.now();
    try {
      // Before anything connects: a server the user switched off (here or on another replica) must not be dialled.
      await entry.clients.setSwitchedOff(await this.choices.switchedOff(userId));
      return await fn(entry.clients);
    } finally {
      entry.inFlight--;
      entry.lastUsed = this.now();
    }
  }

  private evict(userId: string): Promise<void> {
    const entry = this.users.get(userId);
    if (!entry) return Promise.resolve();
    this.users.delete(userId);
    return this.closings
      .run(() => entry.clients.close())
      .catch((error: unknown) => this.deps.logger.warn({ userId, err: error }, 'closing idle user clients failed'));
  }

  private get idleTimeoutMs(): number {
    return this.config.idleTimeoutMinutes * 60_000;
  }

  private startSweeper(): void {
    clearInterval(this.sweepTimer);
    const interval = Math.min(
      MAX_SWEEP_INTERVAL_MS,
      Math.max(10, Math.floor(Math.min(this.idleTimeoutMs, this.serverStreamIdleMs) / 4)),
    );
    this.sweepTimer = setInterval(() => this.sweepIdle(), interval);
    this.sweepTimer.unref();
  }
}
