/**
 * Figures shared by the benchmarks.
 */

/**
 * Rounds of (konduktor, baselines), interleaved: the machine is shared, so one round can be
 * unlucky; a row reports the median.
 */
export const ROUNDS = 3;

/** The value at percentile `p` (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? NaN;
}

/** The median (nearest rank: the middle value of an odd count). */
export const median = (values: readonly number[]): number => percentile(values, 50);
