import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { parseConfig, type Config, type ServerConfig } from '../../server/config/schema.js';
import { OAuthManager } from '../../server/oauth/oauth-manager.js';
import { UnknownStateError } from '../../server/oauth/callback-errors.js';
import { AuthorizationResponseError, OAuthNeededError } from '../../server/oauth/errors.js';
import { generateKeyringEntry, type Store } from '../../server/store/index.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { BrowserUser } from '../support/browser-user.js';
import { echoTool, startMcpServer, type TestMcpServer } from '../support/mcp-test-server.js';
import { storeTarget, type StoreTarget } from '../support/store-fixtures.js';
import { captureLogger } from '../support/logger.js';
import { eventually } from '../support/eventually.js';

const PUBLIC_BASE = 'http://127.0.0.1:9/plugins/mattermost-mcp';
const CALLBACK = `${PUBLIC_BASE}/oauth/callback`;

let as: TestAuthorizationServer;
let secure: ProtectedMcpServer;
let open: TestMcpServer;
let target: StoreTarget;
let store: Store;
const logs = captureLogger('debug');
let clock = Date.now();
let config: Config;
let oauth: OAuthManager;
let manager: ClientManager;
/** While set, answers from the token endpoint wait for it (the authorization server has already acted on them). */
let tokenAnswersHeld: Promise<void> | undefined;
let tokenAnswersWaiting = 0;
let refreshes: string[] = [];

async function fetchHoldingTokenAnswers(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  const held = tokenAnswersHeld;
  if (held && new URL(input instanceof Request ? input.url : input).pathname.endsWith('/token')) {
    tokenAnswersWaiting++;
    await held;
    tokenAnswersWaiting--;
  }
  return response;
}

beforeAll(async () => {
  as = await startAuthorizationServer({ accessTokenTTL: 600 });
  secure = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
  open = await startMcpServer({ tools: [echoTool] });
  target = await storeTarget('sqlite');
  store = await target.open();
  config = parseConfig({
    servers: [
      { name: 'secure', baseURL: secure.url },
      { name: 'open', baseURL: open.url },
    ],
  });
});

afterAll(async () => {
  await manager?.close();
  await target?.cleanUp();
  await open?.close();
  await secure?.stop();
  await as?.stop();
});

beforeEach(async () => {
  await manager?.close();
  clock = Date.now();
  tokenAnswersHeld = undefined;
  refreshes = [];
  oauth = new OAuthManager({
    store,
    publicBaseURL: PUBLIC_BASE,
    logger: logs.logger,
    connectURLMode: 'direct',
    now: () => clock,
    fetch: fetchHoldingTokenAnswers,
    onRefresh: (outcome) => refreshes.push(outcome),
    onConnectionChange: (userId, serverName) => manager.invalidateUser(userId, serverName),
  });
  manager = new ClientManager(config, { logger: logs.logger, auth: oauth });
});

const serverNamed = (name: string): ServerConfig | undefined => config.servers.find((s) => s.name === name);

async function connect(userId: string, login = userId): Promise<void> {
  const { errors } = await manager.getToolsForUser(userId);
  const authURL = errors.toolAuthErrors.find((e) => e.serverName === 'secure')!.authURL;
  const callback = await new BrowserUser({ login }).authorize(authURL, CALLBACK);
  await oauth.completeAuthorization(userId, callback.searchParams, serverNamed);
}

