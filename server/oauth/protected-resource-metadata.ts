/**
 * RFC 9728 OAuth 2.0 Protected Resource Metadata: where to look for it, fetching it, and checking
 * that it describes the MCP server it was fetched for.
 */
import {
  InsecureURLError,
  InvalidMetadataError,
  MetadataNotFoundError,
  ResourceMismatchError,
  type MetadataAttempt,
} from './errors.js';
import { assertSecureURL, httpRequest, parseHttpURL, parseJSONObject, type HttpOptions } from './http.js';

/** RFC 9728 §2. Unknown members are kept. */
export interface ProtectedResourceMetadata {
  /** The protected resource's identifier (RFC 9728 §1.2). */
  readonly resource: string;
  /** Issuer identifiers of the authorization servers that can issue tokens for it; never empty here. */
  readonly authorization_servers: readonly string[];
  readonly scopes_supported?: readonly string[];
  readonly bearer_methods_supported?: readonly string[];
  readonly jwks_uri?: string;
  readonly resource_name?: string;
  readonly resource_documentation?: string;
  readonly [member: string]: unknown;
}

export interface DiscoveredProtectedResourceMetadata {
  readonly metadata: ProtectedResourceMetadata;
  /** The URL the document was read from. */
  readonly url: string;
}

export interface ProtectedResourceMetadataOptions extends HttpOptions {
  /** The `resource_metadata` of the server's `WWW-Authenticate` challenge, when it sent one. */
  readonly resourceMetadataURL?: string;
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/**
 * Candidate metadata URLs, in the order to try them: the challenge's `resource_metadata`, then the
 * path-aware well-known URL (RFC 9728 §3.1), then the root one. An unparsable `resource_metadata`
 * is ignored; a non-HTTPS one (other than loopback) is refused with `InsecureURLError`.
 */
export function protectedResourceMetadataUrls(serverURL: string | URL, resourceMetadataURL?: string): URL[] {
  const server = new URL(serverURL);
  const urls: URL[] = [];
  if (resourceMetadataURL !== undefined && parseHttpURL(resourceMetadataURL)) {
    urls.push(assertSecureURL(resourceMetadataURL, 'resource_metadata'));
  } else if (resourceMetadataURL !== undefined && /^[a-z][a-z0-9+.-]*:/i.test(resourceMetadataURL)) {
    throw new InsecureURLError('resource_metadata', resourceMetadataURL); // javascript:, file:, …
  }
  const path = server.pathname.replace(/\/+$/, '');
  if (path) urls.push(new URL(`${WELL_KNOWN}${path}${server.search}`, server.origin));
  urls.push(new URL(WELL_KNOWN, server.origin));
  return dedupe(urls);
}

/**
 * RFC 9728 §3.3, as the MCP SDK applies it: the metadata's `resource` must have the server URL's
 * origin and a path that is a whole-segment prefix of the server URL's path.
 */
export function resourceMatchesServer(resource: string, serverURL: string | URL): boolean {
  const res = parseHttpURL(resource);
  const server = new URL(serverURL);
  if (!res || res.origin !== server.origin) return false;
  const withSlash = (path: string) => (path.endsWith('/') ? path : `${path}/`);
  return withSlash(server.pathname).startsWith(withSlash(res.pathname));
}

/** Checks a fetched document against RFC 9728 §2 and §3.3 for `serverURL`. */
export function validateProtectedResourceMetadata(
  document: unknown,
  serverURL: string | URL,
  sourceURL: string,
): ProtectedResourceMetadata {
  const invalid = (reason: string) => new InvalidMetadataError('protected-resource', sourceURL, reason);
  if (document === null || typeof document !== 'object' || Array.isArray(document)) throw invalid('not a JSON object');
  const doc = document as Record<string, unknown>;
  if (typeof doc.resource !== 'string' || !parseHttpURL(doc.resource))
    throw invalid('"resource" must be an http(s) URL');
  const servers = doc.authorization_servers;
  if (!Array.isArray(servers) || servers.length === 0)
    throw invalid('"authorization_servers" must list at least one issuer');
  if (!servers.every((s) => parseHttpURL(s)))
    throw invalid('every "authorization_servers" entry must be an http(s) URL');
  for (const field of ['scopes_supported', 'bearer_methods_supported'] as const) {
    if (doc[field] !== undefined && !isStringArray(doc[field])) throw invalid(`"${field}" must be an array of strings`);
  }
  if (!resourceMatchesServer(doc.resource, serverURL)) throw new ResourceMismatchError(doc.resource, String(serverURL));
  return doc as unknown as ProtectedResourceMetadata;
}

/**
 * Fetches the metadata for an MCP server from the first candidate URL that has it. Moves on after
 * any 4xx and after 502; other statuses, invalid documents and network errors are thrown, so a
 * broken server is never silently replaced by another authorization server.
 */
export async function discoverProtectedResourceMetadata(
  serverURL: string | URL,
  options: ProtectedResourceMetadataOptions = {},
): Promise<DiscoveredProtectedResourceMetadata> {
  const attempts: MetadataAttempt[] = [];
  for (const url of protectedResourceMetadataUrls(serverURL, options.resourceMetadataURL)) {
    const result = await httpRequest(url, { headers: { accept: 'application/json' } }, options);
    if (isTryNext(result.status)) {
      attempts.push({ url: result.url, status: result.status });
      continue;
    }
    if (result.status !== 200) {
      throw new InvalidMetadataError('protected-resource', result.url, `answered HTTP ${result.status}`);
    }
    const document = parseJSONObject(result.text);
    if (!document) throw new InvalidMetadataError('protected-resource', result.url, 'not a JSON object');
    return { metadata: validateProtectedResourceMetadata(document, serverURL, result.url), url: result.url };
  }
  throw new MetadataNotFoundError('protected-resource', attempts);
}

/** Statuses after which the next well-known URL is tried (a CDN's 401/403 included). */
export function isTryNext(status: number): boolean {
  return (status >= 400 && status < 500) || status === 502;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function dedupe(urls: URL[]): URL[] {
  const seen = new Set<string>();
  return urls.filter((u) => !seen.has(u.href) && Boolean(seen.add(u.href)));
}
