/** What one `make bench` run measured, as written to bench/results/latest.json and read by the report. */
import type { MachineInfo } from './machine.js';
import type { ScaleResult } from './scale.js';
import type { StoreThroughputResult } from './store-throughput.js';
import type { ToolCallOverheadResult } from './tool-call-overhead.js';
import type { ToolListingResult } from './tool-listing.js';

/** A part's result, or why it has none; `seconds` is how long the part took. */
export type Part<T> = ({ readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string }) & { readonly seconds: number };

export interface BenchResults {
  readonly startedAt: string;
  readonly seconds: number;
  readonly machine: MachineInfo;
  readonly toolCall: Part<ToolCallOverheadResult>;
  readonly toolListing: Part<ToolListingResult>;
  readonly scale: Part<ScaleResult>;
  readonly store: Part<StoreThroughputResult>;
}
