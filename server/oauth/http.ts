/**
 * The one place the OAuth layer talks HTTP: injected fetch, caller signal plus timeout, bounded
 * bodies, and the URL policy (HTTPS except on loopback). No global state.
 */
import { InsecureURLError, OAuthError, OAuthNetworkError, UnexpectedResponseError } from './errors.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Metadata, registration and token answers are small; a larger body is refused, not buffered. */
export const MAX_BODY_BYTES = 256 * 1024;
const SNIPPET_CHARS = 200;
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Options every function that does I/O accepts. */
export interface HttpOptions {
  /** The fetch to use (default: the global one); inject one to add proxies, limits or metrics. */
  readonly fetch?: typeof fetch;
  /** Cancels the request; its `reason` is rethrown unchanged. */
  readonly signal?: AbortSignal;
  /** Time limit for one request including its body, in milliseconds (default 10 s). */
  readonly timeoutMs?: number;
}

/** A response with its body already read (bounded), so callers never leak open streams. */
export interface HttpResult {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/**
 * Sends one request and reads the body. Network failures and timeouts become `OAuthNetworkError`;
 * an abort by the caller rethrows the caller's reason.
 */
export async function httpRequest(
  url: URL | string,
  init: RequestInit,
  options: HttpOptions = {},
): Promise<HttpResult> {
  let target = String(url);
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const doFetch = options.fetch ?? globalThis.fetch;
  // Redirects are followed here, not by fetch, so every hop meets the URL policy (a metadata document fetched
  // over plain HTTP off loopback could send users and credentials anywhere). `redirect: 'manual'` callers see them.
  const follow = init.redirect !== 'manual';
  try {
    for (let hops = 0; ; hops++) {
      const response = await doFetch(target, { ...init, signal, redirect: 'manual' });
      const location = response.headers.get('location');
      if (follow && REDIRECTS.has(response.status) && location !== null) {
        await response.body?.cancel().catch(() => undefined);
        if (hops >= MAX_REDIRECTS)
          throw new UnexpectedResponseError(target, response.status, `more than ${MAX_REDIRECTS} redirects`);
        target = assertSecureURL(new URL(location, target).href, 'redirect location').href;
        continue;
      }
      const text = await readBounded(response, target);
      return { url: target, status: response.status, headers: response.headers, text };
    }
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    // Our own refusals (a body too large, an origin whose circuit is open, an address not allowed) are already typed.
    if (error instanceof OAuthError) throw error;
    if ((error as { cause?: unknown } | null)?.cause instanceof OAuthError)
      throw (error as { cause: OAuthError }).cause;
    throw new OAuthNetworkError(target, timeout.aborted, { cause: error });
  }
}

async function readBounded(response: Response, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new UnexpectedResponseError(url, response.status, `body of ${declared} bytes exceeds ${MAX_BODY_BYTES}`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new UnexpectedResponseError(url, response.status, `body exceeds ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks, size));
}

/** The body as a JSON object, or undefined when it is not one (arrays and scalars included). */
export function parseJSONObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A short, single-line excerpt of a body for an error message. */
export function snippet(text: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS)}…` : flat;
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** RFC 8252 §8.3 loopback: 127.0.0.0/8, ::1 and localhost names. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Parses an absolute http(s) URL, or undefined for anything else. */
export function parseHttpURL(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses anything but https, and http on loopback. `field` names the value in the error. */
export function assertSecureURL(value: string, field: string): URL {
  const url = parseHttpURL(value);
  if (!url || (url.protocol === 'http:' && !isLoopbackHost(url.hostname))) throw new InsecureURLError(field, value);
  return url;
}

/** Same URL after RFC 3986 syntax normalisation (case of scheme and host, default port, empty path). */
export function sameURL(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}
