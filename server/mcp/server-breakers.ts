import type { ServerConfig } from '../config/schema.js';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type FetchLike,
  type Outcome,
  type ServerGuard,
} from '../outbound/index.js';
import { ServerUnavailableError, describeError } from './errors.js';

/** Statuses that mean "not there" (a proxy or load balancer answering for a server that is down). */
const DOWN_STATUSES = new Set([502, 503, 504]);

/**
 * One circuit breaker per MCP server, shared by every user's clients (a `ClientManager` holds one), on every
 * HTTP request to the server (session starts, calls, the SDK's own stream reconnections): a dead server with a
 * thousand users is dialled a bounded number of times instead of once per user and request. Failures from
 * one user alone never open it (a user cannot lock the others out). Keyed by name and URL, so a corrected
 * URL starts afresh.
 */
export class ServerBreakers implements ServerGuard {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  breaker(server: Pick<ServerConfig, 'name' | 'baseURL'>): CircuitBreaker {
    const key = breakerKey(server);
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker({ minCallers: 2, ...this.options });
      this.breakers.set(key, breaker);
    }
    return breaker;
  }

  /** `base` for one user's requests to `server`, through the server's breaker. */
  guard(server: Pick<ServerConfig, 'name' | 'baseURL'>, userId: string, base: FetchLike): FetchLike {
    const breaker = this.breaker(server);
    const start = new URL(server.baseURL).href;
    return (url, init) => {
      const headers = new Headers(init?.headers);
      // A new session (Streamable HTTP initialize, the SSE GET) waits for a probe; requests in a session do not.
      const opensSession =
        !headers.has('mcp-session-id') && new URL(String(url)).href === start && (init?.method ?? 'GET') !== 'DELETE';
      return breaker.run(() => base(url, init), {
        classify: (result) => {
          if (!('error' in result)) return DOWN_STATUSES.has(result.value.status) ? 'failure' : 'success';
          return classifyNetworkError(result.error, init?.signal);
        },
        refuse: (last, retryAt) =>
          new ServerUnavailableError(server.name, networkReason(last), retryAt, this.now(), { cause: last }),
        caller: userId,
        waitForProbe: opensSession,
        ...(init?.signal && { signal: init.signal }),
      });
    };
  }

  /** Forgets the breakers of servers no longer configured. */
  retain(servers: readonly Pick<ServerConfig, 'name' | 'baseURL'>[]): void {
    const keep = new Set(servers.map(breakerKey));
    for (const key of this.breakers.keys()) if (!keep.has(key)) this.breakers.delete(key);
  }
}

/**
 * A request that got no answer: a failure of the server, unless the caller gave up (a tool call cancelled by
 * its user says nothing about the server). A connect deadline is a failure: it aborts with a TimeoutError.
 */
function classifyNetworkError(error: unknown, signal: AbortSignal | null | undefined): Outcome {
  if (error instanceof ServerUnavailableError) return 'neutral';
  if (signal?.aborted)
    return (signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError' ? 'failure' : 'neutral';
  return 'failure';
}

function networkReason(error: unknown): string {
  return (error as { name?: unknown } | undefined)?.name === 'TimeoutError'
    ? 'no answer in time'
    : describeError(error);
}

function breakerKey(server: Pick<ServerConfig, 'name' | 'baseURL'>): string {
  return `${server.name}\n${server.baseURL}`;
}
