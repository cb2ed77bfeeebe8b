/**
 * A real OAuth 2.1 / OpenID authorization server for tests: oidc-provider on 127.0.0.1:0 with open
 * dynamic registration, PKCE S256 required for every client, RFC 8707 resource indicators issuing
 * JWT access tokens whose `aud` is the resource, refresh tokens for code grants, RFC 7009
 * revocation, and the development login/consent pages a `BrowserUser` can fill in.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { exportJWK, generateKeyPair } from 'jose';
import type { ClientLike, Provider } from 'oidc-provider';

export interface AuthorizationServerOptions {
  /** Access token lifetime in seconds (default 300). */
  readonly accessTokenTTL?: number;
  /** Scopes any resource may be granted (default `mcp:tools mcp:admin`). */
  readonly resourceScopes?: readonly string[];
  /** Issue a new refresh token on every refresh, as strict servers do (default true). */
  readonly rotateRefreshTokens?: boolean;
  /** Mount the provider under this path: the issuer becomes `http://127.0.0.1:<port><pathPrefix>`. */
  readonly pathPrefix?: string;
  /** Require this RFC 7591 initial access token for registration (default: open registration). */
  readonly initialAccessToken?: string;
  /** Serves the provider through this (e.g. behind test faults) instead of directly. */
  readonly serveThrough?: (provider: RequestListener) => RequestListener;
}

export interface TestAuthorizationServer {
  readonly issuer: string;
  readonly jwksURL: string;
  readonly registrationEndpoint: string;
  readonly provider: Provider;
  /** How many token-endpoint requests arrived, for one grant type or all. */
  tokenRequests(grantType?: string): number;
  /** Sets the lifetime of access tokens issued from now on (code and refresh grants), in seconds. */
  setAccessTokenTTL(seconds: number): void;
  /** Revokes every grant of `accountId` (its access and refresh tokens); returns how many. */
  revokeGrants(accountId: string): Promise<number>;
  /** Deletes a registered client from the provider's store, as an authorization server that lost or expired it does. */
  forgetClient(clientId: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startAuthorizationServer(
  options: AuthorizationServerOptions = {},
): Promise<TestAuthorizationServer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const prefix = options.pathPrefix?.replace(/\/+$/, '') ?? '';
  const issuer = `http://127.0.0.1:${port}${prefix}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };
  const resourceScope = (options.resourceScopes ?? ['mcp:tools', 'mcp:admin']).join(' ');
  let accessTokenTTL = options.accessTokenTTL ?? 300;

  const { Provider, errors } = await quietly(() => import('oidc-provider'));
  const provider = await quietly(
    async () =>
      new Provider(issuer, {
        clients: [],
        jwks: { keys: [signingKey] },
        cookies: { keys: [randomBytes(32).toString('hex')] },
        findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
        features: {
          devInteractions: { enabled: true },
          registration: { enabled: true, initialAccessToken: options.initialAccessToken ?? false },
          revocation: {
            enabled: true,
            allowedPolicy: (_ctx: unknown, client: ClientLike, token: { clientId: string }) =>
              token.clientId === client.clientId,
          },
          resourceIndicators: {
            enabled: true,
            defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string[]) => oneOf,
            getResourceServerInfo: (_ctx: unknown, resource: string) => {
              if (!/^https?:\/\//.test(resource)) throw new errors.InvalidTarget('resource must be an http(s) URL');
              return {
                audience: resource,
                scope: resourceScope,
                accessTokenTTL,
                accessTokenFormat: 'jwt',
                jwt: { sign: { alg: 'RS256' } },
              };
            },
          },
        },
        pkce: { required: () => true },
        // The default issues refresh tokens only for `offline_access`; MCP clients rarely ask for it.
        issueRefreshToken: (_ctx: unknown, client: ClientLike) => client.grantTypeAllowed('refresh_token'),
        rotateRefreshToken: options.rotateRefreshTokens ?? true,
        expiresWithSession: () => false,
        ttl: {
          AccessToken: () => accessTokenTTL, // read per token: `setAccessTokenTTL` changes it between grants
          AuthorizationCode: 60,
          ClientCredentials: 600,
          DeviceCode: 600,
          BackchannelAuthenticationRequest: 600,
          IdToken: 3600,
          RefreshToken: 24 * 3600,
          Interaction: 600,
          Session: 24 * 3600,
          Grant: 24 * 3600,
        },
        renderError: (ctx: { type: string; body: unknown }, out: Record<string, string>) => {
          ctx.type = 'json';
          ctx.body = out;
        },
      }),
  );

  const tokenRequestCounts = new Map<string, number>();
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'token') {
      const grantType = String(ctx.oidc.params?.grant_type ?? 'unknown');
      tokenRequestCounts.set(grantType, (tokenRequestCounts.get(grantType) ?? 0) + 1);
    }
  });
  const grantsByAccount = new Map<string, Set<string>>();
  provider.on('grant.saved', (grant: { accountId: string; jti: string }) => {
    const grants = grantsByAccount.get(grant.accountId) ?? new Set<string>();
    grantsByAccount.set(grant.accountId, grants.add(grant.jti));
  });

  const app = express();
  app.use(prefix || '/', provider.callback());
  server.on('request', options.serveThrough ? options.serveThrough(app) : app);

  return {
    issuer,
    jwksURL: `${issuer}/jwks`,
    registrationEndpoint: `${issuer}/reg`,
    provider,
    tokenRequests: (grantType) =>
      grantType === undefined
        ? [...tokenRequestCounts.values()].reduce((a, b) => a + b, 0)
        : (tokenRequestCounts.get(grantType) ?? 0),
    setAccessTokenTTL(seconds) {
      accessTokenTTL = seconds;
    },
    async revokeGrants(accountId) {
      const grants = [...(grantsByAccount.get(accountId) ?? [])];
      for (const grantId of grants) {
        await Promise.all(
          [provider.AccessToken, provider.RefreshToken, provider.AuthorizationCode].map((m) =>
            m.revokeByGrantId(grantId),
          ),
        );
        await provider.Grant.adapter.destroy(grantId);
      }
      grantsByAccount.delete(accountId);
      return grants.length;
    },
    forgetClient: (clientId) => provider.Client.adapter.destroy(clientId),
    stop: () => closeServer(server),
  };
}

export async function closeServer(server: Server): Promise<void> {
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await closed;
}

/** Runs `fn` without oidc-provider's start-up notices (Node 20 runtime, dev interactions) on the console. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const { warn, info } = console;
  const filter =
    (original: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider ')) return;
      original(...args);
    };
  console.warn = filter(warn);
  console.info = filter(info);
  try {
    return await fn();
  } finally {
    console.warn = warn;
    console.info = info;
  }
}
