import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { RecordDecryptionError, StoreClosedError, type RecordStore, type Store } from '../store/index.js';
import { parseConfig, type Config } from './schema.js';

/** The config last applied by some replica, as every replica reads it from the shared store. */
export interface StoredConfig {
  /** Grows by one with each publication; informational (replicas compare `digest`). */
  readonly version: number;
  /** SHA-256 of the config's canonical JSON: equal digests, same config. */
  readonly digest: string;
  readonly config: Config;
  /**
   * Plugin settings besides `Config` that every replica must apply too (who may call the sidecar: trusted
   * plugins, external MCP clients), as pushed. Absent in records written before they were shared.
   */
  readonly settings?: SharedSettings;
  readonly publishedAt: number;
}

/** Plain plugin settings (keys lower-cased, as Mattermost pushes them) shared with the config. */
export type SharedSettings = Readonly<Record<string, string | boolean>>;

export interface ConfigSyncOptions {
  readonly store: Store;
  readonly logger: Logger;
  /** Applies a config another replica published (the client manager's `reInit`). */
  readonly apply: (config: Config) => void;
  /** Applies the shared settings another replica published, or that were stored when this one started. */
  readonly applySettings?: (settings: SharedSettings) => void;
  /** How often the stored config is read, in milliseconds (default 5 s); its timer never keeps the process alive. */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export const DEFAULT_CONFIG_POLL_MS = 5_000;
const RECORD_KEY = 'current';

/**
 * Keeps the replicas of one deployment on one config. The shim pushes `OnConfigurationChange` to one replica
 * behind the load balancer; that replica `publish`es the validated config to the store's `config` record, and
 * every replica polls the record and applies a config whose digest differs from the one it runs. At start-up
 * `adopt` prefers the stored config (pushed by Mattermost) to the replica's own (a file, or nothing).
 */
export class ConfigSync {
  private readonly records: RecordStore<StoredConfig>;
  private readonly intervalMs: number;
  /** What this replica runs: the digest, and the stored version it came from or was published as. */
  private running: { digest: string; version: number } = { digest: '', version: 0 };
  /**
   * A config applied here that the store has not taken yet (it was unavailable): written before anything is adopted.
   */
  private unpublished: StoredConfig | undefined;
  private writing: Promise<void> | undefined;
  /** Bumped by each local publication, so a poll that read the store before it cannot undo it. */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastProblem = '';

  constructor(private readonly options: ConfigSyncOptions) {
    this.records = options.store.records<StoredConfig>('config');
    this.intervalMs = options.intervalMs ?? DEFAULT_CONFIG_POLL_MS;
    if (!(Number.isFinite(this.intervalMs) && this.intervalMs > 0))
      throw new RangeError(`intervalMs must be a positive number of milliseconds (got ${this.intervalMs})`);
  }

  /** The config to start with: the stored one when there is a valid one, else `own` (which is not published). */
  async adopt(own: Config): Promise<Config> {
    const stored = await this.read();
    const config = stored && this.validated(stored);
    if (stored && config) {
      this.running = { digest: stored.digest, version: stored.version };
      if (stored.settings) this.options.applySettings?.(stored.settings);
      if (stored.digest !== configDigest(own))
        this.options.logger.info(
          { version: stored.version, servers: config.servers.map((s) => s.name) },
          'MCP configuration taken from the shared store',
        );
      return config;
    }
    this.running = { digest: configDigest(own), version: stored?.version ?? 0 };
    return own;
  }

  /** Starts polling the store. */
  start(): void {
    if (this.closed || this.timer) return;
    this.schedule();
  }

  /**
   * Shares a config this replica just applied (validated: a refused config never gets here). Never rejects:
   * while the store is unavailable the config waits here and the next poll writes it.
   */
  publish(config: Config, settings?: SharedSettings): Promise<void> {
    this.generation += 1;
    const digest = configDigest(config, settings);
    this.running = { digest, version: this.running.version };
    this.unpublished = { version: 0, digest, config, ...(settings && { settings }), publishedAt: this.now() };
    return this.flush();
  }