describe('OAuthManager with the client manager (real authorization server and protected MCP server)', () => {
  it('asks the user to connect a server that answers 401, while the other servers keep working', async () => {
    const { tools, errors } = await manager.getToolsForUser('alice');
    expect(tools.map((t) => t.name)).toEqual(['open__echo']);
    expect(errors.errors).toEqual([]);
    expect(errors.toolAuthErrors).toEqual([
      {
        serverName: 'secure',
        authURL: expect.stringMatching(`^${as.issuer}/`),
        message: 'Connect your account to secure',
      },
    ]);
    const url = new URL(errors.toolAuthErrors[0]!.authURL);
    expect(Object.fromEntries(url.searchParams)).toEqual(
      expect.objectContaining({
        response_type: 'code',
        redirect_uri: expect.stringMatching(
          /^http:\/\/127\.0\.0\.1:9\/plugins\/mattermost-mcp\/oauth\/callback\?as=[\w-]{16}$/,
        ), // its own per issuer (mix-up)
        code_challenge_method: 'S256',
        resource: secure.resource,
        // The challenge's scope, plus offline_access because the authorization server offers it (SEP-2207).
        scope: 'mcp:tools offline_access',
      }),
    );
  });

  it('lists and calls the server’s tools once the user connected, as that user', async () => {
    await connect('bob');
    const { tools, errors } = await manager.getToolsForUser('bob');
    expect(errors.toolAuthErrors).toEqual([]);
    expect(tools.map((t) => t.serverName)).toContain('secure');
    const whoami = tools.find((t) => t.serverName === 'secure' && t.toolName === 'whoami')!;
    expect((await manager.callTool('bob', whoami.name, {})).text).toContain('bob');
  });

  it('refreshes an access token that is about to expire without asking the user, once for concurrent calls', async () => {
    await connect('carol');
    const refreshesBefore = as.tokenRequests('refresh_token');
    clock += 60 * 60_000; // the 10-minute token is now expired for the vault
    const whoami = (await manager.getToolsForUser('carol')).tools.find((t) => t.toolName === 'whoami')!;
    const results = await Promise.all(Array.from({ length: 10 }, () => manager.callTool('carol', whoami.name, {})));
    expect(results.every((r) => r.text.includes('carol'))).toBe(true);
    expect(as.tokenRequests('refresh_token') - refreshesBefore).toBe(1);
  });

  it('asks the user to connect again when the refresh token was revoked', async () => {
    await connect('dave');
    const whoami = (await manager.getToolsForUser('dave')).tools.find((t) => t.toolName === 'whoami')!;
    await as.revokeGrants('dave');
    clock += 60 * 60_000;
    await expect(manager.callTool('dave', whoami.name, {})).rejects.toThrow(OAuthNeededError);
    expect(await oauth.hasTokens('dave', 'secure')).toBe(false);
    const { errors } = await manager.getToolsForUser('dave');
    expect(errors.toolAuthErrors.map((e) => e.serverName)).toEqual(['secure']);
  });

  it('asks for a step-up authorization with the union of scopes on 403 insufficient_scope', async () => {
    await connect('erin');
    const { tools } = await manager.getToolsForUser('erin');
    const admin = tools.find((t) => t.toolName === 'admin-report')!;
    const error = await manager.callTool('erin', admin.name, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthNeededError);
    const scope = new URL((error as OAuthNeededError).authURL).searchParams.get('scope')!.split(' ');
    expect(scope).toEqual(expect.arrayContaining(['mcp:tools', secure.adminScope]));
    const callback = await new BrowserUser({ login: 'erin' }).authorize((error as OAuthNeededError).authURL, CALLBACK);
    await oauth.completeAuthorization('erin', callback.searchParams, serverNamed);
    const again = (await manager.getToolsForUser('erin')).tools.find((t) => t.toolName === 'admin-report')!;
    expect((await manager.callTool('erin', again.name, {})).isError).toBe(false);
  });

  describe('the callback refuses', () => {
    async function pendingCallback(userId: string): Promise<URL> {
      const { errors } = await manager.getToolsForUser(userId);
      return new BrowserUser({ login: userId }).authorize(errors.toolAuthErrors[0]!.authURL, CALLBACK);
    }

    it('a forged state', async () => {
      const callback = await pendingCallback('frank');
      callback.searchParams.set('state', 'forged-state-value');
      await expect(oauth.completeAuthorization('frank', callback.searchParams, serverNamed)).rejects.toThrow(
        UnknownStateError,
      );
    });

    it('a replayed state', async () => {
      const callback = await pendingCallback('grace');
      await oauth.completeAuthorization('grace', callback.searchParams, serverNamed);
      await expect(oauth.completeAuthorization('grace', callback.searchParams, serverNamed)).rejects.toThrow(
        UnknownStateError,
      );
    });

    it('a state started by another user, which stays usable by its owner', async () => {
      const callback = await pendingCallback('heidi');
      await expect(oauth.completeAuthorization('mallory', callback.searchParams, serverNamed)).rejects.toThrow(
        UnknownStateError,
      );
      expect(await oauth.hasTokens('mallory', 'secure')).toBe(false);
      await oauth.completeAuthorization('heidi', callback.searchParams, serverNamed);
      expect(await oauth.hasTokens('heidi', 'secure')).toBe(true);
    });

    it('an expired state', async () => {
      const callback = await pendingCallback('ivan');
      clock += 11 * 60_000;
      await expect(oauth.completeAuthorization('ivan', callback.searchParams, serverNamed)).rejects.toThrow(
        UnknownStateError,
      );
    });

    it('a denied consent, with the authorization server’s error code', async () => {
      const { errors } = await manager.getToolsForUser('judy');
      const callback = await new BrowserUser({ login: 'judy', consent: 'deny' }).authorize(
        errors.toolAuthErrors[0]!.authURL,
        CALLBACK,
      );
      const error = await oauth
        .completeAuthorization('judy', callback.searchParams, serverNamed)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthorizationResponseError);
      expect((error as AuthorizationResponseError).oauthError.error).toBe('access_denied');
    });
  });

  it('revokes the refresh token at the authorization server on disconnect and forgets the tokens', async () => {
    await connect('kim');
    const { revoked } = await oauth.disconnect('kim', serverNamed('secure')!);
    expect(revoked).toBe(true);
    expect(await oauth.hasTokens('kim', 'secure')).toBe(false);
  });

  it('keeps a disconnect when a refresh that began before it is answered after it: the new tokens are not stored', async () => {
    await connect('nora');
    const whoami = (await manager.getToolsForUser('nora')).tools.find((t) => t.toolName === 'whoami')!;
    let answer!: () => void;
    tokenAnswersHeld = new Promise((resolve) => (answer = resolve));
    clock += 600_000 - 30_000; // inside the refresh margin: the call answers now and refreshes in the background
    expect((await manager.callTool('nora', whoami.name, {})).text).toBe('nora');
    await eventually(() => expect(tokenAnswersWaiting).toBe(1)); // the authorization server issued new tokens

    await oauth.disconnect('nora', serverNamed('secure')!);
    answer();
    await eventually(() => expect(refreshes).toEqual(['refreshed']));
    expect(await oauth.hasTokens('nora', 'secure')).toBe(false);
    expect(await store.records('tokens').get('nora:secure')).toBeUndefined();
    const { errors } = await manager.getToolsForUser('nora');
    expect(errors.toolAuthErrors.map((e) => e.serverName)).toEqual(['secure']);
  });

  it('asks the user to connect again, instead of failing, when the stored tokens were sealed with a lost key', async () => {
    await connect('mona');
    const otherKeys = await target.open({ encryptionKeys: generateKeyringEntry('unrelated') });
    const forgetful = new OAuthManager({
      store: otherKeys,
      publicBaseURL: PUBLIC_BASE,
      logger: logs.logger,
      connectURLMode: 'direct',
    });
    const other = new ClientManager(config, { logger: logs.logger, auth: forgetful });
    try {
      const { errors } = await other.getToolsForUser('mona');
      expect(errors.errors).toEqual([]);
      expect(errors.toolAuthErrors.map((e) => e.serverName)).toEqual(['secure']);
      expect(logs.output()).toContain('stored tokens cannot be decrypted; discarding them');
    } finally {
      await other.close();
    }
  });

  it('never writes a token, code or verifier to the log, and stores no plaintext token', async () => {
    await connect('lena');
    const stored = await target.rawValues();
    const output = logs.output();
    for (const value of stored.join('\n').match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g) ?? [])
      expect(output).not.toContain(value);
    expect(output).not.toMatch(/"(access_token|refresh_token|code_verifier)":"[^[]/);
    expect(stored.join('\n')).not.toMatch(/eyJ[\w-]+\.eyJ/); // no bare JWT (access token) in the store
  });
});
