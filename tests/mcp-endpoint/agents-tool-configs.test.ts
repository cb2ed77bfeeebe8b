/** The `tool_configs` the shim sends the Agents plugin: the admin's policies under the names the endpoint lists. */
import { describe, expect, it } from '@jest/globals';
import { parseConfig, type Config } from '../../server/config/schema.js';
import { agentsToolConfigs } from '../../server/mcp-endpoint/agents-tool-configs.js';
import { buildToolCatalog } from '../../server/mcp/tool-catalogs.js';

const CONNECTIONS = { name: 'mcp_connections', policy: 'auto_run_in_dm', enabled: true };

/** A config of these servers (the schema's defaults applied); `server` gives one its `tools` settings. */
const configOf = (servers: unknown[], rest: Record<string, unknown> = {}): Config => parseConfig({ ...rest, servers });
const server = (name: string, tools: Record<string, { policy?: string; enabled?: boolean }>, enabled = true) => ({
  name,
  enabled,
  baseURL: 'http://127.0.0.1:1/mcp',
  tools,
});
const names = (config: Config) => agentsToolConfigs(config).map((c) => c.name);

describe('agentsToolConfigs', () => {
  it('starts with mcp_connections run unasked in DMs, even with no servers', () => {
    expect(agentsToolConfigs(configOf([]))).toEqual([CONNECTIONS]);
  });

  it('lists every tool with a policy under its exact <server>__<tool> name', () => {
    const config = configOf([server('wiki', { search: { policy: 'auto_run_everywhere' }, edit: { policy: 'ask' } })]);
    expect(agentsToolConfigs(config)).toEqual([
      CONNECTIONS,
      { name: 'wiki__edit', policy: 'ask', enabled: true },
      { name: 'wiki__search', policy: 'auto_run_everywhere', enabled: true },
    ]);
  });

  it('gives sanitised names the hash suffix the endpoint gives them', () => {
    const config = configOf([
      server('Team Wiki', { search: { policy: 'ask' } }),
      server('wiki', { 'read.page': { policy: 'auto_run_in_dm' } }),
      server('x', { ünïcode: { policy: 'ask' } }),
    ]);
    expect(names(config)).toEqual([
      'mcp_connections',
      'Team_Wiki__search_4af064f5',
      'wiki__read_page_89c15657',
      'x__n_code_698f5ae8',
    ]);
  });

  it('shortens names over 64 characters, keeping a hash of the exact pair', () => {
    const long = 'a'.repeat(70);
    const config = configOf([server('gh', { [long]: { policy: 'ask' } })]);
    expect(names(config)).toEqual([
      'mcp_connections',
      'gh__aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_e17be5df',
    ]);
  });

  it('hashes two named tools whose sanitised names collide, as the endpoint does when it lists both', () => {
    const config = configOf([server('wiki', { read_page: { policy: 'ask' }, 'read.page': {} })]);
    const listed = buildToolCatalog([
      {
        serverName: 'wiki',
        tools: ['read_page', 'read.page'].map((name) => ({ name, inputSchema: { type: 'object' as const } })),
      },
    ]);
    const exposed = listed.names.exposedName({ serverName: 'wiki', toolName: 'read_page' });
    expect(exposed).toMatch(/^wiki__read_page_[0-9a-f]{8}$/);
    expect(names(config)).toEqual(['mcp_connections', exposed]);
  });

  it('leaves out tools without a policy, tools switched off, and every tool of a disabled server', () => {
    const config = configOf([
      server('wiki', {
        search: { policy: 'auto_run_everywhere' },
        delete_page: { policy: 'ask', enabled: false },
        read: { enabled: true },
      }),
      server('off', { search: { policy: 'ask' } }, false),
    ]);
    expect(agentsToolConfigs(config)).toEqual([
      CONNECTIONS,
      { name: 'wiki__search', policy: 'auto_run_everywhere', enabled: true },
    ]);
  });

  it('gives only mcp_connections when the whole config is disabled', () => {
    const config = configOf([server('wiki', { search: { policy: 'ask' } })], { enabled: false });
    expect(agentsToolConfigs(config)).toEqual([CONNECTIONS]);
  });

  it('ignores a policy the Agents plugin does not know (the schema refuses it before it gets here)', () => {
    expect(() => configOf([server('wiki', { search: { policy: 'always' } })])).toThrow(/policy/);
    const config = configOf([server('wiki', { search: { policy: 'ask' }, edit: {} })]);
    Object.assign(config.servers[0]?.tools?.edit ?? {}, { policy: 'always' });
    expect(config.servers[0]?.tools?.edit?.policy).toBe('always');
    expect(names(config)).toEqual(['mcp_connections', 'wiki__search']);
  });

  it('sorts the policies by name, after mcp_connections whatever its place in that order', () => {
    const config = configOf([
      server('zeta', { b: { policy: 'ask' }, a: { policy: 'ask' } }),
      server('alpha', { z: { policy: 'ask' } }),
      server('Beta', { x: { policy: 'ask' } }),
    ]);
    expect(names(config)).toEqual(['mcp_connections', 'Beta__x', 'alpha__z', 'zeta__a', 'zeta__b']);
  });
});
