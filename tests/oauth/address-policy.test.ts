/**
 * Issue 15 item 2 (SSRF through OAuth metadata): a URL taken from a remote document (protected resource
 * metadata, authorization server metadata, a redirect of a metadata fetch) may not reach loopback, private,
 * link-local, unspecified or other special addresses, judged on the address actually connected (DNS answers
 * included); loopback only when the MCP server itself is on loopback. Every test here runs on 127.0.0.1, so
 * the MCP server is made non-loopback by name: `mcp.test`, which the test's own resolver maps to 127.0.0.1.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { lookup as systemLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { parseConfig, type ServerConfig } from '../../server/config/schema.js';
import { OAuthManager } from '../../server/oauth/oauth-manager.js';
import { addressPolicyFor, refusedRange } from '../../server/oauth/address-policy.js';
import { AddressNotAllowedError } from '../../server/oauth/errors.js';
import type { Store } from '../../server/store/index.js';
import { startMetadataServer, type MetadataServer } from '../support/metadata-server.js';
import { storeTarget, type StoreTarget } from '../support/store-fixtures.js';
import { silentLogger } from '../support/logger.js';

describe('the address policy', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.0.0.2', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
  ])('refuses %s (%s)', (address, range) => {
    expect(refusedRange(address, { allowLoopback: false })).toBe(range);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(refusedRange(address, { allowLoopback: false })).toBeUndefined();
  });

  it('allows loopback only for a server whose own URL is loopback, and trusts the origins the admin configured', () => {
    expect(refusedRange('127.0.0.1', addressPolicyFor({ baseURL: 'http://127.0.0.1:8080/mcp' }))).toBeUndefined();
    expect(refusedRange('::1', addressPolicyFor({ baseURL: 'http://localhost:8080/mcp' }))).toBeUndefined();
    expect(refusedRange('127.0.0.1', addressPolicyFor({ baseURL: 'https://mcp.example.com/mcp' }))).toBe('loopback');
    expect(refusedRange('10.0.0.1', addressPolicyFor({ baseURL: 'http://127.0.0.1:8080/mcp' }))).toBe('private');
    expect(
      addressPolicyFor({ baseURL: 'https://10.0.0.5/mcp', oauth: { issuer: 'https://login.corp.example/realms/x' } })
        .trustedOrigins,
    ).toEqual(['https://10.0.0.5', 'https://login.corp.example']);
  });
});

describe('OAuth requests of a server that is not on loopback', () => {
  /** The MCP server's metadata (as `mcp.test`) and an "internal" authorization server, both really on 127.0.0.1. */
  let mcp: MetadataServer;
  let internal: MetadataServer;
  let target: StoreTarget;
  let store: Store;
  let oauth: OAuthManager;
  const names: Record<string, string> = { 'mcp.test': '127.0.0.1', 'internal.localhost': '127.0.0.1' };
  const lookup = ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    const address = names[hostname];
    if (!address) return systemLookup(hostname, options, callback as never);
    if (options.all) callback(null, [{ address, family: 4 }]);
    else callback(null, address, 4);
  }) as unknown as LookupFunction;

  const asMetadata = (issuer: string, endpoints: Record<string, string> = {}) => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    code_challenge_methods_supported: ['S256'],
    ...endpoints,
  });

  beforeAll(async () => {
    mcp = await startMetadataServer();
    internal = await startMetadataServer();
    internal.serve('/register', { status: 201, body: { client_id: 'registered-internally' } });
    target = await storeTarget('sqlite');
    store = await target.open();
  });

  // A manager per test: discovery that succeeded is cached for ten minutes.
  beforeEach(async () => {
    await oauth?.close();
    oauth = new OAuthManager({
      store,
      publicBaseURL: 'http://127.0.0.1:9/plugins/mattermost-mcp',
      logger: silentLogger(),
      connectURLMode: 'direct',
      lookup,
    });
  });

  afterAll(async () => {
    await oauth?.close();
    await target?.cleanUp();
    await internal?.stop();
    await mcp?.stop();
  });

  const port = (server: MetadataServer) => new URL(server.origin).port;
  const server = (host: string, oauthOptions?: Record<string, unknown>): ServerConfig =>
    parseConfig({
      servers: [
        { name: 'remote', baseURL: `http://${host}:${port(mcp)}/mcp`, ...(oauthOptions && { oauth: oauthOptions }) },
      ],
    }).servers[0]!;
  /** The protected resource metadata of the server, naming `issuer`. */
  const names_ = (issuer: string, host = 'mcp.test') =>
    mcp.serve('/.well-known/oauth-protected-resource/mcp', {
      body: { resource: `http://${host}:${port(mcp)}/mcp`, authorization_servers: [issuer] },
    });

  it.each([
    ['a loopback address', () => `http://127.0.0.2:${port(internal)}`, '127.0.0.2', 'loopback'],
    ['an IPv6 loopback address', () => `http://[::1]:${port(internal)}`, '::1', 'loopback'],
    ['a private address', () => 'https://10.20.30.40', '10.20.30.40', 'private'],
    ['the cloud metadata address', () => 'https://169.254.169.254', '169.254.169.254', 'linkLocal'],
    ['a unique local IPv6 address', () => 'https://[fd00::1]', 'fd00::1', 'uniqueLocal'],
    ['a name that resolves to loopback', () => `http://internal.localhost:${port(internal)}`, '127.0.0.1', 'loopback'],
  ])(
    'refuses an authorization server at %s named by the metadata, and sends it nothing',
    async (_what, issuer, address, range) => {
      internal.serve('/.well-known/oauth-authorization-server', { body: asMetadata(issuer()) });
      names_(issuer());
      const before = internal.requests.length;
      const refusal = oauth.beginAuthorization('alice', server('mcp.test'));
      await expect(refusal).rejects.toBeInstanceOf(AddressNotAllowedError);
      await expect(refusal).rejects.toMatchObject({ address, range });
      expect(internal.requests.length).toBe(before);
    },
  );

  it('refuses a redirect of a metadata fetch to an internal address', async () => {
    mcp.serve('/.well-known/oauth-protected-resource/mcp', {
      status: 302,
      headers: { location: internal.url('/.well-known/oauth-protected-resource/mcp') },
    });
    internal.serve('/.well-known/oauth-protected-resource/mcp', {
      body: { resource: `http://mcp.test:${port(mcp)}/mcp`, authorization_servers: [internal.origin] },
    });
    const before = internal.requests.length;
    await expect(oauth.beginAuthorization('alice', server('mcp.test'))).rejects.toMatchObject({
      code: 'ERR_OAUTH_ADDRESS_NOT_ALLOWED',
      address: '127.0.0.1',
      range: 'loopback',
    });
    expect(internal.requests.length).toBe(before);
  });

  it.each([
    ['registration_endpoint', { registration_endpoint: 'http://127.0.0.2:1/internal/register' }, '127.0.0.2'],
    ['token_endpoint', { token_endpoint: 'https://10.0.0.7/token' }, '10.0.0.7'],
    ['revocation_endpoint', { revocation_endpoint: 'https://[fe80::1]/revoke' }, 'fe80::1'],
    ['authorization_endpoint', { authorization_endpoint: 'https://192.168.0.1/authorize' }, '192.168.0.1'],
    ['jwks_uri', { jwks_uri: 'https://169.254.169.254/jwks' }, '169.254.169.254'],
  ])(
    'refuses a configured authorization server whose metadata puts the %s at an internal address',
    async (_field, endpoints, address) => {
      const issuer = `http://internal.localhost:${port(internal)}`;
      internal.serve('/.well-known/oauth-authorization-server', { body: asMetadata(issuer, endpoints) });
      names_(issuer);
      await expect(oauth.beginAuthorization('alice', server('mcp.test', { issuer }))).rejects.toMatchObject({
        code: 'ERR_OAUTH_ADDRESS_NOT_ALLOWED',
        address,
      });
    },
  );

  it('lets a server on loopback use an authorization server on loopback', async () => {
    const issuer = `http://internal.localhost:${port(internal)}`;
    internal.serve('/.well-known/oauth-authorization-server', { body: asMetadata(issuer) });
    names_(issuer, '127.0.0.1');
    const authURL = new URL(await oauth.beginAuthorization('alice', server('127.0.0.1')));
    expect(authURL.origin).toBe(issuer);
    expect(authURL.searchParams.get('client_id')).toBe('registered-internally');
  });
});
