/** What one `make bench` run measured, as written to bench/results/latest.json and read by the report. */
import type { MachineInfo } from './machine.js';
import type { MattermostPathsResult } from './mattermost-paths.js';
import type { ScaleResult } from './scale.js';
import type { StoreThroughputResult } from './store-throughput.js';
import type { ToolCallOverheadResult } from './tool-call-overhead.js';
import type { ToolListingResult } from './tool-listing.js';

/**
 * A part's result, or why it has none; `seconds` is how long the part took. `from` is set when a run
 * left the part out (BENCH_ONLY) or could not run it here (no Go for the Mattermost part) and kept the
 * figures of the earlier run that measured it (that run's startedAt).
 */
export type Part<T> = ({ readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string }) & {
  readonly seconds: number;
  readonly from?: string;
};

/**
 * `earlier`'s figures for a run that does not measure the part, marked with the run that did; none for a failed part.
 */
export function carriedOver<T>(earlier: Part<T> | undefined, earlierRun: string | undefined): Part<T> | undefined {
  return earlier?.ok ? { ...earlier, from: earlier.from ?? earlierRun } : undefined;
}

export interface BenchResults {
  readonly startedAt: string;
  readonly seconds: number;
  readonly machine: MachineInfo;
  readonly toolCall: Part<ToolCallOverheadResult>;
  readonly toolListing: Part<ToolListingResult>;
  readonly scale: Part<ScaleResult>;
  readonly store: Part<StoreThroughputResult>;
  /** On a real Mattermost; absent from results written before it existed. */
  readonly mattermost?: Part<MattermostPathsResult>;
}
