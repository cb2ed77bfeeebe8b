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
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
        }, timeoutMs);
  timer?.unref();
  let unfollow = () => {};
  if (callerSignal?.aborted) controller.abort(callerSignal.reason);
  else if (callerSignal) unfollow = follow(callerSignal, controller);
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      unfollow();
    },
  };
}

/**
 * The requests linked to one caller signal. A session's signal is shared by all its requests in flight: one listener
 * each made Node warn (MaxListenersExceededWarning) past 10 concurrent calls, so the signal gets one listener that
 * aborts them all, removed when the last one is disposed.
 */
const followers = new WeakMap<AbortSignal, { readonly links: Set<AbortController>; readonly onAbort: () => void }>();

function follow(signal: AbortSignal, link: AbortController): () => void {
  let entry = followers.get(signal);
  if (!entry) {
    const links = new Set<AbortController>();
    const onAbort = () => {
      followers.delete(signal);
      for (const each of links) each.abort(signal.reason);
    };
    entry = { links, onAbort };
    followers.set(signal, entry);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  const { links, onAbort } = entry;
  links.add(link);
  return () => {
    if (!links.delete(link) || links.size > 0) return;
    signal.removeEventListener('abort', onAbort);
    if (followers.get(signal)?.links === links) followers.delete(signal);
  };
}
