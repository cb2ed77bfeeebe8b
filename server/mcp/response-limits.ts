import type { FetchLike } from './request-headers.js';
import { requestSignal } from './request-signal.js';

/** Largest response body a server may send to one request (LibreChat uses 16 MiB too). */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Largest single event on a long-lived SSE stream. */
export const DEFAULT_MAX_SSE_EVENT_BYTES = 4 * 1024 * 1024;

/** The server sent more than the client accepts; the response is cut off. */
export class ResponseTooLargeError extends Error {
  readonly code = 'ERR_MCP_RESPONSE_TOO_LARGE';
  constructor(readonly limitBytes: number, what: string) {
    super(`The MCP server sent ${what} larger than ${Math.round(limitBytes / 1024)} KiB; the response was refused.`);
    this.name = 'ResponseTooLargeError';
  }
}

export interface ResponseLimits {
  readonly maxResponseBytes?: number;
  readonly maxSseEventBytes?: number;
}

/**
 * Bounds what a server can make the sidecar buffer: a whole response body, and each event of an
 * SSE stream (long-lived streams are otherwise unbounded in total). Each request runs on a signal of its
 * own (see `requestSignal`), released when its body has been read.
 */
export function withResponseLimits(base: FetchLike, limits: ResponseLimits = {}): FetchLike {
  const maxBody = limits.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const maxEvent = limits.maxSseEventBytes ?? DEFAULT_MAX_SSE_EVENT_BYTES;
  return async (url, init) => {
    const own = requestSignal(init?.signal);
    let response: Response;
    try {
      response = await base(url, { ...init, signal: own.signal });
    } catch (error) {
      own.release();
      throw error;
    }
    if (!response.body) {
      own.release();
      return response;
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBody) {
      own.release();
      await response.body.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(maxBody, 'a body');
    }
    const isEventStream = (response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
    const body = response.body.pipeThrough(isEventStream ? eventSizeLimit(maxEvent, own.release) : totalSizeLimit(maxBody, own.release));
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
function eventSizeLimit(limit: number, done: () => void): TransformStream<Uint8Array, Uint8Array> {
  let sinceBoundary = 0;
  let previous = -1;
  let beforePrevious = -1;
  return new TransformStream({
    transform(chunk, controller) {
      for (const byte of chunk) {
        // "\n\n" or "\r\n\r\n" ends an event.
        const boundary = byte === 0x0a && (previous === 0x0a || (previous === 0x0d && beforePrevious === 0x0a));
        sinceBoundary = boundary ? 0 : sinceBoundary + 1;
        beforePrevious = previous;
        previous = byte;
      }
      if (sinceBoundary <= limit) return controller.enqueue(chunk);
      done();
      controller.error(new ResponseTooLargeError(limit, 'an event'));
    },
    flush: done,
  });
}
