import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { internalCredential } from '../../server/http/authentication.js';
import type { Sidecar } from '../../server/sidecar.js';
import type { TestMcpServer } from '../support/mcp-test-server.js';
import {
  ADMIN,
  ALICE,
  startSidecarWithMattermost,
  type SidecarWithMattermost,
} from '../support/sidecar-with-mattermost.js';
import { sidecarRequest } from '../support/sidecar-client.js';
import { rawRequest } from './raw-request.js';

const SECRET = 'hostile-callers-secret-0123456789';
const BOT_TOKEN = 'bottokenhostilecallersaaaaa';

let world: SidecarWithMattermost;
let mcp: TestMcpServer;
let sidecar: Sidecar;

beforeAll(async () => {
  world = await startSidecarWithMattermost(SECRET, BOT_TOKEN);
  ({ mcp, sidecar } = world);
  // Alice is a real user with a live connection: the forged requests below try to act as her.
  expect(
    (await sidecarRequest(sidecar.address, '/api/v1/tools', { secret: SECRET, userId: ALICE })).body.tools,
  ).toHaveLength(2);
});

afterAll(async () => {
  await world?.close();
});

/** Every route the sidecar serves, with a body that would act for Alice (or change the config) if accepted. */
const ROUTES: ReadonlyArray<readonly [string, string, unknown?]> = [
  ['GET', '/healthz'],
  ['GET', '/metrics'],
  ['GET', '/api/v1/tools'],
  ['POST', '/api/v1/tools/call', { name: 'tools__whoami', arguments: {} }],
  ['GET', '/mcp/tools'],
  ['PUT', '/mcp/servers/tools/enabled', { enabled: false }],
  ['GET', '/mcp/oauth/tools/start'],
  ['GET', '/oauth/callback?state=forged&code=forged'],
  ['DELETE', '/mcp/oauth/tools'],
  ['GET', '/oauth/client-metadata.json'],
  ['GET', '/autocomplete/servers'],
  ['GET', '/admin/mcp/tools'],
  ['GET', '/admin/mcp/config'],
  ['POST', '/admin/mcp/discover', { name: 'evil', baseURL: 'http://127.0.0.1:9/mcp' }],
  ['POST', '/hooks/OnConfigurationChange', { settings: { config: { servers: [] } } }],
  ['POST', '/hooks/ConfigurationWillBeSaved', { settings: { config: { servers: [] } } }],
  ['POST', '/hooks/ExecuteCommand', { user_id: ALICE, command: '/mcp disconnect tools' }],
  ['POST', '/hooks/UserHasBeenDeactivated', { user_id: ALICE }],
  ['POST', '/hooks/OnDeactivate', {}],
  ['GET', '/no/such/route'],
];

const FORGED_CREDENTIALS: ReadonlyArray<readonly [string, Record<string, string>]> = [
  ['no Authorization header', {}],
  ['a wrong secret', { authorization: 'Bearer not-the-secret-at-all-0000' }],
  ['the secret with one more character', { authorization: `Bearer ${SECRET}x` }],
  ['the secret less its last character', { authorization: `Bearer ${SECRET.slice(0, -1)}` }],
  ['the secret under the Basic scheme', { authorization: `Basic ${Buffer.from(`shim:${SECRET}`).toString('base64')}` }],
  ['an empty bearer token', { authorization: 'Bearer ' }],
  ['the secret in another header', { 'x-sidecar-secret': SECRET, cookie: `secret=${SECRET}` }],
  [
    'the internal credential derived from another secret',
    { authorization: `Bearer ${internalCredential(`${SECRET}x`)}` },
  ],
  [
    'the internal credential with the label as the key',
    {
      authorization: `Bearer ${createHmac('sha256', 'mattermost-mcp internal routes v1').update(SECRET).digest('hex')}`,
    },
  ],
];

