/**
 * A signal for one SDK request: aborts when the caller's signal does or, with `timeoutMs`, when time runs out.
 *
 * The SDK never removes the abort listener it adds to a request's signal, and that listener holds the
 * request's promise and so its result. Handing the SDK a long-lived signal (a connection attempt's, kept by
 * the client) kept every tool list it ever fetched; handing it `AbortSignal.any([...])` was worse, as Node 20
 * keeps a composite signal with a listener alive for good, with the whole session. A linked signal is
 * dropped with its request.
 */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** True when the time ran out (rather than the caller aborting). */
  readonly timedOut: boolean;
  /** Stops the timer and unhooks from the caller's signal; call when the request ended either way. */
  dispose(): void;
}

export function linkedSignal(callerSignal?: AbortSignal, timeoutMs?: number): LinkedSignal {
  const controller = new AbortController();
  let timedOut = false;
  const onCallerAbort = () => controller.abort(callerSignal?.reason);
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, timeoutMs);
  timer?.unref();
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
