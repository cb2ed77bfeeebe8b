import { CircuitBreaker, type CircuitBreakerOptions, type Outcome } from '../outbound/index.js';
import { AuthorizationServerUnavailableError, describeURL } from './errors.js';

/** Answers that mean "not there" (a proxy or load balancer in front of a server that is down). */
const DOWN_STATUSES = new Set([502, 503, 504]);

/**
 * The OAuth layer's fetch with one circuit breaker per origin (authorization servers, and MCP servers for
 * their metadata), shared by every user: a dead or hanging authorization server gets one request at a time
 * while it is suspect and none while the circuit is open, instead of a discovery or refresh per user and
 * request. Refusals are `AuthorizationServerUnavailableError`; stored tokens are untouched by them.
 */
export function withOriginBreakers(
  base: typeof fetch,
  options: CircuitBreakerOptions = {},
): typeof fetch & { breaker(origin: string): CircuitBreaker } {
  const breakers = new Map<string, CircuitBreaker>();
  const now = options.now ?? Date.now;
  const breaker = (origin: string): CircuitBreaker => {
    let found = breakers.get(origin);
    if (!found) {
      found = new CircuitBreaker(options);
      breakers.set(origin, found);
    }
    return found;
  };
  const guarded = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const origin = new URL(input instanceof Request ? input.url : String(input)).origin;
    const signal = init?.signal ?? undefined;
    return breaker(origin).run(() => base(input, init), {
      classify: (result) =>
        'error' in result
          ? classifyError(result.error, signal)
          : DOWN_STATUSES.has(result.value.status)
            ? 'failure'
            : 'success',
      refuse: (last, retryAt) =>
        new AuthorizationServerUnavailableError(describeURL(origin), reasonOf(last), retryAt, now(), { cause: last }),
      // Every OAuth request is short: while the origin is suspect, callers wait for the one probe (bounded by their own
      // timeout).
      waitForProbe: true,
      ...(signal && { signal }),
    });
  };
  return Object.assign(guarded as typeof fetch, { breaker });
}

function classifyError(error: unknown, signal: AbortSignal | undefined): Outcome {
  if (error instanceof AuthorizationServerUnavailableError) return 'neutral';
  if (signal?.aborted)
    return (signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError' ? 'failure' : 'neutral';
  return 'failure';
}

function reasonOf(error: unknown): string {
  if ((error as { name?: unknown } | undefined)?.name === 'TimeoutError') return 'no answer in time';
  const message = (error as { message?: unknown } | undefined)?.message;
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  if (message === 'fetch failed' && typeof cause?.code === 'string') return `${cause.code}, fetch failed`;
  return typeof message === 'string' ? message : String(error);
}
