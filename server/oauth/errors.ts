import { PluginError } from '../errors/plugin-error.js';

/**
 * Errors of the OAuth layer. Each has a stable `code` a caller can switch on and fields that say
 * what went wrong; messages say what to do. Protocol errors (`RegistrationError`, `OAuthTokenError`,
 * `AuthorizationResponseError`) carry the authorization server's error response in `oauthError`.
 * Messages never contain tokens, secrets or authorization codes.
 */
export abstract class OAuthError extends PluginError {}

/**
 * An error response as an authorization server sent it: RFC 6749 §4.1.2.1 (the redirect) and §5.2 (the token
 * endpoint), RFC 7009 §2.2.1 (revocation), RFC 7591 §3.2.2 (registration).
 */
export interface OAuthErrorResponse<E extends string = string> {
  /** The `error` value, e.g. `invalid_grant`. */
  readonly error: E;
  /** `error_description`, or a bounded snippet of a body that was not an error response. */
  readonly errorDescription?: string;
  /** `error_uri`. */
  readonly errorURI?: string;
}

function errorResponse<E extends string>(
  error: E,
  errorDescription?: string,
  errorURI?: string,
): OAuthErrorResponse<E> {
  return {
    error,
    ...(errorDescription !== undefined && { errorDescription }),
    ...(errorURI !== undefined && { errorURI }),
  };
}

/** The user has to authorize the plugin at `authURL` before the server can be used on their behalf. */
export class OAuthNeededError extends OAuthError {
  readonly code = 'ERR_OAUTH_NEEDED';
  readonly category = 'forbidden';
  constructor(
    readonly serverName: string,
    /** Where to send the user's browser (the plugin's start URL or the provider's authorization URL). */
    readonly authURL: string,
    options?: { cause?: unknown },
  ) {
    super(`Connect your account to ${serverName}`, options);
  }
}

/** A `WWW-Authenticate` value longer than the parser accepts; it is not parsed at all. */
export class ChallengeTooLongError extends OAuthError {
  readonly code = 'ERR_OAUTH_CHALLENGE_TOO_LONG';
  readonly category = 'upstream';
  constructor(
    readonly length: number,
    readonly limit: number,
  ) {
    super(`WWW-Authenticate header is ${length} characters long; at most ${limit} are accepted.`);
  }
}

/** A URL the flow would send credentials or users to is not HTTPS (plain HTTP is allowed on loopback only). */
export class InsecureURLError extends OAuthError {
  readonly code = 'ERR_OAUTH_INSECURE_URL';
  readonly category = 'upstream';
  constructor(
    readonly field: string,
    readonly url: string,
  ) {
    super(
      `${field} must be an https URL (http only on loopback addresses); got ${describeURL(url)}. Ask the server's operator to serve it over HTTPS.`,
    );
  }
}

export type MetadataKind = 'protected-resource' | 'authorization-server';

/** One well-known URL that was tried and how it answered. */
export interface MetadataAttempt {
  readonly url: string;
  readonly status: number;
}

/** No candidate URL served the metadata document (every one answered 4xx or 502). */
export class MetadataNotFoundError extends OAuthError {
  readonly code = 'ERR_OAUTH_METADATA_NOT_FOUND';
  readonly category = 'upstream';
  constructor(
    readonly kind: MetadataKind,
    readonly attempts: readonly MetadataAttempt[],
  ) {
    const tried = attempts.map((a) => `${a.url} (HTTP ${a.status})`).join(', ');
    super(
      `No OAuth ${kind} metadata found; tried ${tried || 'nothing'}. Check the server URL or configure the OAuth endpoints.`,
    );
  }
}

/** A metadata document was found but breaks its RFC (a required field missing or of the wrong type). */
export class InvalidMetadataError extends OAuthError {
  readonly code = 'ERR_OAUTH_INVALID_METADATA';
  readonly category = 'upstream';
  constructor(
    readonly kind: MetadataKind,
    readonly url: string,
    readonly reason: string,
  ) {
    super(`The OAuth ${kind} metadata at ${describeURL(url)} is invalid: ${reason}.`);
  }
}

/** RFC 9728 §3.3: the protected resource metadata describes another resource than the MCP server. */
export class ResourceMismatchError extends OAuthError {
  readonly code = 'ERR_OAUTH_RESOURCE_MISMATCH';
  readonly category = 'upstream';
  constructor(
    readonly resource: string,
    readonly serverURL: string,
  ) {
    super(
      `The protected resource metadata names resource ${describeURL(resource)}, which does not cover the MCP server ${describeURL(serverURL)}; refusing to send tokens for it. Check the server URL.`,
    );
  }
}

/** RFC 8414 §3.3 / RFC 9207: the issuer named by a document or redirect is not the one expected. */
export class IssuerMismatchError extends OAuthError {
  readonly code = 'ERR_OAUTH_ISSUER_MISMATCH';
  readonly category = 'upstream';
  constructor(
    readonly expected: string,
    readonly actual: string,
    readonly url?: string,
  ) {
    super(
      `Authorization server issuer mismatch: expected ${describeURL(expected)}, got ${describeURL(actual)}${url ? ` (from ${describeURL(url)})` : ''}; refusing to use it.`,
    );
  }
}

