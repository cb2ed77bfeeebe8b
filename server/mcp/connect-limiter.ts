/** How many session handshakes may run at once by default, over all users and servers. */
export const DEFAULT_MAX_CONCURRENT_CONNECTS = 64;

/**
 * Bounds how many connection attempts run at once; the others wait their turn in order. Without it a burst
 * of users (1,000 at once: 3,000 handshakes with 3 servers) saturates the event loop until handshakes run
 * past their timeouts and fail; queued, each runs quickly and all succeed. Time spent waiting is not
 * counted against a server's connect timeout.
 */
export class ConnectLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly maxConcurrent = DEFAULT_MAX_CONCURRENT_CONNECTS) {
    if (!(maxConcurrent >= 1)) throw new RangeError(`maxConcurrent must be at least 1, got ${maxConcurrent}`);
  }

  /** Runs `attempt` when a slot is free; rejects with the signal's reason if it aborts while waiting. */
  async run<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await attempt();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** Attempts waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.running < this.maxConcurrent) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiting.indexOf(grant);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal!.reason);
      };
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.running++;
        resolve();
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
