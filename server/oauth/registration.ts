/** RFC 7591 OAuth 2.0 Dynamic Client Registration. */
import { RegistrationError, RegistrationNotSupportedError, UnexpectedResponseError } from './errors.js';
import { httpRequest, isSuccess, parseHttpURL, parseJSONObject, snippet, type HttpOptions } from './http.js';
import { discoverAuthorization, type AuthorizationDiscovery, type AuthorizationDiscoveryOptions } from './discovery.js';
import {
  isClientAuthMethod,
  selectClientAuthMethod,
  type ClientAuthentication,
  type ClientAuthMethod,
} from './token-endpoint.js';
import type { AuthorizationServerMetadata } from './authorization-server-metadata.js';

/** RFC 7591 §2 client metadata this client sends. Unknown members are passed through. */
export interface RegistrationRequest {
  readonly redirect_uris: readonly string[];
  readonly token_endpoint_auth_method?: ClientAuthMethod | (string & {});
  readonly grant_types?: readonly string[];
  readonly response_types?: readonly string[];
  readonly client_name?: string;
  readonly client_uri?: string;
  readonly logo_uri?: string;
  readonly scope?: string;
  readonly contacts?: readonly string[];
  readonly tos_uri?: string;
  readonly policy_uri?: string;
  readonly software_id?: string;
  readonly software_version?: string;
  readonly [member: string]: unknown;
}

/** RFC 7591 §3.2.1: the registered client; the server may have changed any requested value. */
export interface RegistrationResponse extends Omit<RegistrationRequest, 'redirect_uris'> {
  readonly client_id: string;
  readonly client_secret?: string;
  readonly client_id_issued_at?: number;
  /** 0 means the secret never expires (RFC 7591 §3.2.1). */
  readonly client_secret_expires_at?: number;
  readonly registration_access_token?: string;
  readonly registration_client_uri?: string;
  readonly redirect_uris?: readonly string[];
}

export interface RegisterClientOptions extends HttpOptions {
  /** RFC 7591 §3: the bearer token some servers require for registration. */
  readonly initialAccessToken?: string;
}

/**
 * The registration request for an MCP client: code flow with refresh, and the client
 * authentication chosen from the server's `token_endpoint_auth_methods_supported`.
 */
export function defaultRegistrationRequest(
  redirectURI: string,
  clientName: string,
  metadata: Pick<AuthorizationServerMetadata, 'token_endpoint_auth_methods_supported'> = {},
  scope?: string,
): RegistrationRequest {
  return {
    redirect_uris: [redirectURI],
    token_endpoint_auth_method: selectClientAuthMethod(metadata, true),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    client_name: clientName,
    ...(scope && { scope }),
  };
}

/** The server's registration endpoint; `RegistrationNotSupportedError` when it has none. */
export function getRegistrationEndpoint(
  metadata: Pick<AuthorizationServerMetadata, 'issuer' | 'registration_endpoint'>,
): string {
  if (!metadata.registration_endpoint) throw new RegistrationNotSupportedError(metadata.issuer);
  return metadata.registration_endpoint;
}

/**
 * RFC 7591 §3.1: POSTs the metadata as JSON. Any 2xx with a `client_id` is a success; an error
 * body becomes `RegistrationError` with its RFC 7591 code, anything else `unknown_error`.
 */
export async function registerClient(
  registrationEndpoint: string,
  request: RegistrationRequest,
  options: RegisterClientOptions = {},
): Promise<RegistrationResponse> {
  if (request.redirect_uris.length === 0 || !request.redirect_uris.every((uri) => parseHttpURL(uri))) {
    throw new RegistrationError(
      'invalid_redirect_uri',
      'redirect_uris must list at least one absolute http(s) URL',
      undefined,
    );
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (options.initialAccessToken) headers.authorization = `Bearer ${options.initialAccessToken}`;
  const result = await httpRequest(
    registrationEndpoint,
    {
      method: 'POST',
      headers,
      body: JSON.stringify(request),
      redirect: 'manual',
    },
    options,
  );
  const json = parseJSONObject(result.text);
  if (!isSuccess(result.status)) {
    if (json && typeof json.error === 'string' && json.error !== '') {
      const description = typeof json.error_description === 'string' ? snippet(json.error_description) : undefined;
      throw new RegistrationError(json.error, description, result.status);
    }
    throw new RegistrationError('unknown_error', result.text ? snippet(result.text) : undefined, result.status);
  }
  if (!json)
    throw new UnexpectedResponseError(
      registrationEndpoint,
      result.status,
      'registration response is not a JSON object',
    );
  if (typeof json.client_id !== 'string' || json.client_id === '') {
    throw new UnexpectedResponseError(registrationEndpoint, result.status, 'registration response has no "client_id"');
  }
  if (json.client_secret !== undefined && typeof json.client_secret !== 'string') {
    throw new UnexpectedResponseError(registrationEndpoint, result.status, '"client_secret" must be a string');
  }
  return json as unknown as RegistrationResponse;
}

/**
 * How to authenticate as a registered client: the method the server registered when it gave one,
 * else the one requested; `none` when no secret was issued.
 */
export function clientAuthenticationFromRegistration(
  registration: RegistrationResponse,
  requested?: RegistrationRequest,
): ClientAuthentication {
  const secret = registration.client_secret || undefined;
  const registered = registration.token_endpoint_auth_method ?? requested?.token_endpoint_auth_method;
  const authMethod: ClientAuthMethod = !secret
    ? 'none'
    : isClientAuthMethod(registered) && registered !== 'none'
      ? registered
      : 'client_secret_basic';
  return { clientId: registration.client_id, ...(secret && { clientSecret: secret }), authMethod };
}

/** True when the issued secret has expired (RFC 7591 §3.2.1); register again then. */
export function registrationExpired(registration: RegistrationResponse, now: number = Date.now()): boolean {
  const expiresAt = registration.client_secret_expires_at;
  return typeof expiresAt === 'number' && expiresAt > 0 && expiresAt * 1000 <= now;
}

export interface DiscoverAndRegisterOptions extends AuthorizationDiscoveryOptions {
  readonly redirectURI: string;
  readonly clientName: string;
  readonly initialAccessToken?: string;
  readonly scope?: string;
}

export interface DiscoveredRegistration {
  readonly discovery: AuthorizationDiscovery;
  readonly request: RegistrationRequest;
  readonly registration: RegistrationResponse;
  readonly client: ClientAuthentication;
}

/**
 * The whole registration for an MCP server: discovery (RFC 9728 → RFC 8414), the default request,
 * and registration at the discovered authorization server. The result says which issuer the client
 * belongs to, so the caller can store it bound to that issuer.
 */
export async function discoverAndRegisterClient(
  serverURL: string | URL,
  options: DiscoverAndRegisterOptions,
): Promise<DiscoveredRegistration> {
  const discovery = await discoverAuthorization(serverURL, options);
  const endpoint = getRegistrationEndpoint(discovery.authorizationServer);
  const request = defaultRegistrationRequest(
    options.redirectURI,
    options.clientName,
    discovery.authorizationServer,
    options.scope,
  );
  const registration = await registerClient(endpoint, request, options);
  return { discovery, request, registration, client: clientAuthenticationFromRegistration(registration, request) };
}
