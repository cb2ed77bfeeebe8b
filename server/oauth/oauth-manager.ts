import type { LookupFunction } from 'node:net';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/schema.js';
import type { CircuitBreakerOptions, ClientAuthHooks, FetchLike } from '../outbound/index.js';
import type { RecordStore, Store } from '../store/index.js';
import {
  buildAuthorizationURL,
  generateState,
  requiresIssuerParameter,
  selectResource,
  selectScope,
  unionScopes,
  validateAuthorizationResponse,
} from './authorization-request.js';
import { authorizedFetch, type AuthorizationHint } from './authorized-fetch.js';
import { ClientRejectedError, MixUpError, ServerChangedError, UnknownStateError } from './callback-errors.js';
import { ClientIdentities, ISSUER_PARAMETER } from './client-identities.js';
import { AddressGuard, addressPolicyFor, assertEndpointsAllowed } from './address-policy.js';
import { DiscoveryCache } from './discovery-cache.js';
import { PendingFlows } from './pending-flows.js';
import { AuthorizationResponseError, OAuthTokenError } from './errors.js';
import type { HttpOptions } from './http.js';
import { withOriginBreakers } from './origin-breakers.js';
import { assertS256Supported, generatePKCE } from './pkce.js';
import { OAUTH_SESSION_TTL_MS, sessionKey, type OAuthSession, type StoredClient } from './records.js';
import { exchangeAuthorizationCode, grantRevocation, revokeToken } from './token-endpoint.js';
import { TokenVault } from './token-vault.js';

export type ConnectionStatus = 'connected' | 'disconnected';

/** Users × servers whose last challenge is kept; the least recently challenged go first. */
const MAX_CHALLENGES = 10_000;
const challengeKey = (userId: string, serverName: string): string => `${userId}\n${serverName}`;

export interface OAuthManagerOptions {
  readonly store: Store;
  /** Where the browser reaches the plugin, e.g. `https://mm.example.com/plugins/mattermost-mcp`. */
  readonly publicBaseURL: string;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  /** Time limit of each request to an authorization server, in milliseconds (default 10 s). */
  readonly timeoutMs?: number;
  /** The circuit breaker per authorization server origin (thresholds, cooldowns); its clock is `now`. */
  readonly circuitBreaker?: Omit<CircuitBreakerOptions, 'now'>;
  /** RFC 7591 `client_name`. */
  readonly clientName?: string;
  /** The client's metadata document URL (SEP-991), for authorization servers that accept one as client_id. */
  readonly clientMetadataURL?: string;
  /** See `ClientIdentitiesOptions.soleAuthorizationServer`: whether the metadata document may be used without `iss`. */
  readonly soleAuthorizationServer?: () => boolean;
  /**
   * `start-url` (default): Connect URLs point at the plugin's start route, which begins a flow only
   * when the user clicks. `direct`: the provider's authorization URL, begun at once (command-line use).
   */
  readonly connectURLMode?: 'start-url' | 'direct';
  readonly now?: () => number;
  /** Name resolution for OAuth requests (default: the system's); the address policy judges what it answers. */
  readonly lookup?: LookupFunction;
  readonly onConnectionChange?: (userId: string, serverName: string, status: ConnectionStatus) => void;
  readonly onRefresh?: (outcome: 'refreshed' | 'invalid_grant' | 'failed') => void;
}

/**
 * Per-user, per-server OAuth 2.1 for MCP servers (the Go plugin's `OAuthManager`): discovery
 * (RFC 9728, RFC 8414/OIDC), client identity (pre-registered or RFC 7591), PKCE S256, RFC 8707
 * `resource`, single-use state bound to the user, token storage and refresh.
 */
export class OAuthManager implements ClientAuthHooks {
  readonly callbackURL: string;
  readonly clientMetadataURL: string | undefined;
  private readonly sessions: RecordStore<OAuthSession>;
  private readonly flows: PendingFlows;
  private readonly outbound: AddressGuard;
  /**
   * Each user's last challenge per server (its scope and metadata URL): the start route takes them from here, never
   * from its query.
   */
  private readonly challenges = new Map<string, AuthorizationHint>();
  private readonly identities: ClientIdentities;
  private readonly vault: TokenVault;
  private readonly discovery: DiscoveryCache;
  private readonly http: HttpOptions;

