import { setTimeout as delay } from 'node:timers/promises';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { StreamConnection } from './stream-connection.js';
import { DEFAULT_MAX_SSE_EVENT_BYTES, ResponseTooLargeError, type FetchLike } from '../outbound/index.js';

/** How the stream comes back after a drop (the SDK's own defaults, with more patience). */
export interface ServerStreamReconnection {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly growFactor: number;
  /** Failed attempts in a row before giving up until the stream is asked for again. */
  readonly maxRetries: number;
}

export const DEFAULT_SERVER_STREAM_RECONNECTION: ServerStreamReconnection = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  growFactor: 1.5,
  maxRetries: 5,
};

export interface ServerStreamOptions {
  /** Opens the stream (with the server's headers and credentials; events are bounded here). */
  readonly fetch: FetchLike;
  /** Delivers each JSON-RPC message the server pushes (the transport's `onmessage`). */
  readonly deliver: (message: JSONRPCMessage) => void;
  /** Told of messages that are not JSON-RPC, refused events and failed (re)connections. */
  readonly onError?: (error: unknown) => void;
  /** Called when the stream opens again after a drop or a refusal: messages sent meanwhile may be lost. */
  readonly onReconnect?: () => void;
  readonly maxEventBytes?: number;
  readonly reconnection?: ServerStreamReconnection;
  /**
   * Waits before asking again, and bounds `listening` (default: a timer that does not hold the process open); ends
   * early on `signal`.
   */
  readonly wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** A connection for each attempt (fetch's `dispatcher`), closed after it; default: fetch's own pool. */
  readonly connection?: (url: string | URL) => StreamConnection;
}

const NOT_OFFERED = new Set([401, 403, 404, 405]);
/** A 409 means the server still holds the previous stream for a moment: ask again soon (100 ms, 200 ms, …). */
const CONFLICT_RETRY_MS = 100;

/**
 * The standalone GET stream of one Streamable HTTP session (where servers push `tools/list_changed` and
 * their own requests), read by the sidecar itself. It stands in for the SDK's reader as the transport's
 * fetch: the SDK's GET is answered at once with 405 ("no stream offered", which the SDK accepts and forgets),
 * while this opens the real stream with the same request and hands each message to the transport. The SDK's
 * reader pipes every stream through three web-stream stages (~60 KB held per open stream); this one keeps a
 * reader and a line buffer, so 10,000 users with 3 servers stay affordable.
 *
 * Like the SDK it reconnects a dropped stream (with `Last-Event-ID`, the server's `retry:` or a growing delay),
 * retries a 409 (the server has not yet seen the previous stream go) and stops on 401/403/404/405. While the
 * user is idle it can be closed: no socket is held and GETs are refused until it is opened again.
 */
export class ServerStream {
  private closed = false;
  private current: AbortController | undefined;
  /** Settles when the server first answers a GET (or the attempt fails or stops). */
  private answered: { readonly promise: Promise<void>; readonly resolve: () => void } = deferred();
  private readonly maxEventBytes: number;
  private readonly reconnection: ServerStreamReconnection;

  constructor(private readonly options: ServerStreamOptions) {
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_SSE_EVENT_BYTES;
    this.reconnection = options.reconnection ?? DEFAULT_SERVER_STREAM_RECONNECTION;
  }

