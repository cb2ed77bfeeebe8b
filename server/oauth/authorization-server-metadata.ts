/**
 * RFC 8414 Authorization Server Metadata and OpenID Connect Discovery 1.0: the candidate URLs in
 * the MCP order, fetching, and the checks that make a document usable (issuer, HTTPS endpoints).
 */
import { IssuerMismatchError, InvalidMetadataError, MetadataNotFoundError, type MetadataAttempt } from './errors.js';
import { assertSecureURL, httpRequest, parseJSONObject, sameURL, type HttpOptions } from './http.js';
import { isTryNext } from './protected-resource-metadata.js';

/** RFC 8414 §2 (with the OIDC and MCP members the client reads). Unknown members are kept. */
export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly registration_endpoint?: string;
  readonly revocation_endpoint?: string;
  readonly introspection_endpoint?: string;
  readonly jwks_uri?: string;
  readonly scopes_supported?: readonly string[];
  readonly response_types_supported?: readonly string[];
  readonly response_modes_supported?: readonly string[];
  readonly grant_types_supported?: readonly string[];
  readonly code_challenge_methods_supported?: readonly string[];
  readonly token_endpoint_auth_methods_supported?: readonly string[];
  readonly revocation_endpoint_auth_methods_supported?: readonly string[];
  /** RFC 9207: the authorization response carries `iss`. */
  readonly authorization_response_iss_parameter_supported?: boolean;
  /** MCP SEP-991: the AS accepts a client ID metadata document URL as `client_id`. */
  readonly client_id_metadata_document_supported?: boolean;
  readonly [member: string]: unknown;
}

export interface DiscoveredAuthorizationServerMetadata {
  readonly metadata: AuthorizationServerMetadata;
  /** The URL the document was read from. */
  readonly url: string;
}

export interface AuthorizationServerMetadataOptions extends HttpOptions {
  /** For an issuer with a path, also try the origin's well-known URLs last (default true). */
  readonly rootFallback?: boolean;
  /**
   * Accept a document naming any issuer on the origin it was served from. Only for MCP 2025-03-26
   * servers without protected resource metadata, which are their own authorization server and
   * were allowed to name an issuer with a path.
   */
  readonly sameOriginIssuer?: boolean;
}

/** A well-known URL and the issuers a document served there may name (RFC 8414 §3.3). */
export interface MetadataCandidate {
  readonly url: URL;
  readonly issuers: readonly string[];
}

const OAUTH = '/.well-known/oauth-authorization-server';
const OIDC = '/.well-known/openid-configuration';

/**
 * The MCP discovery order: without a path, RFC 8414 then OIDC at the root; with path `/p`,
 * `oauth-authorization-server/p`, `openid-configuration/p`, `/p/.well-known/openid-configuration`,
 * then (unless `rootFallback` is false) the two root URLs, whose documents must name the origin.
 */
export function authorizationServerMetadataCandidates(
  issuer: string | URL,
  options: { rootFallback?: boolean } = {},
): MetadataCandidate[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  const own = [String(issuer)];
  if (!path)
    return [
      { url: new URL(OAUTH, url.origin), issuers: own },
      { url: new URL(OIDC, url.origin), issuers: own },
    ];
  // The root documents belong to the origin's issuer; one that names the path issuer is accepted too.
  const rootIssuers = [url.origin, String(issuer)];
  return [
    { url: new URL(`${OAUTH}${path}`, url.origin), issuers: own },
    { url: new URL(`${OIDC}${path}`, url.origin), issuers: own },
    { url: new URL(`${path}${OIDC}`, url.origin), issuers: own },
    ...(options.rootFallback === false
      ? []
      : [
          { url: new URL(OAUTH, url.origin), issuers: rootIssuers },
          { url: new URL(OIDC, url.origin), issuers: rootIssuers },
        ]),
  ];
}

/** The candidate URLs alone, in order. */
export function authorizationServerMetadataUrls(issuer: string | URL, options: { rootFallback?: boolean } = {}): URL[] {
  return authorizationServerMetadataCandidates(issuer, options).map((c) => c.url);
}

