import type { Logger } from 'pino';
import type { ServerConfig } from '../config/schema.js';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  RecordDecryptionError,
  StoreClosedError,
  StoreUnavailableError,
  type Lease,
  type RecordStore,
  type Store,
} from '../store/index.js';
import type { ClientAuthentication } from './token-endpoint.js';
import type { ClientIdentities } from './client-identities.js';
import { OAuthTokenError, RefreshInProgressError, ShuttingDownError } from './errors.js';
import type { HttpOptions } from './http.js';
import { refreshLeaseKey, tokensKey, type StoredTokens } from './records.js';
import { grantRevocation, refreshAccessToken, revokeToken, type TokenSet } from './token-endpoint.js';

/**
 * Refresh at most this long before expiry (a quarter of the token's lifetime when that is shorter), plus up to as
 * much again of jitter, so a burst of logins does not refresh at once.
 */
export const REFRESH_MARGIN_MS = 60_000;
const REFRESH_LEASE_MS = 30_000;
const REFRESH_WAIT_MS = 15_000;
/** How often tokens kept in memory while the store was down are offered to it again. */
const UNSAVED_RETRY_MS = 5_000;
/**
 * How long tokens read from the store are used without asking it again: a Disconnect or a deactivation on another
 * replica (which deletes them there) stops this replica using them within this time.
 */
export const TOKEN_RECHECK_MS = 2_000;
/** Decrypted tokens of a key nobody used for this long leave memory (the store keeps them). */
export const TOKEN_IDLE_MS = 15 * 60_000;
/** How long `close()` waits by default for refreshes under way. */
export const CLOSE_WAIT_MS = 5_000;

/**
 * How long before expiry a token counts as "about to expire": a quarter of its lifetime, at most
 * `REFRESH_MARGIN_MS`, times 1 + `jitter` (0 ≤ jitter < 1): never half the lifetime or more, so a token just
 * refreshed (here or by another replica) is never refreshed again.
 */
export function refreshMargin(lifetimeMs: number, jitter: number): number {
  return Math.min(REFRESH_MARGIN_MS, Math.max(0, lifetimeMs) / 4) * (1 + jitter);
}

/** One read of a key from the store, and how many writes of it this sidecar had made when it began. */
interface StoreRead {
  readonly writesBefore: number | undefined;
  readonly stored: Promise<StoredTokens | undefined>;
}

export interface TokenVaultOptions {
  readonly store: Store;
  readonly identities: ClientIdentities;
  readonly logger: Logger;
  readonly http: HttpOptions;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Told when a refresh happened at the authorization server (metrics, tests). */
  readonly onRefresh?: (outcome: 'refreshed' | 'invalid_grant' | 'failed') => void;
  /**
   * Told when tokens this sidecar was using are gone from the store (the user disconnected through another replica).
   */
  readonly onTokensGone?: (userId: string, serverName: string) => void;
}

/**
 * A user's tokens per server: cached in memory, stored encrypted, refreshed before they expire
 * and when the server rejects them; one refresh at a time per (user, server) across replicas.
 */
export class TokenVault {
  private readonly records: RecordStore<StoredTokens>;
  private readonly cache = new Map<string, StoredTokens | null>();
  /** When each cached entry was last read from (or written to) the store, and last asked for. */
  private readonly checkedAt = new Map<string, number>();
  private readonly usedAt = new Map<string, number>();
  private prunedAt: number;
  private readonly pruneTimer: NodeJS.Timeout;
  /** `close()` was called: no refresh starts. */
  private closing = false;
  /** `close()` stopped waiting: tokens a refresh still brings are revoked, not stored. */
  private closed = false;
  private readonly refreshing = new Map<string, Promise<StoredTokens | undefined>>();
  /** Reads of the store under way, per key, that requests share. */
  private readonly reads = new Map<string, StoreRead>();
  /**
   * Tokens the store could not take (it was down when they were issued or refreshed): newer than its copy,
   * whose refresh token the authorization server may already have rotated away. Kept here and used, never
   * replaced by the store's older copy, and written as soon as the store takes them.
   */
  private readonly unsaved = new Map<string, { stored: StoredTokens; triedAt: number }>();
  /** Refresh leases the store could not take back: given back once it answers again, not left to block refreshes. */
  private readonly unreleased = new Set<Lease>();
  /**
   * Saves and deletes per key, counted: a read or a refresh that began before one of them must not put back what
   * it changed (a disconnect during a slow read or refresh would otherwise bring the tokens back).
   */
  private readonly writes = new Map<string, number>();
  /**
   * Each key's saves and deletes, run one after another in the order they were asked for: a save seals before it
   * writes, so a delete asked for after it would otherwise reach the store first and leave the tokens behind.
   * Until a key's queue is empty the store may still answer with what its writes replace.
   */
  private readonly writeQueues = new Map<string, Promise<void>>();

