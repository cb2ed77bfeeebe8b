import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  buildAuthorizationURL,
  generateState,
  requiresIssuerParameter,
  selectResource,
  selectScope,
  validateAuthorizationResponse,
  type ResourceIndicatorOptions,
} from '../../server/oauth/authorization-request.js';
import { discoverAuthorization, type AuthorizationDiscovery } from '../../server/oauth/discovery.js';
import { AuthorizationResponseError, OAuthTokenError, StateMismatchError } from '../../server/oauth/errors.js';
import { assertS256Supported, generatePKCE } from '../../server/oauth/pkce.js';
import {
  clientAuthenticationFromRegistration,
  defaultRegistrationRequest,
  getRegistrationEndpoint,
  registerClient,
} from '../../server/oauth/registration.js';
import {
  exchangeAuthorizationCode,
  refreshAccessToken,
  revokeToken,
  type ClientAuthentication,
  type ClientAuthMethod,
  type TokenSet,
} from '../../server/oauth/token-endpoint.js';
import { parseBearerChallenge, type BearerChallenge } from '../../server/oauth/www-authenticate.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { BrowserUser } from '../support/browser-user.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';

const REDIRECT_URI = 'http://127.0.0.1:9/plugins/mattermost-mcp/oauth/callback';
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'probe', version: '1' } },
};

let as: TestAuthorizationServer;
let mcp: ProtectedMcpServer;

beforeAll(async () => {
  as = await startAuthorizationServer({ accessTokenTTL: 120 });
  mcp = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
});

afterAll(async () => {
  await mcp?.stop();
  await as?.stop();
});

/** What the MCP server says to a request without a token. */
async function unauthenticatedChallenge(): Promise<{ status: number; challenge: BearerChallenge | undefined }> {
  const response = await fetch(mcp.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify(INITIALIZE),
  });
  await response.body?.cancel();
  return { status: response.status, challenge: parseBearerChallenge(response.headers.get('www-authenticate')) };
}

async function register(
  discovery: AuthorizationDiscovery,
  authMethod?: ClientAuthMethod,
): Promise<ClientAuthentication> {
  const request = {
    ...defaultRegistrationRequest(REDIRECT_URI, 'Mattermost MCP (test)', discovery.authorizationServer),
    ...(authMethod && { token_endpoint_auth_method: authMethod }),
  };
  const registration = await registerClient(getRegistrationEndpoint(discovery.authorizationServer), request);
  return clientAuthenticationFromRegistration(registration, request);
}

interface Connection {
  readonly discovery: AuthorizationDiscovery;
  readonly client: ClientAuthentication;
  readonly tokens: TokenSet;
  readonly resource: string | undefined;
  readonly scope: string | undefined;
}

/** The whole flow a user goes through to connect, driven by the protocol modules. */
async function connect(
  login: string,
  options: {
    authMethod?: ClientAuthMethod;
    resource?: ResourceIndicatorOptions;
    client?: ClientAuthentication;
    discovery?: AuthorizationDiscovery;
    scopeUnion?: string;
    challengeScope?: string;
    user?: BrowserUser;
    now?: () => number;
  } = {},
): Promise<Connection> {
  const { challenge } = await unauthenticatedChallenge();
  const discovery =
    options.discovery ?? (await discoverAuthorization(mcp.url, { resourceMetadataURL: challenge?.resource_metadata }));
  const as = discovery.authorizationServer;
  assertS256Supported(as);
  const client = options.client ?? (await register(discovery, options.authMethod));
  const pkce = generatePKCE();
  const state = generateState();
  const resource = selectResource(mcp.url, discovery.resourceMetadata, options.resource);
  const scope = selectScope(
    {
      challengeScope: options.challengeScope ?? challenge?.scope,
      scopesSupported: discovery.resourceMetadata?.scopes_supported,
    },
    { union: options.scopeUnion },
  );
  const authorizationURL = buildAuthorizationURL({
    authorizationEndpoint: as.authorization_endpoint,
    clientId: client.clientId,
    redirectURI: REDIRECT_URI,
    state,
    codeChallenge: pkce.codeChallenge,
    scope,
    resource,
  });
  const callback = await (options.user ?? new BrowserUser({ login })).authorize(authorizationURL, REDIRECT_URI);
  const { code } = validateAuthorizationResponse(callback, {
    state,
    issuer: discovery.issuer,
    requireIssuer: requiresIssuerParameter(as),
  });
  const tokens = await exchangeAuthorizationCode(
    as.token_endpoint,
    client,
    {
      code,
      codeVerifier: pkce.codeVerifier,
      redirectURI: REDIRECT_URI,
      resource,
    },
    { now: options.now },
  );
  return { discovery, client, tokens, resource, scope };
}

