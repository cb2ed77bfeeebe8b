import type { Logger } from 'pino';
import type { ServerConfig } from '../config/schema.js';
import { RecordDecryptionError, StoreUnavailableError, type Lease, type RecordStore, type Store } from '../store/index.js';
import type { ClientIdentities } from './client-identities.js';
import { OAuthTokenError, RefreshInProgressError } from './errors.js';
import type { HttpOptions } from './http.js';
import { refreshLeaseKey, tokensKey, type StoredTokens } from './records.js';
import { grantRevocation, refreshAccessToken, revokeToken } from './token-endpoint.js';

/** Refresh this long before expiry, plus up to as much again of jitter, so a burst of logins does not refresh at once. */
export const REFRESH_MARGIN_MS = 60_000;
const REFRESH_LEASE_MS = 30_000;
const REFRESH_WAIT_MS = 15_000;
/** How often tokens kept in memory while the store was down are offered to it again. */
const UNSAVED_RETRY_MS = 5_000;

export interface TokenVaultOptions {
  readonly store: Store;
  readonly identities: ClientIdentities;
  readonly logger: Logger;
  readonly http: HttpOptions;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Told when a refresh happened at the authorization server (metrics, tests). */
  readonly onRefresh?: (outcome: 'refreshed' | 'invalid_grant' | 'failed') => void;
}

/**
 * A user's tokens per server: cached in memory, stored encrypted, refreshed before they expire
 * and when the server rejects them; one refresh at a time per (user, server) across replicas.
 */
