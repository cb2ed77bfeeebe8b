import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ConfigValidationError } from '../../server/config/errors.js';
import { parseConfig, type ConfigInput } from '../../server/config/schema.js';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { ToolDisabledError } from '../../server/mcp/errors.js';
import { ToolAccess } from '../../server/mcp/tool-access.js';
import { ToolNameMap } from '../../server/mcp/tool-names.js';
import { captureLogger, silentLogger } from '../support/logger.js';
import { echoTool, startMcpServer, type TestMcpServer, type TestTool } from '../support/mcp-test-server.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { connectEndpoint } from '../support/mcp-endpoint-client.js';
import { sidecarRequest } from '../support/sidecar-client.js';

const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';
const managers: ClientManager[] = [];

function manager(config: ConfigInput, logger = silentLogger()): ClientManager {
  const m = new ClientManager(parseConfig(config), { logger });
  managers.push(m);
  return m;
}

function issuesOf(config: unknown): Array<{ path: string; message: string }> {
  try {
    parseConfig(config);
  } catch (error) {
    if (error instanceof ConfigValidationError) return [...error.issues];
    throw error;
  }
  return [];
}

/** A tool that records each call it gets, so a spec can tell the server never saw one. */
function tool(name: string, calls: string[]): TestTool {
  return {
    name,
    description: `The ${name} tool`,
    inputSchema: { type: 'object', properties: {} },
    run: () => (calls.push(name), { content: [{ type: 'text', text: name }] }),
  };
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

describe('tool rules in the config', () => {
  it('names the field of a bad policy, pattern or tool setting', () => {
    const server = { name: 'wiki', baseURL: 'http://127.0.0.1:1/mcp' };
    expect(issuesOf({ servers: [{ ...server, tools: { search: { policy: 'always' } } }] })).toEqual([
      { path: 'servers[0].tools.search.policy', message: 'must be one of ask, auto_run_in_dm, auto_run_everywhere' },
    ]);
    expect(issuesOf({ servers: [{ ...server, deny: ['delete_*', ''] }] })).toEqual([
      { path: 'servers[0].deny[1]', message: 'must not be empty' },
    ]);
    expect(issuesOf({ servers: [{ ...server, allow: ['read file'] }] })).toEqual([
      {
        path: 'servers[0].allow[0]',
        message: 'must not contain spaces or control characters (use * and ? as wildcards)',
      },
    ]);
    expect(issuesOf({ servers: [{ ...server, tools: { search: { enabled: 'no' } } }] })).toEqual([
      { path: 'servers[0].tools.search.enabled', message: expect.stringContaining('boolean') },
    ]);
    expect(issuesOf({ servers: [{ ...server, tools: { search: { enabled: false, color: 'red' } } }] })).toEqual([
      { path: 'servers[0].tools.search', message: expect.stringContaining('color') },
    ]);
  });

  it('accepts every policy, and patterns that match nothing yet (those are warnings, not errors)', () => {
    const config = parseConfig({
      servers: [
        {
          name: 'wiki',
          baseURL: 'http://127.0.0.1:1/mcp',
          allow: ['read_*'],
          deny: ['nothing_like_this_*'],
          tools: {
            a: { policy: 'ask' },
            b: { policy: 'auto_run_in_dm' },
            c: { policy: 'auto_run_everywhere', enabled: true },
          },
        },
      ],
    });
    const access = new ToolAccess(config.servers[0]!);
    expect(access.unmatched(['read_page', 'a', 'b'])).toEqual([
      { serverName: 'wiki', field: 'deny[0]', pattern: 'nothing_like_this_*' },
      { serverName: 'wiki', field: 'tools.c', pattern: 'c' },
    ]);
    expect(access.policy('b')).toBe('auto_run_in_dm');
  });
});

describe('ToolAccess', () => {
  const server = (rules: Partial<ConfigInput['servers'] extends (infer S)[] | undefined ? S : never>) =>
    new ToolAccess(parseConfig({ servers: [{ name: 's', baseURL: 'http://127.0.0.1:1/mcp', ...rules }] }).servers[0]!);

  it('lets deny win over allow and over a tool set enabled', () => {
    const access = server({ allow: ['*'], deny: ['delete_*'], tools: { delete_page: { enabled: true } } });
    expect(access.hiddenBy('delete_page')).toEqual({ kind: 'denied', pattern: 'delete_*' });
    expect(access.hiddenBy('read_page')).toBeUndefined();
  });

  it('hides what an allow list does not name, unless the tool is set enabled', () => {
    const access = server({
      allow: ['read_?age'],
      tools: { search: { enabled: true }, read_page: { enabled: false } },
    });
    expect(access.hiddenBy('read_cage')).toBeUndefined();
    expect(access.hiddenBy('read_pages')).toEqual({ kind: 'not_allowed' });
    expect(access.hiddenBy('search')).toBeUndefined();
    expect(access.hiddenBy('read_page')).toEqual({ kind: 'disabled' });
  });

  it('reads regular-expression characters in a pattern literally', () => {
    const access = server({ deny: ['a.b', 'x+'] });
    expect(access.allows('a.b')).toBe(false);
    expect(access.allows('axb')).toBe(true);
    expect(access.allows('xx')).toBe(true);
    expect(access.allows('x+')).toBe(false);
  });
});

describe('what reaches the bot', () => {
  let server: TestMcpServer;
  const calls: string[] = [];
  beforeAll(async () => {
    server = await startMcpServer({
      tools: [tool('read_page', calls), tool('delete_page', calls), tool('search', calls), echoTool],
    });
  });
  afterAll(() => server.close());

  it('neither lists nor calls a disabled or denied tool; the call names the tool and says an admin disabled it', async () => {
    const m = manager({
      servers: [{ name: 'wiki', baseURL: server.url, deny: ['delete_*'], tools: { search: { enabled: false } } }],
    });
    const { tools } = await m.getToolsForUser(ALICE);
    expect(tools.map((t) => t.name).sort()).toEqual(['wiki__echo', 'wiki__read_page']);
    const states = await m.getServerStatesForUser(ALICE);
    expect(states[0]!.tools.map((t) => t.toolName).sort()).toEqual(['echo', 'read_page']);
    calls.length = 0;
    for (const name of ['wiki__delete_page', 'wiki__search']) {
      const refused = m.callTool(ALICE, name, {});
      await expect(refused).rejects.toBeInstanceOf(ToolDisabledError);
      await expect(refused).rejects.toThrow(
        `Tool ${name} (${name.slice(6)} on server wiki) is disabled by a system admin`,
      );
    }
    expect(calls).toEqual([]);
    await expect(m.callTool(ALICE, 'wiki__read_page', {})).resolves.toMatchObject({ content: [{ text: 'read_page' }] });
  });

  it('applies changed tool rules to connected users without reconnecting them', async () => {
    const m = manager({ servers: [{ name: 'wiki', baseURL: server.url }] });
    expect((await m.getToolsForUser(ALICE)).tools).toHaveLength(4);
    const handshakes = server.initializeCount;
    m.reInit(parseConfig({ servers: [{ name: 'wiki', baseURL: server.url, allow: ['read_*'] }] }));
    expect((await m.getToolsForUser(ALICE)).tools.map((t) => t.name)).toEqual(['wiki__read_page']);
    await expect(m.callTool(ALICE, 'wiki__echo', { message: 'x' })).rejects.toBeInstanceOf(ToolDisabledError);
    m.reInit(parseConfig({ servers: [{ name: 'wiki', baseURL: server.url }] }));
    expect((await m.getToolsForUser(ALICE)).tools).toHaveLength(4);
    expect(server.initializeCount).toBe(handshakes);
  });

  it("logs each pattern or tool setting that matches none of the server's tools, once", async () => {
    const { logger, output } = captureLogger('warn');
    const lines = () =>
      output()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const m = manager(
      { servers: [{ name: 'wiki', baseURL: server.url, deny: ['drop_*'], tools: { serach: { enabled: false } } }] },
      logger,
    );
    await m.getToolsForUser(ALICE);
    await m.getToolsForUser('bobbbbbbbbbbbbbbbbbbbbbbbb');
    const warnings = lines().filter((l) => l.level === 40 && String(l.msg).includes('matches none'));
    expect(warnings.map((l) => l.field)).toEqual(['deny[0]', 'tools.serach']);
    expect(warnings[0]!.msg).toBe(
      'Server wiki: deny[0] "drop_*" matches none of the server\'s tools (a typo, or a tool it no longer has).',
    );
  });
});

describe('every surface the bot and the user see', () => {
  const SECRET = 'tool-access-secret-0123456789';
  let server: TestMcpServer;
  let sidecar: Sidecar;
  const calls: string[] = [];
  beforeAll(async () => {
    server = await startMcpServer({ tools: [tool('read_page', calls), tool('delete_page', calls)] });
    const config = parseConfig({ servers: [{ name: 'wiki', baseURL: server.url, deny: ['delete_*'] }] });
    sidecar = await startSidecar({ config, secret: SECRET, logger: silentLogger(), listen: '127.0.0.1:0' });
  });
  afterAll(async () => {
    await sidecar.close();
    await server.close();
  });

  it('hides a denied tool from /api/v1/tools, /mcp/tools, the MCP endpoint and /mcp tools, and every call path refuses it', async () => {
    const as = { secret: SECRET, userId: ALICE };
    const rest = await sidecarRequest(sidecar.address, '/api/v1/tools', as);
    expect(rest.body.tools.map((t: { name: string }) => t.name)).toEqual(['wiki__read_page']);
    const panel = await sidecarRequest(sidecar.address, '/mcp/tools', as);
    expect(panel.body.servers[0].tools.map((t: { name: string }) => t.name)).toEqual(['read_page']);
    const command = await sidecarRequest(sidecar.address, '/hooks/ExecuteCommand', {
      ...as,
      body: { user_id: ALICE, command: '/mcp tools' },
    });
    expect(command.body.text).toContain('`wiki__read_page`');
    expect(command.body.text).not.toContain('delete_page');

    const { client } = await connectEndpoint(sidecar.address, as);
    try {
      const listed = await client.listTools();
      expect(listed.tools.map((t) => t.name)).toEqual(['mcp_connections', 'wiki__read_page']);
      const result = await client.callTool({ name: 'wiki__delete_page', arguments: {} });
      expect(result).toMatchObject({
        isError: true,
        content: [
          {
            type: 'text',
            text: expect.stringContaining(
              'Tool wiki__delete_page (delete_page on server wiki) is disabled by a system admin',
            ),
          },
        ],
      });
    } finally {
      await client.close();
    }
    const call = await sidecarRequest(sidecar.address, '/api/v1/tools/call', {
      ...as,
      body: { name: 'wiki__delete_page', arguments: {} },
    });
    expect(call.status).toBe(403);
    expect(call.body).toEqual({
      code: 'ERR_MCP_TOOL_DISABLED',
      error: expect.stringContaining('is disabled by a system admin'),
    });
    expect(calls).toEqual([]);
  });
});

/** The specification of a glob, written apart from the implementation: `*` any run, `?` one character. */
function globMatches(pattern: string, name: string): boolean {
  if (pattern === '') return name === '';
  const [head, rest] = [pattern[0]!, pattern.slice(1)];
  if (head === '*') return [...Array(name.length + 1).keys()].some((i) => globMatches(rest, name.slice(i)));
  if (name === '') return false;
  return (head === '?' || head === name[0]) && globMatches(rest, name.slice(1));
}

describe('property: for any config and any tool list, no disabled or denied tool is ever listed or called', () => {
  let server: TestMcpServer;
  const calls: string[] = [];
  beforeAll(async () => {
    server = await startMcpServer();
  });
  afterAll(() => server.close());

  const part = fc.constantFrom('read', 'delete', 'page', 'a', 'b', '.', '_');
  const toolName = fc.array(part, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''));
  const pattern = fc
    .array(fc.oneof(part, fc.constantFrom('*', '?')), { minLength: 1, maxLength: 4 })
    .map((parts) => parts.join(''));

  it('holds for listing, status and calls', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(toolName, { minLength: 1, maxLength: 8 }),
        fc.option(fc.array(pattern, { maxLength: 3 }), { nil: undefined }),
        fc.option(fc.array(pattern, { maxLength: 3 }), { nil: undefined }),
        fc.dictionary(toolName, fc.record({ enabled: fc.option(fc.boolean(), { nil: undefined }) }), { maxKeys: 4 }),
        async (names, allow, deny, tools) => {
          server.setTools(names.map((n) => tool(n, calls)));
          const m = manager({
            servers: [{ name: 's', baseURL: server.url, ...(allow && { allow }), ...(deny && { deny }), tools }],
          });
          const blocked = (n: string) =>
            (deny ?? []).some((p) => globMatches(p, n)) ||
            tools[n]?.enabled === false ||
            (allow !== undefined && tools[n]?.enabled !== true && !allow.some((p) => globMatches(p, n)));
          const listed = (await m.getToolsForUser(ALICE)).tools.map((t) => t.toolName);
          expect(listed.sort()).toEqual(names.filter((n) => !blocked(n)).sort());
          const shown = (await m.getServerStatesForUser(ALICE)).flatMap((s) => s.tools.map((t) => t.toolName));
          expect(shown.some(blocked)).toBe(false);
          calls.length = 0;
          // Every tool under the name the bot would use for it (names do not depend on what is hidden).
          const naming = new ToolNameMap(names.map((toolName) => ({ serverName: 's', toolName })));
          for (const n of names) {
            const call = m.callTool(ALICE, naming.exposedName({ serverName: 's', toolName: n })!, {});
            if (blocked(n)) await expect(call).rejects.toBeInstanceOf(ToolDisabledError);
            else await call;
          }
          expect(calls.some(blocked)).toBe(false);
          await m.close();
        },
      ),
      { numRuns: 40 },
    );
  });
});
