import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { SharedSchemaValidator } from '../../server/mcp/shared-schema-validator.js';
import { SharedToolLists } from '../../server/mcp/shared-tool-lists.js';
import { parseConfig } from '../../server/config/schema.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { silentLogger } from '../support/logger.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const tool = (name: string, description = 'a tool'): Tool => ({
  name,
  description,
  inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
});

describe('SharedToolLists', () => {
  it('gives back the first of two equal lists, so users of one server share it', () => {
    const lists = new SharedToolLists();
    const first = lists.intern([tool('a'), tool('b')]);
    expect(lists.intern([tool('a'), tool('b')])).toBe(first);
    expect(lists.size).toBe(1);
  });

  it('keeps lists that differ in anything apart', () => {
    const lists = new SharedToolLists();
    const first = lists.intern([tool('a')]);
    expect(lists.intern([tool('a', 'another description')])).not.toBe(first);
    expect(lists.intern([tool('a'), tool('b')])).not.toBe(first);
  });

  it("freezes a shared list all the way down, so no user can change another user's tools", () => {
    const shared = new SharedToolLists().intern([tool('a')]);
    expect(() => {
      (shared[0]!.inputSchema.properties as Record<string, unknown>).injected = { type: 'string' };
    }).toThrow(TypeError);
  });

  it('forgets a list once no client holds it', async () => {
    const lists = new SharedToolLists();
    lists.intern([tool('gone')]);
    for (let i = 0; i < 100 && lists.size > 0; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(lists.size).toBe(0);
  });
});

describe('SharedSchemaValidator', () => {
  const schema = () => ({ type: 'object', properties: { n: { type: 'number' } }, required: ['n'] });

  it('compiles an output schema once however many clients ask, and validates with it', () => {
    const validator = new SharedSchemaValidator();
    const first = validator.getValidator(schema());
    expect(validator.getValidator(schema())).toBe(first);
    expect(first({ n: 1 })).toEqual({ valid: true, data: { n: 1 }, errorMessage: undefined });
    expect(first({ n: 'one' })).toEqual(
      expect.objectContaining({ valid: false, errorMessage: expect.stringContaining('number') }),
    );
  });

  it("keeps two servers' schemas that share an $id apart", () => {
    const validator = new SharedSchemaValidator();
    const numbers = validator.getValidator({
      $id: 'https://example.com/result',
      type: 'object',
      properties: { v: { type: 'number' } },
      required: ['v'],
    });
    const strings = validator.getValidator({
      $id: 'https://example.com/result',
      type: 'object',
      properties: { v: { type: 'string' } },
      required: ['v'],
    });
    expect(numbers({ v: 1 }).valid).toBe(true);
    expect(numbers({ v: 'x' }).valid).toBe(false);
    expect(strings({ v: 'x' }).valid).toBe(true);
    expect(strings({ v: 1 }).valid).toBe(false);
  });

  it('starts over past its bound instead of growing', () => {
    const validator = new SharedSchemaValidator(2);
    for (let i = 0; i < 5; i++)
      validator.getValidator({ type: 'object', properties: { [`p${i}`]: { type: 'string' } } });
    expect(validator.size).toBeLessThanOrEqual(2);
  });
});

describe('ClientManager sharing per-server state between users', () => {
  let mcp: TestMcpServer;
  let manager: ClientManager;

  beforeAll(async () => {
    mcp = await startMcpServer({ tools: [echoTool, whoamiTool] });
    manager = new ClientManager(parseConfig({ servers: [{ name: 'tools', baseURL: mcp.url }] }), {
      logger: silentLogger(),
    });
  });

  afterAll(async () => {
    await manager.close();
    await mcp.close();
  });

  it('gives two users the same tool schemas and still calls each tool as its own user', async () => {
    const alice = await manager.getToolsForUser('alice');
    const bob = await manager.getToolsForUser('bob');
    expect(bob.tools.map((t) => t.name)).toEqual(alice.tools.map((t) => t.name));
    expect(bob.tools[0]!.inputSchema).toBe(alice.tools[0]!.inputSchema);
    expect((await manager.callTool('alice', 'tools__whoami', {})).text).toBe('alice');
    expect((await manager.callTool('bob', 'tools__whoami', {})).text).toBe('bob');
  });
});
