/** What the OAuth layer keeps in the store, and under which keys. */
import type { RegistrationResponse } from './registration.js';
import type { ClientAuthentication, TokenSet } from './token-endpoint.js';

/** A pending authorization request (the Go plugin's `OAuthSession`): single-use, expires after 10 minutes. */
export interface OAuthSession {
  readonly state: string;
  readonly userId: string;
  readonly serverName: string;
  readonly serverURL: string;
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly revocationEndpoint?: string;
  readonly clientId: string;
  readonly authMethod: ClientAuthentication['authMethod'];
  readonly redirectURI: string;
  readonly codeVerifier: string;
  readonly resource?: string;
  readonly scope?: string;
  /** RFC 9207: the authorization server promised an `iss` parameter on the redirect. */
  readonly requireIssuer: boolean;
  readonly createdAt: number;
}

/** A user's tokens for one server, bound to the issuer, client and resource they were issued for. */
export interface StoredTokens {
  readonly tokens: TokenSet;
  readonly serverURL: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly authMethod: ClientAuthentication['authMethod'];
  readonly tokenEndpoint: string;
  readonly revocationEndpoint?: string;
  readonly resource?: string;
  readonly savedAt: number;
}

/** A dynamically registered client (RFC 7591), per server and issuer. */
export interface StoredClient {
  readonly serverName: string;
  readonly issuer: string;
  readonly redirectURI: string;
  readonly registration: RegistrationResponse;
  readonly client: ClientAuthentication;
  readonly registeredAt: number;
}

export const OAUTH_SESSION_TTL_MS = 10 * 60_000;

const part = (value: string): string => encodeURIComponent(value);

/** Keyed by user as well as state: a state finished by another user is simply unknown to them. */
export const sessionKey = (userId: string, state: string): string => `${part(userId)}:${part(state)}`;
export const tokensKey = (userId: string, serverName: string): string => `${part(userId)}:${part(serverName)}`;
export const clientKey = (serverName: string, issuer: string): string => `${part(serverName)}:${part(issuer)}`;
export const refreshLeaseKey = (userId: string, serverName: string): string =>
  `refresh:${tokensKey(userId, serverName)}`;
