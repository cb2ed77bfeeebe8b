/**
 * A signal of one request's own, following `outer` (the transport's, shared by every request of a session)
 * until `release()`. undici's fetch adds an abort listener to the signal of every request and drops it only
 * when the request is garbage-collected, so requests on one long-lived signal pile up thousands of listeners
 * (Node warns past 1,500, and each new one costs more to add). With a signal per request, `outer` holds one
 * listener per request in flight.
 */
export interface RequestSignal {
  readonly signal: AbortSignal;
  /** Unlinks from `outer`; call once the response is read to its end (or failed). */
  release(): void;
}

export function requestSignal(outer: AbortSignal | null | undefined): RequestSignal {
  const controller = new AbortController();
  if (!outer) return { signal: controller.signal, release: () => undefined };
  if (outer.aborted) {
    controller.abort(outer.reason);
    return { signal: controller.signal, release: () => undefined };
  }
  const follow = () => controller.abort(outer.reason);
  outer.addEventListener('abort', follow, { once: true });
  return { signal: controller.signal, release: () => outer.removeEventListener('abort', follow) };
}