  /** The transport's fetch over `base`: POST and DELETE pass through; a GET starts this stream. */
  wrap(base: FetchLike): FetchLike {
    return (url, init) => {
      if ((init?.method ?? 'GET').toUpperCase() !== 'GET') return base(url, init);
      if (!this.closed) this.start(url, init);
      return Promise.resolve(
        new Response(null, { status: 405, statusText: 'The sidecar reads the server stream itself' }),
      );
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** True while a stream is open or being (re)opened. */
  get isRunning(): boolean {
    return this.current !== undefined;
  }

  /**
   * Waits (at most `timeoutMs`) until the server answered the stream's first GET, so that nothing it pushes
   * after a caller's listing is missed. Resolves at once while no stream was asked for.
   */
  async listening(timeoutMs: number): Promise<void> {
    if (!this.current) return;
    const timer = new AbortController();
    await Promise.race([this.answered.promise, (this.options.wait ?? wait)(timeoutMs, timer.signal)]);
    timer.abort();
  }

  /** Closes the stream and refuses new ones; false when it was closed already. */
  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.stop();
    return true;
  }

  /** Lets GETs through again; false when it was open. The caller asks the transport for a new stream. */
  open(): boolean {
    if (!this.closed) return false;
    this.closed = false;
    return true;
  }

  private stop(): void {
    const current = this.current;
    this.current = undefined;
    current?.abort(new DOMException('The server stream was closed', 'AbortError'));
  }

  /** Replaces the stream before it (the transport asks again after a drop or a resume). */
  private start(url: string | URL, init: RequestInit | undefined): void {
    this.stop();
    const controller = new AbortController();
    this.current = controller;
    const outer = init?.signal ?? undefined;
    // The transport's own signal ends the stream when the session closes.
    const onOuterAbort = () => controller.abort(outer?.reason);
    if (outer?.aborted) controller.abort(outer.reason);
    else outer?.addEventListener('abort', onOuterAbort, { once: true });
    void this.run(url, init, controller).finally(() => {
      this.answered.resolve();
      outer?.removeEventListener('abort', onOuterAbort);
      if (this.current === controller) this.current = undefined;
    });
  }

  private async run(url: string | URL, init: RequestInit | undefined, controller: AbortController): Promise<void> {
    const signal = controller.signal;
    const state: StreamState = { lastEventId: undefined, retryMs: undefined };
    let conflict = false;
    for (let failures = 0, connections = 0; !signal.aborted;) {
      const headers = new Headers(init?.headers);
      if (state.lastEventId) headers.set('last-event-id', state.lastEventId);
      let stopAfter = false;
      const connection = this.options.connection?.(url);
      try {
        const response = await this.options.fetch(url, {
          ...init,
          headers,
          signal,
          ...(connection && { dispatcher: connection.dispatcher }),
        } as RequestInit);
        conflict = response.status === 409;
        if (response.ok) this.answered.resolve();
        if (NOT_OFFERED.has(response.status)) {
          await response.body?.cancel().catch(() => undefined);
          return;
        }
        if (!response.ok || !response.body) {
          await response.body?.cancel().catch(() => undefined);
          throw new Error(`The server stream could not be opened (HTTP ${response.status})`);
        }
        if (!(response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream')) {
          await response.body.cancel().catch(() => undefined);
          stopAfter = true;
          throw new Error(
            `The server stream is not an event stream (${response.headers.get('content-type') ?? 'no content type'})`,
          );
        }
        if (connections++ > 0 || failures > 0) this.options.onReconnect?.();
        failures = 0;
        await this.read(response.body, state, signal);
      } catch (error) {
        if (signal.aborted) return;
        this.options.onError?.(error);
        if (stopAfter || error instanceof ResponseTooLargeError) return;
        failures++;
      } finally {
        connection?.close();
      }
      if (signal.aborted || failures > this.reconnection.maxRetries) return;
      await (this.options.wait ?? wait)(
        conflict ? CONFLICT_RETRY_MS * 2 ** (failures - 1) : this.delayMs(failures, state),
        signal,
      );
    }
  }

  private delayMs(failures: number, state: StreamState): number {
    if (state.retryMs !== undefined) return state.retryMs;
    const { initialDelayMs, growFactor, maxDelayMs } = this.reconnection;
    return Math.min(initialDelayMs * growFactor ** Math.max(0, failures - 1), maxDelayMs);
  }

  /** Reads events until the stream ends (the caller reconnects) or fails. */
  private async read(body: ReadableStream<Uint8Array>, state: StreamState, signal: AbortSignal): Promise<void> {
    const reader = body.getReader();
    const onAbort = () => void reader.cancel(signal.reason).catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    const parser = new EventParser(this.maxEventBytes, state, (type, data) => {
      if (data === '' || (type !== '' && type !== 'message')) return;
      let message: JSONRPCMessage;
      try {
        message = JSONRPCMessageSchema.parse(JSON.parse(data));
      } catch (error) {
        this.options.onError?.(error);
        return;
      }
      this.options.deliver(message);
    });
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        parser.push(value);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      reader.releaseLock();
    }
  }
}

/** What outlives one connection of the stream. */
export interface StreamState {
  lastEventId: string | undefined;
  retryMs: number | undefined;
}

/** The `text/event-stream` format (WHATWG HTML §9.2.6), one chunk at a time, with a bound on an event's size. */
export class EventParser {
  private readonly decoder = new TextDecoder();
  private buffer = '';
  /** Where to look for the next line end: the buffer before it has none. */
  private scanned = 0;
  private type = '';
  private data: string[] = [];
  private dataLength = 0;
  private id: string | undefined;
  private first = true;

  /**
   * `state` carries the last event id and the server's retry delay across reconnections; `dispatch`
   * gets each event with data, by type.
   */
  constructor(
    private readonly maxEventBytes: number,
    private readonly state: StreamState,
    private readonly dispatch: (type: string, data: string) => void,
  ) {
    this.id = state.lastEventId;
  }

  push(chunk: Uint8Array): void {
    let text = this.decoder.decode(chunk, { stream: true });
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buffer += text;
    let start = 0;
    for (;;) {
      const end = lineEnd(this.buffer, Math.max(start, this.scanned));
      // A "\r" at the very end may be the first half of "\r\n": wait for the next chunk.
      if (end === -1 || (this.buffer.charCodeAt(end) === 0x0d && end === this.buffer.length - 1)) break;
      this.line(this.buffer.slice(start, end));
      start = this.buffer.charCodeAt(end) === 0x0d && this.buffer.charCodeAt(end + 1) === 0x0a ? end + 2 : end + 1;
    }
    this.buffer = this.buffer.slice(start);
    this.scanned = Math.max(0, this.buffer.length - 1);
    if (this.buffer.length + this.dataLength > this.maxEventBytes)
      throw new ResponseTooLargeError(this.maxEventBytes, 'an event');
  }

  private line(line: string): void {
    if (line === '') {
      this.state.lastEventId = this.id;
      if (this.data.length > 0) this.dispatch(this.type, this.data.join('\n'));
      this.type = '';
      this.data = [];
      this.dataLength = 0;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.type = value;
        break;
      case 'data':
        this.data.push(value);
        this.dataLength += value.length + 1;
        if (this.dataLength > this.maxEventBytes) throw new ResponseTooLargeError(this.maxEventBytes, 'an event');
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.state.retryMs = Number(value);
        break;
    }
  }
}

function lineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x0a || code === 0x0d) return i;
  }
  return -1;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal, ref: false }).catch(() => undefined);
}
