/**
 * Durations: a number of milliseconds or a string such as `'600s'`, `'10m'`, `'1h30m'`.
 * @module
 */
import { UsageError } from '../errors.js';

/** A duration: milliseconds, or a string like `'500ms'`, `'30s'`, `'10m'`, `'1h'`, `'1h30m'`. */
export type Duration = number | string;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses a {@link Duration} into milliseconds.
 *
 * @example
 * ```ts
 * parseDuration('10m'); // 600000
 * parseDuration(1500);  // 1500
 * ```
 * @throws {UsageError} for negative, non-finite or unparseable values, quoting the value.
 */
export function parseDuration(value: Duration, what = 'timeout'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new UsageError(
        `expected the ${what} to be a non-negative number of milliseconds, got ${String(value)}`,
      );
    }
    return value;
  }
  const text = value.trim();
  // `-5s` is a duration with a sign, not text: say what is wrong with it.
  if (/^-(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/.test(text)) {
    throw new UsageError(`${what} must not be negative, got ${text}`);
  }
  const parts = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/.exec(text);
  if (parts === null) {
    throw new UsageError(
      `invalid ${what} ${JSON.stringify(value)}: use a duration such as 500ms, 30s, 10m, 1h or 1h30m`,
    );
  }
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1);
  }
  return Math.round(total);
}

export { formatDuration } from './format-duration.js';