  constructor(private readonly options: TokenVaultOptions) {
    this.records = options.store.records<StoredTokens>('tokens');
    this.prunedAt = this.now();
    // Also pruned on use; the timer empties the memory of a sidecar nobody uses any more.
    this.pruneTimer = setInterval(() => this.pruneIdle(), TOKEN_IDLE_MS / 4);
    this.pruneTimer.unref();
  }

  /**
   * The user's tokens for the server: from memory while recently read, else from the store. `fresh` reads the store
   * now. Tokens found gone from the store are told to `onTokensGone` unless `quietly` (a request finds it out itself).
   */
  async get(
    userId: string,
    serverName: string,
    { fresh = false, quietly = false } = {},
  ): Promise<StoredTokens | undefined> {
    const key = tokensKey(userId, serverName);
    const now = this.now();
    if (now - this.prunedAt >= TOKEN_IDLE_MS / 4) this.pruneIdle();
    this.usedAt.set(key, now);
    if (fresh) this.releaseLeft();
    const pending = this.unsaved.get(key);
    if (pending) {
      if (fresh || this.now() - pending.triedAt >= UNSAVED_RETRY_MS)
        await this.whileWriting(key, () => this.write(key, pending.stored, userId, serverName));
      return pending.stored;
    }
    // Only tokens are cached: "none" is read again, since the user may connect through another replica. Tokens are
    // read again after a moment too, since the user may have disconnected through another one.
    const cached = this.cache.get(key);
    if (!fresh && cached && now - (this.checkedAt.get(key) ?? 0) < TOKEN_RECHECK_MS) return cached;
    // This sidecar is saving or deleting these tokens: what it is writing is newer than anything the store holds.
    if (this.writeQueues.has(key)) return this.latest(key);
    // Requests share one read of a key (a burst of calls reads the store once); `fresh` asks the store itself.
    const read = fresh ? this.read(key, userId, serverName) : this.sharedRead(key, userId, serverName);
    let stored: StoredTokens | undefined;
    try {
      stored = await read.stored;
    } catch (error) {
      // The store is away: what it said last still holds, as it did before it went away.
      if (!fresh && cached && error instanceof StoreUnavailableError) return cached;
      throw error;
    }
    // Saved or deleted while the store answered: that newer write is the truth, not what was read before it.
    if (this.writes.get(key) !== read.writesBefore) return this.latest(key);
    const had = this.cache.get(key);
    this.remember(key, stored ?? null);
    if (had && !stored && !quietly) this.options.onTokensGone?.(userId, serverName);
    return stored;
  }

  /** Reads the key from the store, noting how many writes of it this sidecar had made when the read began. */
  private read(key: string, userId: string, serverName: string): StoreRead {
    const writesBefore = this.writes.get(key);
    const stored = this.records.get(key).catch(async (error: unknown) => {
      if (!(error instanceof RecordDecryptionError)) throw error;
      // Sealed with a key this sidecar no longer has (or tampered with): unusable, so the user connects again.
      this.options.logger.warn(
        { userId, server: serverName, reason: error.reason },
        'stored tokens cannot be decrypted; discarding them',
      );
      await this.records.delete(key);
      return undefined;
    });
    return { writesBefore, stored };
  }

  private sharedRead(key: string, userId: string, serverName: string): StoreRead {
    let read = this.reads.get(key);
    if (!read) {
      const started = this.read(key, userId, serverName);
      const done = () => {
        if (this.reads.get(key) === started) this.reads.delete(key);
      };
      started.stored.then(done, done);
      this.reads.set(key, started);
      read = started;
    }
    return read;
  }

