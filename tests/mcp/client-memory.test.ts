import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from '../../server/mcp/client.js';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { parseConfig } from '../../server/config/schema.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { silentLogger } from '../support/logger.js';
import { eventually } from '../support/eventually.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const logger = silentLogger();

/** True once nothing holds `target` any more (a few full collections, with turns of the event loop between). */
async function collected(target: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 10 && target.deref(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
  }
  return target.deref() === undefined;
}

describe('memory held for closed connections', () => {
  let mcp: TestMcpServer;

  beforeAll(async () => {
    mcp = await startMcpServer({ tools: [echoTool] });
  });

  afterAll(async () => {
    await mcp.close();
  });

  it("lets a closed client be collected when it connected under a caller's abort signal", async () => {
    const server = parseConfig({ servers: [{ name: 'test', baseURL: mcp.url }] }).servers[0]!;
    const weak = await (async () => {
      const client = await Client.connect({ userId: 'user1', server, logger }, new AbortController().signal);
      await client.close();
      return new WeakRef(client);
    })();
    expect(await collected(weak)).toBe(true);
  });

  it('does not keep a tool list it replaced while the signal it connected under lives on', async () => {
    const changing = await startMcpServer({ tools: [echoTool] });
    const server = parseConfig({ servers: [{ name: 'changing', baseURL: changing.url }] }).servers[0]!;
    const connection = new AbortController();
    const client = await Client.connect({ userId: 'user3', server, logger }, connection.signal);
    try {
      const first = new WeakRef(client.tools[0]!);
      changing.setTools([echoTool, whoamiTool]);
      await client.refreshTools(connection.signal);
      expect(client.tools).toHaveLength(2);
      expect(await collected(first)).toBe(true);
      expect(connection.signal.aborted).toBe(false);
    } finally {
      await client.close();
      await changing.close();
    }
  });

  it('lets the clients of an evicted user be collected', async () => {
    let now = Date.now();
    const manager = new ClientManager(
      parseConfig({ idleTimeoutMinutes: 1, servers: [{ name: 'test', baseURL: mcp.url }] }),
      { logger, now: () => now },
    );
    try {
      const refs = await (async () => {
        const { tools } = await manager.getToolsForUser('user2');
        expect(tools).toHaveLength(1);
        return tools.map((tool) => new WeakRef(tool.inputSchema));
      })();
      now += 2 * 60_000;
      manager.sweepIdle();
      await eventually(() => expect(mcp.liveSessions).toBe(0));
      for (const ref of refs) expect(await collected(ref)).toBe(true);
    } finally {
      await manager.close();
    }
  });
});
