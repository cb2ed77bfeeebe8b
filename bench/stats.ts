/** Order statistics for benchmark samples: medians, percentiles and ratios against a baseline. */

export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/** The p-th percentile (0..100) with linear interpolation between closest ranks (numpy's default). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError('percentile of no samples');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0..100`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.ceil(rank);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (rank - below);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('summary of no samples');
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const value of samples) {
    sum += value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return {
    n: samples.length,
    p50: median(samples),
    p99: percentile(samples, 99),
    mean: sum / samples.length,
    min,
    max,
  };
}

/** `measured / baseline`, the figure the report leads with (the machine is shared: absolutes are noisy). */
export function ratio(measured: number, baseline: number): number {
  return baseline === 0 ? Infinity : measured / baseline;
}

/** Milliseconds since an arbitrary origin, with sub-microsecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs `fn` and returns how long it took, in milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = nowMs();
  await fn();
  return nowMs() - start;
}

/**
 * Times every path `rounds × perRound` times, one round of each path after the other, rotating which
 * goes first, so load from other work on the machine falls on all paths alike.
 */
export async function interleavedSamples<K extends string>(
  paths: Readonly<Record<K, () => Promise<unknown>>>,
  rounds: number,
  perRound: number,
): Promise<Record<K, number[]>> {
  const names = Object.keys(paths) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!;
      for (let i = 0; i < perRound; i++) samples[name].push(await timed(paths[name]));
    }
  }
  return samples;
}
