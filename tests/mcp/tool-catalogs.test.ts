import { describe, expect, it } from '@jest/globals';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { SharedToolCatalogs, buildToolCatalog } from '../../server/mcp/tool-catalogs.js';

const tool = (name: string): Tool => ({ name, description: `does ${name}`, inputSchema: { type: 'object' } });
const jira = [tool('search'), tool('create issue')];
const wiki = [tool('search')];

describe('tool catalogs', () => {
  it('names every tool for the LLM and maps the names back to their server and tool', () => {
    const catalog = buildToolCatalog([
      { serverName: 'jira', tools: jira },
      { serverName: 'wiki', tools: wiki },
    ]);
    expect(catalog.tools.map((t) => t.name)).toEqual([
      'jira__search',
      expect.stringMatching(/^jira__create_issue_[0-9a-f]{8}$/),
      'wiki__search',
    ]);
    for (const t of catalog.tools)
      expect(catalog.names.resolve(t.name)).toEqual({ serverName: t.serverName, toolName: t.toolName });
    expect(Object.isFrozen(catalog.tools)).toBe(true);
    expect(Object.isFrozen(catalog.tools[0])).toBe(true);
  });

  it('gives users of the same tool lists one catalog, and a user with another list their own', () => {
    const catalogs = new SharedToolCatalogs();
    const alice = catalogs.catalog([
      { serverName: 'jira', tools: jira },
      { serverName: 'wiki', tools: wiki },
    ]);
    const bob = catalogs.catalog([
      { serverName: 'jira', tools: jira },
      { serverName: 'wiki', tools: wiki },
    ]);
    const carol = catalogs.catalog([
      { serverName: 'jira', tools: [...jira, tool('delete')] },
      { serverName: 'wiki', tools: wiki },
    ]);
    const dave = catalogs.catalog([{ serverName: 'wiki', tools: wiki }]);
    expect(bob).toBe(alice);
    expect(carol).not.toBe(alice);
    expect(carol.tools.map((t) => t.toolName)).toContain('delete');
    expect(dave.tools.map((t) => t.name)).toEqual(['wiki__search']);
    expect(catalogs.size).toBe(3);
  });

  it('tells the same list under two server names apart', () => {
    const catalogs = new SharedToolCatalogs();
    const one = catalogs.catalog([{ serverName: 'a', tools: wiki }]);
    const other = catalogs.catalog([{ serverName: 'b', tools: wiki }]);
    expect(other).not.toBe(one);
    expect(other.tools[0]!.name).toBe('b__search');
  });
});
