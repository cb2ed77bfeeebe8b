import { describe, expect, it } from '@jest/globals';
import { goals } from '../../bench/goals.js';
import type { MattermostPathsResult } from '../../bench/mattermost-paths.js';
import { renderReport } from '../../bench/report.js';
import { carriedOver, type BenchResults, type Part } from '../../bench/results.js';
import type { Summary } from '../../bench/stats.js';

const summary = (p50: number): Summary => ({ n: 400, p50, p99: p50 * 3, mean: p50, min: p50 / 2, max: p50 * 4 });
const pair = (plugin: number, direct: number) => ({ plugin: summary(plugin), direct: summary(direct) });
const mattermostFigures: MattermostPathsResult = {
  mattermost: 'mattermost-v8.0.0-20251014075701-833e0125320d-d7df7593d967',
  plan: { warmup: 50, rounds: 20, perRound: 20, freshRounds: 10, freshPerRound: 10 },
  call: pair(8, 5),
  bridgeKept: { list: pair(9, 5), call: pair(12, 5) },
  bridgeFresh: { list: pair(24, 10), call: pair(32, 11) },
  split: { shim404: summary(2.9), go404: summary(2.7), sidecarWarmList: summary(4) },
};
const notRun = { ok: false, error: 'skipped (BENCH_ONLY)', seconds: 0 } as const;

function results(mattermost: Part<MattermostPathsResult> | undefined): BenchResults {
  return {
    startedAt: '2026-12-06T12:00:00Z',
    seconds: 10,
    machine: {
      cpu: 'test',
      cores: 2,
      memoryGiB: 1,
      os: 'Linux',
      node: 'v24',
      openFilesLimit: '1024',
      loadAverageAtStart: [1, 1, 1],
      loadAverageAtEnd: [1, 1, 1],
    },
    toolCall: notRun,
    toolListing: notRun,
    scale: notRun,
    store: notRun,
    ...(mattermost ? { mattermost } : {}),
  };
}

describe('a bench run that measures some parts only', () => {
  it('keeps an earlier run’s figures for a part it left out, marked with the run that measured them', () => {
    const measured: Part<MattermostPathsResult> = { ok: true, value: mattermostFigures, seconds: 120 };
    const once = carriedOver(measured, '2026-12-06T11:50:09Z');
    expect(once).toEqual({ ...measured, from: '2026-12-06T11:50:09Z' });
    // A second partial run still names the run that measured the part, not the one in between.
    expect(carriedOver(once, '2026-12-06T12:30:00Z')?.from).toBe('2026-12-06T11:50:09Z');
  });

  it('keeps no earlier failure or skip: the part says this run did not measure it', () => {
    expect(
      carriedOver({ ok: false, error: 'skipped: Go is not installed', seconds: 0 }, '2026-12-06T11:50:09Z'),
    ).toBeUndefined();
    expect(carriedOver(undefined, '2026-12-06T11:50:09Z')).toBeUndefined();
  });

  it('shows carried figures under their own run’s date and still judges the goal on them', () => {
    const page = renderReport(
      results({ ok: true, value: mattermostFigures, seconds: 120, from: '2026-12-06T11:50:09Z' }),
      '/nonexistent',
    );
    expect(page).toContain(
      '## 5. Through a real Mattermost\n\nFigures of the run of 2026-12-06T11:50:09Z (this run did not measure it).',
    );
    expect(page).toContain('Mattermost from the run of 2026-12-06T11:50:09Z');
    expect(
      goals(results({ ok: true, value: mattermostFigures, seconds: 120, from: 'x' })).find(
        (g) => g.name === 'Tool call through Mattermost',
      )?.measured,
    ).toBe(8 / 5);
  });

  it('reads results written before the Mattermost part existed', () => {
    expect(renderReport(results(undefined), '/nonexistent')).toContain(
      '## 5. Through a real Mattermost\n\nNot measured: no run has measured it yet',
    );
    const goal = goals(results(undefined)).find((g) => g.name === 'Tool call through Mattermost');
    expect(goal?.measured).toBeUndefined();
    expect(goal?.missing).toBe('not run yet');
  });
});