/** The authorization server does not advertise PKCE with S256 (MCP authorization, OAuth 2.1 §7.5.2). */
export class PKCENotSupportedError extends OAuthError {
  readonly code = 'ERR_OAUTH_PKCE_S256_UNSUPPORTED';
  readonly category = 'upstream';
  constructor(
    readonly issuer: string,
    readonly methods: readonly string[] | undefined,
  ) {
    super(
      methods
        ? `Authorization server ${describeURL(issuer)} does not support PKCE with S256 (it offers ${methods.join(', ') || 'none'}); it cannot be used.`
        : `Authorization server ${describeURL(issuer)} does not advertise PKCE support (no code_challenge_methods_supported); allow missing S256 for this server only if you trust it.`,
    );
  }
}

/** The authorization server offers no dynamic client registration (RFC 7591). */
export class RegistrationNotSupportedError extends OAuthError {
  readonly code = 'ERR_OAUTH_REGISTRATION_UNSUPPORTED';
  readonly category = 'upstream';
  constructor(readonly issuer: string) {
    super(
      `Authorization server ${describeURL(issuer)} does not support dynamic client registration; configure a pre-registered client ID for this server.`,
    );
  }
}

/** RFC 7591 §3.2.2 error codes, plus `unknown_error` for answers that are not an RFC 7591 error body. */
export type RegistrationErrorCode =
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'invalid_software_statement'
  | 'unapproved_software_statement'
  | 'unknown_error'
  | (string & {});

/** The registration endpoint refused the client (RFC 7591 §3.2.2). */
export class RegistrationError extends OAuthError {
  readonly code = 'ERR_OAUTH_REGISTRATION_REFUSED';
  readonly category = 'upstream';
  /** The RFC 7591 error response (`errorDescription`: or a bounded snippet of a body that was not one). */
  readonly oauthError: OAuthErrorResponse<RegistrationErrorCode>;
  constructor(
    error: RegistrationErrorCode,
    errorDescription: string | undefined,
    /** HTTP status of the answer; undefined when the request was refused before it was sent. */
    readonly status: number | undefined,
  ) {
    super(
      `Client registration failed: ${error}${errorDescription ? ` (${errorDescription})` : ''}${status ? ` [HTTP ${status}]` : ''}.`,
    );
    this.oauthError = errorResponse(error, errorDescription);
  }
}

/** RFC 6749 §5.2, RFC 8707 §2 and RFC 7009 §2.2.1 error codes, plus `unknown_error` for non-OAuth answers. */
export type TokenErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_token_type'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'unknown_error'
  | (string & {});

/** The token or revocation endpoint answered with an error. `invalid_grant` means: authorize again. */
export class OAuthTokenError extends OAuthError {
  readonly code = 'ERR_OAUTH_TOKEN_REFUSED';
  readonly category = 'upstream';
  /** The RFC 6749 §5.2 error response (`error` is `unknown_error` for an answer that is not one). */
  readonly oauthError: OAuthErrorResponse<TokenErrorCode>;
  constructor(
    error: TokenErrorCode,
    errorDescription: string | undefined,
    readonly status: number,
    errorURI?: string,
  ) {
    super(
      `The authorization server refused the token request: ${error}${errorDescription ? ` (${errorDescription})` : ''} [HTTP ${status}].`,
    );
    this.oauthError = errorResponse(error, errorDescription, errorURI);
  }
}

/** RFC 6749 §4.1.2.1: the authorization server redirected back with an error instead of a code. */
export class AuthorizationResponseError extends OAuthError {
  readonly code = 'ERR_OAUTH_AUTHORIZATION_REFUSED';
  // The redirect is the callback's request: what it carries is the request's content.
  readonly category = 'invalid_input';
  /** The RFC 6749 §4.1.2.1 error response, e.g. `access_denied`. */
  readonly oauthError: OAuthErrorResponse;
  constructor(error: string, errorDescription: string | undefined, errorURI?: string) {
    super(`Authorization was not granted: ${error}${errorDescription ? ` (${errorDescription})` : ''}.`);
    this.oauthError = errorResponse(error, errorDescription, errorURI);
  }
}

/** The `state` of a redirect is not the one this flow sent (RFC 6749 §10.12): start the flow again. */
export class StateMismatchError extends OAuthError {
  readonly code = 'ERR_OAUTH_STATE_MISMATCH';
  readonly category = 'invalid_input';
  constructor() {
    super('The authorization response does not belong to this request (state mismatch); start the connection again.');
  }
}

/** A response that no RFC allows: a redirect on a POST, a body too large, a success without its required fields. */
export class UnexpectedResponseError extends OAuthError {
  readonly code = 'ERR_OAUTH_UNEXPECTED_RESPONSE';
  readonly category = 'upstream';
  constructor(
    readonly url: string,
    readonly status: number | undefined,
    readonly reason: string,
  ) {
    super(`Unexpected answer from ${describeURL(url)}${status ? ` (HTTP ${status})` : ''}: ${reason}.`);
  }
}