/** Calls a tool through the MCP SDK client with the bearer token. */
async function callTool(accessToken: string, name: string): Promise<string> {
  const client = new Client({ name: 'oauth-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcp.url), {
    requestInit: { headers: { authorization: `Bearer ${accessToken}` } },
  });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name });
    const [first] = result.content as { type: string; text: string }[];
    return first?.text ?? '';
  } finally {
    await client.close();
  }
}

/** Registration, authorization request and consent, stopping before the code exchange. */
async function authorizeOnce(login: string) {
  const { challenge } = await unauthenticatedChallenge();
  const discovery = await discoverAuthorization(mcp.url, { resourceMetadataURL: challenge?.resource_metadata });
  const metadata = discovery.authorizationServer;
  const client = await register(discovery);
  const pkce = generatePKCE();
  const state = generateState();
  const url = buildAuthorizationURL({
    authorizationEndpoint: metadata.authorization_endpoint,
    clientId: client.clientId,
    redirectURI: REDIRECT_URI,
    state,
    codeChallenge: pkce.codeChallenge,
    scope: 'mcp:tools',
    resource: mcp.resource,
  });
  const callback = await new BrowserUser({ login }).authorize(url, REDIRECT_URI);
  return { metadata, client, codeVerifier: pkce.codeVerifier, ...validateAuthorizationResponse(callback, { state }) };
}

describe('connecting a user to a protected MCP server', () => {
  it('starts from a 401 whose challenge names the resource metadata and a scope', async () => {
    const { status, challenge } = await unauthenticatedChallenge();
    expect(status).toBe(401);
    expect(challenge).toEqual({ scheme: 'bearer', scope: 'mcp:tools', resource_metadata: mcp.resourceMetadataURL });
  });

  it('gets a JWT for the MCP server through discovery, registration, login, consent and code exchange, and whoami answers the user', async () => {
    const connection = await connect('alice');

    expect(connection.discovery.source).toBe('protected-resource-metadata');
    expect(connection.discovery.issuer).toBe(as.issuer);
    expect(connection.tokens.tokenType).toBe('Bearer');
    expect(connection.tokens.refreshToken).toEqual(expect.any(String));
    expect(await callTool(connection.tokens.accessToken, 'whoami')).toBe('alice');
  });

  it('asks for the resource of the protected resource metadata, so the token is audience-restricted to the MCP server', async () => {
    const connection = await connect('bob');

    expect(connection.resource).toBe(mcp.resource);
    expect(connection.scope).toBe('mcp:tools');
    const claims = decodeJwt(connection.tokens.accessToken);
    expect(claims).toMatchObject({ aud: mcp.resource, iss: as.issuer, sub: 'bob', scope: 'mcp:tools' });
  });

  it('gets a token the MCP server refuses when the resource indicator is omitted', async () => {
    // Without a resource oidc-provider grants only its OpenID scopes, and issues an opaque token.
    const connection = await connect('carol', { resource: { omitResource: true }, challengeScope: 'openid' });

    expect(connection.resource).toBeUndefined();
    await expect(callTool(connection.tokens.accessToken, 'whoami')).rejects.toThrow();
    expect(mcp.refusals.at(-1)).toBe('invalid');
  });

  it.each<ClientAuthMethod>(['client_secret_basic', 'client_secret_post', 'none'])(
    'authenticates at the token endpoint with %s',
    async (authMethod) => {
      const connection = await connect('dave', { authMethod });

      expect(connection.client.authMethod).toBe(authMethod);
      expect(connection.client.clientSecret === undefined).toBe(authMethod === 'none');
      expect(await callTool(connection.tokens.accessToken, 'whoami')).toBe('dave');
    },
  );

  it('computes the absolute expiry from expires_in and the time the token request was sent', async () => {
    const { tokens } = await connect('erin', { now: () => 1_700_000_000_000 });

    expect(tokens.expiresAt).toBe(1_700_000_000_000 + 120_000);
  });
});

