import { describe, expect, it } from '@jest/globals';
import { ConnectLimiter } from '../../server/mcp/connect-limiter.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ConnectLimiter', () => {
  it('runs at most its limit of attempts at once and the rest in the order they came', async () => {
    const limiter = new ConnectLimiter(2);
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const runs = gates.map((gate, i) =>
      limiter.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await gate.promise;
        running--;
        return i;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    expect(limiter.queued).toBe(3);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('frees the slot of an attempt that failed', async () => {
    const limiter = new ConnectLimiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await limiter.run(async () => 'next')).toBe('next');
  });

  it('drops a waiting attempt whose signal aborts, without running it', async () => {
    const limiter = new ConnectLimiter(1);
    const first = deferred();
    const running = limiter.run(() => first.promise);
    const abort = new AbortController();
    let ran = false;
    const waiting = limiter.run(async () => void (ran = true), abort.signal);
    abort.abort(new Error('config changed'));
    await expect(waiting).rejects.toThrow('config changed');
    expect(limiter.queued).toBe(0);
    first.resolve();
    await running;
    expect(ran).toBe(false);
    expect(await limiter.run(async () => 'free again')).toBe('free again');
  });

  it('refuses a limit below one', () => {
    expect(() => new ConnectLimiter(0)).toThrow(RangeError);
  });
});
