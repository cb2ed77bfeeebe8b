import { afterEach, describe, expect, it } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { DEFAULT_TOOL_LIST_LIMITS } from '../../server/mcp/tool-list-limits.js';
import { parseConfig } from '../../server/config/schema.js';
import { startHostileToolServer, type HostilePage } from '../support/hostile-tool-server.js';
import { echoTool, startMcpServer } from '../support/mcp-test-server.js';
import { silentLogger } from '../support/logger.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A user of a hostile server and a good one; returns what the user gets and how many pages the hostile one served. */
async function listWith(
  page: (n: number) => HostilePage,
  onChunk?: () => void,
  toolListLimits?: Record<string, number>,
) {
  const hostile = await startHostileToolServer(page, onChunk);
  const good = await startMcpServer({ tools: [echoTool] });
  cleanups.push(hostile.close, good.close);
  const manager = new ClientManager(
    parseConfig({
      servers: [
        { name: 'hostile', baseURL: hostile.url, connectTimeoutSeconds: 60, ...(toolListLimits && { toolListLimits }) },
        { name: 'good', baseURL: good.url },
      ],
    }),
    { logger: silentLogger() },
  );
  cleanups.push(() => manager.close());
  const result = await manager.getToolsForUser('alice');
  return { ...result, pagesAsked: hostile.pagesAsked };
}

const tool = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  inputSchema: { type: 'object' },
  ...extra,
});

describe('a server whose tool list would take the sidecar’s memory', () => {
  it('is refused while the first of endless 15 MiB pages arrives, and the heap stays bounded', async () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const { tools, errors, pagesAsked } = await listWith(
      (n) => ({ descriptionBytes: 15 * MiB, nextCursor: String(n + 1) }),
      () => (peak = Math.max(peak, process.memoryUsage().heapUsed)),
    );
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    expect(tools.map((t) => t.name)).toEqual(['good__echo']);
    expect(errors.errors).toEqual([
      {
        serverName: 'hostile',
        code: 'ERR_MCP_TOOL_LIST_TOO_LARGE',
        message: expect.stringMatching(/^Server hostile: its tool list is larger than 8 MiB/),
      },
    ]);
    expect(pagesAsked).toBe(1);
    expect(peak - before).toBeLessThan(64 * MiB);
  }, 180_000);

  it('is refused once its pages add up to more than the whole listing may hold', async () => {
    // Each tool within every per-tool bound (7 KiB description, ~50 KiB schema), ~5.7 MiB a page.
    const properties = Object.fromEntries(
      Array.from({ length: 700 }, (_, i) => [`field${i}`, { type: 'string', description: 'a field of this tool' }]),
    );
    const page = (n: number) =>
      Array.from({ length: 100 }, (_, i) =>
        tool(`t${n}_${i}`, { description: 'd'.repeat(7 * 1024), inputSchema: { type: 'object', properties } }),
      );
    const { tools, errors, pagesAsked } = await listWith((n) => ({ tools: page(n), nextCursor: String(n + 1) }));
    expect(tools.map((t) => t.name)).toEqual(['good__echo']);
    expect(errors.errors).toEqual([
      {
        serverName: 'hostile',
        code: 'ERR_MCP_TOOL_LIST_TOO_LARGE',
        message: expect.stringMatching(/^Server hostile: its tool list is larger than 8 MiB/),
      },
    ]);
    expect(pagesAsked).toBe(2);
  });

  it('is refused when it lists more tools than a server may offer, and the other servers’ tools are listed', async () => {
    const { tools, errors, pagesAsked } = await listWith((n) => ({
      tools: Array.from({ length: 100 }, (_, i) => tool(`t${n}_${i}`)),
      nextCursor: String(n + 1),
    }));
    expect(tools.map((t) => t.name)).toEqual(['good__echo']);
    expect(errors.errors).toEqual([
      {
        serverName: 'hostile',
        code: 'ERR_MCP_TOOL_LIST_TOO_LARGE',
        message: expect.stringMatching(/^Server hostile: it lists more than 1,000 tools/),
      },
    ]);
    expect(pagesAsked).toBe(11);
  });

  it('is refused when a tool’s description is longer than a description may be, naming the tool', async () => {
    const { tools, errors } = await listWith(() => ({
      tools: [
        tool('fine', { description: 'ok' }),
        tool('chatty', { description: 'x'.repeat(DEFAULT_TOOL_LIST_LIMITS.maxDescriptionBytes + 1) }),
      ],
    }));
    expect(tools.map((t) => t.name)).toEqual(['good__echo']);
    expect(errors.errors).toEqual([
      {
        serverName: 'hostile',
        code: 'ERR_MCP_TOOL_LIST_TOO_LARGE',
        message: expect.stringMatching(/^Server hostile: the description of its tool chatty is larger than 8 KiB/),
      },
    ]);
  });

  it('is refused when a tool’s schemas are larger than a schema may be, naming the tool', async () => {
    const properties = Object.fromEntries(
      Array.from({ length: 3_000 }, (_, i) => [`field${i}`, { type: 'string', description: 'a field' }]),
    );
    const { errors } = await listWith(() => ({
      tools: [tool('wide', { inputSchema: { type: 'object', properties } })],
    }));
    expect(errors.errors).toEqual([
      {
        serverName: 'hostile',
        code: 'ERR_MCP_TOOL_LIST_TOO_LARGE',
        message: expect.stringMatching(/^Server hostile: the schemas of its tool wide are larger than 64 KiB/),
      },
    ]);
  });

  it('is refused when it never stops paging, even with empty pages', async () => {
    const { tools, errors, pagesAsked } = await listWith((n) => ({ tools: [], nextCursor: String(n + 1) }));
    expect(tools.map((t) => t.name)).toEqual(['good__echo']);
    expect(errors.errors).toEqual([
      {
        serverName: 'hostile',
        code: 'ERR_MCP_TOOL_LIST_TOO_LARGE',
        message: expect.stringMatching(/^Server hostile: its tool list goes on past 50 pages/),
      },
    ]);
    expect(pagesAsked).toBe(50);
  });

  it('lists more than the default bounds allow for a server whose config raises them', async () => {
    const { tools, errors } = await listWith(
      (n) => ({
        tools: Array.from({ length: 100 }, (_, i) => tool(`t${n}_${i}`, { description: 'd'.repeat(9 * 1024) })),
        ...(n < 11 && { nextCursor: String(n + 1) }),
      }),
      undefined,
      { maxTools: 2_000, maxDescriptionBytes: 16 * 1024, maxListBytes: 16 * MiB },
    );
    expect(errors.errors).toEqual([]);
    expect(tools).toHaveLength(1_201);
  });

  it('lists a big but bounded listing across pages in full', async () => {
    const { tools, errors } = await listWith((n) => ({
      tools: Array.from({ length: 100 }, (_, i) => tool(`t${n}_${i}`, { description: 'd'.repeat(4_000) })),
      ...(n < 9 && { nextCursor: String(n + 1) }),
    }));
    expect(errors.errors).toEqual([]);
    expect(tools).toHaveLength(1_001);
  });
});