  constructor(private readonly options: OAuthManagerOptions) {
    const base = options.publicBaseURL.replace(/\/+$/, '');
    this.callbackURL = `${base}/oauth/callback`;
    this.clientMetadataURL = options.clientMetadataURL;
    // One circuit breaker per origin for every user: a dead authorization server is not asked once per user and
    // request.
    // URLs from remote documents reach public addresses only (loopback only for a loopback MCP server).
    this.outbound = new AddressGuard(options.fetch ?? ((input, init) => globalThis.fetch(input, init)), {
      ...(options.lookup && { lookup: options.lookup }),
    });
    const guarded = withOriginBreakers(this.outbound.fetch, {
      ...options.circuitBreaker,
      ...(options.now && { now: options.now }),
    });
    this.http = { fetch: guarded, ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) };
    this.sessions = options.store.records<OAuthSession>('oauth-state');
    this.flows = new PendingFlows(this.sessions, options.store.records('oauth-state'), () => this.now());
    this.identities = new ClientIdentities({
      clients: options.store.records<StoredClient>('clients'),
      redirectURI: this.callbackURL,
      clientName: options.clientName ?? 'Mattermost MCP',
      ...(options.clientMetadataURL && { clientMetadataURL: options.clientMetadataURL }),
      ...(options.soleAuthorizationServer && { soleAuthorizationServer: options.soleAuthorizationServer }),
      logger: options.logger,
      http: this.http,
      now: options.now,
    });
    this.vault = new TokenVault({
      store: options.store,
      identities: this.identities,
      logger: options.logger,
      http: this.http,
      now: options.now,
      onRefresh: options.onRefresh,
      // Disconnected through another replica: this one's connections go too, and the user sees Connect again.
      onTokensGone: (userId, serverName) => options.onConnectionChange?.(userId, serverName, 'disconnected'),
    });
    this.discovery = new DiscoveryCache(this.http, options.now);
  }

  /** The plugin route that begins a flow when the user opens it (the Go plugin's start URL). */
  startURL(serverName: string): string {
    return new URL(
      `${this.options.publicBaseURL.replace(/\/+$/, '')}/mcp/oauth/${encodeURIComponent(serverName)}/start`,
    ).href;
  }

  /** The scope and metadata URL of the last challenge the server sent this user, if this sidecar still knows it. */
  challengeFor(userId: string, serverName: string): AuthorizationHint | undefined {
    return this.challenges.get(challengeKey(userId, serverName));
  }

  /** Entries in the in-memory caches whose keys come from outside (for the caps' specs and metrics). */
  stats(): { discoveries: number; challenges: number } {
    return { discoveries: this.discovery.size, challenges: this.challenges.size };
  }

  private rememberChallenge(userId: string, serverName: string, hint: AuthorizationHint): void {
    const key = challengeKey(userId, serverName);
    this.challenges.delete(key);
    this.challenges.set(key, hint);
    for (const oldest of this.challenges.keys()) {
      if (this.challenges.size <= MAX_CHALLENGES) break;
      this.challenges.delete(oldest);
    }
  }

  fetchFor(userId: string, server: ServerConfig, base: FetchLike): FetchLike {
    const authorized = authorizedFetch(base, {
      userId,
      server,
      vault: this.vault,
      connectURL: async (hint) => {
        this.rememberChallenge(userId, server.name, hint);
        return this.options.connectURLMode === 'direct'
          ? this.beginAuthorization(userId, server, hint)
          : this.startURL(server.name);
      },
    });
    return (url, init) => this.outbound.run(server, () => authorized(url, init));
  }

  /**
   * Starts a flow for the user and returns the authorization server URL to send the browser to. The hint is the
   * server's own challenge (by default the last one it sent this user), never anything a link carried.
   */
  beginAuthorization(
    userId: string,
    server: ServerConfig,
    hint: AuthorizationHint = this.challengeFor(userId, server.name) ?? {},
  ): Promise<string> {
    return this.outbound.run(server, () => this.begin(userId, server, hint));
  }

  private async begin(userId: string, server: ServerConfig, hint: AuthorizationHint): Promise<string> {
    const pinned = server.oauth?.issuer ? { serverName: server.name, issuer: server.oauth.issuer } : undefined;
    const found = await this.discovery.get({
      serverURL: server.baseURL,
      ...(hint.resourceMetadataURL && { resourceMetadataURL: hint.resourceMetadataURL }),
      ...(pinned && { pinnedIssuer: pinned }),
    });
    const as = found.authorizationServer;
    assertEndpointsAllowed(as, addressPolicyFor(server));
    // MCP 2025-03-26 default endpoints advertise nothing, PKCE included: S256 is still sent.
    assertS256Supported(as, {
      allowMissingS256: server.oauth?.allowMissingS256 || found.source === 'legacy-default-endpoints',
    });
    let scope = selectScope({
      challengeScope: hint.scope,
      scopesSupported: found.resourceMetadata?.scopes_supported,
      configuredScopes: server.oauth?.scopes,
    });
    // SEP-2207: ask for a refresh token when the authorization server offers offline_access.
    if (scope && as.scopes_supported?.includes('offline_access')) scope = unionScopes(scope, 'offline_access');
    const client = await this.identities.resolve(server, found.issuer, as, scope);
    const redirectURI = this.identities.redirectURIFor(server, found.issuer, client);
    const resource =
      found.resourceMetadata || server.oauth?.resource
        ? selectResource(server.baseURL, found.resourceMetadata, server.oauth ?? {})
        : undefined;
    const pkce = generatePKCE();
    const session: OAuthSession = {
      state: generateState(),
      userId,
      serverName: server.name,
      serverURL: server.baseURL,
      issuer: found.issuer,
      tokenEndpoint: as.token_endpoint,
      ...(as.revocation_endpoint && { revocationEndpoint: as.revocation_endpoint }),
      clientId: client.clientId,
      authMethod: client.authMethod,
      redirectURI,
      codeVerifier: pkce.codeVerifier,
      ...(resource && { resource }),
      ...(scope && { scope }),
      requireIssuer: requiresIssuerParameter(as),
      createdAt: this.now(),
    };
    await this.flows.add(session);
    this.options.logger.info({ userId, server: server.name, issuer: found.issuer }, 'OAuth authorization started');
    return buildAuthorizationURL({
      authorizationEndpoint: as.authorization_endpoint,
      clientId: client.clientId,
      redirectURI,
      state: session.state,
      codeChallenge: pkce.codeChallenge,
      ...(scope && { scope }),
      ...(resource && { resource }),
      ...(server.oauth?.audience && { audience: server.oauth.audience }),
      // OpenID Connect §11: a refresh token for offline_access needs the consent prompt.
      ...(scope?.split(' ').includes('offline_access') && { extraParams: { prompt: 'consent' } }),
    }).href;
  }

  /**
   * Finishes the flow from the redirect's query: takes the state (single-use, this user's only),
   * checks it, exchanges the code and stores the tokens. Returns the server the user connected.
   */
  async completeAuthorization(
    userId: string,
    params: URLSearchParams,
    serverNamed: (name: string) => ServerConfig | undefined,
  ): Promise<{ serverName: string }> {
    const state = params.get('state');
    const session = state ? await this.sessions.take(sessionKey(userId, state)) : undefined;
    if (!session || session.userId !== userId || this.now() - session.createdAt > OAUTH_SESSION_TTL_MS)
      throw new UnknownStateError();
    const server = serverNamed(session.serverName);
    if (!server || server.baseURL !== session.serverURL) throw new ServerChangedError(session.serverName);
    // Mix-up: the answer came back on another issuer's redirect URI (or on the shared one for a flow that has its own).
    if (params.get(ISSUER_PARAMETER) !== new URL(session.redirectURI).searchParams.get(ISSUER_PARAMETER))
      throw new MixUpError(server.name);
    const clientRefused = async (error: OAuthTokenError | AuthorizationResponseError): Promise<never> => {
      const { error: refused } = error.oauthError;
      if (refused !== 'invalid_client' && refused !== 'unauthorized_client') throw error;
      const dropped = await this.identities.rejected(server, session.issuer, session.clientId);
      throw new ClientRejectedError(server.name, {
        cause: error,
        preRegistered: !dropped && server.oauth?.clientId === session.clientId,
      });
    };
    let code: string;
    try {
      ({ code } = validateAuthorizationResponse(params, {
        state: session.state,
        issuer: session.issuer,
        requireIssuer: session.requireIssuer,
      }));
    } catch (error) {
      if (error instanceof AuthorizationResponseError) await clientRefused(error);
      throw error;
    }
    const client = await this.identities.known(server, session.issuer, session.clientId, session.authMethod);
    if (!client) throw new ClientRejectedError(server.name);
    let tokens;
    try {
      tokens = await this.outbound.run(server, () =>
        exchangeAuthorizationCode(
          session.tokenEndpoint,
          client,
          {
            code,
            codeVerifier: session.codeVerifier,
            redirectURI: session.redirectURI,
            ...(session.resource && { resource: session.resource }),
          },
          { ...this.http, now: () => this.now() },
        ),
      );
    } catch (error) {
      if (error instanceof OAuthTokenError) await clientRefused(error);
      throw error;
    }
    await this.vault.save(userId, server.name, {
      tokens: tokens.scope === undefined && session.scope ? { ...tokens, scope: session.scope } : tokens,
      serverURL: server.baseURL,
      issuer: session.issuer,
      clientId: client.clientId,
      authMethod: client.authMethod,
      tokenEndpoint: session.tokenEndpoint,
      ...(session.revocationEndpoint && { revocationEndpoint: session.revocationEndpoint }),
      ...(session.resource && { resource: session.resource }),
      savedAt: this.now(),
    });
    this.options.logger.info({ userId, server: server.name }, 'OAuth connection completed');
    this.options.onConnectionChange?.(userId, server.name, 'connected');
    return { serverName: server.name };
  }

  async hasTokens(userId: string, serverName: string): Promise<boolean> {
    return (await this.vault.get(userId, serverName)) !== undefined;
  }

  /** Revokes the refresh token at the authorization server when it offers RFC 7009, then forgets the tokens. */
  async disconnect(userId: string, server: ServerConfig): Promise<{ revoked: boolean }> {
    const stored = await this.vault.get(userId, server.name, { fresh: true });
    let revoked = false;
    if (stored?.revocationEndpoint) {
      const client = await this.identities.known(server, stored.issuer, stored.clientId, stored.authMethod);
      if (client) {
        try {
          await this.outbound.run(server, () =>
            revokeToken(stored.revocationEndpoint!, client, grantRevocation(stored.tokens), this.http),
          );
          revoked = true;
        } catch (error) {
          this.options.logger.warn(
            { userId, server: server.name, reason: error instanceof Error ? error.message : String(error) },
            'token revocation failed; forgetting the tokens anyway',
          );
        }
      }
    }
    await this.vault.delete(userId, server.name);
    if (stored) this.options.onConnectionChange?.(userId, server.name, 'disconnected');
    return { revoked };
  }

  /**
   * Disconnects the user from every one of `servers` (a deactivated user); fails with the first failure, after trying
   * all.
   */
  async disconnectAll(userId: string, servers: readonly ServerConfig[]): Promise<void> {
    const outcomes = await Promise.allSettled(servers.map((server) => this.disconnect(userId, server)));
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Decrypted tokens held in memory (all users', or one user's): they leave it once unused for a while. */
  tokensInMemory(userId?: string): number {
    return this.vault.tokensInMemory(userId);
  }

  /**
   * Stops token refreshes and waits (bounded) for those under way, so their rotated tokens reach the store before it
   * closes. The outbound connections close once no refresh is under way: one that outlasted the wait still needs them
   * to get its answer and revoke what it brings.
   */
  async close(options?: { waitMs?: number }): Promise<void> {
    await this.vault.close(options);
    const underWay = this.vault.settled();
    if (underWay) void underWay.then(() => this.outbound.close());
    else await this.outbound.close();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
