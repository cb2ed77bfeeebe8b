import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { MAX_TOOL_NAME_LENGTH, ToolNameMap, type ToolRef } from '../../server/mcp/tool-names.js';

const LLM_SAFE = /^[A-Za-z0-9_-]{1,64}$/;

describe('ToolNameMap', () => {
  it('exposes readable <server>__<tool> names when nothing clashes', () => {
    const map = new ToolNameMap([
      { serverName: 'github', toolName: 'search' },
      { serverName: 'jira', toolName: 'search' },
    ]);
    expect(map.exposedName({ serverName: 'github', toolName: 'search' })).toBe('github__search');
    expect(map.resolve('jira__search')).toEqual({ serverName: 'jira', toolName: 'search' });
  });

  it('sanitises characters LLM APIs refuse and adds a hash so the name still maps back exactly', () => {
    const ref = { serverName: 'My Server!', toolName: 'files.read' };
    const name = new ToolNameMap([ref]).exposedName(ref)!;
    expect(name).toMatch(/^My_Server__files_read_[0-9a-f]{8}$/);
  });

  it('gives both colliding pairs distinct hashed names, whatever order they were listed in', () => {
    const a = { serverName: 'Jira!', toolName: 'search' };
    const b = { serverName: 'Jira', toolName: 'search' };
    const forward = new ToolNameMap([a, b]);
    const backward = new ToolNameMap([b, a]);
    expect(forward.exposedName(a)).not.toBe(forward.exposedName(b));
    expect(forward.exposedName(a)).toBe(backward.exposedName(a));
    expect(forward.exposedName(b)).toBe(backward.exposedName(b));
    expect(forward.resolve(forward.exposedName(b)!)).toEqual(b);
  });

  it('caps long names at 64 characters', () => {
    const ref = {
      serverName: 'a-very-long-server-name-for-the-enterprise-wiki',
      toolName: 'search_all_pages_including_archived_spaces',
    };
    const name = new ToolNameMap([ref]).exposedName(ref)!;
    expect(name.length).toBeLessThanOrEqual(MAX_TOOL_NAME_LENGTH);
    expect(name.startsWith('a-very-long-server-name-for-the-enterprise-wiki__search')).toBe(true);
  });

  it('keeps a plain name that happens to look like a hashed one apart from the hashed one', () => {
    const odd = { serverName: 'x', toolName: 'y' };
    const hashedName = new ToolNameMap([{ serverName: 'x!', toolName: 'y' }]).exposedName({
      serverName: 'x!',
      toolName: 'y',
    })!;
    const impostor = { serverName: hashedName.split('__')[0]!, toolName: hashedName.split('__')[1]! };
    const map = new ToolNameMap([{ serverName: 'x!', toolName: 'y' }, impostor, odd]);
    const names = [
      map.exposedName({ serverName: 'x!', toolName: 'y' }),
      map.exposedName(impostor),
      map.exposedName(odd),
    ];
    expect(new Set(names).size).toBe(3);
  });

  it('round-trips any set of (server, tool) pairs into unique, LLM-safe names (property)', () => {
    const part = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.stringMatching(/^[a-z_]{1,40}$/),
      fc.constantFrom('a', 'a_', 'a__b', '__', ''),
    );
    const refs = fc.array(fc.record({ serverName: part, toolName: part }), { maxLength: 40 });
    fc.assert(
      fc.property(refs, (list: ToolRef[]) => {
        const map = new ToolNameMap(list);
        const seen = new Set<string>();
        for (const ref of list) {
          const name = map.exposedName(ref);
          expect(name).toMatch(LLM_SAFE);
          expect(map.resolve(name!)).toEqual(ref);
          seen.add(name!);
        }
        expect(seen.size).toBe(new Set(list.map((r) => `${r.serverName}\0${r.toolName}`)).size);
      }),
      { numRuns: 300 },
    );
  });
});
