import { PluginError } from '../errors/plugin-error.js';
import type { FetchLike } from './fetch-like.js';
import { linkedSignal } from './linked-signal.js';

/** Largest response body a server may send to one request (LibreChat uses 16 MiB too). */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Largest single event on a long-lived SSE stream. */
export const DEFAULT_MAX_SSE_EVENT_BYTES = 4 * 1024 * 1024;

/** The server sent more than the client accepts; the response is cut off. */
export class ResponseTooLargeError extends PluginError {
  readonly code = 'ERR_MCP_RESPONSE_TOO_LARGE';
  readonly category = 'upstream';
  constructor(
    readonly limitBytes: number,
    what: string,
  ) {
    super(`The MCP server sent ${what} larger than ${Math.round(limitBytes / 1024)} KiB; the response was refused.`);
  }
}

export interface ResponseLimits {
  readonly maxResponseBytes?: number;
  readonly maxSseEventBytes?: number;
  /** The most a tools/list answer may send (a whole listing's bound: one page cannot be larger). */
  readonly maxToolListBytes?: number;
}

/**
 * Bounds what a server can make the sidecar buffer: a whole response body, and each event of an
 * SSE stream (long-lived streams are otherwise unbounded in total). Each request runs on a signal of its
 * own, linked to the caller's and unlinked when its body has been read: undici adds an abort listener to every
 * request's signal and drops it only when the request is collected, so requests on a session's long-lived signal
 * piled up thousands of listeners on it.
 */
export function withResponseLimits(base: FetchLike, limits: ResponseLimits = {}): FetchLike {
  const maxAnyBody = limits.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const maxEvent = limits.maxSseEventBytes ?? DEFAULT_MAX_SSE_EVENT_BYTES;
  return async (url, init) => {
    const maxBody =
      limits.maxToolListBytes !== undefined && isToolListRequest(init?.body)
        ? Math.min(maxAnyBody, limits.maxToolListBytes)
        : maxAnyBody;
    const own = linkedSignal(init?.signal ?? undefined);
    let response: Response;
    try {
      response = await base(url, { ...init, signal: own.signal });
    } catch (error) {
      own.dispose();
      throw error;
    }
    if (!response.body) {
      own.dispose();
      return response;
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBody) {
      own.dispose();
      await response.body.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(maxBody, 'a body');
    }
    const isEventStream = (response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
    const body = response.body.pipeThrough(
      isEventStream ? eventSizeLimit(maxEvent, own.dispose) : totalSizeLimit(maxBody, own.dispose),
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

function totalSizeLimit(limit: number, done: () => void): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total <= limit) return controller.enqueue(chunk);
      done();
      controller.error(new ResponseTooLargeError(limit, 'a body'));
    },
    flush: done,
  });
}

/** Counts bytes since the last blank line (an SSE event boundary) without decoding the stream. */
export function eventSizeLimit(
  limit: number,
  done: () => void = () => undefined,
): TransformStream<Uint8Array, Uint8Array> {
  const counter = new EventBoundaryCounter();
  return new TransformStream({
    transform(chunk, controller) {
      if (counter.push(chunk) <= limit) return controller.enqueue(chunk);
      done();
      controller.error(new ResponseTooLargeError(limit, 'an event'));
    },
    flush: done,
  });
}

/**
 * Bytes since the last event boundary ("\n\n" or "\r\n\r\n", the boundary's last byte counting as 0), chunk by
 * chunk, and the most any event reached in a chunk. It jumps from line feed to line feed (`indexOf`), so a 40 KB
 * tools/list answer costs a few dozen steps,
 * not 40,000.
 */
export class EventBoundaryCounter {
  private sinceBoundary = 0;
  private previous = -1;
  private beforePrevious = -1;

  /** Takes the next chunk; returns the largest count it reached in it (an event the chunk holds whole counts too). */
  push(chunk: Uint8Array): number {
    let largest = 0;
    let lastBoundary = -1;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) {
      const one = i >= 1 ? chunk[i - 1] : this.previous;
      const two = i >= 2 ? chunk[i - 2] : i === 1 ? this.previous : this.beforePrevious;
      if (!(one === 0x0a || (one === 0x0d && two === 0x0a))) continue;
      // The count at the byte before this boundary (the event it ends), if that byte is in this chunk.
      if (lastBoundary !== -1 || i > 0)
        largest = Math.max(largest, lastBoundary === -1 ? this.sinceBoundary + i : i - 1 - lastBoundary);
      lastBoundary = i;
    }
    this.sinceBoundary = lastBoundary === -1 ? this.sinceBoundary + chunk.length : chunk.length - 1 - lastBoundary;
    largest = Math.max(largest, this.sinceBoundary);
    if (chunk.length >= 2) {
      this.beforePrevious = chunk[chunk.length - 2]!;
      this.previous = chunk[chunk.length - 1]!;
    } else if (chunk.length === 1) {
      this.beforePrevious = this.previous;
      this.previous = chunk[0]!;
    }
    return largest;
  }
}

/** True for a JSON-RPC tools/list request body (the SDK's transports send each message as a JSON string). */
export function isToolListRequest(body: unknown): boolean {
  if (typeof body !== 'string' || body.length > 64 * 1024 || !body.includes('"tools/list"')) return false;
  try {
    return (JSON.parse(body) as { method?: unknown }).method === 'tools/list';
  } catch {
    return false;
  }
}
