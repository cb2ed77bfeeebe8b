/**
 * A circuit breaker for one remote endpoint, shared by every caller (every user) of it.
 *
 * - **closed**: requests go through. Until a request succeeds, and again after a failure, the endpoint is
 *   suspect: requests that open something new
 *   (`waitForProbe`, e.g. a session) go one at a time as probes, and the others arriving meanwhile wait for the
 *   probe's outcome, so a dead endpoint is dialled once rather than once per user.
 * - **open** after `failureThreshold` failures in a row from at least `minCallers` different callers (so one
 *   caller cannot lock everyone else out): every request is refused at once with the last failure, without
 *   dialling, for a cooldown that doubles after each failed probe, up to `maxCooldownMs`.
 * - **half-open** when the cooldown ends: one request goes as the probe, the others are refused (or wait, with
 *   `waitForProbe`) until it settles; a success closes the circuit.
 */
export type Outcome = 'success' | 'failure' | 'neutral';

export interface CircuitBreakerOptions {
  /** Failures in a row that open the circuit (default 3). */
  readonly failureThreshold?: number;
  /** Different callers those failures must come from (default 1). */
  readonly minCallers?: number;
  /** The first cooldown while open, in milliseconds (default 5 s); it doubles after each failed probe. */
  readonly cooldownMs?: number;
  /** The longest cooldown, in milliseconds (default 300 s, as LibreChat's). */
  readonly maxCooldownMs?: number;
  readonly now?: () => number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface RunOptions<T> {
  /**
   * What a result says about the endpoint: `failure` counts towards opening, `success` closes, `neutral` (the
   * caller gave up, or a failure that is not the endpoint's) changes nothing.
   */
  readonly classify: (result: { readonly value: T } | { readonly error: unknown }) => Outcome;
  /** The error to throw instead of attempting: gets the last failure and when attempts resume (epoch ms). */
  readonly refuse: (lastFailure: unknown, retryAt: number) => Error;
  /** Who asks (a user id): failures from one caller alone never open the circuit when `minCallers` > 1. */
  readonly caller?: string;
  /** Wait for a probe in flight instead of being refused or going alongside it (for session starts). */
  readonly waitForProbe?: boolean;
  /** Stops waiting for a probe (its reason is thrown). */
  readonly signal?: AbortSignal;
}

export const DEFAULT_FAILURE_THRESHOLD = 3;
export const DEFAULT_COOLDOWN_MS = 5_000;
export const DEFAULT_MAX_COOLDOWN_MS = 300_000;

export class CircuitBreaker {
  private failures = 0;
  private readonly failingCallers = new Set<string>();
  private openUntil = 0;
  private nextCooldownMs: number;
  /** The last settled request succeeded: nobody needs to wait for a probe. Unknown (false) at first. */
  private healthy = false;
  private probe: Promise<Outcome> | undefined;
  private lastFailure: unknown;
  private readonly threshold: number;
  private readonly minCallers: number;
  private readonly cooldownMs: number;
  private readonly maxCooldownMs: number;
  private readonly now: () => number;

  constructor(options: CircuitBreakerOptions = {}) {
    this.threshold = Math.max(1, options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD);
    this.minCallers = Math.max(1, options.minCallers ?? 1);
    this.cooldownMs = options.cooldownMs ?? DEFAULT_COOLDOWN_MS;
    this.maxCooldownMs = Math.max(this.cooldownMs, options.maxCooldownMs ?? DEFAULT_MAX_COOLDOWN_MS);
    this.nextCooldownMs = this.cooldownMs;
    this.now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.now() < this.openUntil) return 'open';
    return this.tripped ? 'half-open' : 'closed';
  }

  /** Failures in a row since the last success. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  async run<T>(attempt: () => Promise<T>, options: RunOptions<T>): Promise<T> {
    for (;;) {
      if (this.now() < this.openUntil) throw options.refuse(this.lastFailure, this.openUntil);
      if (!this.probe) return this.attempt(attempt, options, !this.healthy);
      if (!options.waitForProbe) {
        if (this.tripped) throw options.refuse(this.lastFailure, this.now());
        return this.attempt(attempt, options, false);
      }
      const outcome = await untilAborted(this.probe, options.signal);
      if (outcome === 'failure') throw options.refuse(this.lastFailure, Math.max(this.openUntil, this.now()));
      // 'neutral' (the probe's caller gave up): the next waiter probes; 'success': everyone goes.
    }
  }

  /** Enough failures to open: while not cooling down, only a probe may go. */
  private get tripped(): boolean {
    return this.failures >= this.threshold && this.failingCallers.size >= this.minCallers;
  }

  private async attempt<T>(attempt: () => Promise<T>, options: RunOptions<T>, asProbe: boolean): Promise<T> {
    let settle: ((outcome: Outcome) => void) | undefined;
    if (asProbe) this.probe = new Promise<Outcome>((resolve) => (settle = resolve));
    let outcome: Outcome = 'neutral';
    try {
      const value = await attempt();
      outcome = options.classify({ value });
      return value;
    } catch (error) {
      outcome = options.classify({ error });
      if (outcome === 'failure') this.lastFailure = error;
      throw error;
    } finally {
      this.record(outcome, options.caller ?? '');
      if (settle) {
        this.probe = undefined;
        settle(outcome);
      }
    }
  }

  private record(outcome: Outcome, caller: string): void {
    if (outcome === 'success') {
      this.failures = 0;
      this.failingCallers.clear();
      this.healthy = true;
      this.nextCooldownMs = this.cooldownMs;
      this.openUntil = 0;
    } else if (outcome === 'failure') {
      this.failures++;
      this.failingCallers.add(caller);
      this.healthy = false;
      // Requests already under way when it opened do not stretch the cooldown.
      if (this.tripped && this.now() >= this.openUntil) {
        this.openUntil = this.now() + this.nextCooldownMs;
        this.nextCooldownMs = Math.min(this.maxCooldownMs, this.nextCooldownMs * 2);
      }
    }
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