describe('the authorization response', () => {
  it('reports a user who denies consent as access_denied', async () => {
    const { challenge } = await unauthenticatedChallenge();
    const discovery = await discoverAuthorization(mcp.url, { resourceMetadataURL: challenge?.resource_metadata });
    const client = await register(discovery);
    const state = generateState();
    const url = buildAuthorizationURL({
      authorizationEndpoint: discovery.authorizationServer.authorization_endpoint,
      clientId: client.clientId,
      redirectURI: REDIRECT_URI,
      state,
      codeChallenge: generatePKCE().codeChallenge,
      scope: 'mcp:tools',
      resource: mcp.resource,
    });
    const callback = await new BrowserUser({ login: 'frank', consent: 'deny' }).authorize(url, REDIRECT_URI);

    const error = (() => {
      try {
        validateAuthorizationResponse(callback, { state, issuer: discovery.issuer });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(AuthorizationResponseError);
    expect(error).toMatchObject({ oauthError: { error: 'access_denied' } });
  });

  it('refuses a redirect that carries another state before reading its code', async () => {
    const callback = new URL(`${REDIRECT_URI}?code=abc&state=someone-elses`);

    expect(() => validateAuthorizationResponse(callback, { state: 'mine' })).toThrow(StateMismatchError);
  });
});

describe('tokens after the first exchange', () => {
  it('refreshes to a new access token the MCP server accepts, with one refresh_token request', async () => {
    const { discovery, client, tokens, resource } = await connect('grace');
    const before = as.tokenRequests('refresh_token');

    const refreshed = await refreshAccessToken(discovery.authorizationServer.token_endpoint, client, {
      refreshToken: tokens.refreshToken!,
      resource,
    });

    expect(as.tokenRequests('refresh_token')).toBe(before + 1);
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(refreshed.refreshToken).toEqual(expect.any(String));
    expect(await callTool(refreshed.accessToken, 'whoami')).toBe('grace');
  });

  it('fails with invalid_grant when a rotated refresh token is used again', async () => {
    const { discovery, client, tokens, resource } = await connect('heidi');
    const endpoint = discovery.authorizationServer.token_endpoint;
    const rotated = await refreshAccessToken(endpoint, client, { refreshToken: tokens.refreshToken!, resource });
    expect(rotated.refreshToken).not.toBe(tokens.refreshToken);

    const reuse = refreshAccessToken(endpoint, client, { refreshToken: tokens.refreshToken!, resource });

    await expect(reuse).rejects.toBeInstanceOf(OAuthTokenError);
    await expect(reuse).rejects.toMatchObject({ oauthError: { error: 'invalid_grant' }, status: 400 });
  });

  it('revokes the refresh token at the RFC 7009 endpoint, after which refresh fails with invalid_grant', async () => {
    const { discovery, client, tokens, resource } = await connect('ivan');
    const metadata = discovery.authorizationServer;

    await revokeToken(metadata.revocation_endpoint!, client, {
      token: tokens.refreshToken!,
      tokenTypeHint: 'refresh_token',
    });

    await expect(
      refreshAccessToken(metadata.token_endpoint, client, { refreshToken: tokens.refreshToken!, resource }),
    ).rejects.toMatchObject({ name: 'OAuthTokenError', oauthError: { error: 'invalid_grant' } });
  });

  it('fails with invalid_grant after the authorization server revoked the grant', async () => {
    const { discovery, client, tokens, resource } = await connect('judy');
    expect(await as.revokeGrants('judy')).toBeGreaterThan(0);

    await expect(
      refreshAccessToken(discovery.authorizationServer.token_endpoint, client, {
        refreshToken: tokens.refreshToken!,
        resource,
      }),
    ).rejects.toMatchObject({ oauthError: { error: 'invalid_grant' } });
  });

  it('does not exchange a code with another PKCE verifier', async () => {
    const { metadata, client, code } = await authorizeOnce('mallory');

    const exchange = exchangeAuthorizationCode(metadata.token_endpoint, client, {
      code,
      codeVerifier: generatePKCE().codeVerifier,
      redirectURI: REDIRECT_URI,
      resource: mcp.resource,
    });

    await expect(exchange).rejects.toMatchObject({ oauthError: { error: 'invalid_grant' } });
  });

  it('does not exchange the same code twice', async () => {
    const { metadata, client, code, codeVerifier } = await authorizeOnce('niaj');
    const grant = { code, codeVerifier, redirectURI: REDIRECT_URI, resource: mcp.resource };
    await exchangeAuthorizationCode(metadata.token_endpoint, client, grant);

    await expect(exchangeAuthorizationCode(metadata.token_endpoint, client, grant)).rejects.toMatchObject({
      oauthError: { error: 'invalid_grant' },
    });
  });

  it('steps up after 403 insufficient_scope by authorizing the union of the old and the challenged scopes', async () => {
    const user = new BrowserUser({ login: 'oscar' });
    const first = await connect('oscar', { user });
    const denied = await fetch(mcp.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${first.tokens.accessToken}`,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'admin-report', arguments: {} },
      }),
    });
    await denied.body?.cancel();
    const challenge = parseBearerChallenge(denied.headers.get('www-authenticate'));
    expect(denied.status).toBe(403);
    expect(challenge).toMatchObject({ error: 'insufficient_scope', scope: mcp.adminScope });

    const second = await connect('oscar', {
      user,
      client: first.client,
      discovery: first.discovery,
      challengeScope: challenge?.scope,
      scopeUnion: first.tokens.scope ?? first.scope,
    });

    expect(second.scope).toBe(`mcp:tools ${mcp.adminScope}`);
    expect(await callTool(second.tokens.accessToken, 'admin-report')).toBe('report for oscar');
    expect(await callTool(second.tokens.accessToken, 'whoami')).toBe('oscar');
  });
});
