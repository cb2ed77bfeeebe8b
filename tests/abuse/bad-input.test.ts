import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseConfig } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { startEverythingServer, type EverythingServer } from '../support/everything-server.js';
import { captureLogger } from '../support/logger.js';
import { sidecarRequest } from '../support/sidecar-client.js';
import { rawRequest } from './raw-request.js';

const SECRET = 'bad-input-secret-0123456789abcdef';
const USER = 'useraaaaaaaaaaaaaaaaaaaaaa';

let mcp: TestMcpServer;
let everything: EverythingServer;
let sidecar: Sidecar;
const logs = captureLogger('warn');
const goodSettings = () => ({
  config: {
    servers: [
      { name: 'tools', baseURL: mcp.url },
      { name: 'everything', baseURL: everything.url },
    ],
  },
});

beforeAll(async () => {
  mcp = await startMcpServer({ tools: [echoTool, whoamiTool] });
  everything = await startEverythingServer();
  sidecar = await startSidecar({
    config: parseConfig(goodSettings().config),
    secret: SECRET,
    logger: logs.logger,
    listen: '127.0.0.1:0',
  });
}, 30_000);

afterAll(async () => {
  await sidecar?.close();
  await everything?.stop();
  await mcp?.close();
});

const call = (body: unknown) =>
  sidecarRequest(sidecar.address, '/api/v1/tools/call', { secret: SECRET, userId: USER, body });
const raw = (body: string, contentType = 'application/json') =>
  rawRequest(
    sidecar.address,
    `POST /api/v1/tools/call HTTP/1.1\nHost: sidecar\nAuthorization: Bearer ${SECRET}\nX-Mattermost-UserID: ${USER}\nContent-Type: ${contentType}`,
    body,
  );

/** Still serving the user normally: every refusal above left the sidecar as it was. */
async function stillServing(): Promise<void> {
  expect((await call({ name: 'tools__whoami' })).body.text).toBe(USER);
}

