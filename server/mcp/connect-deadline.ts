/**
 * The abort signal of one connection attempt: aborts when the caller's signal does or after `timeoutMs`.
 *
 * A plain AbortController on purpose, not `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: the SDK never
 * removes the abort listener it adds to a request's signal, and Node 20 keeps a composite signal that has a
 * listener alive for good (even after it aborted), which kept every session's SDK client in memory.
 */
export interface ConnectDeadline {
  readonly signal: AbortSignal;
  /** True when the time ran out (rather than the caller aborting). */
  readonly timedOut: boolean;
  /** Stops the timer and unhooks from the caller's signal; call when the attempt ended either way. */
  dispose(): void;
}

export function connectDeadline(timeoutMs: number, callerSignal?: AbortSignal): ConnectDeadline {
  const controller = new AbortController();
  let timedOut = false;
  const onCallerAbort = () => controller.abort(callerSignal?.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`The operation was aborted due to timeout`, 'TimeoutError'));
  }, timeoutMs);
  timer.unref();
  if (callerSignal?.aborted) controller.abort(callerSignal.reason);
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}
