/**
 * The authorization request (RFC 6749 §4.1.1 with PKCE, RFC 8707 `resource`) and the checks on
 * the redirect that comes back (RFC 6749 §4.1.2, RFC 9207 `iss`). Pure functions, no I/O.
 */
import { randomBytes } from 'node:crypto';
import { AuthorizationResponseError, IssuerMismatchError, StateMismatchError } from './errors.js';
import { sameURL } from './http.js';
import type { AuthorizationServerMetadata } from './authorization-server-metadata.js';
import type { ProtectedResourceMetadata } from './protected-resource-metadata.js';

export interface AuthorizationRequest {
  readonly authorizationEndpoint: string;
  readonly clientId: string;
  readonly redirectURI: string;
  /** Unguessable, single-use, bound to the user by the caller (RFC 6749 §10.12). */
  readonly state: string;
  readonly codeChallenge: string;
  /** Space-separated; the parameter is omitted when undefined or empty. */
  readonly scope?: string;
  /** RFC 8707 resource indicator; omitted when undefined. */
  readonly resource?: string;
  /** Non-standard `audience` some providers (Auth0) need to issue a JWT for the API. */
  readonly audience?: string;
  /** Further parameters (`prompt`, `login_hint`); they cannot replace the ones above. */
  readonly extraParams?: Readonly<Record<string, string>>;
}

/** The URL to send the user's browser to. Existing query parameters of the endpoint are kept. */
export function buildAuthorizationURL(request: AuthorizationRequest): URL {
  const url = new URL(request.authorizationEndpoint);
  for (const [name, value] of Object.entries(request.extraParams ?? {})) url.searchParams.set(name, value);
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: request.clientId,
    redirect_uri: request.redirectURI,
    scope: request.scope || undefined,
    state: request.state,
    code_challenge: request.codeChallenge,
    code_challenge_method: 'S256',
    resource: request.resource,
    audience: request.audience,
  };
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }
  return url;
}

/** A `state` value: 32 random bytes, base64url. */
export function generateState(): string {
  return randomBytes(32).toString('base64url');
}

export interface ScopeSources {
  /** `scope` of the server's `WWW-Authenticate` challenge (401 or 403 `insufficient_scope`). */
  readonly challengeScope?: string;
  /** `scopes_supported` of the protected resource metadata. */
  readonly scopesSupported?: readonly string[];
  /** Scopes the admin configured for the server. */
  readonly configuredScopes?: string | readonly string[];
}

/**
 * MCP scope selection (SEP-835): the challenge's scope, else the resource's `scopes_supported`,
 * else the configured scopes; undefined when none (the `scope` parameter is then omitted). For a
 * step-up, pass the scopes already granted or requested as `union`: the result keeps them.
 */
export function selectScope(
  sources: ScopeSources,
  options: { union?: string | readonly string[] } = {},
): string | undefined {
  const chosen =
    [sources.challengeScope, sources.scopesSupported, sources.configuredScopes]
      .map(scopeList)
      .find((list) => list.length > 0) ?? [];
  return unionScopes(options.union, chosen);
}

/** The union of several scope values, in first-seen order; undefined when empty. */
export function unionScopes(...scopes: (string | readonly string[] | undefined)[]): string | undefined {
  const all = new Set(scopes.flatMap(scopeList));
  return all.size ? [...all].join(' ') : undefined;
}

/** True when `granted` includes every scope of `required`. */
export function scopeCovers(granted: string | undefined, required: string | undefined): boolean {
  const have = new Set(scopeList(granted));
  return scopeList(required).every((s) => have.has(s));
}

function scopeList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? value.split(/[ \t]+/) : value;
  return list.filter((s) => s !== '');
}

export interface ResourceIndicatorOptions {
  /** Send this `resource` instead of the discovered one (for servers whose AS wants another URI). */
  readonly resource?: string;
  /** Send no `resource` at all (for authorization servers that reject RFC 8707, such as Entra v1). */
  readonly omitResource?: boolean;
}

/**
 * The RFC 8707 `resource` to send on the authorization, token and refresh requests: the override,
 * else the protected resource metadata's `resource`, else the MCP server's canonical URL.
 */
export function selectResource(
  serverURL: string | URL,
  resourceMetadata: Pick<ProtectedResourceMetadata, 'resource'> | undefined,
  options: ResourceIndicatorOptions = {},
): string | undefined {
  if (options.omitResource) return undefined;
  return options.resource ?? resourceMetadata?.resource ?? canonicalResourceURL(serverURL);
}

/**
 * MCP "canonical server URI": no fragment (RFC 8707 §2), lower-case scheme and host, and no
 * trailing slash when the path is empty.
 */
export function canonicalResourceURL(serverURL: string | URL): string {
  const url = new URL(serverURL);
  url.hash = '';
  const href = url.href;
  return url.pathname === '/' && !url.search && href.endsWith('/') ? href.slice(0, -1) : href;
}

export interface AuthorizationResponseExpectations {
  readonly state: string;
  /** RFC 9207: the issuer the request went to; checked when `iss` is present or required. */
  readonly issuer?: string;
  /** RFC 9207 §2.4: the AS advertises `authorization_response_iss_parameter_supported`, so `iss` must be there. */
  readonly requireIssuer?: boolean;
}

/**
 * Checks the redirect back to the callback and returns the code: state first (a foreign redirect
 * is refused before its error is believed), then RFC 9207 `iss`, then `error` or `code`.
 */
export function validateAuthorizationResponse(
  callback: URL | URLSearchParams,
  expected: AuthorizationResponseExpectations,
): { code: string } {
  const params = callback instanceof URL ? callback.searchParams : callback;
  if (params.get('state') !== expected.state) throw new StateMismatchError();
  const iss = params.get('iss');
  if (
    expected.issuer !== undefined &&
    (iss !== null || expected.requireIssuer) &&
    (iss === null || !sameURL(iss, expected.issuer))
  ) {
    throw new IssuerMismatchError(expected.issuer, iss ?? '(none)');
  }
  const error = params.get('error');
  if (error !== null) {
    throw new AuthorizationResponseError(
      error,
      params.get('error_description') ?? undefined,
      params.get('error_uri') ?? undefined,
    );
  }
  const code = params.get('code');
  if (!code)
    throw new AuthorizationResponseError('invalid_request', 'the redirect carries neither a code nor an error');
  return { code };
}

/** RFC 9207 §2.4: whether the callback must carry `iss` for this authorization server. */
export function requiresIssuerParameter(
  metadata: Pick<AuthorizationServerMetadata, 'authorization_response_iss_parameter_supported'>,
): boolean {
  return metadata.authorization_response_iss_parameter_supported === true;
}