  /** Reads the store once: writes a pending publication, or applies a config another replica published. */
  async poll(): Promise<void> {
    if (this.unpublished) return this.flush();
    const generation = this.generation;
    const stored = await this.read();
    // A config applied here while the store was read is newer than what was read.
    if (!stored || this.closed || generation !== this.generation || this.unpublished) return;
    if (stored.digest === this.running.digest) {
      this.running = { digest: stored.digest, version: stored.version };
      this.lastProblem = '';
      return;
    }
    const config = this.validated(stored);
    if (!config) return;
    this.options.apply(config);
    if (stored.settings) this.options.applySettings?.(stored.settings);
    this.running = { digest: stored.digest, version: stored.version };
    this.lastProblem = '';
    this.options.logger.info(
      { version: stored.version, servers: config.servers.map((s) => s.name), enabled: config.enabled },
      'MCP configuration applied from another replica',
    );
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.poll()
        .catch((error: unknown) =>
          this.report(error, 'could not apply the shared MCP configuration; keeping the running one'),
        )
        .finally(() => {
          if (!this.closed) this.schedule();
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Writes pending publications one at a time, the newest last; stops (keeping it pending) when the store fails. */
  private flush(): Promise<void> {
    this.writing ??= (async () => {
      try {
        while (this.unpublished && !this.closed) {
          const pending = this.unpublished;
          if (!(await this.write(pending))) return;
          if (this.unpublished === pending) this.unpublished = undefined;
        }
      } finally {
        this.writing = undefined;
      }
    })();
    return this.writing;
  }

  private async write(pending: StoredConfig): Promise<boolean> {
    try {
      const stored = await this.read({ quiet: true });
      // Every Mattermost node pushes the same change: the first write is the publication, the rest are no-ops.
      if (stored?.digest === pending.digest) {
        this.running = { digest: pending.digest, version: stored.version };
        return true;
      }
      const version = Math.max(stored?.version ?? 0, this.running.version) + 1;
      await this.records.set(RECORD_KEY, { ...pending, version, publishedAt: this.now() });
      if (this.running.digest === pending.digest) this.running = { digest: pending.digest, version };
      this.lastProblem = '';
      this.options.logger.info({ version }, 'MCP configuration shared with the other replicas');
      return true;
    } catch (error) {
      this.report(error, 'MCP configuration not shared yet (the store is unavailable); retrying');
      return false;
    }
  }

  /** The stored config, or undefined when there is none, it cannot be opened, or the store failed (reported once). */
  private async read({ quiet = false } = {}): Promise<StoredConfig | undefined> {
    try {
      return await this.records.get(RECORD_KEY);
    } catch (error) {
      if (quiet && !(error instanceof RecordDecryptionError)) throw error;
      this.report(
        error,
        error instanceof RecordDecryptionError
          ? 'the shared MCP configuration cannot be decrypted with this replica’s keys; keeping the running one'
          : 'could not read the shared MCP configuration; keeping the running one',
      );
      return undefined;
    }
  }

  /** The stored config re-validated (another version of the sidecar may have written it); undefined if refused. */
  private validated(stored: StoredConfig): Config | undefined {
    try {
      return parseConfig(stored.config);
    } catch (error) {
      this.report(error, 'the shared MCP configuration is invalid here; keeping the running one');
      return undefined;
    }
  }

  /** Logs a problem once until something succeeds, not at every poll. */
  private report(error: unknown, message: string): void {
    if (error instanceof StoreClosedError) return; // shutting down
    const reason = error instanceof Error ? error.message : String(error);
    if (reason === this.lastProblem) return;
    this.lastProblem = reason;
    this.options.logger.warn({ reason }, message);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** SHA-256 of the config's JSON (with the shared settings, if any) with sorted keys and no undefined members. */
export function configDigest(config: Config, settings?: SharedSettings): string {
  return createHash('sha256')
    .update(canonicalJSON(settings ? { config, settings } : config))
    .digest('base64url');
}

function canonicalJSON(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJSON(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
