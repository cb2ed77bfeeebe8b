import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { startDeadServer, type DeadServer } from '../support/dead-server.js';
import { captureLogger, silentLogger } from '../support/logger.js';
import { sidecarRequest } from '../support/sidecar-client.js';

const SECRET = 'test-secret-0123456789abcdef';
const USER = 'useraaaaaaaaaaaaaaaaaaaaaa';
const ADMIN_HEADER_VALUE = 'admin-header-value-never-logged';

describe('sidecar HTTP API', () => {
  let mcp: TestMcpServer;
  let dead: DeadServer;
  let sidecar: Sidecar;
  const logs = captureLogger('debug');

  const settings = () => ({
    config: {
      servers: [
        { name: 'tools', baseURL: mcp.url, headers: { 'X-Api-Key': ADMIN_HEADER_VALUE } },
        { name: 'dead', baseURL: dead.url },
      ],
    },
  });

  beforeAll(async () => {
    mcp = await startMcpServer({ tools: [echoTool, whoamiTool] });
    dead = await startDeadServer();
    sidecar = await startSidecar({
      config: parseConfig(settings().config),
      secret: SECRET,
      logger: logs.logger,
      listen: '127.0.0.1:0',
    });
  });

  afterAll(async () => {
    await sidecar.close();
    await mcp.close();
    await dead.close();
  });

  const call = (path: string, options: Parameters<typeof sidecarRequest>[2] = {}) =>
    sidecarRequest(sidecar.address, path, { secret: SECRET, userId: USER, ...options });

  describe('trust', () => {
    it.each(['/healthz', '/api/v1/tools', '/mcp/tools', '/hooks/OnConfigurationChange'])(
      'answers 401 to %s without the sidecar secret',
      async (path) => {
        const response = await sidecarRequest(sidecar.address, path, { userId: USER });
        expect(response.status).toBe(401);
        expect(response.body.code).toBe('ERR_SIDECAR_SECRET');
      },
    );

    it('answers 401 to a wrong secret, even one that shares a prefix', async () => {
      const response = await sidecarRequest(sidecar.address, '/api/v1/tools', { secret: `${SECRET}x`, userId: USER });
      expect(response.status).toBe(401);
    });

    it('answers 401 to a user route without X-Mattermost-UserID', async () => {
      const response = await call('/api/v1/tools', { userId: undefined });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ code: 'ERR_NO_USER', error: expect.stringContaining('X-Mattermost-UserID') });
    });

    it('serves /healthz to the shim without a user', async () => {
      const response = await call('/healthz', { userId: undefined });
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('ok');
    });

    it('refuses to listen on a non-loopback address by default', async () => {
      await expect(
        startSidecar({ config: parseConfig({}), secret: SECRET, logger: silentLogger(), listen: '0.0.0.0:0' }),
      ).rejects.toThrow(/refusing to listen on 0.0.0.0/);
    });

    it('can listen on a unix socket only its own OS user can open', async () => {
      const path = join(mkdtempSync(join(tmpdir(), 'sidecar-')), 'sidecar.sock');
      const onSocket = await startSidecar({
        config: parseConfig({}),
        secret: SECRET,
        logger: silentLogger(),
        listen: `unix:${path}`,
      });
      try {
        expect(statSync(path).mode & 0o777).toBe(0o600);
        expect((await sidecarRequest(onSocket.address, '/healthz', { secret: SECRET })).status).toBe(200);
      } finally {
        await onSocket.close();
      }
    });
  });

  describe('the bot API', () => {
    it('lists the user’s tools with the errors of servers that failed', async () => {
      const response = await call('/api/v1/tools');
      expect(response.status).toBe(200);
      expect(response.body.tools.map((t: { name: string }) => t.name)).toEqual(['tools__echo', 'tools__whoami']);
      expect(response.body.tools[0]).toEqual(
        expect.objectContaining({
          serverName: 'tools',
          toolName: 'echo',
          inputSchema: expect.objectContaining({ type: 'object' }),
        }),
      );
      expect(response.body.errors.errors).toEqual([
        expect.objectContaining({ serverName: 'dead', code: 'ERR_MCP_CONNECT' }),
      ]);
    });

    it('calls a tool for the user', async () => {
      const response = await call('/api/v1/tools/call', { body: { name: 'tools__whoami', arguments: {} } });
      expect(response.status).toBe(200);
      expect(response.body).toEqual(expect.objectContaining({ text: USER, isError: false }));
    });

    it('answers without an ETag: the shim sends no conditional requests, so hashing every answer would be wasted', async () => {
      for (const response of [
        await call('/api/v1/tools'),
        await call('/api/v1/tools/call', { body: { name: 'tools__whoami', arguments: {} } }),
      ]) {
        expect(response.status).toBe(200);
        expect(response.headers.etag).toBeUndefined();
      }
    });

    it('answers 404 naming an unknown tool', async () => {
      const response = await call('/api/v1/tools/call', { body: { name: 'nope__nothing' } });
      expect(response.status).toBe(404);
      expect(response.body.error).toContain('nope__nothing');
    });

    it.each([
      [{ arguments: {} }, 'Body field name'],
      [{ name: 'tools__echo', arguments: [1, 2] }, 'Body field arguments'],
      [{ name: 'tools__echo', timeoutMs: -1 }, 'Body field timeoutMs'],
    ])('answers 400 with the field at fault for %j', async (body, message) => {
      const response = await call('/api/v1/tools/call', { body });
      expect(response.status).toBe(400);
      expect(response.body.error).toContain(message);
    });

    it('answers 400 to malformed JSON', async () => {
      const response = await call('/api/v1/tools/call', { rawBody: '{"name": ' });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('The request body is not valid JSON.');
    });
  });

  describe('GET /mcp/tools', () => {
    it('shows each enabled server’s state and tools, like the Go plugin', async () => {
      const response = await call('/mcp/tools');
      expect(response.status).toBe(200);
      expect(response.body.servers).toEqual([
        expect.objectContaining({
          name: 'tools',
          status: 'connected',
          authenticated: true,
          needsOAuth: false,
          tools: [
            expect.objectContaining({ name: 'echo', exposedName: 'tools__echo' }),
            expect.objectContaining({ name: 'whoami' }),
          ],
        }),
        expect.objectContaining({
          name: 'dead',
          status: 'error',
          authenticated: false,
          needsOAuth: false,
          error: expect.stringContaining('could not connect'),
          tools: [],
        }),
      ]);
    });
  });

  describe('configuration hooks', () => {
    it('refuses an invalid config with a message naming the field and keeps serving the old one', async () => {
      const bad = { settings: { config: { servers: [{ name: 'tools', baseURL: 'ftp://nope' }] } } };
      const response = await call('/hooks/OnConfigurationChange', { body: bad, userId: undefined });
      expect(response.status).toBe(400);
      expect(response.body.error).toContain('servers[0].baseURL: must be an http(s) URL');
      const tools = await call('/api/v1/tools');
      expect(tools.body.tools.map((t: { name: string }) => t.name)).toContain('tools__echo');
    });

    it('validates a config before Mattermost saves it', async () => {
      const response = await call('/hooks/ConfigurationWillBeSaved', {
        body: { settings: { config: '{"servers": [{"name": "x"}]}' } },
        userId: undefined,
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toContain('servers[0].baseURL');
    });

    it('applies a valid config (a JSON string, as the console may store it)', async () => {
      const next = { servers: [{ name: 'renamed', baseURL: mcp.url }] };
      const response = await call('/hooks/OnConfigurationChange', {
        body: { settings: { config: JSON.stringify(next), idletimeoutminutes: 10 } },
        userId: undefined,
      });
      expect(response.status).toBe(200);
      const tools = await call('/api/v1/tools');
      expect(tools.body.tools.map((t: { name: string }) => t.name)).toEqual(['renamed__echo', 'renamed__whoami']);
      expect(sidecar.manager.currentConfig.idleTimeoutMinutes).toBe(10);
      await call('/hooks/OnConfigurationChange', { body: { settings: settings() }, userId: undefined });
    });

    it('answers the applied config’s tool policies, named as the MCP endpoint lists them, for the Agents plugin', async () => {
      const [tools, ...others] = settings().config.servers;
      const policies = { echo: { policy: 'auto_run_everywhere' }, whoami: { policy: 'ask', enabled: false } };
      const withPolicies = { config: { servers: [{ ...tools, tools: policies }, ...others] } };
      const response = await call('/hooks/OnConfigurationChange', {
        body: { settings: withPolicies },
        userId: undefined,
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        agentsToolConfigs: [
          { name: 'mcp_connections', policy: 'auto_run_in_dm', enabled: true },
          { name: 'tools__echo', policy: 'auto_run_everywhere', enabled: true },
        ],
      });
      const refused = await call('/hooks/OnConfigurationChange', {
        body: {
          settings: {
            config: { servers: [{ name: 'tools', baseURL: mcp.url, tools: { echo: { policy: 'always' } } }] },
          },
        },
        userId: undefined,
      });
      expect(refused.status).toBe(400);
      expect(refused.body.agentsToolConfigs).toBeUndefined();
      await call('/hooks/OnConfigurationChange', { body: { settings: settings() }, userId: undefined });
    });
  });

  it('never writes an admin-configured header value or the secret to its log', () => {
    const output = logs.output();
    expect(output.length).toBeGreaterThan(0);
    expect(output).not.toContain(ADMIN_HEADER_VALUE);
    expect(output).not.toContain(SECRET);
  });
});
