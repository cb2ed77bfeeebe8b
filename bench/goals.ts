/** The goals, each judged from one run's results as a figure against a limit (lower is better). */
import type { BenchResults } from './results.js';

export interface Goal {
  readonly name: string;
  /** What is compared, in words. */
  readonly figure: string;
  readonly measured?: number;
  readonly limit: number;
  readonly unit: '×' | 'ms' | 'MiB' | 'errors';
  /** Why there is no figure (a part failed or stopped early). */
  readonly missing?: string;
}

export function goals(results: BenchResults): Goal[] {
  const list: Goal[] = [];
  const call = results.toolCall;
  list.push({
    name: 'Tool call through the sidecar',
    figure: 'p50 sidecar HTTP / p50 raw SDK callTool',
    limit: 1.15,
    unit: '×',
    ...(call.ok ? { measured: call.value.local.sidecar.p50 / call.value.local.raw.p50 } : { missing: call.error }),
  });
  const listing = results.toolListing;
  list.push({
    name: 'Warm tool listing, 5 servers',
    figure: 'p50 of getToolsForUser in-process',
    limit: 0.2,
    unit: 'ms',
    ...(listing.ok ? { measured: listing.value.warm.manager.p50 } : { missing: listing.error }),
  });
  list.push({
    name: 'Cold fan-out, 10 servers vs 1',
    figure: 'p50 first listing with 10 servers / with 1 (20 ms each)',
    limit: 1.3,
    unit: '×',
    ...(listing.ok
      ? { measured: listing.value.cold.fanOut['10']!.p50 / listing.value.cold.fanOut['1']!.p50 }
      : { missing: listing.error }),
  });
  const mattermost = results.mattermost;
  list.push({
    name: 'Tool call through Mattermost',
    figure: 'p50 REST tools/call through this plugin / p50 Go plugin calling with the go-sdk',
    limit: 1.15,
    unit: '×',
    ...(mattermost?.ok
      ? { measured: mattermost.value.call.plugin.p50 / mattermost.value.call.direct.p50 }
      : { missing: mattermost?.error ?? 'not run yet' }),
  });
  const scale = results.scale;
  if (scale.ok) {
    const { ramp, burst } = scale.value;
    const top = ramp.afterUsers.find((sample) => sample.users === ramp.target);
    list.push({
      name: `RSS with ${ramp.target.toLocaleString('en-US')} users on 3 servers`,
      figure: 'RSS of the process holding the clients',
      limit: 512,
      unit: 'MiB',
      ...(top
        ? { measured: top.rssMiB }
        : {
            missing: `the ramp stopped at ${ramp.users.toLocaleString('en-US')} users (${ramp.stoppedBecause ?? 'stopped'}), with ${Math.round(ramp.afterUsers.at(-1)?.rssMiB ?? 0)} MiB`,
          }),
    });
    list.push({
      name: 'RSS after idle eviction',
      figure: 'RSS after evicting everyone / RSS before the first user',
      limit: 1.1,
      unit: '×',
      measured: ramp.afterEviction.rssMiB / ramp.baseline.rssMiB,
    });
    list.push({
      name: `${burst.burst.users.toLocaleString('en-US')} users connecting at once`,
      figure: 'users whose first listing failed',
      limit: 0,
      unit: 'errors',
      measured: burst.burst.errors,
    });
  } else {
    for (const name of [
      'RSS with 10,000 users on 3 servers',
      'RSS after idle eviction',
      '1,000 users connecting at once',
    ]) {
      list.push({
        name,
        figure: '',
        limit: name.startsWith('RSS with') ? 512 : name.startsWith('RSS after') ? 1.1 : 0,
        unit: name.startsWith('RSS with') ? 'MiB' : name.startsWith('RSS after') ? '×' : 'errors',
        missing: scale.error,
      });
    }
  }
  return list;
}

export function met(goal: Goal): boolean | undefined {
  return goal.measured === undefined ? undefined : goal.measured <= goal.limit;
}