  /** How many decrypted token sets (one per user and server) this sidecar holds in memory: all, or one user's. */
  tokensInMemory(userId?: string): number {
    const prefix = userId === undefined ? '' : tokensKey(userId, '');
    let count = 0;
    for (const [key, stored] of this.cache) if (stored && key.startsWith(prefix)) count++;
    for (const key of this.unsaved.keys()) if (key.startsWith(prefix) && !this.cache.get(key)) count++;
    return count;
  }

  /**
   * Stops refreshing: waits up to `waitMs` for refreshes under way (their rotated tokens are stored) and returns;
   * tokens a refresh brings after that are revoked at the authorization server, since the store may be closed.
   */
  async close({ waitMs = CLOSE_WAIT_MS } = {}): Promise<void> {
    this.closing = true;
    clearInterval(this.pruneTimer);
    const underWay = [...this.refreshing.values()].map((refresh) =>
      refresh.then(
        () => undefined,
        () => undefined,
      ),
    );
    if (underWay.length > 0) {
      const gaveUp = new AbortController();
      await Promise.race([
        Promise.all(underWay),
        sleep(waitMs, undefined, { signal: gaveUp.signal }).catch(() => undefined),
      ]);
      gaveUp.abort();
    }
    this.closed = true;
  }

  /** When refreshes are under way: resolves once they ended (stored, or revoked after `close()`). Else undefined. */
  settled(): Promise<void> | undefined {
    if (this.refreshing.size === 0) return undefined;
    return Promise.all(
      [...this.refreshing.values()].map((refresh) =>
        refresh.then(
          () => undefined,
          () => undefined,
        ),
      ),
    ).then(() => undefined);
  }

  private remember(key: string, stored: StoredTokens | null): void {
    this.cache.set(key, stored);
    this.checkedAt.set(key, this.now());
  }

  /** Drops from memory the tokens nobody asked for in `TOKEN_IDLE_MS` and nothing is writing or refreshing. */
  private pruneIdle(): void {
    const now = this.now();
    this.prunedAt = now;
    for (const [key, usedAt] of this.usedAt) {
      if (
        now - usedAt < TOKEN_IDLE_MS ||
        this.unsaved.has(key) ||
        this.writeQueues.has(key) ||
        this.refreshing.has(key)
      )
        continue;
      this.usedAt.delete(key);
      this.cache.delete(key);
      this.checkedAt.delete(key);
      this.writes.delete(key);
    }
  }

  /** Stores the tokens; while the store is unavailable they are kept in memory, in use, and written later. */
  async save(userId: string, serverName: string, stored: StoredTokens): Promise<void> {
    const key = tokensKey(userId, serverName);
    this.wrote(key);
    this.remember(key, stored);
    this.unsaved.delete(key); // older than these, whether or not the store takes them
    await this.whileWriting(key, () => this.write(key, stored, userId, serverName));
  }

  /** What this sidecar last saved, deleted (undefined) or read for the key. */
  private latest(key: string): StoredTokens | undefined {
    return this.cache.get(key) ?? undefined;
  }

  private wrote(key: string): void {
    this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
  }

  private whileWriting<T>(key: string, write: () => Promise<T>): Promise<T> {
    const result = (this.writeQueues.get(key) ?? Promise.resolve()).then(write);
    const done = result.then(
      () => undefined,
      () => undefined,
    );
    this.writeQueues.set(key, done);
    void done.then(() => {
      if (this.writeQueues.get(key) === done) this.writeQueues.delete(key);
    });
    return result;
  }

  private async write(key: string, stored: StoredTokens, userId: string, serverName: string): Promise<void> {
    try {
      await this.records.set(key, stored);
      // Writes run in order, so anything still unsaved is older than what the store now holds.
      this.unsaved.delete(key);
      this.releaseLeft();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      if (this.cache.get(key) !== stored) return; // a later save or delete replaced them already
      if (!this.unsaved.has(key))
        this.options.logger.warn(
          { userId, server: serverName, reason: error.message },
          'tokens kept in memory until the store is back',
        );
      this.unsaved.set(key, { stored, triedAt: this.now() });
    }
  }

