import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../server/config/schema.js';
import { SECRET_MASK } from '../../server/config/secret-mask.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { startFakeMattermost, type FakeMattermost } from '../support/fake-mattermost.js';
import { silentLogger } from '../support/logger.js';
import { echoTool, startMcpServer, type TestMcpServer } from '../support/mcp-test-server.js';
import { sidecarRequest } from '../support/sidecar-client.js';

const SECRET = 'test-secret-0123456789abcdef';
const BOT_TOKEN = 'bottokenaaaaaaaaaaaaaaaaaa';
const ADMIN = 'adminaaaaaaaaaaaaaaaaaaaaa';
const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';
const API_KEY = 'admin-header-value-never-shown';
const CLIENT_SECRET = 'client-secret-never-shown';

/**
 * Config is a secret setting, so the System Console gets it masked whole from Mattermost; it reads the server
 * list here instead, with each header value and client secret masked, and sends masks back for what it kept.
 */
describe('the server list the System Console reads (GET /admin/mcp/config)', () => {
  let mattermost: FakeMattermost;
  let wiki: TestMcpServer;
  let sidecar: Sidecar;
  const call = (path: string, userId: string, body?: unknown) =>
    sidecarRequest(sidecar.address, path, { secret: SECRET, userId, ...(body === undefined ? {} : { body }) });

  beforeAll(async () => {
    mattermost = await startFakeMattermost({
      token: BOT_TOKEN,
      users: [
        { id: ADMIN, username: 'sysadmin', roles: 'system_user system_admin' },
        { id: ALICE, username: 'alice', roles: 'system_user' },
      ],
    });
    wiki = await startMcpServer({ tools: [echoTool] });
    sidecar = await startSidecar({
      config: parseConfig({
        idleTimeoutMinutes: 20,
        servers: [
          { name: 'wiki', baseURL: wiki.url, headers: { 'X-Api-Key': API_KEY, 'X-Team': 'blue' } },
          {
            name: 'entra',
            baseURL: 'https://tools.example.com/mcp',
            enabled: false,
            oauth: {
              clientId: 'mm',
              clientSecret: CLIENT_SECRET,
              issuer: 'https://login.example.com',
              scopes: ['tools'],
            },
          },
        ],
      }),
      secret: SECRET,
      logger: silentLogger(),
      listen: '127.0.0.1:0',
      mattermost: { restURL: mattermost.url, restToken: BOT_TOKEN },
    });
  });

  afterAll(async () => {
    await sidecar.close();
    await Promise.all([mattermost.close(), wiki.close()]);
  });

  it('gives a system admin every server with each header value and client secret masked, and nothing else hidden', async () => {
    const response = await call('/admin/mcp/config', ADMIN);
    expect(response.status).toBe(200);
    expect(JSON.stringify(response.body)).not.toMatch(new RegExp(`${API_KEY}|${CLIENT_SECRET}`));
    expect(response.body.config).toMatchObject({
      enabled: true,
      idleTimeoutMinutes: 20,
      servers: [
        {
          name: 'wiki',
          enabled: true,
          baseURL: wiki.url,
          headers: { 'X-Api-Key': SECRET_MASK, 'X-Team': SECRET_MASK },
        },
        {
          name: 'entra',
          enabled: false,
          oauth: { clientId: 'mm', clientSecret: SECRET_MASK, issuer: 'https://login.example.com', scopes: ['tools'] },
        },
      ],
    });
  });

  it('answers 403 to a user who is not a system admin', async () => {
    const response = await call('/admin/mcp/config', ALICE);
    expect(response.status).toBe(403);
    expect(JSON.stringify(response.body)).not.toContain(API_KEY);
  });

  it('discovers a server the console sent with masked header values, using the saved values', async () => {
    const response = await call('/admin/mcp/discover', ADMIN, {
      name: 'wiki',
      baseURL: wiki.url,
      headers: { 'x-api-key': SECRET_MASK, 'X-Team': 'green' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      name: 'wiki',
      error: null,
      tools: [expect.objectContaining({ name: 'echo' })],
    });
    const sent = wiki.requests.filter((r) => r.method === 'POST').at(-1)!.headers;
    expect({ key: sent['x-api-key'], team: sent['x-team'] }).toEqual({ key: API_KEY, team: 'green' });
  });

  it('refuses to discover with a mask it has no saved value for, naming the field', async () => {
    const response = await call('/admin/mcp/discover', ADMIN, {
      name: 'new-wiki',
      baseURL: wiki.url,
      headers: { 'X-Api-Key': SECRET_MASK },
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/Server new-wiki: header X-Api-Key is masked but has no saved value/);
  });
});
