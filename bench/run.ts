/**
 * `make bench`: runs every benchmark once, in order, and writes docs/benchmarks.md and docs/benchmarks.svg
 * (raw results: bench/results/latest.json). `BENCH_ONLY=store,listing` runs some parts only (parts left out
 * keep the figures of the previous bench/results/latest.json, and the page says which run measured them;
 * `calls`, `listing`, `scale`, `store`, `mattermost`); `BENCH_USERS=1000,10000` sets the scale steps and
 * `BENCH_RAMP_SECONDS=900` the ramp's wall-clock budget; `--report-only` writes the page and plot again from the
 * last results.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine, loadAverageNow } from './machine.js';
import { measureMattermostPaths, SkippedError } from './mattermost-paths.js';
import { startServerHost } from './mcp-server-host.js';
import { renderPlot } from './plot.js';
import { renderReport } from './report.js';
import { carriedOver, type BenchResults, type Part } from './results.js';
import { measureScale } from './scale.js';
import { nowMs } from './stats.js';
import { quietAbortListenerWarnings } from './warnings.js';
import { measureStoreThroughput } from './store-throughput.js';
import { measureToolCallOverhead } from './tool-call-overhead.js';
import { measureToolListing } from './tool-listing.js';

// dist/bench/run.js → the repository root.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const users = process.env.BENCH_USERS?.split(',').map(Number) ?? [1_000, 10_000];
const LATEST = join(ROOT, 'bench', 'results', 'latest.json');
/** The last run's results: a part BENCH_ONLY leaves out, or that cannot run here, keeps its figures from there. */
const previous: Partial<BenchResults> | undefined = existsSync(LATEST)
  ? (JSON.parse(readFileSync(LATEST, 'utf8')) as BenchResults)
  : undefined;

async function part<T>(name: string, measure: () => Promise<T>, earlier?: Part<T>): Promise<Part<T>> {
  const kept = carriedOver(earlier, previous?.startedAt);
  if (only && !only.includes(name)) return kept ?? { ok: false, error: 'skipped (BENCH_ONLY)', seconds: 0 };
  const start = nowMs();
  process.stdout.write(`bench: ${name}… `);
  try {
    const value = await measure();
    const seconds = (nowMs() - start) / 1000;
    console.log(`${seconds.toFixed(1)} s`);
    return { ok: true, value, seconds };
  } catch (error) {
    const seconds = (nowMs() - start) / 1000;
    if (error instanceof SkippedError) {
      console.log(`skipped: ${error.message}${kept ? ` (keeping the figures of the run of ${kept.from})` : ''}`);
      return kept ?? { ok: false, error: `skipped: ${error.message}`, seconds };
    }
    console.log(`failed after ${seconds.toFixed(1)} s: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: false, error: error instanceof Error ? error.message : String(error), seconds };
  }
}

async function main(): Promise<void> {
  quietAbortListenerWarnings();
  const started = nowMs();
  const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const machine = describeMachine();
  const host = await startServerHost();
  let toolCall, toolListing;
  try {
    toolCall = await part('calls', () => measureToolCallOverhead(host), previous?.toolCall);
    toolListing = await part('listing', () => measureToolListing(host), previous?.toolListing);
  } finally {
    await host.close();
  }
  const rampSeconds = Number(process.env.BENCH_RAMP_SECONDS ?? 900);
  const scale = await part(
    'scale',
    () => measureScale({ users, burst: Math.min(1_000, ...users), rampSeconds }),
    previous?.scale,
  );
  const store = await part('store', () => measureStoreThroughput(), previous?.store);
  const mattermost = await part('mattermost', () => measureMattermostPaths(), previous?.mattermost);
  machine.loadAverageAtEnd = loadAverageNow();
  const results: BenchResults = {
    startedAt,
    seconds: (nowMs() - started) / 1000,
    machine,
    toolCall,
    toolListing,
    scale,
    store,
    mattermost,
  };

  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(LATEST, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(ROOT, 'docs', 'benchmarks.md'), renderReport(results, join(ROOT, 'bench', 'notes.md')));
  writeFileSync(join(ROOT, 'docs', 'benchmarks.svg'), renderPlot(results));
  console.log(
    `bench: ${Math.round(results.seconds)} s; wrote docs/benchmarks.md, docs/benchmarks.svg and bench/results/latest.json`,
  );
}

/** Writes the page and the plot again from bench/results/latest.json (after editing bench/notes.md). */
function reportOnly(): void {
  const results = JSON.parse(readFileSync(LATEST, 'utf8')) as BenchResults;
  writeFileSync(join(ROOT, 'docs', 'benchmarks.md'), renderReport(results, join(ROOT, 'bench', 'notes.md')));
  writeFileSync(join(ROOT, 'docs', 'benchmarks.svg'), renderPlot(results));
}

(process.argv.includes('--report-only') ? Promise.resolve(reportOnly()) : main()).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
