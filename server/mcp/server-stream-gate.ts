import type { FetchLike } from './request-headers.js';

/**
 * The fetch of a Streamable HTTP session, with its standalone GET stream (where servers push
 * `tools/list_changed`) closable while the user is idle. An open stream costs a socket and ~60 KB per user
 * and server, so 10,000 idle users with 3 servers would hold 30,000 sockets. Closed, every GET the SDK
 * sends gets a 405 ("no stream offered", which the SDK accepts without retrying); reopened, the caller
 * lists the tools again for what it missed.
 */
export class ServerStreamGate {
  private closed = false;
  private current: { readonly controller: AbortController; readonly unlink: () => void } | undefined;

  /** The transport's fetch over `base`: POST and DELETE pass through; a GET opens the stream unless it is closed. */
  wrap(base: FetchLike): FetchLike {
    return (url, init) => this.send(base, url, init);
  }

  private send(base: FetchLike, url: string | URL, init?: RequestInit): Promise<Response> {
    if ((init?.method ?? 'GET').toUpperCase() !== 'GET') return base(url, init);
    if (this.closed) return Promise.resolve(new Response(null, { status: 405, statusText: 'Stream closed while the user is idle' }));
    // A GET replaces the stream before it (the SDK reconnects after a drop): only the newest can be closed.
    this.current?.unlink();
    const controller = new AbortController();
    const outer = init?.signal ?? undefined;
    const forward = () => controller.abort(outer?.reason);
    if (outer?.aborted) controller.abort(outer.reason);
    else outer?.addEventListener('abort', forward, { once: true });
    this.current = { controller, unlink: () => outer?.removeEventListener('abort', forward) };
    return base(url, { ...init, signal: controller.signal });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the stream and refuses new ones; false when it was closed already. */
  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    const current = this.current;
    this.current = undefined;
    current?.unlink();
    current?.controller.abort(new DOMException('The user is idle', 'AbortError'));
    return true;
  }

  /** Lets GETs through again; false when it was open. The caller asks the transport for a new stream. */
  open(): boolean {
    if (!this.closed) return false;
    this.closed = false;
    return true;
  }
}
