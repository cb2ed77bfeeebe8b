import pkg from '@mattermost/client';
import type { UserProfile } from '@mattermost/types/users';
import { MattermostUnavailableError } from './errors.js';

const { Client4, ClientError } = pkg;

/** Client4 with `getUser` that takes an abort signal (Client4's own has no deadline). */
class MattermostClient extends Client4 {
  getUserWithSignal(userId: string, signal: AbortSignal): Promise<UserProfile> {
    return this.doFetch<UserProfile>(this.getUserRoute(userId), { method: 'get', signal });
  }
}

/** Whether a Mattermost user may use the admin routes. */
export interface AdminCheck {
  /** Throws `MattermostUnavailableError` when Mattermost cannot tell (callers fail closed). */
  isSystemAdmin(userId: string): Promise<boolean>;
}

export interface SystemAdminCheckOptions {
  /** Mattermost's base URL (`MCP_MATTERMOST_URL`), e.g. `https://chat.example.com`. */
  readonly url: string;
  /** A bot access token (`MCP_MATTERMOST_TOKEN`); never logged. */
  readonly token: string;
  /** How long an answer is reused; role changes take at most this long to apply. */
  readonly cacheTtlMs?: number;
  /** How many users' answers are kept; the oldest is dropped first. */
  readonly cacheSize?: number;
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export const SYSTEM_ADMIN_ROLE = 'system_admin';
const DEFAULT_TTL_MS = 60_000;
const DEFAULT_CACHE_SIZE = 1_000;
const DEFAULT_TIMEOUT_MS = 5_000;

/** Mattermost keeps a user's system roles as one space-separated string, e.g. "system_user system_admin". */
export function hasSystemAdminRole(user: Pick<UserProfile, 'roles' | 'delete_at'>): boolean {
  return !user.delete_at && user.roles.split(/\s+/).includes(SYSTEM_ADMIN_ROLE);
}

/**
 * Asks Mattermost's REST API (`GET /api/v4/users/{id}`, as the plugin bot) whether a user holds the
 * `system_admin` role, and remembers the answer briefly. Concurrent questions about one user share
 * one request; failures are not remembered.
 */
export class SystemAdminCheck implements AdminCheck {
  private readonly client: MattermostClient;
  private readonly cache = new Map<string, { readonly isAdmin: boolean; readonly expiresAt: number }>();
  private readonly pending = new Map<string, Promise<boolean>>();
  private readonly ttlMs: number;
  private readonly size: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(options: SystemAdminCheckOptions) {
    this.client = new MattermostClient();
    this.client.setUrl(options.url.replace(/\/+$/, ''));
    this.client.setToken(options.token);
    this.client.setIncludeCookies(false);
    this.client.setUserAgent('mattermost-mcp-sidecar');
    this.ttlMs = options.cacheTtlMs ?? DEFAULT_TTL_MS;
    this.size = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  async isSystemAdmin(userId: string): Promise<boolean> {
    const cached = this.cache.get(userId);
    if (cached && cached.expiresAt > this.now()) return cached.isAdmin;
    this.cache.delete(userId);
    let lookup = this.pending.get(userId);
    if (!lookup) {
      lookup = this.lookUp(userId).finally(() => this.pending.delete(userId));
      this.pending.set(userId, lookup);
    }
    return lookup;
  }

  private async lookUp(userId: string): Promise<boolean> {
    let isAdmin: boolean;
    try {
      const user = await this.client.getUserWithSignal(userId, AbortSignal.timeout(this.timeoutMs));
      if (typeof user?.roles !== 'string')
        throw new MattermostUnavailableError('the user profile Mattermost returned has no roles');
      isAdmin = hasSystemAdminRole(user);
    } catch (error) {
      // A user Mattermost does not know is no admin; any other failure means "cannot tell".
      if (error instanceof ClientError && error.status_code === 404) isAdmin = false;
      else throw toUnavailable(error, this.timeoutMs);
    }
    this.remember(userId, isAdmin);
    return isAdmin;
  }

  private remember(userId: string, isAdmin: boolean): void {
    this.cache.set(userId, { isAdmin, expiresAt: this.now() + this.ttlMs });
    while (this.cache.size > this.size) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }
}

/** Status and Mattermost's own message only: `detailed_error` and URLs may carry request details. */
function toUnavailable(error: unknown, timeoutMs: number): MattermostUnavailableError {
  if (error instanceof MattermostUnavailableError) return error;
  if (error instanceof ClientError) {
    const status = error.status_code ? `HTTP ${error.status_code}` : 'no status';
    return new MattermostUnavailableError(`${status}${error.message ? `: ${error.message}` : ''}`, { cause: error });
  }
  const name = (error as { name?: unknown }).name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return new MattermostUnavailableError(`no answer within ${timeoutMs / 1000} s`, { cause: error });
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
  return new MattermostUnavailableError(`Mattermost is unreachable${code}`, { cause: error });
}