describe('requests without the shared secret', () => {
  const cases = ROUTES.flatMap(([method, path, body]) =>
    FORGED_CREDENTIALS.map(([how, headers]) => [`${method} ${path}`, how, method, path, body, headers] as const),
  );

  it.each(cases)(
    '%s with %s, claiming to be Alice, is refused with 401 and does nothing',
    async (_route, _how, method, path, body, headers) => {
      const before = mcp.requests.length;
      const response = await sidecarRequest(sidecar.address, path, {
        method,
        userId: ALICE,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'Missing or wrong sidecar secret.', code: 'ERR_SIDECAR_SECRET' });
      expect(mcp.requests.length).toBe(before);
    },
  );

  it('left Alice connected and the configuration as it was', async () => {
    const response = await sidecarRequest(sidecar.address, '/api/v1/tools/call', {
      secret: SECRET,
      userId: ALICE,
      body: { name: 'tools__whoami' },
    });
    expect(response.body.text).toBe(ALICE);
    expect(sidecar.manager.currentConfig.servers.map((s) => s.name)).toEqual(['tools']);
  });

  it('refuses a wrong secret sent before the right one in a duplicated Authorization header', async () => {
    const answer = await rawRequest(
      sidecar.address,
      `GET /api/v1/tools HTTP/1.1\nHost: sidecar\nAuthorization: Bearer wrong-secret-0000000000\nAuthorization: Bearer ${SECRET}\nX-Mattermost-UserID: ${ALICE}`,
    );
    expect(answer.status).toBe(401);
  });
});

describe('odd X-Mattermost-UserID values, with the secret', () => {
  const USER_ROUTES: ReadonlyArray<readonly [string, string, unknown?]> = [
    ['GET', '/api/v1/tools'],
    ['POST', '/api/v1/tools/call', { name: 'tools__whoami' }],
    ['GET', '/mcp/tools'],
    ['PUT', '/mcp/servers/tools/enabled', { enabled: false }],
    ['GET', '/autocomplete/servers'],
    ['GET', '/mcp/oauth/tools/start'],
    ['GET', '/oauth/callback?state=x&code=y'],
    ['DELETE', '/mcp/oauth/tools'],
    ['GET', '/admin/mcp/tools'],
    ['GET', '/admin/mcp/config'],
  ];
  const ODD_IDS = [
    '',
    ' ',
    'a'.repeat(65),
    'alice bob',
    'alicé',
    '../alice',
    'alice/../admin',
    '%61lice',
    'alice;admin',
    `${ALICE}, ${ADMIN}`,
    '<script>',
    '*',
  ];
  const cases = USER_ROUTES.flatMap(([method, path, body]) =>
    ODD_IDS.map((id) => [`${method} ${path}`, JSON.stringify(id), method, path, body, id] as const),
  );

  it.each(cases)(
    '%s as %s is refused with 401 and reaches no MCP server',
    async (_route, _id, method, path, body, id) => {
      const before = mcp.requests.length;
      const response = await sidecarRequest(sidecar.address, path, {
        method,
        secret: SECRET,
        headers: { 'x-mattermost-userid': id },
        ...(body === undefined ? {} : { body }),
      });
      expect(response.status).toBe(401);
      expect(mcp.requests.length).toBe(before);
      expect(sidecar.manager.hasUser(id)).toBe(false);
    },
  );

  it.each([
    ['a control character', `ali\x01ce`, 400],
    ['a NUL byte', `alice\x00`, 400],
    ['a bare carriage return', `alice\radmin`, 400],
    ['20 KB of it', 'a'.repeat(20_000), 431],
  ])('refuses a user id with %s at the HTTP parser, and keeps serving', async (_what, id, status) => {
    const answer = await rawRequest(
      sidecar.address,
      `GET /api/v1/tools HTTP/1.1\nHost: sidecar\nAuthorization: Bearer ${SECRET}\nX-Mattermost-UserID: ${id}`,
    );
    expect(answer.status).toBe(status);
    expect((await sidecarRequest(sidecar.address, '/healthz', { secret: SECRET })).status).toBe(200);
  });

  it('refuses two X-Mattermost-UserID headers rather than picking one', async () => {
    const answer = await rawRequest(
      sidecar.address,
      `GET /api/v1/tools HTTP/1.1\nHost: sidecar\nAuthorization: Bearer ${SECRET}\nX-Mattermost-UserID: ${ALICE}\nX-Mattermost-UserID: ${ADMIN}`,
    );
    expect(answer.status).toBe(401);
    expect(sidecar.manager.hasUser(ADMIN)).toBe(false);
  });

  it('refuses a slash command whose user differs from the user the shim vouched for', async () => {
    const response = await sidecarRequest(sidecar.address, '/hooks/ExecuteCommand', {
      secret: SECRET,
      userId: ALICE,
      body: { user_id: ADMIN, command: '/mcp status' },
    });
    expect(response.status).toBe(400);
    expect(sidecar.manager.hasUser(ADMIN)).toBe(false);
  });
});
