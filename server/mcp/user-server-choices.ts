import type { Logger } from 'pino';
import type { RecordStore, Store } from '../store/index.js';

/** The servers each user switched off for themselves (`/mcp disable`, the webapp panel's switch). */
export interface UserServerChoices {
  /** The names of the servers `userId` switched off. */
  switchedOff(userId: string): Promise<ReadonlySet<string>>;
  /** Switches one server off (or back on) for `userId`; resolves to the user's new set. */
  setSwitchedOff(userId: string, serverName: string, off: boolean): Promise<ReadonlySet<string>>;
  /** Drops copies read before `cutoff` (the manager calls it with its idle sweep). */
  forgetOlderThan?(cutoff: number): void;
}

/** The `user-choices` record of one user. */
export interface UserChoicesRecord {
  readonly switchedOff: readonly string[];
}

/** How long a replica trusts its copy of a user's choices before reading the store again. */
export const DEFAULT_CHOICES_REFRESH_MS = 5_000;

interface Cached {
  readonly servers: ReadonlySet<string>;
  readonly readAt: number;
}

export interface StoredServerChoicesOptions {
  readonly store: Store;
  readonly logger: Logger;
  /** Default 5 s: a choice made on another replica applies here within this time. */
  readonly refreshMs?: number;
  readonly now?: () => number;
}

/**
 * Users' choices in the store (record kind `user-choices`, key: the user id), so every replica honours them.
 * Each replica keeps a copy per user for `refreshMs`; its own writes update the copy at once. A write takes a
 * lease on the user's record, so two switches at once on two replicas do not undo each other.
 */
export class StoredServerChoices implements UserServerChoices {
  private readonly records: RecordStore<UserChoicesRecord>;
  private readonly cache = new Map<string, Cached>();
  private readonly reading = new Map<string, Promise<ReadonlySet<string>>>();
  private readonly refreshMs: number;
  private readonly now: () => number;

  constructor(private readonly options: StoredServerChoicesOptions) {
    this.records = options.store.records<UserChoicesRecord>('user-choices');
    this.refreshMs = options.refreshMs ?? DEFAULT_CHOICES_REFRESH_MS;
    this.now = options.now ?? Date.now;
  }

  async switchedOff(userId: string): Promise<ReadonlySet<string>> {
    const cached = this.cache.get(userId);
    if (cached && this.now() - cached.readAt < this.refreshMs) return cached.servers;
    let reading = this.reading.get(userId);
    if (!reading) {
      reading = this.read(userId, cached).finally(() => this.reading.delete(userId));
      this.reading.set(userId, reading);
    }
    return reading;
  }

  async setSwitchedOff(userId: string, serverName: string, off: boolean): Promise<ReadonlySet<string>> {
    const lease = await this.options.store.acquireLease(`user-choices:${userId}`, 5_000, 5_000);
    try {
      const record = await this.records.get(userId);
      const servers = new Set(record?.switchedOff ?? []);
      if (off) servers.add(serverName);
      else servers.delete(serverName);
      if (servers.size === 0) await this.records.delete(userId);
      else await this.records.set(userId, { switchedOff: [...servers].sort() });
      this.cache.set(userId, { servers, readAt: this.now() });
      return servers;
    } finally {
      await lease?.release();
    }
  }

  /** Forgets the copies of users not asked about for a while (called with the manager's idle sweep). */
  forgetOlderThan(cutoff: number): void {
    for (const [userId, cached] of this.cache) if (cached.readAt < cutoff) this.cache.delete(userId);
  }

  private async read(userId: string, stale: Cached | undefined): Promise<ReadonlySet<string>> {
    try {
      const record = await this.records.get(userId);
      const servers = new Set(
        Array.isArray(record?.switchedOff) ? record.switchedOff.filter((s) => typeof s === 'string') : [],
      );
      this.cache.set(userId, { servers, readAt: this.now() });
      return servers;
    } catch (error) {
      // The store is down: the last known choices still hold (none known: every server is on), and are asked
      // for again only after refreshMs, so a store outage costs one read and one log line per user and period.
      this.options.logger.warn(
        { userId, reason: error instanceof Error ? error.message : String(error) },
        "could not read the user's server choices; using the last known ones",
      );
      const servers = stale?.servers ?? new Set<string>();
      this.cache.set(userId, { servers, readAt: this.now() });
      return servers;
    }
  }
}

/** Choices kept in this process only: for a sidecar without a store (a single replica). */
export class MemoryServerChoices implements UserServerChoices {
  private readonly byUser = new Map<string, Set<string>>();

  async switchedOff(userId: string): Promise<ReadonlySet<string>> {
    return this.byUser.get(userId) ?? new Set();
  }

  async setSwitchedOff(userId: string, serverName: string, off: boolean): Promise<ReadonlySet<string>> {
    const servers = new Set(this.byUser.get(userId));
    if (off) servers.add(serverName);
    else servers.delete(serverName);
    if (servers.size === 0) this.byUser.delete(userId);
    else this.byUser.set(userId, servers);
    return servers;
  }
}
