import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  authorizationServerMetadataUrls,
  discoverAuthorizationServerMetadata,
} from '../../server/oauth/authorization-server-metadata.js';
import { discoverAuthorization } from '../../server/oauth/discovery.js';
import {
  InsecureURLError,
  InvalidMetadataError,
  IssuerMismatchError,
  MetadataNotFoundError,
  OAuthNetworkError,
  PKCENotSupportedError,
  ResourceMismatchError,
} from '../../server/oauth/errors.js';
import { assertS256Supported } from '../../server/oauth/pkce.js';
import {
  discoverProtectedResourceMetadata,
  protectedResourceMetadataUrls,
  resourceMatchesServer,
} from '../../server/oauth/protected-resource-metadata.js';
import { parseBearerChallenge } from '../../server/oauth/www-authenticate.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { startMetadataServer, type MetadataServer } from '../support/metadata-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';

const hrefs = (urls: URL[]) => urls.map((u) => u.href);

describe('where metadata is looked for', () => {
  it('tries the challenge URL, then the path-aware well-known URL, then the root one (RFC 9728 §3.1)', () => {
    expect(
      hrefs(protectedResourceMetadataUrls('https://mcp.example.com/v1/mcp/', 'https://mcp.example.com/prm.json')),
    ).toEqual([
      'https://mcp.example.com/prm.json',
      'https://mcp.example.com/.well-known/oauth-protected-resource/v1/mcp',
      'https://mcp.example.com/.well-known/oauth-protected-resource',
    ]);
    expect(hrefs(protectedResourceMetadataUrls('https://mcp.example.com'))).toEqual([
      'https://mcp.example.com/.well-known/oauth-protected-resource',
    ]);
  });

  it('refuses a resource_metadata URL that is not HTTPS unless it is on loopback', () => {
    expect(() => protectedResourceMetadataUrls('https://mcp.example.com/mcp', 'http://evil.example.com/prm')).toThrow(
      InsecureURLError,
    );
    expect(() => protectedResourceMetadataUrls('https://mcp.example.com/mcp', 'javascript:alert(1)')).toThrow(
      InsecureURLError,
    );
    expect(hrefs(protectedResourceMetadataUrls('http://127.0.0.1:8080/mcp', 'http://127.0.0.1:8080/prm'))[0]).toBe(
      'http://127.0.0.1:8080/prm',
    );
    expect(hrefs(protectedResourceMetadataUrls('http://localhost:8080/mcp', 'http://localhost:8080/prm'))[0]).toBe(
      'http://localhost:8080/prm',
    );
  });

  it('tries RFC 8414 then OpenID discovery at the root for an issuer without a path', () => {
    expect(hrefs(authorizationServerMetadataUrls('https://auth.example.com'))).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server',
      'https://auth.example.com/.well-known/openid-configuration',
    ]);
  });

  it('tries the MCP order for an issuer with a path, then the root URLs last', () => {
    expect(hrefs(authorizationServerMetadataUrls('https://auth.example.com/tenant1/'))).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server/tenant1',
      'https://auth.example.com/.well-known/openid-configuration/tenant1',
      'https://auth.example.com/tenant1/.well-known/openid-configuration',
      'https://auth.example.com/.well-known/oauth-authorization-server',
      'https://auth.example.com/.well-known/openid-configuration',
    ]);
    expect(authorizationServerMetadataUrls('https://auth.example.com/tenant1', { rootFallback: false })).toHaveLength(
      3,
    );
  });

  it('accepts a resource that covers the server URL by origin and whole path segments (RFC 9728 §3.3)', () => {
    expect(resourceMatchesServer('https://mcp.example.com/mcp', 'https://mcp.example.com/mcp')).toBe(true);
    expect(resourceMatchesServer('https://mcp.example.com/', 'https://mcp.example.com/v1/mcp')).toBe(true);
    expect(resourceMatchesServer('https://mcp.example.com/v1', 'https://mcp.example.com/v1/mcp')).toBe(true);
    expect(resourceMatchesServer('https://mcp.example.com/v', 'https://mcp.example.com/v1/mcp')).toBe(false);
    expect(resourceMatchesServer('https://mcp.example.com/other', 'https://mcp.example.com/mcp')).toBe(false);
    expect(resourceMatchesServer('https://other.example.com/mcp', 'https://mcp.example.com/mcp')).toBe(false);
    expect(resourceMatchesServer('http://mcp.example.com/mcp', 'https://mcp.example.com/mcp')).toBe(false);
  });
});

