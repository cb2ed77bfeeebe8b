/**
 * Issue 15 item 5, mix-up (RFC 9207 §1; OAuth 2.0 Security BCP §4.4): one redirect URI for every authorization
 * server let a hostile one have a code from another sent to its own token endpoint, with the PKCE verifier.
 * Each flow is bound to its issuer: a dynamically registered client gets a redirect URI of its own per issuer
 * (`<callback>?as=<issuer key>`) and a response that comes back on another one is refused; `iss` is compared
 * whenever present and required when advertised; the client metadata document (one client id for every
 * server) is used only with authorization servers that send `iss`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig, type ServerConfig } from '../../server/config/schema.js';
import { OAuthManager } from '../../server/oauth/oauth-manager.js';
import { MixUpError } from '../../server/oauth/callback-errors.js';
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
/** A hostile MCP server that is its own authorization server (registration open, a token endpoint that records). */
let evil: MetadataServer;
let target: StoreTarget;
let store: Store;
let oauth: OAuthManager;
let servers: ServerConfig[];

function hostileAuthorizationServer(server: MetadataServer, extra: Record<string, unknown> = {}): void {
  server.serve('/.well-known/oauth-protected-resource/mcp', {
    body: { resource: server.url('/mcp'), authorization_servers: [server.origin] },
  });
  server.serve('/.well-known/oauth-authorization-server', {
    body: {
      issuer: server.origin,
      authorization_endpoint: server.url('/authorize'),
      token_endpoint: server.url('/token'),
      registration_endpoint: server.url('/register'),
      code_challenge_methods_supported: ['S256'],
      ...extra,
    },
  });
  server.serve('/register', (request) => ({
    status: 201,
    body: { client_id: `evil-${server.requests.length}`, ...JSON.parse(request.body) },
  }));
  server.serve('/token', { status: 400, body: { error: 'invalid_grant' } });
}

beforeAll(async () => {
  as = await startAuthorizationServer();
  secure = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
  evil = await startMetadataServer();
  hostileAuthorizationServer(evil);
  target = await storeTarget('sqlite');
  store = await target.open();
  oauth = new OAuthManager({ store, publicBaseURL: PUBLIC_BASE, logger: silentLogger(), connectURLMode: 'direct' });
  servers = parseConfig({
    servers: [
      { name: 'secure', baseURL: secure.url },
      { name: 'evil', baseURL: evil.url('/mcp') },
    ],
  }).servers;
});

afterAll(async () => {
  await target?.cleanUp();
  await evil?.stop();
  await secure?.stop();
  await as?.stop();
});

const serverNamed = (name: string) => servers.find((s) => s.name === name);

