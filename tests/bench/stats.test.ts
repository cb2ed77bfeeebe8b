import { describe, expect, it } from '@jest/globals';
import { median, percentile, ratio, summarize } from '../../bench/stats.js';

describe('bench statistics', () => {
  it('takes the middle sample as the median of an odd count, in any order', () => {
    expect(median([5, 1, 3])).toBe(3);
  });

  it('interpolates the median of an even count between the two middle samples', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('interpolates percentiles between closest ranks, as numpy does', () => {
    const samples = Array.from({ length: 101 }, (_, i) => i); // 0..100
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBeCloseTo(9.91, 10);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 10], 0)).toBe(1);
    expect(percentile([1, 10], 100)).toBe(10);
  });

  it("summarizes without reordering the caller's samples", () => {
    const samples = [3, 1, 2];
    expect(summarize(samples)).toEqual({ n: 3, p50: 2, p99: expect.closeTo(2.98, 10), mean: 2, min: 1, max: 3 });
    expect(samples).toEqual([3, 1, 2]);
  });

  it('refuses empty samples and percentiles outside 0..100', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('divides by the baseline', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(1, 0)).toBe(Infinity);
  });
});
