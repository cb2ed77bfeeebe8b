import type { FetchLike } from './fetch-like.js';

/**
 * While `active()`, each request also ends when `deadline` aborts (with its reason). The deadline is unhooked
 * once the answer starts; the request's own signal (the transport's) still ends it, and a long-lived body, later.
 */
export function withDeadline(base: FetchLike, deadline: AbortSignal, active: () => boolean): FetchLike {
  return (url, init) => {
    if (!active()) return base(url, init);
    const controller = new AbortController();
    const own = init?.signal ?? undefined;
    const onDeadline = () => controller.abort(deadline.reason);
    const onOwn = () => controller.abort(own?.reason);
    if (deadline.aborted || own?.aborted) controller.abort(deadline.aborted ? deadline.reason : own?.reason);
    deadline.addEventListener('abort', onDeadline, { once: true });
    own?.addEventListener('abort', onOwn, { once: true });
    return base(url, { ...init, signal: controller.signal }).finally(() =>
      deadline.removeEventListener('abort', onDeadline),
    );
  };
}