/** The endpoints this client sends users or credentials to; each must be HTTPS unless loopback. */
const USED_ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'registration_endpoint',
  'revocation_endpoint',
] as const;

/**
 * Checks a document: it must name the expected issuer (RFC 8414 §3.3; URL-normalised comparison;
 * several are allowed only for the root fallback), have the authorization and token endpoints,
 * and every endpoint the client uses must be HTTPS unless loopback.
 */
export function validateAuthorizationServerMetadata(
  document: unknown,
  expectedIssuer: string | readonly string[],
  sourceURL: string,
): AuthorizationServerMetadata {
  const expected = typeof expectedIssuer === 'string' ? [expectedIssuer] : expectedIssuer;
  const invalid = (reason: string) => new InvalidMetadataError('authorization-server', sourceURL, reason);
  if (document === null || typeof document !== 'object' || Array.isArray(document)) throw invalid('not a JSON object');
  const doc = document as Record<string, unknown>;
  if (typeof doc.issuer !== 'string' || doc.issuer === '') throw invalid('"issuer" is missing');
  const issuer = doc.issuer;
  if (!expected.some((e) => sameURL(issuer, e))) throw new IssuerMismatchError(expected[0] ?? '', issuer, sourceURL);
  assertSecureURL(issuer, 'issuer');
  for (const field of ['authorization_endpoint', 'token_endpoint'] as const) {
    if (typeof doc[field] !== 'string') throw invalid(`"${field}" is missing`);
  }
  for (const field of USED_ENDPOINTS) {
    const value = doc[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalid(`"${field}" must be a URL`);
    assertSecureURL(value, field);
  }
  for (const [field, value] of Object.entries(doc)) {
    if (field.endsWith('_supported') && value !== undefined && typeof value !== 'boolean' && !isStringArray(value)) {
      throw invalid(`"${field}" must be an array of strings`);
    }
  }
  return doc as unknown as AuthorizationServerMetadata;
}

/**
 * Fetches the metadata of `issuer` from the first candidate URL that has it. Moves on after any
 * 4xx and after 502; other statuses, invalid documents, issuer mismatches and network errors are
 * thrown. `MetadataNotFoundError` when no URL has it.
 */
export async function discoverAuthorizationServerMetadata(
  issuer: string | URL,
  options: AuthorizationServerMetadataOptions = {},
): Promise<DiscoveredAuthorizationServerMetadata> {
  assertSecureURL(String(issuer), 'authorization server issuer');
  const attempts: MetadataAttempt[] = [];
  for (const candidate of authorizationServerMetadataCandidates(issuer, options)) {
    const result = await httpRequest(candidate.url, { headers: { accept: 'application/json' } }, options);
    if (isTryNext(result.status)) {
      attempts.push({ url: result.url, status: result.status });
      continue;
    }
    if (result.status !== 200) {
      throw new InvalidMetadataError('authorization-server', result.url, `answered HTTP ${result.status}`);
    }
    const document = parseJSONObject(result.text);
    if (!document) throw new InvalidMetadataError('authorization-server', result.url, 'not a JSON object');
    const issuers =
      options.sameOriginIssuer && typeof document.issuer === 'string' && sameOrigin(document.issuer, candidate.url)
        ? [...candidate.issuers, document.issuer]
        : candidate.issuers;
    return { metadata: validateAuthorizationServerMetadata(document, issuers, result.url), url: result.url };
  }
  throw new MetadataNotFoundError('authorization-server', attempts);
}

/**
 * MCP 2025-03-26 §2.3.3 fallback when a server publishes no metadata at all: `/authorize`,
 * `/token` and `/register` on the origin. It advertises nothing, PKCE methods included.
 */
export function defaultAuthorizationServerMetadata(serverURL: string | URL): AuthorizationServerMetadata {
  const origin = new URL(serverURL).origin;
  assertSecureURL(origin, 'authorization server');
  return {
    issuer: origin,
    authorization_endpoint: new URL('/authorize', origin).href,
    token_endpoint: new URL('/token', origin).href,
    registration_endpoint: new URL('/register', origin).href,
  };
}

function sameOrigin(issuer: string, url: URL): boolean {
  try {
    return new URL(issuer).origin === url.origin;
  } catch {
    return false;
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
