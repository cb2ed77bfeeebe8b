/** The load specification, shared by the default suite (200 users) and `make test-slow` (1,000 users). */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { runLoad, type LoadOptions, type LoadReport } from './load-scenario.js';

export function specifyLoad(options: LoadOptions & { readonly timeoutMs: number }): void {
  const servers = options.servers ?? 3;
  describe(`${options.users} users listing and calling tools on ${servers} servers at once, ${options.requestsPerUser} requests each`, () => {
    let report: LoadReport;

    beforeAll(async () => {
      report = await runLoad(options);
      // The figures the fault-and-load table in docs/faults.md quotes.
      const { users, listings, calls, errors, misdelivered, heapMiB, seconds } = report;
      console.info(JSON.stringify({ users, listings, calls, errors: errors.length, misdelivered, heapMiB, seconds }));
    }, options.timeoutMs);

    it('serves every listing and every call without an error', () => {
      expect(report.errors.slice(0, 10)).toEqual([]);
      expect(report.listings).toBeGreaterThanOrEqual(options.users);
      expect(report.calls).toBeGreaterThanOrEqual(options.users);
    });

    it('gives every answer to the user and the call that asked for it', () => {
      expect(report.misdelivered).toBe(0);
    });

    it('holds one session per user and server, and ends them all on the servers once the users are idle', () => {
      expect(report.sessionsAtPeak).toBe(options.users * servers);
      expect(report.sessionsAfterEviction).toBe(0);
    });

    it('gives the memory the users took back after idle eviction', () => {
      const { baseline, peak, afterEviction } = report.heapMiB;
      expect(peak).toBeGreaterThan(baseline);
      // What stays (after a warm-up wave was already in the baseline) is a small part of what the users took.
      expect(afterEviction - baseline).toBeLessThanOrEqual(0.2 * (peak - baseline));
    });

    it('leaves no socket, timer or other handle open after close()', () => {
      expect(report.leakedHandles).toEqual({});
    });
  });
}