describe('malformed tool-call bodies', () => {
  it.each([
    ['truncated JSON', '{"name": "tools__echo", "arguments": {'],
    ['trailing garbage', '{"name": "tools__echo"} x'],
    ['single quotes', "{'name': 'tools__echo'}"],
    ['NaN', '{"name": "tools__echo", "timeoutMs": NaN}'],
    ['a bare string', '"tools__echo"'],
    ['a comment', '{"name": "tools__echo" /* hi */}'],
    ['an invalid escape', '{"name": "tools__\\x41"}'],
    ['a top-level null (strict JSON bodies are objects or arrays)', 'null'],
    ['a top-level number', '42'],
  ])('answers 400 to %s', async (_what, body) => {
    const answer = await raw(body);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('{"error":"The request body is not valid JSON.","code":"ERR_BAD_REQUEST"}');
  });

  it.each([
    [[], '(root)'],
    [{}, 'name'],
    [{ name: '' }, 'name'],
    [{ name: 7 }, 'name'],
    [{ name: 'x'.repeat(257) }, 'name'],
    [{ name: 'tools__echo', arguments: null }, 'arguments'],
    [{ name: 'tools__echo', arguments: 'message=hi' }, 'arguments'],
    [{ name: 'tools__echo', arguments: [['message', 'hi']] }, 'arguments'],
    [{ name: 'tools__echo', timeoutMs: '1000' }, 'timeoutMs'],
    [{ name: 'tools__echo', timeoutMs: 1.5 }, 'timeoutMs'],
    [{ name: 'tools__echo', timeoutMs: 0 }, 'timeoutMs'],
    [{ name: 'tools__echo', timeoutMs: 3_600_001 }, 'timeoutMs'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const answer = await call(body);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ code: 'ERR_BAD_REQUEST', error: expect.stringContaining(`Body field ${field}`) });
  });

  it('answers 400 to a JSON body sent as text/plain (the body is not read at all)', async () => {
    const answer = await raw('{"name": "tools__echo"}', 'text/plain');
    expect(answer.status).toBe(400);
  });

  it('answers 415 to a charset it does not read', async () => {
    expect((await raw('{"name": "tools__echo"}', 'application/json; charset=latin1')).status).toBe(415);
  });

  it('survives JSON nested 100,000 levels deep: the server’s refusal comes back as its error', async () => {
    const answer = await raw(
      `{"name": "tools__echo", "arguments": {"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}`,
    );
    expect(answer.status).toBe(502);
    expect(answer.text).toMatch(/"error":"Server tools: calling tool echo failed: [^"]*","code":"ERR_MCP_TOOL_CALL"/);
    await stillServing();
  });

  it('does not let __proto__ in a body or its arguments reach any prototype', async () => {
    const answer = await raw(
      '{"name": "tools__echo", "__proto__": {"polluted": true}, "arguments": {"message": "x", "__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}}',
    );
    expect(answer.status).toBe(200);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect((Object.prototype as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('tool calls the servers cannot honour', () => {
  it.each([
    'nope',
    'tools__nope',
    'tools__',
    '__echo',
    'tools__echo\u0000',
    'tools__echo\ud800',
    'tööls__echo',
    'everything__echo__extra',
    '../tools__echo',
  ])('answers 404 naming the unknown tool %j', async (name) => {
    const answer = await call({ name });
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({
      code: 'ERR_MCP_TOOL_NOT_FOUND',
      error: `Unknown tool "${name}". List the user's tools again: it may have been removed or renamed.`,
    });
  });

  it.each([[{ message: 42 }], [{ message: { nested: true } }], [{ message: ['a'] }], [{}]])(
    'passes the server’s own refusal of wrong argument types %j back as a tool error',
    async (args) => {
      const answer = await call({ name: 'everything__echo', arguments: args });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(expect.objectContaining({ isError: true, text: expect.stringMatching(/message/i) }));
    },
  );

  it('carries large arguments, reports a server’s own size refusal as its error, and answers 413 past the 16 MiB body limit', async () => {
    const big = 'x'.repeat(90 * 1024);
    const answer = await call({ name: 'tools__echo', arguments: { message: big } });
    expect(answer.status).toBe(200);
    expect(answer.body.text).toBe(`echo: ${big}`);
    // The test server reads at most 100 KB: its HTML error page comes back as one line naming the server, not the page.
    const refused = await call({ name: 'tools__echo', arguments: { message: 'x'.repeat(500 * 1024) } });
    expect(refused.status).toBe(502);
    expect(refused.body).toEqual({
      code: 'ERR_MCP_TOOL_CALL',
      error:
        'Server tools: calling tool echo failed: HTTP 413: Streamable HTTP error: Error POSTing to endpoint: (an HTML error page)',
    });
    const tooBig = await call({ name: 'tools__echo', arguments: { message: 'x'.repeat(16 * 1024 * 1024) } });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body).toEqual({ code: 'ERR_BAD_REQUEST', error: 'The request body is too large.' });
    await stillServing();
  });
});

describe('invalid configuration in every field, through the hooks', () => {
  const server = () => ({ name: 'tools', baseURL: mcp.url });
  const CASES: ReadonlyArray<readonly [string, () => unknown, string]> = [
    ['settings not an object', () => 'servers', 'settings'],
    ['config not JSON', () => ({ config: '{"servers": [' }), 'config'],
    ['config an array', () => ({ config: [] }), 'config'],
    ['enabled not a boolean', () => ({ config: { enabled: 'yes', servers: [] } }), 'enabled'],
    ['servers not a list', () => ({ config: { servers: { tools: server() } } }), 'servers'],
    ['idle timeout negative', () => ({ config: { servers: [] }, idletimeoutminutes: -1 }), 'idleTimeoutMinutes'],
    [
      'idle timeout not a number',
      () => ({ config: { servers: [] }, idletimeoutminutes: 'soon' }),
      'idleTimeoutMinutes',
    ],
    ['idle timeout over a week', () => ({ config: { servers: [], idleTimeoutMinutes: 20_000 } }), 'idleTimeoutMinutes'],
    ['a server without a name', () => ({ config: { servers: [{ baseURL: mcp.url }] } }), 'servers[0].name'],
    [
      'a name of 65 characters',
      () => ({ config: { servers: [{ ...server(), name: 'n'.repeat(65) }] } }),
      'servers[0].name',
    ],
    ['duplicate names', () => ({ config: { servers: [server(), { ...server(), name: 'TOOLS' }] } }), 'servers[1].name'],
    [
      'a server enabled "yes"',
      () => ({ config: { servers: [{ ...server(), enabled: 'yes' }] } }),
      'servers[0].enabled',
    ],
    ['no baseURL', () => ({ config: { servers: [{ name: 'tools' }] } }), 'servers[0].baseURL'],
    [
      'a gopher baseURL',
      () => ({ config: { servers: [{ ...server(), baseURL: 'gopher://x' }] } }),
      'servers[0].baseURL',
    ],
    [
      'a baseURL with credentials',
      () => ({ config: { servers: [{ ...server(), baseURL: 'https://u:p@x.example' }] } }),
      'servers[0].baseURL',
    ],
    [
      'headers not an object',
      () => ({ config: { servers: [{ ...server(), headers: ['X-Key: 1'] }] } }),
      'servers[0].headers',
    ],
    [
      'a header name with a space',
      () => ({ config: { servers: [{ ...server(), headers: { 'X Key': '1' } }] } }),
      'servers[0].headers',
    ],
    [
      'a header replacing the user id',
      () => ({ config: { servers: [{ ...server(), headers: { 'X-Mattermost-UserID': 'admin' } }] } }),
      'servers[0].headers',
    ],
    [
      'a header value with CRLF',
      () => ({ config: { servers: [{ ...server(), headers: { 'X-Key': 'a\r\nX-Evil: 1' } }] } }),
      'servers[0].headers',
    ],
    [
      'a header value not a string',
      () => ({ config: { servers: [{ ...server(), headers: { 'X-Key': 1 } }] } }),
      'servers[0].headers',
    ],
    [
      'a negative connect timeout',
      () => ({ config: { servers: [{ ...server(), connectTimeoutSeconds: -1 }] } }),
      'servers[0].connectTimeoutSeconds',
    ],
    [
      'a connect timeout as text',
      () => ({ config: { servers: [{ ...server(), connectTimeoutSeconds: '10' }] } }),
      'servers[0].connectTimeoutSeconds',
    ],
    [
      'a tool timeout over an hour',
      () => ({ config: { servers: [{ ...server(), toolTimeoutSeconds: 3601 }] } }),
      'servers[0].toolTimeoutSeconds',
    ],
    ['an unknown server field', () => ({ config: { servers: [{ ...server(), baseUrl: mcp.url }] } }), 'servers[0]'],
    ['oauth not an object', () => ({ config: { servers: [{ ...server(), oauth: 'client' }] } }), 'servers[0].oauth'],
    [
      'an empty client id',
      () => ({ config: { servers: [{ ...server(), oauth: { clientId: ' ' } }] } }),
      'servers[0].oauth.clientId',
    ],
    [
      'a secret without a client id',
      () => ({ config: { servers: [{ ...server(), oauth: { clientSecret: 's' } }] } }),
      'servers[0].oauth.clientSecret',
    ],
    [
      'scopes as one string',
      () => ({ config: { servers: [{ ...server(), oauth: { scopes: 'a b' } }] } }),
      'servers[0].oauth.scopes',
    ],
    [
      'a scope with a space',
      () => ({ config: { servers: [{ ...server(), oauth: { scopes: ['a b'] } }] } }),
      'servers[0].oauth.scopes[0]',
    ],
    [
      'a resource that is not a URL',
      () => ({ config: { servers: [{ ...server(), oauth: { resource: 'tools' } }] } }),
      'servers[0].oauth.resource',
    ],
    [
      'resource with omitResource',
      () => ({ config: { servers: [{ ...server(), oauth: { resource: 'https://x.example', omitResource: true } }] } }),
      'servers[0].oauth.omitResource',
    ],
    [
      'allowMissingS256 as text',
      () => ({ config: { servers: [{ ...server(), oauth: { allowMissingS256: 'true' } }] } }),
      'servers[0].oauth.allowMissingS256',
    ],
    [
      'an unknown oauth field',
      () => ({ config: { servers: [{ ...server(), oauth: { client_id: 'x' } }] } }),
      'servers[0].oauth',
    ],
  ];

  it.each(CASES)('refuses %s, naming %s, and keeps the running config', async (_what, settings, field) => {
    for (const hook of ['ConfigurationWillBeSaved', 'OnConfigurationChange']) {
      const answer = await sidecarRequest(sidecar.address, `/hooks/${hook}`, {
        secret: SECRET,
        body: { settings: settings() },
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toContain(field);
    }
    expect(sidecar.manager.currentConfig.servers.map((s) => s.name)).toEqual(['tools', 'everything']);
  });
});

describe('properties at the HTTP boundary (fast-check)', () => {
  it('answers any JSON tool-call body with a result or a 4xx, never a 500', async () => {
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          name: fc.oneof(fc.constantFrom('tools__echo', 'tools__whoami', 'everything__echo'), fc.string()),
          arguments: fc.jsonValue(),
          timeoutMs: fc.jsonValue(),
        },
        { requiredKeys: ['name'] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const answer = await call(value);
        expect(answer.status).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });

  it('answers any hook settings with 200 or a 400 naming what is wrong, never a 500', async () => {
    const settings = fc.oneof(
      fc.jsonValue(),
      fc.record(
        { config: fc.oneof(fc.jsonValue(), fc.json()), idletimeoutminutes: fc.jsonValue() },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(settings, async (value) => {
        const answer = await sidecarRequest(sidecar.address, '/hooks/ConfigurationWillBeSaved', {
          secret: SECRET,
          body: { settings: value },
        });
        expect([200, 400]).toContain(answer.status);
        if (answer.status === 400) expect(answer.body.error).toMatch(/\S/);
      }),
      { numRuns: 300 },
    );
  });

  it('answers any printable X-Mattermost-UserID with 200 or 401, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({
          unit: fc.constantFrom(...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))),
          maxLength: 80,
        }),
        async (id) => {
          const answer = await sidecarRequest(sidecar.address, '/mcp/tools', {
            secret: SECRET,
            headers: { 'x-mattermost-userid': id },
          });
          expect([200, 401]).toContain(answer.status);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('logged no internal error for any of it', async () => {
    await stillServing();
    expect(logs.output()).not.toContain('"level":50');
  });
});