  private releaseLeft(): void {
    for (const lease of this.unreleased)
      void lease.release().then(
        () => this.unreleased.delete(lease),
        () => undefined,
      );
  }

  async delete(userId: string, serverName: string): Promise<void> {
    const key = tokensKey(userId, serverName);
    this.wrote(key);
    this.remember(key, null);
    this.unsaved.delete(key);
    await this.whileWriting(key, () => this.records.delete(key));
  }

  /** Forgets the cached copy so the next read goes to the store (another replica may have written). */
  evict(userId: string, serverName: string): void {
    const key = tokensKey(userId, serverName);
    this.cache.delete(key);
    this.checkedAt.delete(key);
  }

  /**
   * An access token for the server that is not about to expire, refreshing first when needed;
   * `rejected` is a token the server just refused (refresh even if it looks valid). Undefined when
   * the user has to authorize (again).
   */
  async accessToken(userId: string, server: ServerConfig, rejected?: string): Promise<string | undefined> {
    // Tokens gone from the store fail this request with a Connect link, which closes the connection.
    const stored = await this.get(userId, server.name, { fresh: rejected !== undefined, quietly: true });
    if (!stored || stored.serverURL !== server.baseURL) return undefined;
    const token = stored.tokens.accessToken;
    if (rejected !== undefined ? token !== rejected : !this.expiresSoon(stored)) return token;
    const expiresAt = stored.tokens.expiresAt;
    if (this.closing) {
      // Shutting down: no refresh starts now; a token still valid serves the request.
      if (rejected === undefined && (expiresAt === undefined || expiresAt > this.now())) return token;
      throw new ShuttingDownError(server.name);
    }
    if (rejected === undefined && expiresAt !== undefined && expiresAt > this.now()) {
      // Still valid: refresh in the background (once per user and server) and answer now, so a slow or dead
      // authorization server costs this request nothing; a failed refresh leaves the token in use until it expires.
      void this.refresh(userId, server, token).catch((error: unknown) => {
        // Shut down while it waited: nothing was refreshed.
        if (this.closing && error instanceof StoreClosedError) return;
        this.options.logger.warn(
          { userId, server: server.name, reason: error instanceof Error ? error.message : String(error) },
          'early token refresh failed; using the current token',
        );
      });
      return token;
    }
    return (await this.refresh(userId, server, token))?.tokens.accessToken;
  }

  private expiresSoon(stored: StoredTokens): boolean {
    const expiresAt = stored.tokens.expiresAt;
    if (expiresAt === undefined) return false;
    return expiresAt - this.now() <= refreshMargin(expiresAt - stored.savedAt, (this.options.random ?? Math.random)());
  }

  private refresh(userId: string, server: ServerConfig, staleAccessToken: string): Promise<StoredTokens | undefined> {
    const key = tokensKey(userId, server.name);
    let pending = this.refreshing.get(key);
    if (!pending) {
      pending = this.refreshUnderLease(userId, server, staleAccessToken).finally(() => this.refreshing.delete(key));
      this.refreshing.set(key, pending);
    }
    return pending;
  }

  private async refreshUnderLease(
    userId: string,
    server: ServerConfig,
    staleAccessToken: string,
  ): Promise<StoredTokens | undefined> {
    const lease = await this.options.store.acquireLease(
      refreshLeaseKey(userId, server.name),
      REFRESH_LEASE_MS,
      REFRESH_WAIT_MS,
    );
    try {
      // Another replica may have refreshed while we waited: use its tokens instead of spending the refresh token again.
      const current = await this.get(userId, server.name, { fresh: true, quietly: true });
      if (!current) return undefined;
      if (current.tokens.accessToken !== staleAccessToken && !this.expiresSoon(current)) return current;
      if (!lease) {
        // Another holder is still refreshing: the tokens are there, so this is "try again", not "connect again".
        if (current.tokens.expiresAt !== undefined && current.tokens.expiresAt > this.now()) return current;
        throw new RefreshInProgressError(server.name);
      }
      return await this.refreshNow(userId, server, current);
    } finally {
      // A lease the store cannot take back now (it went away) is given back with the next write; the refresh itself
      // succeeded.
      await lease?.release().catch((error: unknown) => {
        if (error instanceof StoreClosedError) return; // shut down: the lease lapses by itself
        this.unreleased.add(lease);
        this.options.logger.warn(
          { userId, server: server.name, reason: error instanceof Error ? error.message : String(error) },
          'refresh lease not released yet',
        );
      });
    }
  }