/** The request did not get an answer: connection refused, DNS failure, TLS error or timeout. */
export class OAuthNetworkError extends OAuthError {
  readonly code = 'ERR_OAUTH_NETWORK';
  readonly category = 'upstream';
  constructor(
    readonly url: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      timedOut
        ? `No answer from ${describeURL(url)} in time; try again later.`
        : `Could not reach ${describeURL(url)}; check that the server is running and reachable.`,
      options,
    );
  }
}

/** The authorization server failed its last requests (from any user): it is not contacted again until `retryAt`. */
export class AuthorizationServerUnavailableError extends OAuthError {
  readonly code = 'ERR_OAUTH_SERVER_UNAVAILABLE';
  readonly category = 'unavailable';
  constructor(
    readonly origin: string,
    reason: string,
    readonly retryAt: number,
    now: number,
    options?: { cause?: unknown },
  ) {
    const seconds = Math.max(0, Math.ceil((retryAt - now) / 1000));
    super(
      `The authorization server ${origin} is not answering (${reason}); ${seconds > 0 ? `the plugin tries it again in ${seconds} s` : 'the plugin tries it again on the next request'}. Try again later.`,
      options,
    );
  }
}

/** Another holder of the refresh lease (a replica) is still refreshing the same tokens after the wait. */
export class RefreshInProgressError extends OAuthError {
  readonly code = 'ERR_OAUTH_REFRESH_IN_PROGRESS';
  readonly category = 'upstream';
  constructor(readonly serverName: string) {
    super(`Another refresh of the connection to ${serverName} is still under way.`);
  }
}

/** The sidecar is shutting down: it starts no token refresh, so an expired token cannot be renewed now. */
export class ShuttingDownError extends OAuthError {
  readonly code = 'ERR_OAUTH_SHUTTING_DOWN';
  readonly category = 'upstream';
  constructor(readonly serverName: string) {
    super(`The connection to ${serverName} cannot be renewed while the plugin shuts down; try again in a moment.`);
  }
}

/**
 * The user's stored connection to a server could not be used right now: its refresh failed at an unavailable
 * authorization server, or the store could not be read. Nothing is forgotten; the next attempt may work.
 */
export class TokenUnavailableError extends OAuthError {
  readonly code = 'ERR_OAUTH_TOKEN_UNAVAILABLE';
  readonly category = 'unavailable';
  constructor(
    readonly serverName: string,
    cause: unknown,
  ) {
    const code = cause instanceof PluginError ? cause.code : undefined;
    super(
      code?.startsWith('ERR_STORE')
        ? `Server ${serverName}: your connection could not be read because the plugin's storage is unavailable. Nothing was lost; try again in a minute.`
        : code === 'ERR_OAUTH_REFRESH_IN_PROGRESS' || code === 'ERR_OAUTH_SHUTTING_DOWN'
          ? `Server ${serverName}: your connection is being renewed right now; try again in a moment.`
          : `Server ${serverName}: your connection could not be renewed because the authorization server did not answer (${cause instanceof Error ? cause.message : String(cause)}). You stay connected; try again in a minute.`,
      { cause },
    );
  }
}

/** A URL for messages: origin and path only, so query strings (codes, tokens) never reach a log. */
export function describeURL(value: string): string {
  try {
    const url = new URL(value);
    return `${url.origin}${url.pathname}`;
  } catch {
    return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  }
}

/**
 * A server whose authorization server is configured (`oauth.issuer`, required with a pre-registered `clientId`) led
 * discovery to another one: no credentials, codes or tokens are sent there.
 */
export class PinnedIssuerError extends OAuthError {
  readonly code = 'ERR_OAUTH_ISSUER_NOT_CONFIGURED';
  readonly category = 'upstream';
  constructor(
    readonly serverName: string,
    readonly configured: string,
    readonly discovered: readonly string[],
  ) {
    super(
      `Server ${serverName}: its OAuth settings name the authorization server ${describeURL(configured)}, but the server names ${discovered.map(describeURL).join(', ') || 'another one'}; no credentials, codes or tokens are sent there. A system admin must check the server's OAuth issuer and client ID.`,
    );
  }
}

/**
 * A URL taken from a remote document (metadata, a redirect) leads to an address OAuth requests may not reach:
 * private, link-local, loopback (unless the MCP server is on loopback) or otherwise special. Nothing is sent.
 */
export class AddressNotAllowedError extends OAuthError {
  readonly code = 'ERR_OAUTH_ADDRESS_NOT_ALLOWED';
  readonly category = 'upstream';
  constructor(
    readonly url: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(
      `${describeURL(url)} leads to ${address} (${range}), an address that URLs taken from a server's metadata may not reach. If it is this server's own authorization server on your network, a system admin can set it as the server's OAuth issuer.`,
    );
  }
}