describe('discovery against oidc-provider and a protected MCP server', () => {
  let as: TestAuthorizationServer;
  let mcp: ProtectedMcpServer;
  let tenantAS: TestAuthorizationServer;
  let tenantMCP: ProtectedMcpServer;

  beforeAll(async () => {
    as = await startAuthorizationServer();
    mcp = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
    tenantAS = await startAuthorizationServer({ pathPrefix: '/tenant1' });
    tenantMCP = await startProtectedMcpServer({
      issuer: tenantAS.issuer,
      jwksURL: tenantAS.jwksURL,
      advertiseResourceMetadata: false,
    });
  });

  afterAll(async () => {
    await Promise.all([mcp?.stop(), tenantMCP?.stop()]);
    await Promise.all([as?.stop(), tenantAS?.stop()]);
  });

  it('goes from a real 401 to the resource metadata and on to the authorization server metadata', async () => {
    const response = await fetch(mcp.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    await response.body?.cancel();
    const challenge = parseBearerChallenge(response.headers.get('www-authenticate'));

    const discovery = await discoverAuthorization(mcp.url, { resourceMetadataURL: challenge?.resource_metadata });

    expect(discovery).toMatchObject({
      source: 'protected-resource-metadata',
      resourceMetadataURL: mcp.resourceMetadataURL,
      resourceMetadata: {
        resource: mcp.resource,
        authorization_servers: [as.issuer],
        scopes_supported: ['mcp:tools', 'mcp:admin'],
      },
      issuer: as.issuer,
      authorizationServerMetadataURL: `${as.issuer}/.well-known/oauth-authorization-server`,
      authorizationServer: {
        issuer: as.issuer,
        token_endpoint: `${as.issuer}/token`,
        registration_endpoint: `${as.issuer}/reg`,
        revocation_endpoint: `${as.issuer}/token/revocation`,
        code_challenge_methods_supported: ['S256'],
      },
    });
  });

  it('finds the path-aware resource metadata when the challenge does not name it', async () => {
    const discovery = await discoverAuthorization(mcp.url);

    expect(discovery.resourceMetadataURL).toBe(mcp.resourceMetadataURL);
    expect(discovery.issuer).toBe(as.issuer);
  });

  it('finds an issuer with a path at <path>/.well-known/openid-configuration', async () => {
    const response = await fetch(tenantMCP.url, { method: 'POST', body: '{}' });
    await response.body?.cancel();
    expect(parseBearerChallenge(response.headers.get('www-authenticate'))?.resource_metadata).toBeUndefined();

    const discovery = await discoverAuthorization(tenantMCP.url);

    expect(tenantAS.issuer).toMatch(/\/tenant1$/);
    expect(discovery.issuer).toBe(tenantAS.issuer);
    expect(discovery.authorizationServerMetadataURL).toBe(`${tenantAS.issuer}/.well-known/openid-configuration`);
  });
});

describe('discovery against hand-written metadata', () => {
  let meta: MetadataServer;
  let serverURL: string;

  beforeEach(async () => {
    meta = await startMetadataServer();
    serverURL = meta.url('/v1/mcp');
  });

  afterEach(async () => {
    await meta.stop();
  });

  const prm = (issuer: string, extra: Record<string, unknown> = {}) => ({
    body: { resource: serverURL, authorization_servers: [issuer], ...extra },
  });
  const asMetadata = (issuer: string, extra: Record<string, unknown> = {}) => ({
    body: {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${issuer}/register`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      ...extra,
    },
  });

  it('falls back to the root resource metadata after a 404 at the path-aware URL', async () => {
    meta.serve('/.well-known/oauth-protected-resource', prm(meta.origin));

    const found = await discoverProtectedResourceMetadata(serverURL);

    expect(found.url).toBe(meta.url('/.well-known/oauth-protected-resource'));
    expect(meta.paths()).toEqual([
      '/.well-known/oauth-protected-resource/v1/mcp',
      '/.well-known/oauth-protected-resource',
    ]);
  });

  it('falls back from a missing challenge URL, and from a CDN 401 and a 502, to the next candidate', async () => {
    meta.serve('/.well-known/oauth-protected-resource/v1/mcp', { status: 401, body: 'Unauthorized' });
    meta.serve('/.well-known/oauth-protected-resource', { status: 502, body: 'Bad Gateway' });

    const attempt = discoverProtectedResourceMetadata(serverURL, { resourceMetadataURL: meta.url('/gone.json') });

    await expect(attempt).rejects.toBeInstanceOf(MetadataNotFoundError);
    await expect(attempt).rejects.toMatchObject({
      kind: 'protected-resource',
      attempts: [
        { url: meta.url('/gone.json'), status: 404 },
        { url: meta.url('/.well-known/oauth-protected-resource/v1/mcp'), status: 401 },
        { url: meta.url('/.well-known/oauth-protected-resource'), status: 502 },
      ],
    });
  });

  it('stops at a 500 instead of trying another URL', async () => {
    meta.serve('/.well-known/oauth-protected-resource/v1/mcp', { status: 500, body: 'boom' });

    await expect(discoverProtectedResourceMetadata(serverURL)).rejects.toBeInstanceOf(InvalidMetadataError);
    expect(meta.paths()).toEqual(['/.well-known/oauth-protected-resource/v1/mcp']);
  });

  it('refuses resource metadata that describes another resource', async () => {
    meta.serve('/.well-known/oauth-protected-resource/v1/mcp', {
      body: { resource: meta.url('/other'), authorization_servers: [meta.origin] },
    });

    const attempt = discoverAuthorization(serverURL);

    await expect(attempt).rejects.toBeInstanceOf(ResourceMismatchError);
    await expect(attempt).rejects.toMatchObject({ resource: meta.url('/other'), serverURL });
  });

  it('refuses resource metadata without authorization servers', async () => {
    meta.serve('/.well-known/oauth-protected-resource/v1/mcp', {
      body: { resource: serverURL, authorization_servers: [] },
    });

    await expect(discoverAuthorization(serverURL)).rejects.toMatchObject({
      code: 'ERR_OAUTH_INVALID_METADATA',
      kind: 'protected-resource',
    });
  });

  it('finds an OIDC-only issuer at /.well-known/openid-configuration after a 404 for RFC 8414', async () => {
    meta.serve('/.well-known/oauth-protected-resource/v1/mcp', prm(meta.origin));
    meta.serve('/.well-known/openid-configuration', asMetadata(meta.origin));

    const discovery = await discoverAuthorization(serverURL);

    expect(discovery.authorizationServerMetadataURL).toBe(meta.url('/.well-known/openid-configuration'));
    expect(meta.paths()).toEqual([
      '/.well-known/oauth-protected-resource/v1/mcp',
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
    ]);
  });

  it('finds a path issuer at /.well-known/oauth-authorization-server/<path> first', async () => {
    const issuer = meta.url('/tenant1');
    meta.serve('/.well-known/oauth-protected-resource/v1/mcp', prm(issuer));
    meta.serve('/.well-known/oauth-authorization-server/tenant1', asMetadata(issuer));

    const discovery = await discoverAuthorization(serverURL);

    expect(discovery.issuer).toBe(issuer);
    expect(discovery.authorizationServerMetadataURL).toBe(meta.url('/.well-known/oauth-authorization-server/tenant1'));
    expect(meta.paths()).not.toContain('/.well-known/oauth-authorization-server');
  });

  it('finds a path issuer at /.well-known/openid-configuration/<path> second', async () => {
    const issuer = meta.url('/tenant1');
    meta.serve('/.well-known/openid-configuration/tenant1', asMetadata(issuer));

    const found = await discoverAuthorizationServerMetadata(issuer);

    expect(found.url).toBe(meta.url('/.well-known/openid-configuration/tenant1'));
  });

  it('tries the root last for a path issuer, where the document may name the origin', async () => {
    meta.serve('/.well-known/oauth-authorization-server', asMetadata(meta.origin));

    const found = await discoverAuthorizationServerMetadata(meta.url('/tenant1'));

    expect(found.metadata.issuer).toBe(meta.origin);
    expect(meta.paths()).toEqual([
      '/.well-known/oauth-authorization-server/tenant1',
      '/.well-known/openid-configuration/tenant1',
      '/tenant1/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server',
    ]);
  });

  it('reports every URL tried when no authorization server metadata exists', async () => {
    const attempt = discoverAuthorizationServerMetadata(meta.url('/tenant1'), { rootFallback: false });

    await expect(attempt).rejects.toMatchObject({ code: 'ERR_OAUTH_METADATA_NOT_FOUND', kind: 'authorization-server' });
    await expect(attempt).rejects.toHaveProperty('attempts.length', 3);
  });

  it('refuses metadata whose issuer is not the issuer it was fetched for (RFC 8414 §3.3)', async () => {
    const issuer = meta.url('/tenant1');
    meta.serve('/.well-known/oauth-protected-resource/v1/mcp', prm(issuer));
    meta.serve('/.well-known/oauth-authorization-server/tenant1', asMetadata(meta.url('/tenant2')));

    const attempt = discoverAuthorization(serverURL);

    await expect(attempt).rejects.toBeInstanceOf(IssuerMismatchError);
    await expect(attempt).rejects.toMatchObject({ expected: issuer, actual: meta.url('/tenant2') });
  });

  it('refuses endpoints that are plain HTTP on a host that is not loopback', async () => {
    meta.serve(
      '/.well-known/oauth-authorization-server',
      asMetadata(meta.origin, { token_endpoint: 'http://auth.example.com/token' }),
    );

    const attempt = discoverAuthorizationServerMetadata(meta.origin);

    await expect(attempt).rejects.toBeInstanceOf(InsecureURLError);
    await expect(attempt).rejects.toMatchObject({ field: 'token_endpoint', url: 'http://auth.example.com/token' });
  });

  it('refuses a protected resource that names a plain-HTTP authorization server off loopback', async () => {
    meta.serve('/.well-known/oauth-protected-resource/v1/mcp', prm('http://auth.example.com'));

    await expect(discoverAuthorization(serverURL)).rejects.toMatchObject({ code: 'ERR_OAUTH_INSECURE_URL' });
  });

  describe('PKCE support', () => {
    it('refuses an authorization server that offers only plain, even when missing S256 is allowed', async () => {
      meta.serve(
        '/.well-known/oauth-authorization-server',
        asMetadata(meta.origin, { code_challenge_methods_supported: ['plain'] }),
      );
      const { metadata } = await discoverAuthorizationServerMetadata(meta.origin);

      expect(() => assertS256Supported(metadata)).toThrow(PKCENotSupportedError);
      expect(() => assertS256Supported(metadata, { allowMissingS256: true })).toThrow(PKCENotSupportedError);
    });

    it('refuses an authorization server that does not advertise PKCE, unless the server config allows it', async () => {
      meta.serve(
        '/.well-known/oauth-authorization-server',
        asMetadata(meta.origin, { code_challenge_methods_supported: undefined }),
      );
      const { metadata } = await discoverAuthorizationServerMetadata(meta.origin);

      expect(() => assertS256Supported(metadata)).toThrow(
        expect.objectContaining({ code: 'ERR_OAUTH_PKCE_S256_UNSUPPORTED', methods: undefined }),
      );
      expect(() => assertS256Supported(metadata, { allowMissingS256: true })).not.toThrow();
    });
  });

  describe('MCP 2025-03-26 servers without protected resource metadata', () => {
    it('uses authorization server metadata at the MCP server origin', async () => {
      meta.serve('/.well-known/oauth-authorization-server', asMetadata(meta.origin));

      const discovery = await discoverAuthorization(serverURL);

      expect(discovery).toMatchObject({ source: 'legacy-metadata', issuer: meta.origin });
      expect(discovery.resourceMetadata).toBeUndefined();
      expect(discovery.authorizationServer.token_endpoint).toBe(meta.url('/token'));
    });

    it('accepts an issuer with a path on the same origin, as 2025-03-26 servers were allowed to name', async () => {
      meta.serve('/.well-known/oauth-authorization-server', asMetadata(meta.url('/oauth')));

      const discovery = await discoverAuthorization(serverURL);

      expect(discovery).toMatchObject({ source: 'legacy-metadata', issuer: meta.url('/oauth') });
    });

    it('still refuses a legacy document naming an issuer on another origin', async () => {
      meta.serve('/.well-known/oauth-authorization-server', asMetadata('https://evil.example.com'));

      await expect(discoverAuthorization(serverURL)).rejects.toMatchObject({ code: 'ERR_OAUTH_ISSUER_MISMATCH' });
    });

    it('falls back to /authorize, /token and /register on the origin when there is no metadata at all', async () => {
      const discovery = await discoverAuthorization(serverURL);

      expect(discovery).toMatchObject({
        source: 'legacy-default-endpoints',
        issuer: meta.origin,
        authorizationServer: {
          authorization_endpoint: meta.url('/authorize'),
          token_endpoint: meta.url('/token'),
          registration_endpoint: meta.url('/register'),
        },
      });
      expect(discovery.authorizationServer.code_challenge_methods_supported).toBeUndefined();
    });
  });

  it('refuses to fall back when the named authorization server has no metadata', async () => {
    meta.serve('/.well-known/oauth-protected-resource/v1/mcp', prm(meta.url('/tenant1')));

    await expect(discoverAuthorization(serverURL)).rejects.toMatchObject({
      code: 'ERR_OAUTH_METADATA_NOT_FOUND',
      kind: 'authorization-server',
    });
  });

  describe('network failures', () => {
    it('reports a server that does not answer in time as a network error that timed out', async () => {
      meta.serve('/.well-known/oauth-protected-resource/v1/mcp', { hang: true });

      const attempt = discoverProtectedResourceMetadata(serverURL, { timeoutMs: 100 });

      await expect(attempt).rejects.toBeInstanceOf(OAuthNetworkError);
      await expect(attempt).rejects.toMatchObject({ timedOut: true });
    });

    it('rethrows the reason of a caller abort unchanged', async () => {
      meta.serve('/.well-known/oauth-protected-resource/v1/mcp', { hang: true });
      const controller = new AbortController();
      const reason = new Error('user went away');

      const attempt = discoverProtectedResourceMetadata(serverURL, { signal: controller.signal });
      setImmediate(() => controller.abort(reason));

      await expect(attempt).rejects.toBe(reason);
    });

    it('reports a refused connection as a network error', async () => {
      const gone = meta.url('/mcp');
      await meta.stop();
      meta = await startMetadataServer();

      await expect(discoverAuthorization(gone)).rejects.toMatchObject({ code: 'ERR_OAUTH_NETWORK', timedOut: false });
    });

    it('uses the injected fetch for every request', async () => {
      meta.serve('/.well-known/oauth-authorization-server', asMetadata(meta.origin));
      const seen: string[] = [];
      const recordingFetch: typeof fetch = (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      };

      await discoverAuthorization(serverURL, { fetch: recordingFetch });

      expect(seen).toEqual(meta.requests.map((r) => meta.url(r.path)));
      expect(seen).toHaveLength(3);
    });
  });
});
