import { afterEach, describe, expect, it } from '@jest/globals';
import { ClientManager, HEAP_RELEASE_INTERVAL_MS } from '../../server/mcp/client-manager.js';
import { releaseFreedHeap } from '../../server/mcp/heap-release.js';
import { parseConfig } from '../../server/config/schema.js';
import { startMcpServer, type TestMcpServer } from '../support/mcp-test-server.js';
import { silentLogger } from '../support/logger.js';
import { eventually } from '../support/eventually.js';

const MIB = 1024 * 1024;
const logger = silentLogger();
const servers: TestMcpServer[] = [];
const managers: ClientManager[] = [];

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('releaseFreedHeap', () => {
  it('hands the pages of collected objects back to the system (Node 24 keeps them mapped otherwise)', () => {
    let garbage: Array<{ id: number; name: string; list: number[] }> | undefined = [];
    for (let i = 0; i < 800_000; i++) garbage.push({ id: i, name: `object ${i}`, list: [i, i + 1, i + 2] });
    const peak = process.memoryUsage.rss();
    expect(process.memoryUsage().heapUsed).toBeGreaterThan(80 * MIB);
    // eslint-disable-next-line no-useless-assignment -- dropping the last reference is what makes it garbage
    garbage = undefined;
    releaseFreedHeap();
    // About 100 MiB of objects became garbage; most of the pages they were on leave the process.
    expect(peak - process.memoryUsage.rss()).toBeGreaterThan(50 * MIB);
  });
});

describe('ClientManager sweeps', () => {
  /** `releases`: for each collection the manager asked for, how many sessions the server had seen closed by then. */
  async function setUp(): Promise<{
    manager: ClientManager;
    server: TestMcpServer;
    releases: number[];
    advance: (ms: number) => void;
  }> {
    const server = await startMcpServer();
    servers.push(server);
    let clock = 1_000_000;
    const releases: number[] = [];
    const manager = new ClientManager(
      parseConfig({ idleTimeoutMinutes: 1, servers: [{ name: 's', baseURL: server.url }] }),
      {
        logger,
        now: () => clock,
        releaseHeap: () => void releases.push(server.deletedSessions),
        heapReleaseDelayMs: 0,
      },
    );
    managers.push(manager);
    return {
      manager,
      server,
      releases,
      advance: (ms) => void (clock += ms),
    };
  }

  it('hand the heap back once the users they evicted are closed, at most once per interval', async () => {
    const { manager, server, releases, advance } = await setUp();
    await manager.getToolsForUser('alice');
    await manager.getToolsForUser('bob');
    advance(2 * 60_000);
    manager.sweepIdle();
    // Once both evicted users' sessions are closed, not before.
    await eventually(() => expect(releases).toEqual([2]));

    // Another eviction within the interval: no second full collection.
    await manager.getToolsForUser('carol');
    advance(2 * 60_000);
    manager.sweepIdle();
    await eventually(() => expect(server.deletedSessions).toBe(3));

    // Past the interval, the next sweep that evicts someone releases again (and that is the second release).
    await manager.getToolsForUser('dave');
    advance(HEAP_RELEASE_INTERVAL_MS);
    manager.sweepIdle();
    await eventually(() => expect(releases).toEqual([2, 4]));
  });

  it('do not collect when they let go of nobody', async () => {
    const { manager, releases, advance } = await setUp();
    await manager.getToolsForUser('alice');
    manager.sweepIdle();
    // Within the idle timeout (1 minute) and the server streams' (2 minutes).
    advance(30_000);
    manager.sweepIdle();
    // Had either sweep collected, this one would fall within the interval and not.
    advance(2 * 60_000);
    manager.sweepIdle();
    await eventually(() => expect(releases).toEqual([1]));
  });
});
