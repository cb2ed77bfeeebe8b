/**
 * Issue 15 item 1: a pre-registered client (`oauth.clientId`) belongs to one authorization server
 * (`oauth.issuer`). A server that names another one gets nothing: no flow starts, and neither the
 * client's secret nor a stored refresh token is ever sent to an issuer they were not made for.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig, type ServerConfig } from '../../server/config/schema.js';
import { OAuthManager } from '../../server/oauth/oauth-manager.js';
import { PinnedIssuerError } from '../../server/oauth/errors.js';
import { defaultRegistrationRequest, registerClient } from '../../server/oauth/registration.js';
import { tokensKey, type StoredTokens } from '../../server/oauth/records.js';
import type { Store } from '../../server/store/index.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { startMetadataServer, type MetadataServer } from '../support/metadata-server.js';
import { BrowserUser } from '../support/browser-user.js';
import { storeTarget, type StoreTarget } from '../support/store-fixtures.js';
import { silentLogger } from '../support/logger.js';

const PUBLIC_BASE = 'http://127.0.0.1:9/plugins/mattermost-mcp';
const CALLBACK = `${PUBLIC_BASE}/oauth/callback`;

let as: TestAuthorizationServer;
let secure: ProtectedMcpServer;
/** An MCP server that is its own (rogue) authorization server: RFC 9728 metadata naming itself. */
let rogue: MetadataServer;
let target: StoreTarget;
let store: Store;
let oauth: OAuthManager;
let client: { clientId: string; clientSecret: string };

beforeAll(async () => {
  as = await startAuthorizationServer();
  secure = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
  const registered = await registerClient(
    as.registrationEndpoint,
    defaultRegistrationRequest(CALLBACK, 'pre-registered by the admin', {
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
    }),
  );
  client = { clientId: registered.client_id, clientSecret: registered.client_secret! };
  rogue = await startMetadataServer();
  rogue.serve('/.well-known/oauth-protected-resource/mcp', {
    body: { resource: rogue.url('/mcp'), authorization_servers: [rogue.origin] },
  });
  rogue.serve('/.well-known/oauth-authorization-server', {
    body: {
      issuer: rogue.origin,
      authorization_endpoint: rogue.url('/authorize'),
      token_endpoint: rogue.url('/token'),
      code_challenge_methods_supported: ['S256'],
    },
  });
  rogue.serve('/token', { status: 400, body: { error: 'invalid_grant' } });
  target = await storeTarget('sqlite');
  store = await target.open();
  oauth = new OAuthManager({ store, publicBaseURL: PUBLIC_BASE, logger: silentLogger(), connectURLMode: 'direct' });
});

afterAll(async () => {
  await target?.cleanUp();
  await rogue?.stop();
  await secure?.stop();
  await as?.stop();
});

const pinnedTo = (issuer: string, baseURL: string): ServerConfig =>
  parseConfig({ servers: [{ name: 'wiki', baseURL, oauth: { ...client, issuer } }] }).servers[0]!;

describe('a pre-registered client pinned to its issuer', () => {
  it('connects through the authorization server it is registered at', async () => {
    const server = pinnedTo(as.issuer, secure.url);
    const authURL = await oauth.beginAuthorization('alice', server);
    expect(new URL(authURL).origin).toBe(new URL(as.issuer).origin);
    expect(new URL(authURL).searchParams.get('client_id')).toBe(client.clientId);
    const callback = await new BrowserUser({ login: 'alice' }).authorize(authURL, CALLBACK);
    await expect(oauth.completeAuthorization('alice', callback.searchParams, () => server)).resolves.toEqual({
      serverName: 'wiki',
    });
    expect(await oauth.hasTokens('alice', 'wiki')).toBe(true);
  });

  it('refuses a server whose metadata names another authorization server, naming the server and both issuers, and sends that one nothing', async () => {
    const before = rogue.requests.length;
    const refusal = oauth.beginAuthorization('bob', pinnedTo(as.issuer, rogue.url('/mcp')));
    await expect(refusal).rejects.toBeInstanceOf(PinnedIssuerError);
    await expect(refusal).rejects.toThrow(
      /Server wiki: .* authorization server http:\/\/127\.0\.0\.1:\d+\/?, but the server names http:\/\/127\.0\.0\.1:\d+/,
    );
    const message = await refusal.catch((error: Error) => error.message);
    expect(message).toContain(new URL(as.issuer).origin);
    expect(message).toContain(rogue.origin);
    // Only the server's own metadata was read: the other issuer was never asked anything.
    expect(rogue.requests.slice(before).map((r) => r.path)).toEqual(['/.well-known/oauth-protected-resource/mcp']);
  });

  it('never sends the client secret with a refresh token stored for another issuer', async () => {
    const server = pinnedTo(as.issuer, rogue.url('/mcp'));
    const stored: StoredTokens = {
      tokens: {
        accessToken: 'old-access',
        tokenType: 'Bearer',
        refreshToken: 'refresh-from-elsewhere',
        expiresAt: Date.now() - 1000,
      },
      serverURL: server.baseURL,
      issuer: rogue.origin,
      clientId: client.clientId,
      authMethod: 'client_secret_basic',
      tokenEndpoint: rogue.url('/token'),
      savedAt: Date.now() - 60_000,
    };
    await store.records<StoredTokens>('tokens').set(tokensKey('carol', 'wiki'), stored);
    const before = rogue.requests.length;
    const response = await oauth.fetchFor('carol', server, fetch)(server.baseURL, { method: 'POST', body: '{}' });
    await response.body?.cancel();
    const sent = rogue.requests.slice(before);
    expect(sent.map((r) => r.path)).not.toContain('/token');
    expect(JSON.stringify(sent)).not.toContain(client.clientSecret);
    expect(JSON.stringify(sent)).not.toContain(Buffer.from(client.clientId).toString('base64').slice(0, 12));
    expect(await oauth.hasTokens('carol', 'wiki')).toBe(false);
  });
});