describe('mix-up between authorization servers', () => {
  it('gives each issuer’s registration a redirect URI of its own, and connects through it', async () => {
    const honest = new URL(await oauth.beginAuthorization('alice', serverNamed('secure')!));
    const hostile = new URL(await oauth.beginAuthorization('alice', serverNamed('evil')!));
    const honestRedirect = honest.searchParams.get('redirect_uri')!;
    const hostileRedirect = hostile.searchParams.get('redirect_uri')!;
    expect(honestRedirect).toMatch(new RegExp(`^${CALLBACK.replace(/[.?]/g, '\\$&')}\\?as=[\\w-]{16}$`));
    expect(hostileRedirect).toMatch(/\?as=[\w-]{16}$/);
    expect(hostileRedirect).not.toBe(honestRedirect);
    expect(JSON.parse(evil.requests.find((r) => r.path === '/register')!.body).redirect_uris).toEqual([
      hostileRedirect,
    ]);
    const callback = await new BrowserUser({ login: 'alice' }).authorize(honest, CALLBACK);
    expect(callback.searchParams.get('as')).toBe(new URL(honestRedirect).searchParams.get('as'));
    await expect(oauth.completeAuthorization('alice', callback.searchParams, serverNamed)).resolves.toEqual({
      serverName: 'secure',
    });
  });

  it('refuses a code from another authorization server sent back with a hostile server’s state, and sends the hostile token endpoint nothing', async () => {
    // Bob starts connecting the hostile server; it sends his browser to the honest authorization server instead,
    // with this plugin's client there, its own flow's state and PKCE challenge (RFC 9207 §1).
    const hostile = new URL(await oauth.beginAuthorization('bob', serverNamed('evil')!));
    const honest = new URL(await oauth.beginAuthorization('bob', serverNamed('secure')!));
    const crafted = new URL(honest);
    crafted.searchParams.set('state', hostile.searchParams.get('state')!);
    crafted.searchParams.set('code_challenge', hostile.searchParams.get('code_challenge')!);
    const callback = await new BrowserUser({ login: 'bob' }).authorize(crafted, CALLBACK);
    expect(callback.searchParams.get('code')).toBeTruthy();
    // An authorization server that does not send RFC 9207 `iss` (many do not): only the redirect URI tells.
    callback.searchParams.delete('iss');
    const before = evil.requests.length;
    await expect(oauth.completeAuthorization('bob', callback.searchParams, serverNamed)).rejects.toBeInstanceOf(
      MixUpError,
    );
    expect(evil.requests.slice(before).map((r) => r.path)).not.toContain('/token');
  });

  it('uses the client metadata document only with authorization servers that send iss, and then requires it', async () => {
    const documented = new OAuthManager({
      store,
      publicBaseURL: PUBLIC_BASE,
      logger: silentLogger(),
      connectURLMode: 'direct',
      clientMetadataURL: 'https://mm.example.com/plugins/mattermost-mcp/oauth/client-metadata.json',
    });
    const quiet = await startMetadataServer();
    const announcing = await startMetadataServer();
    try {
      hostileAuthorizationServer(quiet, { client_id_metadata_document_supported: true });
      hostileAuthorizationServer(announcing, {
        client_id_metadata_document_supported: true,
        authorization_response_iss_parameter_supported: true,
      });
      const [q, a] = parseConfig({
        servers: [
          { name: 'quiet', baseURL: quiet.url('/mcp') },
          { name: 'announcing', baseURL: announcing.url('/mcp') },
        ],
      }).servers;
      const registered = new URL(await documented.beginAuthorization('carol', q!));
      expect(registered.searchParams.get('client_id')).toMatch(/^evil-/);
      const viaDocument = new URL(await documented.beginAuthorization('carol', a!));
      expect(viaDocument.searchParams.get('client_id')).toBe(
        'https://mm.example.com/plugins/mattermost-mcp/oauth/client-metadata.json',
      );
      expect(viaDocument.searchParams.get('redirect_uri')).toBe(CALLBACK);
      const withoutIss = new URLSearchParams({ state: viaDocument.searchParams.get('state')!, code: 'a-code' });
      await expect(
        documented.completeAuthorization('carol', withoutIss, (name) => (name === 'announcing' ? a : undefined)),
      ).rejects.toMatchObject({ code: 'ERR_OAUTH_ISSUER_MISMATCH' });
    } finally {
      await documented.close();
      await quiet.stop();
      await announcing.stop();
    }
  });

  it('uses the client metadata document without iss while the authorization server is the only one configured, and registers again once there are more', async () => {
    let alone = true;
    const documented = new OAuthManager({
      store,
      publicBaseURL: PUBLIC_BASE,
      logger: silentLogger(),
      connectURLMode: 'direct',
      clientMetadataURL: 'https://mm.example.com/plugins/mattermost-mcp/oauth/client-metadata.json',
      soleAuthorizationServer: () => alone,
    });
    const quiet = await startMetadataServer();
    try {
      hostileAuthorizationServer(quiet, { client_id_metadata_document_supported: true });
      const [q] = parseConfig({ servers: [{ name: 'quiet-alone', baseURL: quiet.url('/mcp') }] }).servers;
      const viaDocument = new URL(await documented.beginAuthorization('dave', q!));
      expect(viaDocument.searchParams.get('client_id')).toBe(
        'https://mm.example.com/plugins/mattermost-mcp/oauth/client-metadata.json',
      );
      alone = false;
      const registered = new URL(await documented.beginAuthorization('dave', q!));
      expect(registered.searchParams.get('client_id')).toMatch(/^evil-/);
      expect(registered.searchParams.get('redirect_uri')).not.toBe(CALLBACK);
    } finally {
      await documented.close();
      await quiet.stop();
    }
  });
});