export class TokenVault {
  private readonly records: RecordStore<StoredTokens>;
  private readonly cache = new Map<string, StoredTokens | null>();
  private readonly refreshing = new Map<string, Promise<StoredTokens | undefined>>();
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
  }

  async get(userId: string, serverName: string, { fresh = false } = {}): Promise<StoredTokens | undefined> {
    const key = tokensKey(userId, serverName);
    if (fresh) this.releaseLeft();
    const pending = this.unsaved.get(key);
    if (pending) {
      if (fresh || this.now() - pending.triedAt >= UNSAVED_RETRY_MS) await this.whileWriting(key, () => this.write(key, pending.stored, userId, serverName));
      return pending.stored;
    }
    // Only tokens are cached: "none" is read again, since the user may connect through another replica.
    const cached = this.cache.get(key);
    if (!fresh && cached) return cached;
    // This sidecar is saving or deleting these tokens: what it is writing is newer than anything the store holds.
    if (this.writeQueues.has(key)) return this.latest(key);
    const writesBefore = this.writes.get(key);
    let stored: StoredTokens | undefined;
    try {
      stored = await this.records.get(key);
    } catch (error) {
      if (!(error instanceof RecordDecryptionError)) throw error;
      // Sealed with a key this sidecar no longer has (or tampered with): unusable, so the user connects again.
      this.options.logger.warn({ userId, server: serverName, reason: error.reason }, 'stored tokens cannot be decrypted; discarding them');
      await this.records.delete(key);
    }
    // Saved or deleted while the store answered: that newer write is the truth, not what was read before it.
    if (this.writes.get(key) !== writesBefore) return this.latest(key);
    this.cache.set(key, stored ?? null);
    return stored;
  }

  /** Stores the tokens; while the store is unavailable they are kept in memory, in use, and written later. */
  async save(userId: string, serverName: string, stored: StoredTokens): Promise<void> {
    const key = tokensKey(userId, serverName);
    this.wrote(key);
    this.cache.set(key, stored);
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
    const done = result.then(() => undefined, () => undefined);
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
      if (!this.unsaved.has(key)) this.options.logger.warn({ userId, server: serverName, reason: error.message }, 'tokens kept in memory until the store is back');
      this.unsaved.set(key, { stored, triedAt: this.now() });
    }
  }

  private releaseLeft(): void {
    for (const lease of this.unreleased) void lease.release().then(() => this.unreleased.delete(lease), () => undefined);
  }

  async delete(userId: string, serverName: string): Promise<void> {
    const key = tokensKey(userId, serverName);
    this.wrote(key);
    this.cache.set(key, null);
    this.unsaved.delete(key);
    await this.whileWriting(key, () => this.records.delete(key));
  }

  /** Forgets the cached copy so the next read goes to the store (another replica may have written). */
  evict(userId: string, serverName: string): void {
    this.cache.delete(tokensKey(userId, serverName));
  }

  /**
   * An access token for the server that is not about to expire, refreshing first when needed;
   * `rejected` is a token the server just refused (refresh even if it looks valid). Undefined when
   * the user has to authorize (again).
   */
  async accessToken(userId: string, server: ServerConfig, rejected?: string): Promise<string | undefined> {
    const stored = await this.get(userId, server.name, { fresh: rejected !== undefined });
    if (!stored || stored.serverURL !== server.baseURL) return undefined;
    const token = stored.tokens.accessToken;
    if (rejected !== undefined ? token !== rejected : !this.expiresSoon(stored)) return token;
    const expiresAt = stored.tokens.expiresAt;
    if (rejected === undefined && expiresAt !== undefined && expiresAt > this.now()) {
      // Still valid: refresh in the background (once per user and server) and answer now, so a slow or dead
      // authorization server costs this request nothing; a failed refresh leaves the token in use until it expires.
      void this.refresh(userId, server, token).catch((error: unknown) => {
        this.options.logger.warn({ userId, server: server.name, reason: error instanceof Error ? error.message : String(error) }, 'early token refresh failed; using the current token');
      });
      return token;
    }
    return (await this.refresh(userId, server, token))?.tokens.accessToken;
  }

  private expiresSoon(stored: StoredTokens): boolean {
    const expiresAt = stored.tokens.expiresAt;
    if (expiresAt === undefined) return false;
    const margin = REFRESH_MARGIN_MS * (1 + (this.options.random ?? Math.random)());
    return expiresAt - this.now() <= margin;
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

  private async refreshUnderLease(userId: string, server: ServerConfig, staleAccessToken: string): Promise<StoredTokens | undefined> {
    const lease = await this.options.store.acquireLease(refreshLeaseKey(userId, server.name), REFRESH_LEASE_MS, REFRESH_WAIT_MS);
    try {
      // Another replica may have refreshed while we waited: use its tokens instead of spending the refresh token again.
      const current = await this.get(userId, server.name, { fresh: true });
      if (!current) return undefined;
      if (current.tokens.accessToken !== staleAccessToken && !this.expiresSoon(current)) return current;
      if (!lease) {
        // Another holder is still refreshing: the tokens are there, so this is "try again", not "connect again".
        if (current.tokens.expiresAt !== undefined && current.tokens.expiresAt > this.now()) return current;
        throw new RefreshInProgressError(server.name);
      }
      return await this.refreshNow(userId, server, current);
    } finally {
      // A lease the store cannot take back now (it went away) is given back with the next write; the refresh itself succeeded.
      await lease?.release().catch((error: unknown) => {
        this.unreleased.add(lease);
        this.options.logger.warn({ userId, server: server.name, reason: error instanceof Error ? error.message : String(error) }, 'refresh lease not released yet');
      });
    }
  }

  private async refreshNow(userId: string, server: ServerConfig, current: StoredTokens): Promise<StoredTokens | undefined> {
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
      tokens = await refreshAccessToken(current.tokenEndpoint, client, { refreshToken, ...(current.resource && { resource: current.resource }) }, { ...this.options.http, now: () => this.now() });
    } catch (error) {
      if (error instanceof OAuthTokenError && (error.code === 'invalid_grant' || error.code === 'invalid_client' || error.code === 'unauthorized_client')) {
        this.options.onRefresh?.('invalid_grant');
        this.options.logger.info({ server: server.name, userId, errorCode: error.code }, 'refresh token refused; the user must connect again');
        return overtaken() ? this.latest(key) : this.discard(userId, server.name);
      }
      this.options.onRefresh?.('failed');
      this.options.logger.warn({ server: server.name, userId, reason: error instanceof Error ? error.message : String(error) }, 'token refresh failed; keeping the tokens');
      if (overtaken()) return this.latest(key);
      if (stillValid) return current;
      throw error;
    }
    this.options.onRefresh?.('refreshed');
    if (overtaken()) {
      this.options.logger.info({ userId, server: server.name }, 'tokens refreshed after the user disconnected or connected again; discarding them');
      if (current.revocationEndpoint) void revokeToken(current.revocationEndpoint, client, grantRevocation(tokens), this.options.http).catch(() => undefined);
      return this.latest(key);
    }
    const next: StoredTokens = { ...current, tokens, savedAt: this.now() };
    await this.save(userId, server.name, next);
    return next;
  }

  private async discard(userId: string, serverName: string): Promise<undefined> {
    await this.delete(userId, serverName);
    return undefined;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
