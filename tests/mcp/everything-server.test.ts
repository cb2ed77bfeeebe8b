import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { parseConfig } from '../../server/config/schema.js';
import { startEverythingServer, type EverythingServer } from '../support/everything-server.js';
import { silentLogger } from '../support/logger.js';

const USER = 'everythingaaaaaaaaaaaaaaaa';

describe.each(['streamableHttp', 'sse'] as const)(
  'against the reference server (server-everything, %s)',
  (transport) => {
    let everything: EverythingServer;
    let manager: ClientManager;

    beforeAll(async () => {
      everything = await startEverythingServer(transport);
      manager = new ClientManager(parseConfig({ servers: [{ name: 'everything', baseURL: everything.url }] }), {
        logger: silentLogger(),
      });
    });

    afterAll(async () => {
      await manager?.close();
      await everything?.stop();
    });

    it('lists its tools under LLM-safe names', async () => {
      const { tools, errors } = await manager.getToolsForUser(USER);
      expect(errors.errors).toEqual([]);
      const names = tools.map((t) => t.toolName);
      expect(names).toEqual(expect.arrayContaining(['echo', 'get-tiny-image', 'trigger-long-running-operation']));
      for (const tool of tools) expect(tool.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    });

    it('calls echo', async () => {
      const result = await manager.callTool(USER, 'everything__echo', { message: 'hello reference' });
      expect(result.isError).toBe(false);
      expect(result.text).toContain('hello reference');
    });

    it('returns the tiny image as an image', async () => {
      const { tools } = await manager.getToolsForUser(USER);
      const tiny = tools.find((t) => t.toolName === 'get-tiny-image')!;
      const result = await manager.callTool(USER, tiny.name, {});
      expect(result.images[0]?.mimeType).toBe('image/png');
    });

    it('receives progress from a long-running operation', async () => {
      const { tools } = await manager.getToolsForUser(USER);
      const longRunning = tools.find((t) => t.toolName === 'trigger-long-running-operation')!;
      const progress: number[] = [];
      const result = await manager.callTool(
        USER,
        longRunning.name,
        { duration: 1, steps: 4 },
        { onProgress: (p) => progress.push(p.progress) },
      );
      expect(result.isError).toBe(false);
      // Over SSE the last notification can race the result (TESTING.md); the first ones always arrive.
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(progress).toEqual([...progress].sort((x, y) => x - y));
    });

    it('reports bad arguments as a tool error, not a crash', async () => {
      const result = await manager.callTool(USER, 'everything__echo', { message: 42 });
      expect(result.isError).toBe(true);
    });
  },
);
