/**
 * The token endpoint (RFC 6749 §4.1.3 code exchange, §6 refresh) and RFC 7009 revocation, with
 * client authentication (RFC 6749 §2.3.1) and RFC 8707 `resource` on every request.
 */
import { OAuthTokenError, UnexpectedResponseError } from './errors.js';
import { httpRequest, isSuccess, parseJSONObject, snippet, type HttpOptions } from './http.js';
import type { AuthorizationServerMetadata } from './authorization-server-metadata.js';

/** RFC 7591 §2 `token_endpoint_auth_method` values this client implements. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** Who the client is at the token endpoint. */
export interface ClientAuthentication {
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly authMethod: ClientAuthMethod;
}

/** Tokens as the rest of the system keeps them; `expiresAt` is absolute (epoch ms). */
export interface TokenSet {
  readonly accessToken: string;
  /** `Bearer` (RFC 6750); matched case-insensitively, stored as `Bearer`. */
  readonly tokenType: string;
  readonly refreshToken?: string;
  /** When the access token expires, from `expires_in`; undefined when the server did not say. */
  readonly expiresAt?: number;
  /** Granted scope (RFC 6749 §5.1); undefined when the server did not say. */
  readonly scope?: string;
  readonly idToken?: string;
}

export interface TokenRequestOptions extends HttpOptions {
  /** Clock for `expiresAt` (default `Date.now`). */
  readonly now?: () => number;
}

export interface AuthorizationCodeGrant {
  readonly code: string;
  readonly codeVerifier: string;
  /** Must be the `redirect_uri` of the authorization request (RFC 6749 §4.1.3). */
  readonly redirectURI: string;
  /** RFC 8707 resource indicator; the same as in the authorization request. */
  readonly resource?: string;
}

export interface RefreshGrant {
  readonly refreshToken: string;
  readonly resource?: string;
  /** Only to narrow the scope (RFC 6749 §6); omitted normally. */
  readonly scope?: string;
}

export interface Revocation {
  readonly token: string;
  readonly tokenTypeHint?: 'refresh_token' | 'access_token';
}

/**
 * What to revoke to end a grant: its refresh token when it has one (RFC 7009 §2.1 ends its access tokens too), else the
 * access token.
 */
export function grantRevocation(tokens: TokenSet): Revocation {
  return tokens.refreshToken
    ? { token: tokens.refreshToken, tokenTypeHint: 'refresh_token' }
    : { token: tokens.accessToken, tokenTypeHint: 'access_token' };
}

/** RFC 6749 §4.1.3: trades the authorization code and PKCE verifier for tokens. */
export async function exchangeAuthorizationCode(
  tokenEndpoint: string,
  client: ClientAuthentication,
  grant: AuthorizationCodeGrant,
  options: TokenRequestOptions = {},
): Promise<TokenSet> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: grant.code,
    code_verifier: grant.codeVerifier,
    redirect_uri: grant.redirectURI,
  });
  if (grant.resource !== undefined) body.set('resource', grant.resource);
  return tokenRequest(tokenEndpoint, client, body, options);
}

/**
 * RFC 6749 §6: a new access token. When the answer carries no refresh token, the one sent stays
 * valid and is returned (servers that rotate send a new one; the old one must then be dropped).
 */
export async function refreshAccessToken(
  tokenEndpoint: string,
  client: ClientAuthentication,
  grant: RefreshGrant,
  options: TokenRequestOptions = {},
): Promise<TokenSet> {
  const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: grant.refreshToken });
  if (grant.resource !== undefined) body.set('resource', grant.resource);
  if (grant.scope !== undefined) body.set('scope', grant.scope);
  const tokens = await tokenRequest(tokenEndpoint, client, body, options);
  return tokens.refreshToken ? tokens : { ...tokens, refreshToken: grant.refreshToken };
}

/** RFC 7009 §2.1. A 200 means done, also for a token the server no longer knows (§2.2). */
export async function revokeToken(
  revocationEndpoint: string,
  client: ClientAuthentication,
  revocation: Revocation,
  options: HttpOptions = {},
): Promise<void> {
  const body = new URLSearchParams({ token: revocation.token });
  if (revocation.tokenTypeHint) body.set('token_type_hint', revocation.tokenTypeHint);
  const result = await post(revocationEndpoint, client, body, options);
  if (!isSuccess(result.status)) throw errorFromBody(result.status, result.text);
}

/**
 * The client authentication method to use: the one registered when the server supports it, else
 * `client_secret_basic` > `client_secret_post` > `none` among what the server supports (RFC 8414
 * §2: an absent list means `client_secret_basic`). Without a secret only `none` is possible.
 */