  private async refreshNow(
    userId: string,
    server: ServerConfig,
    current: StoredTokens,
  ): Promise<StoredTokens | undefined> {
    const refreshToken = current.tokens.refreshToken;
    const stillValid = current.tokens.expiresAt === undefined || current.tokens.expiresAt > this.now();
    if (!refreshToken) return stillValid ? current : this.discard(userId, server.name);
    const client = await this.options.identities.known(server, current.issuer, current.clientId, current.authMethod);
    if (!client) return this.discard(userId, server.name);
    const key = tokensKey(userId, server.name);
    const writesBefore = this.writes.get(key);
    // The user disconnected (or connected again) while the authorization server answered: what they did stands.
    const overtaken = () => this.writes.get(key) !== writesBefore;
    let tokens;
    try {
      tokens = await refreshAccessToken(
        current.tokenEndpoint,
        client,
        { refreshToken, ...(current.resource && { resource: current.resource }) },
        { ...this.options.http, now: () => this.now() },
      );
    } catch (error) {
      const refused = error instanceof OAuthTokenError ? error.oauthError.error : undefined;
      if (refused === 'invalid_grant' || refused === 'invalid_client' || refused === 'unauthorized_client') {
        this.options.onRefresh?.('invalid_grant');
        this.options.logger.info(
          { server: server.name, userId, errorCode: refused },
          'refresh token refused; the user must connect again',
        );
        // The client itself was refused: a forgotten registration is dropped, so the next Connect registers again.
        if (refused !== 'invalid_grant')
          await this.options.identities.rejected(server, current.issuer, current.clientId);
        return overtaken() ? this.latest(key) : this.discard(userId, server.name);
      }
      this.options.onRefresh?.('failed');
      this.options.logger.warn(
        { server: server.name, userId, reason: error instanceof Error ? error.message : String(error) },
        'token refresh failed; keeping the tokens',
      );
      if (overtaken()) return this.latest(key);
      if (stillValid) return current;
      throw error;
    }
    this.options.onRefresh?.('refreshed');
    if (overtaken()) {
      this.options.logger.info(
        { userId, server: server.name },
        'tokens refreshed after the user disconnected or connected again; discarding them',
      );
      void this.revoke(server.name, current, client, tokens);
      return this.latest(key);
    }
    const next: StoredTokens = { ...current, tokens, savedAt: this.now() };
    try {
      // Past close(): the store may be closed, so the tokens could not be kept; revoked, they are not lost either.
      if (this.closed) throw new StoreClosedError('save tokens');
      await this.save(userId, server.name, next);
    } catch (error) {
      if (!(error instanceof StoreClosedError)) throw error;
      this.options.logger.info(
        { userId, server: server.name },
        'tokens refreshed while the sidecar shut down; revoking them, the user connects again',
      );
      await this.revoke(server.name, current, client, tokens);
      throw new ShuttingDownError(server.name); // not "connect again": no flow starts while the sidecar shuts down
    }
    return next;
  }

  /** RFC 7009 for tokens this sidecar will not keep, where the authorization server offers it; never throws. */
  private async revoke(
    serverName: string,
    current: StoredTokens,
    client: ClientAuthentication,
    tokens: TokenSet,
  ): Promise<void> {
    if (!current.revocationEndpoint) return;
    await revokeToken(current.revocationEndpoint, client, grantRevocation(tokens), this.options.http).catch(
      (error: unknown) => {
        this.options.logger.warn(
          { server: serverName, reason: error instanceof Error ? error.message : String(error) },
          'could not revoke tokens this sidecar does not keep',
        );
      },
    );
  }

  private async discard(userId: string, serverName: string): Promise<undefined> {
    await this.delete(userId, serverName);
    return undefined;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
