import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../server/config/schema.js';
import { startSidecar, type Sidecar, type SidecarOptions } from '../../server/sidecar.js';
import { startFakeMattermost, type FakeMattermost } from '../support/fake-mattermost.js';
import { startDeadServer, type DeadServer } from '../support/dead-server.js';
import { captureLogger, silentLogger } from '../support/logger.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { sidecarRequest } from '../support/sidecar-client.js';
import { authAskingForOAuth, startPath, startProtectedServer } from './oauth-stand-in.js';

const SECRET = 'test-secret-0123456789abcdef';
const BOT_TOKEN = 'bottokenaaaaaaaaaaaaaaaaaa';
const ADMIN = 'adminaaaaaaaaaaaaaaaaaaaaa';
const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';
const FORMER_ADMIN = 'formeradminaaaaaaaaaaaaaaa';

describe('admin routes', () => {
  let mattermost: FakeMattermost;
  let wiki: TestMcpServer;
  let dead: DeadServer;
  let slow: TestMcpServer;
  let locked: { url: string; close(): Promise<void> };
  const sidecars: Sidecar[] = [];

  async function sidecar(extra: Partial<SidecarOptions> = {}): Promise<Sidecar> {
    const s = await startSidecar({
      config: parseConfig({
        servers: [
          { name: 'wiki', baseURL: wiki.url },
          { name: 'locked', baseURL: locked.url },
          { name: 'dead', baseURL: dead.url },
          { name: 'slow', baseURL: slow.url, connectTimeoutSeconds: 0.3 },
          { name: 'retired', baseURL: wiki.url, enabled: false },
        ],
      }),
      secret: SECRET,
      logger: silentLogger(),
      listen: '127.0.0.1:0',
      clientDeps: { auth: authAskingForOAuth },
      mattermost: { restURL: mattermost.url, restToken: BOT_TOKEN },
      ...extra,
    });
    sidecars.push(s);
    return s;
  }

  let main: Sidecar;
  const call = (path: string, userId: string, body?: unknown, on: Sidecar = main) =>
    sidecarRequest(on.address, path, { secret: SECRET, userId, ...(body === undefined ? {} : { body }) });

  beforeAll(async () => {
    mattermost = await startFakeMattermost({
      token: BOT_TOKEN,
      users: [
        { id: ADMIN, username: 'sysadmin', roles: 'system_user system_admin' },
        { id: ALICE, username: 'alice', roles: 'system_user' },
        { id: FORMER_ADMIN, username: 'former', roles: 'system_user system_admin', deleteAt: 1_700_000_000_000 },
      ],
    });
    wiki = await startMcpServer({ tools: [echoTool, whoamiTool] });
    dead = await startDeadServer();
    slow = await startMcpServer({ delayMs: 10_000 });
    locked = await startProtectedServer();
    main = await sidecar();
  });

  afterAll(async () => {
    await Promise.all(sidecars.map((s) => s.close()));
    await Promise.all([mattermost.close(), wiki.close(), slow.close(), locked.close(), dead.close()]);
  });

  describe('GET /admin/mcp/tools', () => {
    it('discovers every enabled server as the admin: tools, a Connect link, or the error', async () => {
      const response = await call('/admin/mcp/tools', ADMIN);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        servers: [
          {
            name: 'wiki',
            url: wiki.url,
            enabled: true,
            needsOAuth: false,
            error: null,
            tools: [
              { name: 'echo', description: 'Echoes its message', inputSchema: echoTool.inputSchema, enabled: true },
              {
                name: 'whoami',
                description: 'Returns the X-Mattermost-UserID the server received',
                inputSchema: { type: 'object', properties: {} },
                enabled: true,
              },
            ],
            reachingBot: { tools: 2, estimatedTokens: expect.any(Number) },
            warnings: [],
          },
          {
            name: 'locked',
            url: locked.url,
            enabled: true,
            tools: [],
            needsOAuth: true,
            oauthURL: startPath('locked'),
            error: null,
          },
          {
            name: 'dead',
            url: dead.url,
            enabled: true,
            tools: [],
            needsOAuth: false,
            error: expect.stringContaining('Server dead: could not connect'),
          },
          {
            name: 'slow',
            url: slow.url,
            enabled: true,
            tools: [],
            needsOAuth: false,
            error: expect.stringMatching(/^Server slow: no answer to .+ within 0\.3 s\.$/),
          },
        ],
      });
      expect(wiki.requests.at(-1)?.headers['x-mattermost-userid']).toBe(ADMIN);
    });

    it('asks Mattermost who the user is with the bot token', async () => {
      expect((await call('/admin/mcp/tools', ADMIN)).status).toBe(200);
      // Asked once here, or by a spec before (the answer is kept for a while): every time the same way.
      const lookups = mattermost.requests.filter((r) => r.path === `/api/v4/users/${ADMIN}`);
      expect(lookups.length).toBeGreaterThan(0);
      for (const lookup of lookups)
        expect(lookup).toEqual({ method: 'GET', path: `/api/v4/users/${ADMIN}`, authorized: true });
    });

    it('answers 403 to a user who is not a system admin', async () => {
      const response = await call('/admin/mcp/tools', ALICE);
      expect(response.status).toBe(403);
      expect(response.body).toEqual({
        code: 'ERR_NOT_SYSTEM_ADMIN',
        error: 'You must be a system admin to use this route.',
      });
    });

    it.each([
      ['a deactivated admin', FORMER_ADMIN],
      ['a user Mattermost does not know', 'ghostaaaaaaaaaaaaaaaaaaaaa'],
    ])('answers 403 to %s', async (_who, userId) => {
      expect((await call('/admin/mcp/tools', userId)).status).toBe(403);
    });

    it('remembers the answer for a while instead of asking Mattermost on every request', async () => {
      const lookups = () => mattermost.requests.filter((r) => r.path === `/api/v4/users/${ALICE}`).length;
      await call('/admin/mcp/tools', ALICE);
      const asked = lookups();
      await Promise.all([call('/admin/mcp/tools', ALICE), call('/admin/mcp/discover', ALICE, {})]);
      expect(asked).toBe(1);
      expect(lookups()).toBe(asked);
    });

    it('answers 401 without the user Mattermost authenticated', async () => {
      expect((await sidecarRequest(main.address, '/admin/mcp/tools', { secret: SECRET })).status).toBe(401);
    });
  });

  describe('POST /admin/mcp/discover', () => {
    it('discovers an unsaved server config', async () => {
      const response = await call('/admin/mcp/discover', ADMIN, {
        name: 'trial',
        baseURL: wiki.url,
        headers: { 'X-Api-Key': 'k' },
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        name: 'trial',
        url: wiki.url,
        enabled: true,
        needsOAuth: false,
        error: null,
        tools: [expect.objectContaining({ name: 'echo' }), expect.objectContaining({ name: 'whoami' })],
        reachingBot: { tools: 2, estimatedTokens: expect.any(Number) },
        warnings: [],
      });
      expect(wiki.requests.at(-1)?.headers['x-api-key']).toBe('k');
    });

    it('shows what the unsaved rules hide and why, what reaches the bot with its token estimate, and patterns that match nothing', async () => {
      const response = await call('/admin/mcp/discover', ADMIN, {
        name: 'trial',
        baseURL: wiki.url,
        deny: ['who*', 'drop_*'],
        tools: { echo: { policy: 'ask' }, search: { enabled: false } },
      });
      expect(response.status).toBe(200);
      expect(response.body.tools).toEqual([
        {
          name: 'echo',
          description: 'Echoes its message',
          inputSchema: echoTool.inputSchema,
          enabled: true,
          policy: 'ask',
        },
        expect.objectContaining({ name: 'whoami', enabled: false, hiddenBy: { kind: 'denied', pattern: 'who*' } }),
      ]);
      const echoDefinition = JSON.stringify({
        name: 'trial__echo',
        description: 'Echoes its message',
        input_schema: echoTool.inputSchema,
      });
      expect(response.body.reachingBot).toEqual({ tools: 1, estimatedTokens: Math.ceil(echoDefinition.length / 4) });
      expect(response.body.warnings).toEqual([
        'Server trial: deny[1] "drop_*" matches none of the server\'s tools (a typo, or a tool it no longer has).',
        'Server trial: tools.search "search" matches none of the server\'s tools (a typo, or a tool it no longer has).',
      ]);
    });

    it('names the field of a bad pattern in an unsaved server', async () => {
      const response = await call('/admin/mcp/discover', ADMIN, { name: 'trial', baseURL: wiki.url, allow: ['a b'] });
      expect(response.status).toBe(400);
      expect(response.body.error).toContain('allow.0: must not contain spaces');
    });

    it('returns the row with the error for a server that is down', async () => {
      const response = await call('/admin/mcp/discover', ADMIN, { name: 'trial', baseURL: dead.url, enabled: false });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        name: 'trial',
        url: dead.url,
        enabled: false,
        tools: [],
        needsOAuth: false,
        error: expect.stringContaining('Server trial: could not connect'),
      });
    });

    it.each([
      [{ name: 'trial', baseURL: 'ftp://files.example.com' }, 'baseURL: must be an http(s) URL'],
      [{ baseURL: 'https://mcp.example.com' }, 'name: '],
      [
        { name: 'trial', baseURL: 'https://mcp.example.com', connectTimeoutSeconds: -1 },
        'connectTimeoutSeconds: must be positive',
      ],
      [
        { name: 'trial', baseURL: 'https://mcp.example.com', headers: { 'X-Mattermost-UserID': 'x' } },
        'headers.X-Mattermost-UserID',
      ],
      [{ name: 'trial', baseURL: 'https://mcp.example.com', bogus: true }, 'bogus'],
    ])('answers 400 naming the field for %j', async (body, field) => {
      const response = await call('/admin/mcp/discover', ADMIN, body);
      expect(response.status).toBe(400);
      expect(response.body.error).toMatch(/^Invalid server config: /);
      expect(response.body.error).toContain(field);
    });

    it('answers 403 to a non-admin before looking at the body', async () => {
      expect((await call('/admin/mcp/discover', ALICE, { baseURL: 'ftp://x' })).status).toBe(403);
    });
  });

  describe('when Mattermost cannot tell (fail closed)', () => {
    it('answers 503 when Mattermost is down', async () => {
      const gone = await startDeadServer(); // Mattermost's port, and nothing answering on it
      const s = await sidecar({ mattermost: { restURL: `http://127.0.0.1:${gone.port}`, restToken: BOT_TOKEN } });
      const response = await call('/admin/mcp/tools', ADMIN, undefined, s).finally(() => gone.close());
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('ERR_MATTERMOST_UNAVAILABLE');
      expect(response.body.error).toMatch(
        /^Could not check your permissions with Mattermost \(Mattermost is unreachable/,
      );
    });

    it('answers 503 when Mattermost refuses the bot token, without revealing it', async () => {
      const logs = captureLogger('debug');
      const s = await sidecar({
        logger: logs.logger,
        mattermost: { restURL: mattermost.url, restToken: 'revoked-token-never-shown' },
      });
      const response = await call('/admin/mcp/tools', ADMIN, undefined, s);
      expect(response.status).toBe(503);
      expect(response.body.error).toContain('HTTP 401: Invalid or expired session, please login again.');
      expect(JSON.stringify(response.body)).not.toContain('revoked-token-never-shown');
      expect(logs.output()).not.toContain('revoked-token-never-shown');
    });

    it('answers 503 when the sidecar has no Mattermost REST access configured', async () => {
      const s = await sidecar({ mattermost: {} });
      const response = await call('/admin/mcp/discover', ADMIN, { name: 'trial', baseURL: wiki.url }, s);
      expect(response.status).toBe(503);
      expect(response.body.error).toContain('MCP_MATTERMOST_URL and MCP_MATTERMOST_TOKEN are unset');
    });
  });
});