export function selectClientAuthMethod(
  metadata: Pick<AuthorizationServerMetadata, 'token_endpoint_auth_methods_supported'>,
  hasSecret: boolean,
  registered?: string,
): ClientAuthMethod {
  if (!hasSecret) return 'none';
  const supported = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  if (isClientAuthMethod(registered) && supported.includes(registered)) return registered;
  return PREFERENCE.find((method) => supported.includes(method)) ?? 'client_secret_basic';
}

const PREFERENCE: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none'];

export function isClientAuthMethod(value: unknown): value is ClientAuthMethod {
  return value === 'client_secret_basic' || value === 'client_secret_post' || value === 'none';
}

async function tokenRequest(
  tokenEndpoint: string,
  client: ClientAuthentication,
  body: URLSearchParams,
  options: TokenRequestOptions,
): Promise<TokenSet> {
  const sentAt = (options.now ?? Date.now)();
  const result = await post(tokenEndpoint, client, body, options);
  const json = parseJSONObject(result.text);
  // Some servers (GitHub) answer errors with 200; an `error` member wins over the status.
  if (!isSuccess(result.status) || (json && typeof json.error === 'string' && json.access_token === undefined)) {
    throw errorFromBody(result.status, result.text);
  }
  if (!json) throw new UnexpectedResponseError(tokenEndpoint, result.status, 'token response is not a JSON object');
  return parseTokenResponse(json, tokenEndpoint, result.status, sentAt);
}

/** RFC 6749 §5.1. `expires_in` counts from when the request was sent, so it never overestimates. */
function parseTokenResponse(json: Record<string, unknown>, url: string, status: number, sentAt: number): TokenSet {
  const bad = (reason: string) => new UnexpectedResponseError(url, status, reason);
  if (typeof json.access_token !== 'string' || json.access_token === '') throw bad('"access_token" is missing');
  const tokenType = json.token_type === undefined ? 'Bearer' : json.token_type;
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw bad(`token_type ${JSON.stringify(tokenType)} is not supported (only Bearer)`);
  }
  const expiresIn = typeof json.expires_in === 'string' ? Number(json.expires_in) : json.expires_in;
  if (expiresIn !== undefined && (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 0)) {
    throw bad('"expires_in" must be a non-negative number');
  }
  for (const field of ['refresh_token', 'scope', 'id_token'] as const) {
    if (json[field] !== undefined && typeof json[field] !== 'string') throw bad(`"${field}" must be a string`);
  }
  return {
    accessToken: json.access_token,
    tokenType: 'Bearer',
    ...(typeof json.refresh_token === 'string' && json.refresh_token !== '' && { refreshToken: json.refresh_token }),
    ...(typeof expiresIn === 'number' && { expiresAt: sentAt + expiresIn * 1000 }),
    ...(typeof json.scope === 'string' && { scope: json.scope }),
    ...(typeof json.id_token === 'string' && { idToken: json.id_token }),
  };
}

/** POSTs a form with the client's authentication; redirects are refused so credentials never follow one. */
async function post(url: string, client: ClientAuthentication, body: URLSearchParams, options: HttpOptions) {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  switch (client.authMethod) {
    case 'client_secret_basic':
      // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
      headers.authorization = `Basic ${Buffer.from(`${formEncode(client.clientId)}:${formEncode(client.clientSecret ?? '')}`).toString('base64')}`;
      break;
    case 'client_secret_post':
      body.set('client_id', client.clientId);
      body.set('client_secret', client.clientSecret ?? '');
      break;
    case 'none':
      body.set('client_id', client.clientId);
      break;
  }
  const result = await httpRequest(url, { method: 'POST', headers, body, redirect: 'manual' }, options);
  if (result.status >= 300 && result.status < 400) {
    throw new UnexpectedResponseError(
      url,
      result.status,
      'the endpoint redirected; credentials are not re-sent to another URL',
    );
  }
  return result;
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** RFC 6749 §5.2 error body; anything else becomes `unknown_error` with a bounded snippet. */
function errorFromBody(status: number, text: string): OAuthTokenError {
  const json = parseJSONObject(text);
  if (json && typeof json.error === 'string' && json.error !== '') {
    const description = typeof json.error_description === 'string' ? snippet(json.error_description) : undefined;
    const uri = typeof json.error_uri === 'string' ? json.error_uri : undefined;
    return new OAuthTokenError(json.error, description, status, uri);
  }
  return new OAuthTokenError('unknown_error', text ? snippet(text) : undefined, status);
}
